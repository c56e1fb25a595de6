// Hand-made results for the bench's unit tests: the arithmetic is tested on these, never on a load run.

import { DEFAULTS, type CeilingRound, type HttpRound, type LoadRun, type OverheadRound, type StepResult } from "./config.ts";
import type { Noise } from "./noise.ts";

export const RUN = "2026-11-25T10:00:00.000Z";

export const load = (rps: number, p99Ms: number, errors = 0): LoadRun => ({ tool: "test", requests: rps * 6 + errors, errors, rps, p50Ms: p99Ms / 2, p99Ms, maxMs: p99Ms });

/**
 * Noise as /proc would have measured it: `others` cores taken by other processes, `server` the
 * cores the server kept busy (0: not known, which leaves the cost-per-request check out).
 */
export const noise = (others: number, steal = 0, server = 0): Noise => ({ method: "proc", seconds: 6, othersCores: others, stealCores: steal, serverCores: server, loadgenCores: 0.2, loadAverage: 1 });

/** One round of the HTTP scenarios; `others` is the noise during every scenario of it. */
export function round(rps: number, healthP99: number, options: { round?: number; others?: number; steal?: number; serverCores?: number } = {}): HttpRound {
  const n = options.others === undefined ? undefined : noise(options.others, options.steal, options.serverCores);
  return {
    round: options.round,
    loadAtStart: 0.4,
    noise: n ? { closed: n, responsiveness: n, open: n, overhead: n } : undefined,
    closed: load(rps, 900),
    responsiveness: { load: load(rps, 900), probe: load(10, healthP99) },
    open: { ...load(rps, 1200), dropped: 5 },
    overhead: { app: load(10_000, 5), main: load(20_000, 3) },
  };
}

/**
 * One round of scenario 4 alone (the bare pool's, or a step's in `round-trip`): `micros` is the
 * round trip it should give. The main-thread route answers 20,000 req/s (50 µs a request), so
 * the trivial route through the app answers 1e6 / (50 + micros) req/s.
 */
/**
 * `cpuMicros`: the server's CPU per trivial request, recorded as the CPU ms of the app half;
 * `mainCpuMicros`: the main thread's part of it, recorded the same way.
 */
export function trip(
  round: number,
  micros: number,
  options: { others?: number; errors?: number; attempts?: number; cpuMicros?: number; mainCpuMicros?: number } = {},
): OverheadRound {
  const loaded = load(1e6 / (50 + micros), 5, options.errors ?? 0);
  const app = options.mainCpuMicros === undefined ? loaded : { ...loaded, serverMainCpuMs: (options.mainCpuMicros * loaded.requests) / 1000 };
  return {
    round,
    ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
    loadAtStart: 0.5,
    startedAt: `2026-11-25T10:0${round}:00.000Z`,
    ...(options.others === undefined ? {} : { noise: noise(options.others) }),
    app: options.cpuMicros === undefined ? app : { ...app, serverCpuMs: (options.cpuMicros * app.requests) / 1000 },
    main: load(20_000, 3),
  };
}

/** An HTTP round (fixtures' `round`) whose scenario 4 gives a round trip of `micros`. */
export function roundWithTrip(rps: number, micros: number, options: { round?: number; others?: number } = {}): HttpRound {
  const r = round(rps, 3, options);
  return { ...r, overhead: { app: load(1e6 / (50 + micros), 5), main: load(20_000, 3) } };
}

export const ceiling = (round: number, ratio: number, others = 0): CeilingRound => ({ round, processes: 2, alone: 30, together: 30 * ratio, ratio, noise: noise(others) });

export function result(step: string, rounds: HttpRound[], extra: Partial<StepResult> = {}): StepResult {
  return {
    step,
    slug: `${step}-x`,
    code: "solution",
    fingerprint: "abc",
    runId: RUN,
    finishedAt: "2026-11-25T10:05:00.000Z",
    machine: { cores: 2, cpuModel: "cpu", bun: "1.4.5", platform: "linux x64", loadAverage: 0.3 },
    tool: "test",
    params: DEFAULTS,
    http: rounds,
    pool: [],
    ...extra,
  };
}
