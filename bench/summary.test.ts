import { describe, expect, test } from "bun:test";
import { chartSvg, niceMax, type ChartStep } from "./chart.ts";
import { ceiling, result, round } from "./fixtures.ts";
import { compareLegend, compareTable, fmt, stepTable } from "./report.ts";
import { fingerprint, isStale } from "./results.ts";
import { isFlagged, resultLoad, resultNoise, summarize } from "./summary.ts";

const plainText = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
/** The table's own rows, without the flag lines and the legend under it. */
const cells = (s: string) =>
  plainText(s)
    .split("\n")
    .filter((line) => line.startsWith("│"))
    .join("\n");

describe("summarize", () => {
  test("takes the median of the rounds and their spread", () => {
    const s = summarize(result("04", [round(40, 2), round(50, 4), round(60, 3)]));
    expect(s.rps).toBe(50);
    expect(s.rpsSpread).toBeCloseTo(0.4);
    expect(s.healthP99Ms).toBe(3);
    expect(s.openDropped).toBe(5);
  });
  test("overhead is the µs a trivial request via the app adds over /health", () => {
    expect(summarize(result("02", [round(40, 2)])).overheadMicros).toBeCloseTo(50);
  });
  test("counts errors from every scenario", () => {
    const r = round(40, 2);
    r.responsiveness.probe.errors = 2;
    r.overhead.app.errors = 1;
    expect(summarize(result("02", [r])).errors).toBe(3);
  });
  test("a row's noise is its noisiest round, and it is flagged over a tenth of a core", () => {
    const r = result("04", [round(50, 3, { round: 0, others: 0.02 }), round(50, 3, { round: 1, others: 0.35 })]);
    expect(resultNoise(r)?.othersCores).toBe(0.35);
    expect(isFlagged(r)).toBe(true);
    expect(isFlagged(result("04", [round(50, 3, { round: 0, others: 0.05 })]))).toBe(false);
  });
  test("a result saved before noise was measured is neither noisy nor quiet: it has none", () => {
    const r = result("04", [round(50, 3)]);
    expect(resultNoise(r)).toBeUndefined();
    expect(isFlagged(r)).toBe(false);
  });
  test("a row's load is the median load as its rounds began", () => {
    const rounds = [round(50, 3), round(50, 3), round(50, 3)];
    rounds.forEach((r, i) => (r.loadAtStart = [0.4, 2.4, 0.5][i]));
    expect(resultLoad(result("04", rounds))).toBe(0.5);
  });
});

describe("stale detection", () => {
  test("the same files give the same fingerprint, in any order", () => {
    const a = fingerprint([{ name: "a.ts", content: "1" }, { name: "b.ts", content: "2" }]);
    expect(fingerprint([{ name: "b.ts", content: "2" }, { name: "a.ts", content: "1" }])).toBe(a);
    expect(isStale({ fingerprint: a }, a)).toBe(false);
  });
  test("an edited file makes the result stale", () => {
    const before = fingerprint([{ name: "pool.ts", content: "old" }]);
    const after = fingerprint([{ name: "pool.ts", content: "new" }]);
    expect(isStale({ fingerprint: before }, after)).toBe(true);
  });
});

describe("compare table", () => {
  const ceilings = [ceiling(0, 1.95)];
  test("shows the speedup over step 01 next to the same-run ceiling", () => {
    const table = plainText(
      compareTable([
        { step: "01", result: result("01", [round(30, 900, { round: 0, others: 0.01 })], { ceiling: ceilings }), stale: false },
        { step: "04", result: result("04", [round(57.6, 2, { round: 0, others: 0.02 })], { ceiling: ceilings }), stale: true },
        { step: "05", stale: false, missing: "step 05: skipped, its check does not pass yet" },
      ]),
    );
    expect(table).toContain("1.92x of 1.95x");
    expect(table).toContain("96%");
    expect(cells(table)).not.toContain("⚑");
    expect(table).toContain("STALE");
    expect(table).toContain("step 05: skipped");
  });
  test("shows each row's date, load and noise", () => {
    const table = plainText(compareTable([{ step: "01", result: result("01", [round(30, 900, { round: 0, others: 0.03 })]), stale: false }]));
    expect(table).toContain("11-25 10:05");
    expect(table).toContain("0.4"); // the load as the round began
    expect(table).toContain("0.03");
  });
  test("flags a noisy row, and a ratio resting on it", () => {
    const table = plainText(
      compareTable([
        { step: "01", result: result("01", [round(30, 900, { round: 0, others: 0.01 })]), stale: false },
        { step: "04", result: result("04", [round(50, 2, { round: 0, others: 0.8 })]), stale: false },
      ]),
    );
    expect(table).toContain("0.80 ⚑");
    expect(table).toContain("1.67x ⚑");
    expect(table).toMatch(/⚑ 04: .*noisy: 1 of 1 rounds/);
  });
  test("never prints an efficiency above 100% without its flag and reason", () => {
    // Many made-up runs, quiet and noisy: every efficiency above 100% must carry the flag.
    for (let i = 0; i < 200; i++) {
      const baseRps = 15 + (i % 20);
      const rowRps = 20 + ((i * 7) % 60);
      const others = (i % 5) * 0.07;
      const rows = [
        { step: "01", result: result("01", [round(baseRps, 900, { round: 0, others })]), stale: false },
        { step: "04", result: result("04", [round(rowRps, 2, { round: 0, others: 0 })]), stale: false },
      ];
      const table = plainText(compareTable(rows));
      for (const match of cells(table).matchAll(/(\d+)%( ⚑)?/g)) {
        if (Number(match[1]) > 100) expect(match[2], `"${match[0]}" printed bare in:\n${table}`).toBe(" ⚑");
      }
      if (rowRps / baseRps > 2) expect(table).toContain("above 100%");
    }
  });
  test("gives no ratio for a row measured in another run", () => {
    const table = plainText(
      compareTable([
        { step: "01", result: result("01", [round(30, 900, { round: 0 })]), stale: false },
        { step: "04", result: result("04", [round(57, 2, { round: 0 })], { runId: "2026-11-26T08:00:00.000Z" }), stale: false },
      ]),
    );
    expect(table).toContain("other run: no ratio");
    expect(table).not.toContain("1.90x");
  });
  test("a legend under the table names every column", () => {
    const table = plainText(compareTable([{ step: "01", result: result("01", [round(30, 900)]), stale: false }]));
    const head = cells(table).split("\n")[0] ?? "";
    const columns = head.split("│").map((c) => c.trim()).filter((c) => c !== "" && c !== "step" && c !== "note");
    expect(columns.length).toBeGreaterThan(8);
    const legend = compareLegend();
    for (const column of columns) expect(legend, `the legend names "${column}"`).toContain(`${column}:`);
    expect(table).toContain(legend.split("\n")[0]?.trim() ?? "?");
  });
  test("numbers are rounded to three significant digits", () => {
    expect(fmt(0.123456)).toBe("0.123");
    expect(fmt(1234.5)).toBe("1,235");
    expect(fmt(Number.NaN)).toBe("–");
  });
});

describe("one step's table", () => {
  test("shows the noise per scenario and explains a flag", () => {
    const r = round(50, 3, { round: 0, others: 0.02 });
    if (r.noise) r.noise.open = { ...(r.noise.open as NonNullable<typeof r.noise.open>), othersCores: 0.5 };
    const table = plainText(stepTable(result("04", [r])));
    expect(table).toContain("0.50 ⚑");
    expect(table).toContain("0.02");
    expect(table).toContain("Measure again when the machine is quiet");
    expect(table).toContain("noise: cores taken by other processes");
  });
  test("says that failed requests are not throughput", () => {
    const r = round(50, 3);
    r.closed.errors = 7;
    expect(plainText(stepTable(result("05", [r])))).toContain("7 request(s) failed");
  });
});

describe("chart", () => {
  const bar = (label: string, rps: number, extra: Partial<ChartStep> = {}): ChartStep => ({ label, rps, rpsLow: rps - 1, rpsHigh: rps + 1, p50Ms: 400, p99Ms: 500, healthP99Ms: 2, stale: false, ...extra });
  test("axis maxima are 1, 2 or 5 times a power of ten", () => {
    expect(niceMax(37)).toBe(50);
    expect(niceMax(120)).toBe(200);
    expect(niceMax(0)).toBe(1);
  });
  test("draws one throughput bar per step and escapes the caption", () => {
    const svg = chartSvg([bar("01", 25), bar("04", 50, { stale: true })], "a < b");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("a &lt; b");
    expect(svg).toContain(">04*<");
    expect(svg.match(/fill="#3b6ea8"/g)?.length).toBeGreaterThanOrEqual(2);
  });
  test("marks flagged rows and says what the mark means", () => {
    const svg = chartSvg([bar("01", 25), bar("04", 50, { flagged: true })], "c");
    expect(svg).toContain(">04⚑<");
    expect(svg).not.toContain(">01⚑<");
    expect(svg).toContain("more than a tenth of a core");
    expect(chartSvg([bar("01", 25)], "c")).not.toContain("⚑");
  });
  test("draws the ceiling measured in the same run, or the core count said to be unmeasured", () => {
    expect(chartSvg([bar("01", 30)], "c", { ratio: 1.95, measured: true })).toContain("step 01 × 1.95, measured in this run");
    expect(chartSvg([bar("01", 30)], "c", { ratio: 2, measured: false })).toContain("2 cores (not measured)");
    expect(chartSvg([bar("01", 30)], "c")).not.toContain("ceiling");
  });
});

describe("a run whose ceiling is above the cores", () => {
  test("says so once, and still marks every ratio", () => {
    const ceilings = [ceiling(0, 2.15)];
    const table = plainText(
      compareTable([
        { step: "01", result: result("01", [round(23, 900, { round: 0, others: 0 })], { ceiling: ceilings }), stale: false },
        { step: "04", result: result("04", [round(44, 3, { round: 0, others: 0 })], { ceiling: ceilings }), stale: false },
        { step: "05", result: result("05", [round(45, 3, { round: 0, others: 0 })], { ceiling: ceilings }), stale: false },
      ]),
    );
    expect(table.match(/is above the 2 cores/g)).toHaveLength(1);
    expect(cells(table)).toContain("1.91x of 2.15x ⚑");
    expect(cells(table)).toContain("1.96x of 2.15x ⚑");
  });
});
