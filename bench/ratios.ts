// Speedups that cannot mislead.
//
// A speedup divides two throughputs. Each is only as good as the minutes it was measured in,
// and a shared machine changes from minute to minute: a row measured during a neighbour's build
// looks slow, and a *baseline* measured then makes every ratio over it look fast (one newcomer
// saw "2.29x, eff. 114%" on 2 cores, which no program can reach). So:
//
//   - a ratio is computed only between rows of the same run, round by round: step 04's round 1
//     over step 01's round 1 (measured minutes apart), never a figure from yesterday;
//   - the ceiling (bench/parallel-ceiling.ts: what the machine gives two bare computations) is
//     measured in the same run, and shown beside the speedup: "1.92x of a possible 1.95x";
//   - a ratio that rests on a noisy round, or an efficiency above 100%, is flagged with its
//     likely reason, never printed bare;
//   - and a change of the machine's own speed between two rows, which no process counter sees
//     (a virtual machine's host slowing its CPUs), is caught by what each request cost: the
//     server's CPU time per answer. fib(33) is the same work at every step, so a row whose
//     requests each cost far more CPU than step 01's in the same round ran on a slower machine.
//
// Pure: tested on hand-made results.

import type { HttpRound, StepResult } from "./config.ts";
import { isNoisy, NOISE_FLAG_CORES } from "./noise.ts";
import { median, relativeSpread } from "./stats.ts";
import { roundNoise, roundOf, roundsWithNoise } from "./summary.ts";

export interface RoundPair {
  round: number;
  /** This row's closed-model req/s over the baseline's, in that round. */
  ratio: number;
  /** The ceiling measured in that round, when there is one. */
  ceiling?: number;
  /** Which of the measurements behind this pair were noisy, e.g. ["step 01", "ceiling"]. */
  noisy: string[];
  /**
   * The CPU each of this row's requests cost over what each of the baseline's cost, divided by
   * what the ceiling predicts (1 = the machine ran both at the same speed). Undefined when the
   * server's CPU was not measured.
   */
  drift?: number;
}

/** A pair whose cost per request differs from the prediction by more than this is flagged (0.15 = 15%). */
export const DRIFT_LIMIT = 0.15;

/**
 * A speedup up to this much above the same-run ceiling counts as reaching it (0.05 = 5%): both
 * are measurements, each a few percent apart from round to round on a quiet machine. Further
 * above, it is flagged. (An efficiency above 100% is flagged whatever this says.)
 */
export const CEILING_TOLERANCE = 0.05;

/** Server CPU milliseconds per successful answer in a round's closed model; undefined when not measured. */
export function cpuPerRequestMs(round: HttpRound): number | undefined {
  const cores = round.noise?.closed?.serverCores;
  if (cores === undefined || !(cores > 0) || !(round.closed.rps > 0)) return undefined;
  return (1000 * cores) / round.closed.rps;
}

/**
 * What a row's requests should cost relative to the baseline's on an unchanged machine: 1 for a
 * row that keeps one core busy; for a row that keeps every core busy, what the same-run ceiling
 * says each computation costs when all cores compute (cores ÷ ceiling: 2 ÷ 1.9 = 5% more; below
 * 1 on a machine that runs one computation alone slower than each of several); in between, in
 * proportion.
 */
export function expectedCostRatio(rowCores: number, machineCores: number, ceiling: number | undefined): number {
  const shared = ceiling && ceiling > 0 ? machineCores / ceiling : 1;
  if (machineCores <= 1) return 1;
  const busy = Math.min(1, Math.max(0, (rowCores - 1) / (machineCores - 1)));
  return 1 + busy * (shared - 1);
}

export interface Speedup {
  /** The median of the per-round ratios. */
  value: number;
  pairs: RoundPair[];
  /** The median ceiling over the paired rounds; NaN when the run did not measure it. */
  ceiling: number;
  /** value ÷ cores: how much of the machine the step uses (1 = every core, fully). */
  efficiency: number;
  /** Why the figure may mislead, each in a short sentence; empty when nothing is suspect. */
  flags: string[];
  /** When the same-run ceiling itself is impossible (above the cores): why, once for the whole run. */
  ceilingFlag?: string;
}

/** Why no speedup can be given for a row. */
export interface NoSpeedup {
  why: string;
}

const percent = (v: number) => `${Math.round(v * 100)}%`;

/** The ceiling of one round of the run the result belongs to (every result of a run carries the same list). */
function ceilingOf(result: StepResult, round: number) {
  return result.ceiling?.find((c) => c.round === round);
}

/**
 * The speedup of `row` over `base` (step 01), paired round by round, with the same-run ceiling
 * and the flags. `base` and `row` must come from one run (same runId), else there is no speedup.
 */
export function pairedSpeedup(row: StepResult, base: StepResult): Speedup | NoSpeedup {
  if (!row.runId || row.runId !== base.runId) {
    return { why: `measured in another run than step ${base.step}: a ratio across runs compares two machine states` };
  }
  const cores = row.machine.cores;
  const baseRounds = new Map(base.http.map((r, i) => [roundOf(r, i), r]));
  const pairs: RoundPair[] = [];
  row.http.forEach((r, i) => {
    const round = roundOf(r, i);
    const b = baseRounds.get(round);
    if (!b || !(b.closed.rps > 0)) return;
    const ceiling = ceilingOf(row, round);
    const noisy: string[] = [];
    if (isNoisy(roundNoise(base, round), cores)) noisy.push(`step ${base.step}`);
    if (row !== base && isNoisy(roundNoise(row, round), cores)) noisy.push(`step ${row.step}`);
    if (ceiling && isNoisy(ceiling.noise, cores)) noisy.push("the ceiling");
    const [rowCost, baseCost] = [cpuPerRequestMs(r), cpuPerRequestMs(b)];
    const drift =
      rowCost !== undefined && baseCost !== undefined
        ? rowCost / baseCost / expectedCostRatio(r.noise?.closed?.serverCores ?? 1, cores, ceiling?.ratio)
        : undefined;
    pairs.push({ round, ratio: r.closed.rps / b.closed.rps, ceiling: ceiling?.ratio, noisy, drift });
  });
  if (pairs.length === 0) return { why: `no round in common with step ${base.step}` };

  const value = median(pairs.map((p) => p.ratio));
  const ceilings = pairs.map((p) => p.ceiling).filter((c): c is number => c !== undefined);
  const ceiling = ceilings.length > 0 ? median(ceilings) : Number.NaN;
  const efficiency = cores > 0 ? value / cores : Number.NaN;
  const flags: string[] = [];

  // Each flag in a few words: the table prints them under itself, one line per row.
  const ceilingFlag =
    Number.isFinite(ceiling) && ceiling > cores
      ? `the ceiling, ${ceiling.toFixed(2)}x, is above the ${cores} cores: one computation alone ran slower than each of ${cores} together, so this machine's speed depends on how many cores are busy, or changed meanwhile; every ratio of this run is flagged`
      : undefined;
  const drifted = row === base ? [] : pairs.filter((p) => p.drift !== undefined && Math.abs(p.drift - 1) > DRIFT_LIMIT);
  if (drifted.length > 0) {
    const worst = drifted.reduce((a, b) => (Math.abs((b.drift ?? 1) - 1) > Math.abs((a.drift ?? 1) - 1) ? b : a));
    const pct = Math.round(((worst.drift ?? 1) - 1) * 100);
    flags.push(`speed drift: each request cost ${Math.abs(pct)}% ${pct > 0 ? "more" : "less"} CPU than step ${base.step}'s (${drifted.length} of ${pairs.length} rounds)`);
  }
  const noisyPairs = pairs.filter((p) => p.noisy.length > 0);
  if (noisyPairs.length > 0) {
    const who = [...new Set(noisyPairs.flatMap((p) => p.noisy))].join(", ");
    flags.push(`noisy: ${noisyPairs.length} of ${pairs.length} rounds (${who})`);
  }
  if (row !== base && efficiency > 1) flags.push(`efficiency ${percent(efficiency)}, above 100%, which no program reaches: ${overReason(row, base)}`);
  else if (row !== base && Number.isFinite(ceiling) && value > ceiling * (1 + CEILING_TOLERANCE)) {
    const noisyCeilings = (row.ceiling ?? []).filter((c) => pairs.some((p) => p.round === c.round) && isNoisy(c.noise, cores));
    const why =
      noisyCeilings.length > 0
        ? `the ceiling was measured while others took up to ${Math.max(...noisyCeilings.map((c) => c.noise?.othersCores ?? 0)).toFixed(2)} core, so it is too low`
        : overReason(row, base);
    flags.push(`above the same-run ceiling (${ceiling.toFixed(2)}x): ${why}`);
  }
  return { value, pairs, ceiling, efficiency, flags, ...(ceilingFlag ? { ceilingFlag } : {}) };
}

/** The likeliest reason a ratio came out higher than the machine allows, from what was measured. */
export function overReason(row: StepResult, base: StepResult): string {
  const cores = base.machine.cores;
  const ceilings = (row.ceiling ?? []).map((c) => c.ratio);
  const ceiling = ceilings.length > 0 ? median(ceilings) : Number.NaN;
  if (ceiling > cores) {
    return `step ${base.step} computes alone, which this machine did slower than ${cores} at once (its ceiling came out at ${ceiling.toFixed(2)}x)`;
  }
  const noisyBase = roundsWithNoise(base).filter((r) => r.noisy);
  if (noisyBase.length > 0) {
    const worst = Math.max(...noisyBase.map((r) => r.noise?.othersCores ?? 0));
    return `step ${base.step}, the baseline, was slowed by others (up to ${worst.toFixed(2)} core), and a low baseline inflates every ratio over it`;
  }
  const spread = relativeSpread(base.http.map((r) => r.closed.rps));
  if (spread > 0.05) return `step ${base.step}'s rounds differ by ±${Math.round((spread * 100) / 2)}%: the baseline itself is uncertain`;
  const steal = Math.max(0, ...base.http.flatMap((r) => [r.noise?.closed?.stealCores ?? 0]));
  if (steal >= NOISE_FLAG_CORES / 2) return `the hypervisor took ${steal.toFixed(2)} core from this machine while step ${base.step} ran (steal)`;
  return `the machine ran step ${base.step} slower than step ${row.step}, with no process to blame (CPU frequency, or the host of a virtual machine)`;
}

export function isSpeedup(value: Speedup | NoSpeedup): value is Speedup {
  return "value" in value;
}
