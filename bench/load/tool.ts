// What the bench asks of a load generator: the four HTTP scenarios, each as one call.
//
// Two tools implement it: k6 (the scripts in bench/k6/, which a learner can also run by hand)
// and autocannon (from npm, for machines without k6). Every figure records the tool's name and
// version, because two tools never measure exactly alike.

import type { BenchParams, LoadRun } from "../config.ts";

export interface LoadTool {
  /** e.g. "autocannon 9.0.0" */
  name: string;
  /** Load, unmeasured, so that the measured part starts warm. */
  warmup(base: URL, params: BenchParams, signal: AbortSignal): Promise<void>;
  /** 1. closed model: `vus` users looping on /fibonacci/:n. */
  closed(base: URL, params: BenchParams, signal: AbortSignal): Promise<LoadRun>;
  /** 2. the same load plus a one-user probe on /health, at the same time. */
  responsiveness(base: URL, params: BenchParams, signal: AbortSignal): Promise<{ load: LoadRun; probe: LoadRun }>;
  /** 3. open model: `rate` requests a second on /fibonacci/:n, whatever the latency. */
  open(base: URL, params: BenchParams, signal: AbortSignal): Promise<LoadRun>;
  /**
   * 4. a trivial app route (/fibonacci/1, through the pool from step 02) then /health (main
   * thread). `serverCpuMs`, when given, reads the server's CPU time so far: a tool that can
   * records what the trivial route cost it (`app.serverCpuMs`); `mainThreadCpuMs` reads the
   * same for the server's main thread alone (`app.serverMainCpuMs`).
   */
  overhead(
    base: URL,
    params: BenchParams,
    signal: AbortSignal,
    serverCpuMs?: () => number | undefined,
    mainThreadCpuMs?: () => number | undefined,
  ): Promise<{ app: LoadRun; main: LoadRun }>;
}

/** The paths every tool loads; the k6 scripts spell the same ones. */
export const HEAVY_PATH = (n: number) => `/fibonacci/${n}`;
export const TRIVIAL_PATH = "/fibonacci/1";
export const HEALTH_PATH = "/health";

/**
 * The path the probe asks: a route answered on the main thread. Up to step 07 that is the
 * server's `/health`. From step 08 on the server serves any app, `/health` may be the app's own
 * route (and then goes through the pool), so the server's liveness lives under its reserved
 * prefix: `/_pool/live`.
 */
export function healthPathFor(stepId: string): string {
  return Number(stepId) >= 8 ? "/_pool/live" : HEALTH_PATH;
}
