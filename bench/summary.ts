// From a step's rounds to the few figures a table row shows: the median over the rounds, and
// how far apart the rounds were. Pure, so it is tested without any load run.

import type { BareEntry } from "./bare-pool/pool.ts";
import type { BareRound, HttpRound, OverheadRound, StepResult } from "./config.ts";
import { isNoisy, worstNoise, type Noise } from "./noise.ts";
import { addedMicrosPerRequest, median, relativeSpread, timesYardstick } from "./stats.ts";

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

// ---------------------------------------------------------------------------------------------
// The round trip (scenario 4) against the bare pool: the yardstick measured in the same run.

/**
 * How the bare pool must call the app to be measured against a step: the way the step's worker
 * does. Steps 02-07 call `app.handle(RequestData)`; from step 08 on the worker runs any fetch
 * handler, and building a `Request` and reading a `Response` there is the price of that, paid by
 * any pool that runs such apps: the bare pool's `fetch` worker pays it too.
 */
export function bareEntryFor(step: string): BareEntry {
  return Number(step) >= 8 ? "fetch" : "handle";
}

/** The bare pool's rounds that `step` is measured against (saved results without an entry were `handle`). */
export function bareFor(step: string, bare: readonly BareRound[]): BareRound[] {
  const entry = bareEntryFor(step);
  return bare.filter((b) => (b.entry ?? "handle") === entry);
}

/** A step's scenario-4 rounds, in the shape the bare pool's are recorded in (its noise: scenario 4's own). */
export function overheadRounds(result: StepResult): OverheadRound[] {
  return result.http.map((r, i) => ({
    round: roundOf(r, i),
    ...(r.attempts === undefined ? {} : { attempts: r.attempts }),
    ...(r.loadAtStart === undefined ? {} : { loadAtStart: r.loadAtStart }),
    ...(r.startedAt === undefined ? {} : { startedAt: r.startedAt }),
    ...(r.noise?.overhead ? { noise: r.noise.overhead } : {}),
    app: r.overhead.app,
    main: r.overhead.main,
  }));
}

/** µs one trip through the app (a worker, from step 02 on) adds to a trivial request, in one round. */
export function roundTripMicros(round: Pick<OverheadRound, "app" | "main">): number {
  return addedMicrosPerRequest(round.app.rps, round.main.rps);
}

/**
 * µs of the server's CPU, all its threads, per trivial request through the app, in one round:
 * undefined when it was not measured (k6, no /proc, results saved before it was). Unlike µs/req,
 * a difference of two throughputs, it is one quotient: it moves less between runs.
 */
export function serverCpuMicros(round: Pick<OverheadRound, "app">): number | undefined {
  const { serverCpuMs, requests } = round.app;
  if (serverCpuMs === undefined || requests <= 0) return undefined;
  return (serverCpuMs * 1000) / requests;
}

/** Of serverCpuMicros, the main thread's share: µs of its CPU per trivial request; undefined when not measured. */
export function mainThreadCpuMicros(round: Pick<OverheadRound, "app">): number | undefined {
  const { serverMainCpuMs, requests } = round.app;
  if (serverMainCpuMs === undefined || requests <= 0) return undefined;
  return (serverMainCpuMs * 1000) / requests;
}

export interface OverheadSummary {
  /** The median over the rounds of each round's µs/req. */
  micros: number;
  /** The median over the rounds of the server's CPU µs per trivial request; undefined when never measured. */
  cpuMicros?: number;
  /** The same for the server's main thread alone: the median over the rounds; undefined when never measured. */
  mainCpuMicros?: number;
  /** The trivial route through the app, and the health route on the main thread: req/s, medians. */
  appRps: number;
  mainRps: number;
  errors: number;
  rounds: number;
  /** The noisiest round's noise; undefined when none was measured. */
  noise?: Noise;
  noisy: boolean;
  /** Rounds measured again because the first attempt was noisy. */
  retried: number;
}

export function summarizeOverhead(rounds: readonly OverheadRound[], cores: number): OverheadSummary {
  const noise = worstNoise(
    rounds.map((r) => r.noise),
    cores,
  );
  const cpu = rounds.map(serverCpuMicros).filter((c): c is number => c !== undefined);
  const mainCpu = rounds.map(mainThreadCpuMicros).filter((c): c is number => c !== undefined);
  return {
    micros: median(rounds.map(roundTripMicros)),
    ...(cpu.length > 0 ? { cpuMicros: median(cpu) } : {}),
    ...(mainCpu.length > 0 ? { mainCpuMicros: median(mainCpu) } : {}),
    appRps: median(rounds.map((r) => r.app.rps)),
    mainRps: median(rounds.map((r) => r.main.rps)),
    errors: rounds.reduce((sum, r) => sum + r.app.errors + r.main.errors, 0),
    rounds: rounds.length,
    ...(noise ? { noise } : {}),
    noisy: isNoisy(noise, cores),
    retried: rounds.reduce((sum, r) => sum + Math.max(0, (r.attempts ?? 1) - 1), 0),
  };
}

export interface BarePair {
  round: number;
  micros: number;
  bareMicros: number;
  /** micros ÷ bareMicros, in that round. */
  ratio: number;
  /** Whose round was noisy, e.g. ["step 04", "the bare pool"]. */
  noisy: string[];
}

export interface BareRatio {
  /** The median of the per-round ratios: 1.5 reads "each trip costs half again what the bare pool's does". */
  value: number;
  pairs: BarePair[];
  /** Why the figure may mislead, in a few words; empty when nothing is suspect. */
  flags: string[];
}

/**
 * A step's round trip over the bare pool's, paired round by round within one run (step 04's
 * round 2 over the bare pool's round 2, measured minutes apart), then the median: the way
 * `pairedSpeedup` pairs a step with step 01. A round whose figure came out at or below 0 µs on
 * either side is left out (noise); a pair resting on a noisy round is flagged, saying whose.
 */
export function pairedBareRatio(rounds: readonly OverheadRound[], bare: readonly OverheadRound[], cores: number, who: string): BareRatio | { why: string } {
  if (bare.length === 0) return { why: "no bare pool in this run" };
  const bareRounds = new Map(bare.map((b) => [b.round, b]));
  const pairs: BarePair[] = [];
  let common = 0;
  for (const r of rounds) {
    const b = bareRounds.get(r.round);
    if (!b) continue;
    common++;
    const [micros, bareMicros] = [roundTripMicros(r), roundTripMicros(b)];
    const ratio = timesYardstick(micros, bareMicros);
    if (!Number.isFinite(ratio)) continue;
    const noisy: string[] = [];
    if (isNoisy(r.noise, cores)) noisy.push(who);
    if (isNoisy(b.noise, cores)) noisy.push("the bare pool");
    pairs.push({ round: r.round, micros, bareMicros, ratio, noisy });
  }
  if (common === 0) return { why: "no round in common with the bare pool" };
  if (pairs.length === 0) return { why: "a round trip came out at 0 µs or below (within the noise): no ratio" };
  const flags: string[] = [];
  const noisyPairs = pairs.filter((p) => p.noisy.length > 0);
  if (noisyPairs.length > 0) {
    flags.push(`× bare noisy: ${noisyPairs.length} of ${pairs.length} rounds (${[...new Set(noisyPairs.flatMap((p) => p.noisy))].join(", ")})`);
  }
  return { value: median(pairs.map((p) => p.ratio)), pairs, flags };
}

/**
 * A step's server CPU per trivial request over the bare pool's, paired round by round within
 * one run, then the median; undefined when no pair has both figures.
 */
export function pairedCpuRatio(rounds: readonly OverheadRound[], bare: readonly OverheadRound[]): number | undefined {
  const bareRounds = new Map(bare.map((b) => [b.round, b]));
  const ratios: number[] = [];
  for (const r of rounds) {
    const b = bareRounds.get(r.round);
    const [cpu, bareCpu] = [serverCpuMicros(r), b && serverCpuMicros(b)];
    if (cpu !== undefined && bareCpu !== undefined && bareCpu > 0) ratios.push(cpu / bareCpu);
  }
  return ratios.length > 0 ? median(ratios) : undefined;
}

export function isBareRatio(value: BareRatio | { why: string }): value is BareRatio {
  return "value" in value;
}

/**
 * The break-even handler time: the last measured step's round trip (µs/req). A handler shorter
 * than that costs the main thread more to send to a worker than to run where it is. `rows` in
 * step order, from step 02 on; undefined when none was measured.
 */
export function breakEven(rows: ReadonlyArray<{ step: string; micros: number }>): { step: string; micros: number } | undefined {
  return rows.filter((r) => !Number.isNaN(r.micros)).at(-1);
}
