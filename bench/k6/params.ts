// The scenarios' parameters, read from `-e NAME=value` (k6's environment). The defaults are the
// bench's (bench/config.ts), so `k6 run bench/k6/fibonacci.ts` against `npm run serve`
// (port 3000) measures the same thing `npm run bench` does.

import type { Scenario } from "k6/options";

function env(name: string, fallback: number): number {
  const raw = __ENV[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`-e ${name}= must be a number ≥ 0, got "${raw}"`);
  return value;
}

export const BASE_URL = (__ENV.BASE_URL || "http://localhost:3000").replace(/\/+$/, "");
export const N = env("N", 33);
export const VUS = env("VUS", 20);
export const DURATION = `${env("DURATION", 6)}s`;
/** Unmeasured load first; the measured scenarios start after it (`startTime`). */
export const WARMUP_SECONDS = env("WARMUP", 2);
export const WARMUP = `${WARMUP_SECONDS}s`;
export const PROBE_RATE = env("PROBE_RATE", 20);
export const RATE = env("RATE", 40);
export const MAX_IN_FLIGHT = env("MAX_IN_FLIGHT", 100);
export const OVERHEAD_VUS = env("OVERHEAD_VUS", 50);
export const OVERHEAD_DURATION = `${env("OVERHEAD_DURATION", 3)}s`;
export const OVERHEAD_SECONDS = env("OVERHEAD_DURATION", 3);

/** The unmeasured warm-up scenario, none when WARMUP=0 (k6 refuses a zero duration). */
export function warmupScenario(exec: string, vus: number): Record<string, Scenario> {
  return WARMUP_SECONDS > 0 ? { warmup: { executor: "constant-vus", exec, vus, duration: WARMUP } } : {};
}

/** The trend statistics the bench reads from `--summary-export`. */
export const TREND_STATS = ["avg", "min", "med", "max", "p(50)", "p(99)"];

export const HEAVY_URL = `${BASE_URL}/fibonacci/${N}`;
export const TRIVIAL_URL = `${BASE_URL}/fibonacci/1`;
/** The main-thread route: /health up to step 07, /_pool/live from step 08 on (the bench passes it). */
export const HEALTH_URL = `${BASE_URL}${__ENV.HEALTH_PATH || "/health"}`;
