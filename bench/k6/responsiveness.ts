// Scenario 2, the tutorial's point: the same 20 users on /fibonacci/:n, plus one user probing
// GET /health the whole time, PROBE_RATE times a second. On step 01 the probe waits behind every
// heavy request queued on the one thread (its p99 is about the whole queue); from step 02 on, /health is answered on
// the main thread while the workers compute, and stays at a few milliseconds.
//
// The probe's threshold is the target for the full server; it fails on step 01, by design.

import type { Options } from "k6/options";
import { DURATION, TREND_STATS, VUS, WARMUP, warmupScenario } from "./params.ts";
import { healthProbe, heavy } from "./requests.ts";

export const options: Options = {
  scenarios: {
    ...warmupScenario("heavyRequest", VUS),
    load: { executor: "constant-vus", exec: "heavyRequest", vus: VUS, duration: DURATION, startTime: WARMUP },
    probe: { executor: "constant-vus", exec: "healthProbe", vus: 1, duration: DURATION, startTime: WARMUP },
  },
  thresholds: {
    "http_req_failed{scenario:load}": ["rate<0.01"],
    "http_req_failed{scenario:probe}": ["rate<0.01"],
    "http_reqs{scenario:load}": ["count>0"],
    "http_reqs{scenario:probe}": ["count>0"],
    "http_req_duration{scenario:load,expected_response:true}": ["p(99)<30000"],
    "http_req_duration{scenario:probe,expected_response:true}": ["p(99)<10"],
  },
  summaryTrendStats: TREND_STATS,
};

export const heavyRequest = heavy;
export { healthProbe };
