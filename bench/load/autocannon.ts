// The scenarios with autocannon, a maintained HTTP load generator from npm, for machines
// where k6 is not installed. It runs in the bench's process, the server in another one.
//
// How it maps onto k6's models:
//   - closed model: `connections` = virtual users; each connection sends its next request
//     when the previous one answered (pipelining 1), exactly like a k6 VU looping.
//   - open model: `overallRate` spreads the rate over the connections (40 req/s on 40
//     connections: one request per connection per second). A connection sends its request for
//     the second only once its previous answer came back: when the server falls behind, the
//     arrivals it cannot send are lost, not queued. autocannon has no "dropped iterations", so
//     the bench counts the arrivals scheduled but not completed instead (k6 counts those too).
//     autocannon's own coordinated-omission correction is switched off: with `overallRate` it
//     assumes 1 ms between a connection's requests instead of 1 s, and fills the histogram with
//     made-up samples (bench/load/autocannon-facts.test.ts: 500 ms answers reported as a 274 ms
//     median). The latencies are the ones measured; what the server could not absorb shows in
//     "dropped".

import { createRequire } from "node:module";
import autocannon from "autocannon";
import type { BenchParams, LoadRun } from "../config.ts";
import { droppedArrivals } from "../stats.ts";
import { HEALTH_PATH, HEAVY_PATH, TRIVIAL_PATH, type LoadTool } from "./tool.ts";

const version = (createRequire(import.meta.url)("autocannon/package.json") as { version: string }).version;
const NAME = `autocannon ${version}`;

interface Load {
  path: string;
  connections: number;
  durationSec: number;
  overallRate?: number;
  /** Record each latency as measured, not against its planned start (the probe is one user, not a rate). */
  ignoreCoordinatedOmission?: boolean;
}

/** One autocannon run; an abort stops it early (its partial figures are then discarded by the caller). */
function run(base: URL, { path, connections, durationSec, overallRate, ignoreCoordinatedOmission }: Load, signal: AbortSignal): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error("aborted"));
    const instance = autocannon(
      {
        url: new URL(path, base).href,
        connections,
        duration: durationSec,
        overallRate,
        ignoreCoordinatedOmission,
        timeout: 30, // seconds: under overload a heavy request may queue for long, and that is a measurement, not an error
        // Latencies of successful answers only: a 503 sent at once is not a fast request.
        excludeErrorStats: true,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    signal.addEventListener("abort", () => instance.stop(), { once: true });
  });
}

export function toLoadRun(result: autocannon.Result, durationSec: number): LoadRun {
  return {
    tool: NAME,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx,
    // Only 2xx answers are throughput: errors are counted in `errors`, never here.
    rps: result["2xx"] / durationSec,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
  };
}

export const autocannonTool: LoadTool = {
  name: NAME,

  async warmup(base, p, signal) {
    const durationSec = p.warmupSec;
    await Promise.all([
      run(base, { path: HEAVY_PATH(p.n), connections: p.vus, durationSec }, signal),
      run(base, { path: TRIVIAL_PATH, connections: 2, durationSec }, signal),
    ]);
  },

  async closed(base, p, signal) {
    return toLoadRun(await run(base, { path: HEAVY_PATH(p.n), connections: p.vus, durationSec: p.durationSec }, signal), p.durationSec);
  },

  async responsiveness(base, p, signal) {
    const [load, probe] = await Promise.all([
      run(base, { path: HEAVY_PATH(p.n), connections: p.vus, durationSec: p.durationSec }, signal),
      // One user asking every 1/probeRate s, like a load balancer's health check. Flooding
      // /health instead would measure how fast the main thread can answer it, and take that CPU
      // from the very requests the probe is meant to watch.
      run(base, { path: p.healthPath ?? HEALTH_PATH, connections: 1, durationSec: p.durationSec, overallRate: p.probeRate, ignoreCoordinatedOmission: true }, signal),
    ]);
    return { load: toLoadRun(load, p.durationSec), probe: toLoadRun(probe, p.durationSec) };
  },

  async open(base, p: BenchParams, signal) {
    const connections = Math.min(p.maxInFlight, p.rate);
    const result = await run(base, { path: HEAVY_PATH(p.n), connections, durationSec: p.durationSec, overallRate: p.rate, ignoreCoordinatedOmission: true }, signal);
    return { ...toLoadRun(result, p.durationSec), dropped: droppedArrivals(p.rate, p.durationSec, result.requests.total) };
  },

  async overhead(base, p, signal, serverCpuMs, mainThreadCpuMs) {
    const before = { all: serverCpuMs?.(), main: mainThreadCpuMs?.() };
    const app = await run(base, { path: TRIVIAL_PATH, connections: p.overheadConnections, durationSec: p.overheadSec }, signal);
    const after = { all: serverCpuMs?.(), main: mainThreadCpuMs?.() };
    const main = await run(base, { path: p.healthPath ?? HEALTH_PATH, connections: p.overheadConnections, durationSec: p.overheadSec }, signal);
    const cpu = {
      ...(before.all !== undefined && after.all !== undefined ? { serverCpuMs: after.all - before.all } : {}),
      ...(before.main !== undefined && after.main !== undefined ? { serverMainCpuMs: after.main - before.main } : {}),
    };
    return { app: { ...toLoadRun(app, p.overheadSec), ...cpu }, main: toLoadRun(main, p.overheadSec) };
  },
};
