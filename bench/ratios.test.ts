import { describe, expect, test } from "bun:test";
import { ceiling, result, round } from "./fixtures.ts";
import { expectedCostRatio, isSpeedup, pairedSpeedup, type NoSpeedup, type Speedup } from "./ratios.ts";

function speedup(value: Speedup | NoSpeedup): Speedup {
  if (!isSpeedup(value)) throw new Error(`expected a speedup, got: ${value.why}`);
  return value;
}

describe("pairing by round", () => {
  test("each round's ratio is taken over the baseline's same round, then the median", () => {
    // Round 0 ran on a fast machine, round 1 on a slow one: ratios of the medians would mix them.
    const base = result("01", [round(40, 900, { round: 0 }), round(20, 900, { round: 1 })]);
    const row = result("04", [round(76, 3, { round: 0 }), round(39, 3, { round: 1 })]);
    const s = speedup(pairedSpeedup(row, base));
    expect(s.pairs.map((p) => [p.round, Number(p.ratio.toFixed(2))])).toEqual([
      [0, 1.9],
      [1, 1.95],
    ]);
    expect(s.value).toBeCloseTo(1.925);
  });
  test("rounds pair by their number, not by their position in the list", () => {
    // The order was reversed in round 1, and step 04's round 0 was retried: stored after round 1.
    const base = result("01", [round(40, 900, { round: 0 }), round(20, 900, { round: 1 })]);
    const row = result("04", [round(39, 3, { round: 1 }), round(76, 3, { round: 0 })]);
    const s = speedup(pairedSpeedup(row, base));
    expect(s.pairs.find((p) => p.round === 0)?.ratio).toBeCloseTo(1.9);
    expect(s.pairs.find((p) => p.round === 1)?.ratio).toBeCloseTo(1.95);
  });
  test("a round the baseline lacks is left out, not paired with another", () => {
    const base = result("01", [round(40, 900, { round: 0 })]);
    const row = result("04", [round(76, 3, { round: 0 }), round(10, 3, { round: 1 })]);
    expect(speedup(pairedSpeedup(row, base)).pairs.map((p) => p.round)).toEqual([0]);
  });
  test("rows of different runs give no ratio at all", () => {
    const base = result("01", [round(40, 900, { round: 0 })], { runId: "2026-11-25T10:00:00.000Z" });
    const row = result("04", [round(76, 3, { round: 0 })], { runId: "2026-11-26T09:00:00.000Z" });
    const none = pairedSpeedup(row, base);
    expect(isSpeedup(none)).toBe(false);
    expect((none as NoSpeedup).why).toContain("another run");
    expect(isSpeedup(pairedSpeedup(result("04", [round(76, 3)], { runId: undefined }), base)), "a result saved before runs had ids").toBe(false);
  });
});

describe("the same-run ceiling", () => {
  test("is the median of the paired rounds' ceilings, shown beside the speedup", () => {
    const ceilings = [ceiling(0, 1.94), ceiling(1, 1.96)];
    const base = result("01", [round(30, 900, { round: 0 }), round(30, 900, { round: 1 })], { ceiling: ceilings });
    const row = result("04", [round(57.6, 3, { round: 0 }), round(57.6, 3, { round: 1 })], { ceiling: ceilings });
    const s = speedup(pairedSpeedup(row, base));
    expect(s.value).toBeCloseTo(1.92);
    expect(s.ceiling).toBeCloseTo(1.95);
    expect(s.flags).toEqual([]);
  });
  test("is NaN when the run did not measure one", () => {
    const base = result("01", [round(30, 900, { round: 0 })]);
    expect(speedup(pairedSpeedup(result("04", [round(57, 3, { round: 0 })]), base)).ceiling).toBeNaN();
  });
  test("a speedup within 5% above it counts as reaching it: both are measurements", () => {
    const ceilings = [ceiling(0, 1.81)];
    const base = result("01", [round(25.6, 900, { round: 0, others: 0 })], { ceiling: ceilings });
    const s = speedup(pairedSpeedup(result("04", [round(47.6, 3, { round: 0, others: 0 })], { ceiling: ceilings }), base));
    expect(s.value).toBeGreaterThan(s.ceiling);
    expect(s.flags).toEqual([]);
  });
  test("a speedup further above it is flagged", () => {
    const ceilings = [ceiling(0, 1.8)];
    const base = result("01", [round(30, 900, { round: 0 })], { ceiling: ceilings });
    const s = speedup(pairedSpeedup(result("04", [round(57, 3, { round: 0 })], { ceiling: ceilings }), base));
    expect(s.flags.join(" ")).toContain("above the same-run ceiling");
  });
});

describe("flags", () => {
  test("a pair with a noisy round is flagged, naming whose round", () => {
    const base = result("01", [round(30, 900, { round: 0, others: 0.02 }), round(30, 900, { round: 1, others: 0.02 })]);
    const row = result("04", [round(57, 3, { round: 0, others: 0.6 }), round(57, 3, { round: 1, others: 0.03 })]);
    const s = speedup(pairedSpeedup(row, base));
    expect(s.pairs[0]?.noisy).toEqual(["step 04"]);
    expect(s.pairs[1]?.noisy).toEqual([]);
    expect(s.flags.join(" ")).toContain("noisy: 1 of 2 rounds (step 04)");
  });
  test("a noisy ceiling flags the pair too", () => {
    const ceilings = [ceiling(0, 1.9, 0.5)];
    const base = result("01", [round(30, 900, { round: 0, others: 0 })], { ceiling: ceilings });
    const s = speedup(pairedSpeedup(result("04", [round(56, 3, { round: 0, others: 0 })], { ceiling: ceilings }), base));
    expect(s.pairs[0]?.noisy).toEqual(["the ceiling"]);
  });
  test("an efficiency above 100% is flagged, blaming a noisy baseline when there was one", () => {
    // The newcomer's case: step 01 slowed by a neighbour, so step 04 looks 2.29x on 2 cores.
    const base = result("01", [round(25, 900, { round: 0, others: 0.7 })]);
    const s = speedup(pairedSpeedup(result("04", [round(57.3, 3, { round: 0, others: 0.02 })]), base));
    expect(s.efficiency).toBeGreaterThan(1);
    const flag = s.flags.find((f) => f.includes("above 100%"));
    expect(flag, `flags: ${s.flags.join(" | ")}`).toBeDefined();
    expect(flag).toContain("baseline, was slowed by others");
  });
  test("…and the baseline's spread when no noise was counted", () => {
    const base = result("01", [round(20, 900, { round: 0, others: 0 }), round(30, 900, { round: 1, others: 0 })]);
    const row = result("04", [round(50, 3, { round: 0, others: 0 }), round(55, 3, { round: 1, others: 0 })]);
    const s = speedup(pairedSpeedup(row, base));
    expect(s.efficiency).toBeGreaterThan(1);
    expect(s.flags.join(" ")).toContain("rounds differ by");
  });
  test("…and says so when nothing measured explains it", () => {
    const base = result("01", [round(25, 900, { round: 0, others: 0 })]);
    const s = speedup(pairedSpeedup(result("04", [round(52, 3, { round: 0, others: 0 })]), base));
    expect(s.flags.join(" ")).toContain("no process to blame");
  });
  test("a quiet 1.92x on 2 cores is not flagged", () => {
    const base = result("01", [round(30, 900, { round: 0, others: 0.01 })]);
    expect(speedup(pairedSpeedup(result("04", [round(57.6, 3, { round: 0, others: 0.04 })]), base)).flags).toEqual([]);
  });
});

describe("a speedup above the ceiling", () => {
  test("blames a ceiling measured while others took CPU before the baseline", () => {
    const ceilings = [ceiling(0, 1.06, 1.5)];
    const base = result("01", [round(20, 900, { round: 0, others: 0.02 })], { ceiling: ceilings });
    const s = pairedSpeedup(result("04", [round(32, 3, { round: 0, others: 0.03 })], { ceiling: ceilings }), base);
    expect(isSpeedup(s) && s.flags.join(" ")).toContain("the ceiling was measured while others took up to 1.50 core");
  });
});

describe("a ceiling above the core count", () => {
  test("is flagged on every ratio that shows it, as a change of the machine's speed", () => {
    const ceilings = [ceiling(0, 2.15)];
    const base = result("01", [round(30, 900, { round: 0, others: 0 })], { ceiling: ceilings });
    const s = pairedSpeedup(result("04", [round(50, 3, { round: 0, others: 0 })], { ceiling: ceilings }), base);
    expect(isSpeedup(s) && s.ceilingFlag).toContain("above the 2 cores");
  });
});

describe("a change of the machine's speed between rows (what no process counter sees)", () => {
  // Step 01 keeps 1 core busy, step 04 both. Same work per request: what each request costs in
  // server CPU should match, give or take what sharing the cores costs (the ceiling says how much).
  const base = (rps: number) => result("01", [round(rps, 900, { round: 0, others: 0, serverCores: 1 })], { ceiling: [ceiling(0, 1.9)] });
  const row = (rps: number) => result("04", [round(rps, 3, { round: 0, others: 0, serverCores: 1.97 })], { ceiling: [ceiling(0, 1.9)] });

  test("requests that cost what they should: no flag", () => {
    // 01: 1 core for 36 req/s = 27.8 ms each; 04: 1.97 cores for 67.4 req/s = 29.2 ms each, 5% more, as 2 / 1.9 predicts.
    const s = pairedSpeedup(row(67.4), base(36));
    expect(isSpeedup(s) && s.pairs[0]?.drift).toBeCloseTo(1, 1);
    expect(isSpeedup(s) && s.flags).toEqual([]);
  });
  test("requests that each cost 40% more CPU during step 04's round: the machine slowed, flagged", () => {
    // The quiet round of a run on this repo's VM: 37.5 and 51.5 req/s, 1.00 and 1.97 cores busy, others 0.00.
    const s = pairedSpeedup(row(51.5), base(37.5));
    if (!isSpeedup(s)) throw new Error(s.why);
    expect(s.pairs[0]?.drift ?? 0).toBeGreaterThan(1.15);
    expect(s.flags.join(" ")).toContain("speed drift: each request cost");
    expect(s.flags.join(" ")).toContain("more CPU than step 01's");
  });
  test("the prediction: 1 for a row on one core, cores ÷ ceiling (at least 1) for a row on all of them", () => {
    expect(expectedCostRatio(1, 2, 1.9)).toBe(1);
    expect(expectedCostRatio(2, 2, 1.9)).toBeCloseTo(2 / 1.9);
    expect(expectedCostRatio(1.5, 2, 1.9)).toBeCloseTo(1 + 0.5 * (2 / 1.9 - 1));
    expect(expectedCostRatio(2, 2, 2.2), "a ceiling above the cores: each of two computes faster than one alone").toBeCloseTo(2 / 2.2);
    expect(expectedCostRatio(2, 2, undefined)).toBe(1);
  });
  test("not measured (an older result): no drift figure, no flag", () => {
    const s = pairedSpeedup(result("04", [round(51.5, 3, { round: 0 })]), result("01", [round(37.5, 900, { round: 0 })]));
    expect(isSpeedup(s) && s.pairs[0]?.drift).toBeUndefined();
  });
});

describe("an efficiency above 100% on a machine whose own ceiling is above its cores", () => {
  test("names the ceiling as the reason: step 01 computes alone, and alone is slower there", () => {
    // The quiet run on this repo's VM: noise 0.01, ceiling 2.15x, step 04 at 2.34x.
    const ceilings = [ceiling(0, 2.27), ceiling(1, 2.03)];
    const base = result("01", [round(22.7, 900, { round: 0, others: 0 }), round(23.3, 900, { round: 1, others: 0.02 })], { ceiling: ceilings });
    const row = result("04", [round(55.5, 3, { round: 0, others: 0 }), round(52, 3, { round: 1, others: 0.01 })], { ceiling: ceilings });
    const s = pairedSpeedup(row, base);
    if (!isSpeedup(s)) throw new Error(s.why);
    expect(s.efficiency).toBeGreaterThan(1);
    expect(s.ceilingFlag).toContain("the ceiling, 2.15x, is above the 2 cores");
    expect(s.flags.find((f) => f.includes("above 100%"))).toContain("step 01 computes alone, which this machine did slower than 2 at once (its ceiling came out at 2.15x)");
  });
});
