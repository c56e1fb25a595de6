// From a step's rounds to the few figures a table row shows: the median over the rounds, and
// how far apart the rounds were. Pure, so it is tested without any load run.

import type { StepResult } from "./config.ts";
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
