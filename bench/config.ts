// The scenarios' parameters and the shapes of what a run records.
//
// The scenarios are written once and used at every step, so that the only thing that changes
// between two rows of the comparison is the step's code.

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
  requests: number;
  /** Connection errors, timeouts and non-2xx answers. */
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Open model only: scheduled arrivals that were not completed. */
  dropped?: number;
}

/** One round of the HTTP scenarios (1-4) against one step's server. */
export interface HttpRound {
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
  poolSize: number;
  heavy: { poolTasksPerSec: number; mainTasksPerSec: number };
  trivial: { poolTasksPerSec: number; mainTasksPerSec: number };
  errors: number;
}

export interface Machine {
  cores: number;
  cpuModel: string;
  bun: string;
  platform: string;
  /**
   * The 1-minute load average when the run started. On a machine shared with other work the
   * figures are only as good as the quiet they were measured in: above the core count, other
   * processes were queueing for the CPU too.
   */
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
  finishedAt: string;
  machine: Machine;
  tool: string;
  params: BenchParams;
  http: HttpRound[];
  pool: PoolRound[];
  /** What went wrong, e.g. the server did not start; the rounds are then empty. */
  failure?: string;
}
