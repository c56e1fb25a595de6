// The scenarios' parameters and the shapes of what a run records.
//
// The scenarios are written once and used at every step, so that the only thing that changes
// between two rows of the comparison is the step's code.

import type { BareEntry } from "./bare-pool/pool.ts";
import type { Noise } from "./noise.ts";

export interface BenchParams {
  /** fib(n) per heavy request. 33 takes about 30 ms on one core of the machine the docs were measured on. */
  n: number;
  /** Closed model: virtual users, each sending its next request as soon as the last one answers (the blog's 20). */
  vus: number;
  /** Seconds each measured scenario lasts. */
  durationSec: number;
  /** Seconds of unmeasured load first, so that the JIT has compiled fib and the workers have started. */
  warmupSec: number;
  /** Responsiveness: how often the one probing user asks GET /health (a health check, not a flood). */
  probeRate: number;
  /** Open model: heavy requests started per second whatever the server does. */
  rate: number;
  /** Open model: the most requests in flight at once (k6's maxVUs); past that, arrivals are dropped. */
  maxInFlight: number;
  /** Overhead scenario: connections hammering a trivial route. */
  overheadConnections: number;
  /** Seconds each half of the overhead scenario lasts. */
  overheadSec: number;
  /** How many times each step is measured; steps take turns, round after round. */
  rounds: number;
  /** The main-thread route the probe and the overhead baseline ask (see healthPathFor). */
  healthPath?: string;
}

export const DEFAULTS: BenchParams = {
  n: 33,
  vus: 20,
  durationSec: 6,
  warmupSec: 2,
  probeRate: 20,
  rate: 40,
  maxInFlight: 100,
  overheadConnections: 50,
  overheadSec: 3,
  rounds: 1,
};

/** `compare` measures every step twice, alternating, to see the drift and the noise. */
export const COMPARE_ROUNDS = 2;

/**
 * `round-trip` measures scenario 4 alone, for every step from 02 on and the bare pool, this many
 * rounds: a few minutes in all, and a median of three that one odd round cannot move.
 */
export const ROUND_TRIP_ROUNDS = 3;

/** `round-trip` retries a noisy round at most this many times by default (`--retries N`). */
export const ROUND_TRIP_RETRIES = 1;

/**
 * A round whose noise is over NOISE_FLAG_CORES is measured again, at most this many times
 * (`--retries N`); `compare` retries, a single step's run only flags (it has nothing to pair).
 */
export const COMPARE_RETRIES = 2;

/** Before a retry, wait at most this long for a quiet moment; if none comes, the run stops retrying. */
export const QUIET_WAIT_SEC = 15;

/** `smoke` (CI): long enough to see every scenario answer, far too short to mean anything about speed. */
export const SMOKE: BenchParams = {
  ...DEFAULTS,
  n: 20,
  durationSec: 1,
  warmupSec: 0.5,
  rate: 20,
  overheadSec: 1,
  overheadConnections: 10,
  rounds: 1,
};

/** One load run's figures, from whichever tool produced them. */
export interface LoadRun {
  /** "autocannon 9.0.0" or "k6 v1.x": every figure says where it came from. */
  tool: string;
  /** Every answer received, whatever its status. */
  requests: number;
  /** Connection errors, timeouts and non-2xx answers. */
  errors: number;
  /**
   * Successful answers (2xx) per second. An error is never throughput: a server that answers
   * 503 at once would otherwise look faster than one that does the work.
   */
  rps: number;
  /** Latencies of the successful answers. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Open model only: scheduled arrivals that were not completed. */
  dropped?: number;
  /**
   * The server process's CPU time while this run lasted, every thread of it, in ms: scenario 4's
   * trivial route only, and only where the bench can read it (Linux, a tool that runs the two
   * halves of scenario 4 apart: not k6, whose one script runs both).
   */
  serverCpuMs?: number;
  /** Of `serverCpuMs`, what the server's main thread spent (the rest: its workers, and the runtime's own threads). */
  serverMainCpuMs?: number;
}

/** The noise (CPU taken by others, bench/noise.ts) during each HTTP scenario of a round. */
export interface HttpNoise {
  closed?: Noise;
  responsiveness?: Noise;
  open?: Noise;
  overhead?: Noise;
}

/** One round of the HTTP scenarios (1-4) against one step's server. */
export interface HttpRound {
  /**
   * Which round of its run (0, 1, …). Rows of one run are compared round by round: step 04's
   * round 1 with step 01's round 1, measured minutes apart, never hours.
   */
  round?: number;
  /** How many times this round was measured: 1, or more when a noisy attempt was retried. The least noisy is kept. */
  attempts?: number;
  /** The 1-minute load average just before the round's server started. */
  loadAtStart?: number;
  /** When the round started (ISO). */
  startedAt?: string;
  noise?: HttpNoise;
  /** 1. the blog's: 20 users looping on /fibonacci/:n. */
  closed: LoadRun;
  /** 2. the same load, plus one user probing /health. */
  responsiveness: { load: LoadRun; probe: LoadRun };
  /** 3. a fixed arrival rate. */
  open: LoadRun;
  /** 4. a trivial route through the app (the pool from step 02 on) vs answered on the main thread. */
  overhead: { app: LoadRun; main: LoadRun };
}

/** 5. tasks per second through the step's pool vs calling the app on the main thread. */
export interface PoolRound {
  round?: number;
  noise?: Noise;
  poolSize: number;
  heavy: { poolTasksPerSec: number; mainTasksPerSec: number };
  trivial: { poolTasksPerSec: number; mainTasksPerSec: number };
  errors: number;
}

/**
 * The parallel ceiling (bench/parallel-ceiling.ts), measured in the same run as the steps:
 * fib(n) in one process, then in one process per core at once. `ratio` is the most any pool
 * can multiply step 01's throughput by on this machine, at this moment.
 */
export interface CeilingRound {
  round: number;
  processes: number;
  /** fib(n) per second: one process alone, then all of them together. */
  alone: number;
  together: number;
  ratio: number;
  attempts?: number;
  noise?: Noise;
}

/**
 * Scenario 4 alone (a trivial route through the app vs the main thread's health route), with its
 * own server start and warm-up: how the bench measures the bare pool (bench/bare-pool) in the
 * same run as the steps, and every target of `npm run bench -- round-trip`.
 */
export interface OverheadRound {
  /** Which round of its run (0, 1, …): paired with the steps' rounds of the same number. */
  round: number;
  /** How many times this round was measured: 1, or more when a noisy attempt was retried. The least noisy is kept. */
  attempts?: number;
  /** The 1-minute load average just before the round's server started. */
  loadAtStart?: number;
  /** When the round started (ISO). */
  startedAt?: string;
  /** The noise during the scenario (not the warm-up). */
  noise?: Noise;
  /** /fibonacci/1 through the app: through the pool from step 02 on, and in the bare pool. */
  app: LoadRun;
  /** The health route, answered on the main thread. */
  main: LoadRun;
}

/** One round of the bare pool (bench/bare-pool: a yardstick, not a step), measured beside the steps. */
export interface BareRound extends OverheadRound {
  /**
   * How its workers called the app: `handle` (as steps 02-07 do) or `fetch` (as steps 08 on
   * do, for any app). A step is compared with the bare pool that calls the app its way.
   * Results saved before there were two have none: they were `handle`.
   */
  entry?: BareEntry;
}

export interface Machine {
  cores: number;
  cpuModel: string;
  bun: string;
  platform: string;
  /** The 1-minute load average when the run started (each round records its own too). */
  loadAverage?: number;
}

export interface StepResult {
  step: string;
  slug: string;
  /** Whose code ran: the learner's steps/ folder or the reference in solutions/. */
  code: "yours" | "solution";
  workers?: number;
  /** A hash of the code that ran (the step's files and lib/): a result with another hash is stale. */
  fingerprint: string;
  /**
   * The run this result belongs to (when it started, ISO). Speedups are computed only between
   * results of one run: two runs, even minutes apart, do not share a machine state.
   */
  runId?: string;
  finishedAt: string;
  machine: Machine;
  tool: string;
  params: BenchParams;
  http: HttpRound[];
  pool: PoolRound[];
  /** The parallel ceiling measured in the same run, by round (compare only). */
  ceiling?: CeilingRound[];
  /**
   * The bare pool's scenario 4 measured in the same run, by round (compare only): the yardstick
   * for this step's round trip. Every result of a run carries the same list, like `ceiling`.
   */
  bare?: BareRound[];
  /** For your code: what its check said before it was measured, e.g. "12 passed". */
  checked?: string;
  /** What went wrong, e.g. the server did not start; the rounds are then empty. */
  failure?: string;
}
