import { describe, expect, test } from "bun:test";
import { chartSvg, niceMax, type ChartStep } from "./chart.ts";
import { ceiling, result, round, roundWithTrip, trip } from "./fixtures.ts";
import { BARE_LABEL, bareLabel, breakEvenLine, compareLegend, compareTable, fmt, roundTripLegend, roundTripTable, runBare, stepTable, type CompareRow } from "./report.ts";
import { fingerprint, isStale } from "./results.ts";
import {
  bareEntryFor,
  bareFor,
  breakEven,
  isBareRatio,
  isFlagged,
  overheadRounds,
  pairedBareRatio,
  resultLoad,
  resultNoise,
  roundTripMicros,
  summarize,
  pairedCpuRatio,
  serverCpuMicros,
  mainThreadCpuMicros,
  summarizeOverhead,
} from "./summary.ts";

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

describe("the round trip against the bare pool", () => {
  test("a round's µs/req, from the two throughputs of scenario 4", () => {
    expect(roundTripMicros(trip(0, 40))).toBeCloseTo(40);
    expect(summarizeOverhead([trip(0, 40), trip(1, 60), trip(2, 50)], 2).micros).toBeCloseTo(50);
  });
  test("a round's server CPU per request: CPU ms of the trivial route over its requests; none when not read", () => {
    const measured = trip(0, 40, { cpuMicros: 75 });
    expect(measured.app.serverCpuMs).toBeCloseTo((75 * measured.app.requests) / 1000);
    expect(serverCpuMicros(measured)).toBeCloseTo(75);
    expect(serverCpuMicros(trip(0, 40))).toBeUndefined();
    expect(serverCpuMicros({ app: { ...measured.app, requests: 0 } })).toBeUndefined();
    // Rounds without it (k6, or results saved before it) are left out of the median, not counted as 0.
    expect(summarizeOverhead([trip(0, 40, { cpuMicros: 60 }), trip(1, 40), trip(2, 40, { cpuMicros: 70 })], 2).cpuMicros).toBeCloseTo(65);
    expect(summarizeOverhead([trip(0, 40)], 2).cpuMicros).toBeUndefined();
  });
  test("the main thread's part of it, the same way: its CPU ms over the requests, the median of the rounds that have it", () => {
    const measured = trip(0, 40, { cpuMicros: 75, mainCpuMicros: 30 });
    expect(mainThreadCpuMicros(measured)).toBeCloseTo(30);
    expect(mainThreadCpuMicros(trip(0, 40, { cpuMicros: 75 })), "a round where only the process was read").toBeUndefined();
    expect(mainThreadCpuMicros({ app: { ...measured.app, requests: 0 } })).toBeUndefined();
    const o = summarizeOverhead([trip(0, 40, { cpuMicros: 70, mainCpuMicros: 20 }), trip(1, 40), trip(2, 40, { cpuMicros: 80, mainCpuMicros: 40 })], 2);
    expect(o.mainCpuMicros).toBeCloseTo(30);
    expect(o.cpuMicros, "the process's figure is not the main thread's").toBeCloseTo(75);
    expect(summarizeOverhead([trip(0, 40, { cpuMicros: 70 })], 2).mainCpuMicros).toBeUndefined();
  });
  test("CPU × bare pairs rounds by number, and is undefined with no pair measured on both sides", () => {
    const bare = [trip(0, 50, { cpuMicros: 100 }), trip(1, 50, { cpuMicros: 50 })];
    expect(pairedCpuRatio([trip(1, 60, { cpuMicros: 40 }), trip(0, 60, { cpuMicros: 90 })], bare)).toBeCloseTo(0.85); // 0.8 and 0.9
    expect(pairedCpuRatio([trip(2, 60, { cpuMicros: 40 })], bare)).toBeUndefined();
    expect(pairedCpuRatio([trip(0, 60)], bare)).toBeUndefined();
  });
  test("a step's rounds read in the bare pool's shape, with scenario 4's own noise", () => {
    const r = result("04", [roundWithTrip(50, 80, { round: 1, others: 0.02 })]);
    const n = r.http[0]?.noise;
    if (n?.closed) n.closed = { ...n.closed, othersCores: 0.9 };
    const [o] = overheadRounds(r);
    if (!o) throw new Error("no round");
    expect(resultNoise(r)?.othersCores).toBe(0.9);
    expect(o.round).toBe(1);
    expect(o.noise?.othersCores, "the noise of scenario 4, not of the noisiest scenario").toBe(0.02);
    expect(roundTripMicros(o)).toBeCloseTo(80);
  });
  test("paired round by round, then the median of the ratios", () => {
    // Round by round: 90/30 = 3, 80/40 = 2, 100/50 = 2. A ratio of medians would give 90/40 = 2.25.
    const step = [trip(0, 90), trip(1, 80), trip(2, 100)];
    const bare = [trip(2, 50), trip(0, 30), trip(1, 40)];
    const br = pairedBareRatio(step, bare, 2, "step 04");
    if (!isBareRatio(br)) throw new Error(br.why);
    expect(br.value).toBeCloseTo(2);
    expect(br.pairs.map((p) => [p.round, Number(p.ratio.toFixed(2))])).toEqual([
      [0, 3],
      [1, 2],
      [2, 2],
    ]);
    expect(br.flags).toEqual([]);
  });
  test("a round missing on one side is left out of the pairs", () => {
    const br = pairedBareRatio([trip(0, 60), trip(1, 90)], [trip(1, 30)], 2, "step 04");
    expect(isBareRatio(br) && br.value).toBeCloseTo(3);
    expect(pairedBareRatio([trip(0, 60)], [trip(1, 30)], 2, "step 04")).toEqual({ why: "no round in common with the bare pool" });
    expect(pairedBareRatio([trip(0, 60)], [], 2, "step 04")).toEqual({ why: "no bare pool in this run" });
  });
  test("flags a pair resting on a noisy round, saying whose", () => {
    const br = pairedBareRatio([trip(0, 60, { others: 0.02 }), trip(1, 60, { others: 0.4 })], [trip(0, 30, { others: 0.5 }), trip(1, 30, { others: 0 })], 2, "step 04");
    if (!isBareRatio(br)) throw new Error(br.why);
    expect(br.flags).toEqual(["× bare noisy: 2 of 2 rounds (the bare pool, step 04)"]);
  });
  test("a round trip at or below 0 µs is noise: no ratio over it", () => {
    const br = pairedBareRatio([trip(0, 60), trip(1, 60)], [trip(0, -2), trip(1, 30)], 2, "step 04");
    expect(isBareRatio(br) && br.pairs.length).toBe(1);
    expect(pairedBareRatio([trip(0, -5)], [trip(0, 30)], 2, "step 02")).toEqual({ why: "a round trip came out at 0 µs or below (within the noise): no ratio" });
  });
  test("the break-even handler time is the last measured step's round trip", () => {
    expect(breakEven([{ step: "02", micros: 40 }, { step: "07", micros: 85 }, { step: "08", micros: 70 }])).toEqual({ step: "08", micros: 70 });
    expect(breakEven([{ step: "07", micros: 85 }, { step: "08", micros: Number.NaN }])).toEqual({ step: "07", micros: 85 });
    expect(breakEven([])).toBeUndefined();
    expect(plainText(breakEvenLine([{ step: "08", micros: 72.4 }]) ?? "")).toBe(
      "a handler shorter than about 72 µs costs more to send to a worker than to run on the main thread (X = step 08's µs/req, the last step measured in this run)",
    );
    expect(breakEvenLine([{ step: "08", micros: -3 }])).toContain("within the noise");
    expect(breakEvenLine([])).toBeUndefined();
  });
});

describe("the compare table and the bare pool", () => {
  const bare = [trip(0, 30, { others: 0.01 }), trip(1, 40, { others: 0.02 })];
  const rows = () => [
    { step: "01", result: result("01", [roundWithTrip(30, 12, { round: 0, others: 0.01 }), roundWithTrip(30, 12, { round: 1, others: 0.01 })], { bare }), stale: false },
    { step: "04", result: result("04", [roundWithTrip(57, 60, { round: 0, others: 0.01 }), roundWithTrip(57, 100, { round: 1, others: 0.01 })], { bare }), stale: false },
  ];
  test("each step from 02 on gets its × bare, step 01 none; the bare pool gets a row of its own", () => {
    const table = plainText(compareTable(rows()));
    const line = (step: string) => cells(table).split("\n").find((l) => l.startsWith(`│ ${step} `)) ?? "";
    // 60/30 = 2 and 100/40 = 2.5: the median, 2.25.
    expect(line("04")).toContain("2.25x");
    expect(line("01")).not.toMatch(/\dx │ 0 /);
    expect(line("bare")).toContain(BARE_LABEL);
    expect(line("bare")).toContain("35"); // its µs/req, the median of 30 and 40
    expect(line("bare")).toContain("1.00x");
    expect(cells(table)).not.toContain("⚑");
  });
  test("the break-even line sits right under the table", () => {
    const lines = plainText(compareTable(rows())).split("\n");
    const last = lines.findLastIndex((l) => l.startsWith("└"));
    expect(lines[last + 1]).toBe("a handler shorter than about 80 µs costs more to send to a worker than to run on the main thread (X = step 04's µs/req, the last step measured in this run)");
  });
  test("a × bare resting on a noisy round is flagged, and the flag says whose", () => {
    const noisy = [trip(0, 30, { others: 0.6 }), trip(1, 40, { others: 0.02 })];
    const r = rows().map((row) => ({ ...row, result: { ...row.result, bare: noisy } }));
    const table = plainText(compareTable(r));
    expect(cells(table)).toContain("2.25x ⚑");
    expect(table).toContain("⚑ 04: × bare noisy: 1 of 2 rounds (the bare pool)");
    expect(table).toContain("⚑ bare pool (app.handle()): noisy: others took 0.60 core");
  });
  test("a step is measured against the bare pool that calls the app its way: 02-07 app.handle(), 08 on app.fetch()", () => {
    expect(["02", "07", "08", "09"].map(bareEntryFor)).toEqual(["handle", "handle", "fetch", "fetch"]);
    const both = [
      { ...trip(0, 30), entry: "handle" as const },
      { ...trip(1, 40), entry: "handle" as const },
      { ...trip(0, 50), entry: "fetch" as const },
      { ...trip(1, 50), entry: "fetch" as const },
    ];
    const r = [
      ...rows().map((row) => ({ ...row, result: { ...row.result, bare: both } })),
      { step: "09", result: result("09", [roundWithTrip(57, 25, { round: 0, others: 0.01 }), roundWithTrip(57, 50, { round: 1, others: 0.01 })], { bare: both }), stale: false },
    ];
    const table = plainText(compareTable(r));
    const line = (step: string) => cells(table).split("\n").find((l) => l.startsWith(`│ ${step} `)) ?? "";
    expect(line("04")).toContain("2.25x"); // against app.handle(): 60/30 and 100/40
    expect(line("09")).toContain("0.75x"); // against app.fetch(): 25/50 and 50/50
    const bareLines = cells(table).split("\n").filter((l) => l.startsWith("│ bare "));
    expect(bareLines).toHaveLength(2);
    expect(bareLines[0]).toContain("app.handle()");
    expect(bareLines[1]).toContain("app.fetch()");
    expect(bareFor("09", both).map((b) => b.entry)).toEqual(["fetch", "fetch"]);
    expect(bareFor("04", [trip(0, 30)])).toHaveLength(1); // saved before there were two: app.handle()
  });
  test("results saved before the bare pool was measured show – and no bare row", () => {
    const r = rows().map((row) => ({ ...row, result: { ...row.result, bare: undefined } }));
    const table = plainText(compareTable(r));
    expect(table).not.toContain(BARE_LABEL);
    expect(table).not.toContain("no bare pool");
  });
  test("a run whose bare pool failed says so once, not on every row", () => {
    const r = rows().map((row) => ({ ...row, result: { ...row.result, bare: [] } }));
    const table = plainText(compareTable(r));
    expect(table).not.toContain(BARE_LABEL);
    expect(table.match(/the bare pool did not run/g)).toHaveLength(1);
    expect(table).not.toContain("× bare: no bare pool");
  });
  test("a bare pool whose round trip came out at 0 µs or below: × bare – said once for every step", () => {
    const r: CompareRow[] = rows().map((row) => ({ ...row, result: { ...row.result, bare: [trip(0, -1), trip(1, -2)] } }));
    r.push({ step: "05", result: result("05", [roundWithTrip(57, 60, { round: 0 }), roundWithTrip(57, 60, { round: 1 })], { bare: [trip(0, -1), trip(1, -2)] }), stale: false });
    const table = plainText(compareTable(r));
    expect(table.match(/within the noise/g)).toHaveLength(1);
    expect(table).toContain("× bare –: steps 04, 05: a round trip came out at 0 µs or below (within the noise): no ratio");
  });
  test("the bare row is the run most rows share", () => {
    const other = [trip(0, 99)];
    const r = [...rows(), { step: "05", result: result("05", [roundWithTrip(57, 60, { round: 0 })], { runId: "2026-11-26T08:00:00.000Z", bare: other }), stale: false }];
    expect(runBare(r)?.rounds).toBe(bare);
  });
});

describe("the round-trip table", () => {
  const params = { overheadConnections: 50, overheadSec: 3 };
  test("one row per step from 02 on, their × bare, the bare pool's row and the break-even line", () => {
    const table = plainText(
      roundTripTable(
        [
          { step: "02", rounds: [trip(0, 45), trip(1, 45), trip(2, 45)] },
          { step: "04", rounds: [trip(0, 90, { others: 0.02 }), trip(1, 60, { others: 0.03 }), trip(2, 75, { others: 0.01 })] },
          { step: "05", rounds: [], missing: "skipped: your step 05 does not pass its check yet (4 failed): npm start -- check 05" },
        ],
        [{ step: "bare", entry: "handle", rounds: [trip(0, 30, { others: 0 }), trip(1, 30, { others: 0.01 }), trip(2, 30, { others: 0 })] }],
        2,
        params,
      ),
    );
    const head = cells(table).split("\n")[0] ?? "";
    for (const column of ["step", "trivial via pool req/s", "main-thread req/s", "µs/req", "× bare", "noise"]) expect(head).toContain(column);
    const line = (step: string) => cells(table).split("\n").find((l) => l.startsWith(`│ ${step} `)) ?? "";
    expect(line("02")).toContain("1.50x");
    expect(line("04")).toContain("2.50x"); // 3, 2, 2.5: the median
    expect(line("04")).toContain("0.03");
    expect(line("05")).toContain("skipped");
    expect(line(bareLabel("handle"))).toContain("1.00x");
    expect(table).toContain("a handler shorter than about 75 µs");
    expect(table).toContain("step 04's µs/req");
    const legend = roundTripLegend(params);
    for (const column of ["trivial via pool req/s", "main-thread req/s", "µs/req", "× bare", "noise"]) expect(legend).toContain(`${column}:`);
  });
  test("the server's CPU per trivial request, and over the bare pool's, paired by round; – where it was not read", () => {
    const table = plainText(
      roundTripTable(
        [
          { step: "09", rounds: [trip(0, 60, { cpuMicros: 90, mainCpuMicros: 41 }), trip(1, 60, { cpuMicros: 72, mainCpuMicros: 37 }), trip(2, 60, { cpuMicros: 80, mainCpuMicros: 39 })] },
          { step: "08", rounds: [trip(0, 90), trip(1, 90)] },
        ],
        [{ step: "bare", entry: "fetch", rounds: [trip(0, 50, { cpuMicros: 100 }), trip(1, 50, { cpuMicros: 80 }), trip(2, 50, { cpuMicros: 80 })] }],
        2,
        params,
      ),
    );
    const head = cells(table).split("\n")[0] ?? "";
    for (const column of ["CPU µs/req", "of it, main thread", "CPU × bare"]) expect(head).toContain(column);
    const line = (step: string) => cells(table).split("\n").find((l) => l.startsWith(`│ ${step} `)) ?? "";
    expect(line("09")).toContain("│ 80 "); // the median of 90, 72 and 80
    expect(line("09")).toMatch(/│ 80 +│ 39 +│/); // the main thread's median, beside the process's
    expect(line("09")).toContain("0.90x"); // 0.9, 0.9, 1.0: the median of the paired ratios
    expect(line("08")).toMatch(/│ – +│ – +│ – +│/); // k6 or no /proc: nothing to show, nothing made up
    expect(line(bareLabel("fetch")), "a bare pool read for the process alone shows – for its main thread").toMatch(/│ 80 +│ – +│/);
    expect(line(bareLabel("fetch"))).toContain("│ 80 ");
    const legend = roundTripLegend(params);
    for (const column of ["CPU µs/req", "of it, main thread", "CPU × bare"]) expect(legend).toContain(`${column}:`);
  });
  test("flags noise and failed requests, and a bare pool that did not run", () => {
    const table = plainText(
      roundTripTable([{ step: "04", rounds: [trip(0, 60, { others: 0.5, errors: 3 })] }], [{ step: "bare", entry: "handle", rounds: [], missing: "did not run: the server printed no \"listening on\" line within 30 s" }], 2, params),
    );
    expect(table).toContain("0.50 ⚑");
    expect(table).toMatch(/⚑ 04: .*3 request\(s\) failed.*noisy: others took 0.50 core/);
    expect(cells(table)).toContain("did not run");
  });
});
