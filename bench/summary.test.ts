import { describe, expect, test } from "bun:test";
import type { HttpRound, LoadRun, StepResult } from "./config.ts";
import { DEFAULTS } from "./config.ts";
import { compareTable, fmt } from "./report.ts";
import { fingerprint, isStale } from "./results.ts";
import { summarize } from "./summary.ts";
import { chartSvg, niceMax } from "./chart.ts";

const run = (rps: number, p99Ms: number, errors = 0): LoadRun => ({ tool: "test", requests: rps * 6, errors, rps, p50Ms: p99Ms / 2, p99Ms, maxMs: p99Ms });
const round = (rps: number, healthP99: number): HttpRound => ({
  closed: run(rps, 900),
  responsiveness: { load: run(rps, 900), probe: run(10, healthP99) },
  open: { ...run(rps, 1200), dropped: 5 },
  overhead: { app: run(10_000, 5), main: run(20_000, 3) },
});
const result = (step: string, rounds: HttpRound[]): StepResult => ({
  step,
  slug: `${step}-x`,
  code: "solution",
  fingerprint: "abc",
  finishedAt: "2026-01-01T00:00:00.000Z",
  machine: { cores: 2, cpuModel: "cpu", bun: "1.4.5", platform: "linux x64" },
  tool: "test",
  params: DEFAULTS,
  http: rounds,
  pool: [],
});

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
  test("shows the speedup over step 01 as a ratio, and marks stale rows", () => {
    const table = compareTable([
      { step: "01", result: result("01", [round(25, 900)]), stale: false },
      { step: "04", result: result("04", [round(50, 2)]), stale: true },
      { step: "05", stale: false, missing: "no saved result" },
    ]);
    expect(table).toContain("2.00x");
    expect(table).toContain("100%"); // 2x on 2 cores
    expect(table).toContain("STALE");
    expect(table).toContain("no saved result");
  });
  test("numbers are rounded to three significant digits", () => {
    expect(fmt(0.123456)).toBe("0.123");
    expect(fmt(1234.5)).toBe("1,235");
    expect(fmt(Number.NaN)).toBe("–");
  });
});

describe("chart", () => {
  test("axis maxima are 1, 2 or 5 times a power of ten", () => {
    expect(niceMax(37)).toBe(50);
    expect(niceMax(120)).toBe(200);
    expect(niceMax(0)).toBe(1);
  });
  test("draws one throughput bar per step and escapes the caption", () => {
    const svg = chartSvg(
      [
        { label: "step 01", rps: 25, rpsLow: 24, rpsHigh: 26, p50Ms: 800, p99Ms: 900, healthP99Ms: 850, stale: false },
        { label: "step 04", rps: 50, rpsLow: 49, rpsHigh: 51, p50Ms: 400, p99Ms: 500, healthP99Ms: 1, stale: true },
      ],
      "a < b",
    );
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("a &lt; b");
    expect(svg).toContain("step 04*");
    expect(svg.match(/fill="#3b6ea8"/g)?.length).toBeGreaterThanOrEqual(2);
  });
  test("draws the ceiling, the first step's throughput times the cores, above every bar", () => {
    const svg = chartSvg([{ label: "step 01", rps: 30, rpsLow: 30, rpsHigh: 30, p50Ms: 600, p99Ms: 900, healthP99Ms: 900, stale: false }], "c", 2);
    expect(svg).toContain("2 cores × step 01");
    expect(chartSvg([{ label: "step 01", rps: 30, rpsLow: 30, rpsHigh: 30, p50Ms: 1, p99Ms: 1, healthP99Ms: 1, stale: false }], "c")).not.toContain("cores ×");
  });
});
