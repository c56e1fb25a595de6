// From a step's rounds to the few figures a table row shows: the median over the rounds, and
// how far apart the rounds were. Pure, so it is tested without any load run.

import type { HttpRound, StepResult } from "./config.ts";
import { isNoisy, worstNoise, type Noise } from "./noise.ts";
import { addedMicrosPerRequest, median, relativeSpread } from "./stats.ts";

export interface StepSummary {
  step: string;
  rps: number;
  /** (max - min) / median of the closed-model throughput over the rounds; NaN with one round. */
  rpsSpread: number;
  p50Ms: number;
  p99Ms: number;
  /** /health's p99 while 20 users load /fibonacci/:n. */
  healthP99Ms: number;
  /** The heavy requests' throughput in that same run (the probe's neighbour). */
  loadedRps: number;
  openP99Ms: number;
  openDropped: number;
  /** µs a trivial request through the app costs more than one answered on the main thread. */
  overheadMicros: number;
  appTrivialRps: number;
  mainTrivialRps: number;
  errors: number;
  rounds: number;
  pool?: { size: number; heavySpeedup: number; poolTasksPerSec: number; mainTasksPerSec: number; micros: number };
}

const mid = (values: number[]) => median(values);

export function summarize(result: StepResult): StepSummary {
  const h = result.http;
  const errors =
    h.reduce(
      (sum, r) =>
        sum + r.closed.errors + r.responsiveness.load.errors + r.responsiveness.probe.errors + r.open.errors + r.overhead.app.errors + r.overhead.main.errors,
      0,
    ) + result.pool.reduce((sum, r) => sum + r.errors, 0);
  const summary: StepSummary = {
    step: result.step,
    rps: mid(h.map((r) => r.closed.rps)),
    rpsSpread: relativeSpread(h.map((r) => r.closed.rps)),
    p50Ms: mid(h.map((r) => r.closed.p50Ms)),
    p99Ms: mid(h.map((r) => r.closed.p99Ms)),
    healthP99Ms: mid(h.map((r) => r.responsiveness.probe.p99Ms)),
    loadedRps: mid(h.map((r) => r.responsiveness.load.rps)),
    openP99Ms: mid(h.map((r) => r.open.p99Ms)),
    openDropped: mid(h.map((r) => r.open.dropped ?? 0)),
    overheadMicros: mid(h.map((r) => addedMicrosPerRequest(r.overhead.app.rps, r.overhead.main.rps))),
    appTrivialRps: mid(h.map((r) => r.overhead.app.rps)),
    mainTrivialRps: mid(h.map((r) => r.overhead.main.rps)),
    errors,
    rounds: Math.max(h.length, result.pool.length),
  };
  if (result.pool.length > 0) {
    const p = result.pool;
    summary.pool = {
      size: p[0]?.poolSize ?? 0,
      poolTasksPerSec: mid(p.map((r) => r.heavy.poolTasksPerSec)),
      mainTasksPerSec: mid(p.map((r) => r.heavy.mainTasksPerSec)),
      heavySpeedup: mid(p.map((r) => r.heavy.poolTasksPerSec / r.heavy.mainTasksPerSec)),
      micros: mid(p.map((r) => addedMicrosPerRequest(r.trivial.poolTasksPerSec, r.trivial.mainTasksPerSec))),
    };
  }
  return summary;
}

/** A round's index in its run; results saved before rounds were numbered count in order. */
export function roundOf(round: HttpRound, index: number): number {
  return round.round ?? index;
}

/** The noise of one round of a result: its noisiest scenario, the pool scenario included. */
export function roundNoise(result: StepResult, round: number): Noise | undefined {
  const cores = result.machine.cores;
  const http = result.http.find((r, i) => roundOf(r, i) === round);
  const pool = result.pool.find((r, i) => (r.round ?? i) === round);
  const scenarios = http?.noise ? [http.noise.closed, http.noise.responsiveness, http.noise.open, http.noise.overhead] : [];
  return worstNoise([...scenarios, pool?.noise], cores);
}

/** Every round of a result, each with its noise and whether it is flagged. */
export function roundsWithNoise(result: StepResult): Array<{ round: number; noise?: Noise; noisy: boolean }> {
  const rounds = new Set<number>([...result.http.map((r, i) => roundOf(r, i)), ...result.pool.map((r, i) => r.round ?? i)]);
  return [...rounds]
    .sort((a, b) => a - b)
    .map((round) => {
      const noise = roundNoise(result, round);
      return { round, noise, noisy: isNoisy(noise, result.machine.cores) };
    });
}

/** The row's noise: its noisiest round. Undefined for results saved before noise was measured. */
export function resultNoise(result: StepResult): Noise | undefined {
  return worstNoise(
    roundsWithNoise(result).map((r) => r.noise),
    result.machine.cores,
  );
}

/** Whether any round of the result was measured while others took more than NOISE_FLAG_CORES. */
export function isFlagged(result: StepResult): boolean {
  return roundsWithNoise(result).some((r) => r.noisy);
}

/** The load average as the row's rounds began (their median); the run's start for older results. */
export function resultLoad(result: StepResult): number {
  const loads = result.http.map((r) => r.loadAtStart).filter((v): v is number => v !== undefined);
  return loads.length > 0 ? median(loads) : (result.machine.loadAverage ?? Number.NaN);
}
