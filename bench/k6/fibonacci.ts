// Scenario 1, the blog's experiment: a closed model, 20 virtual users looping on
// GET /fibonacci/:n. Each user sends its next request only when the last one answered, so
// the request rate is whatever the server manages: the throughput is the figure to read.
//
//   npm run serve -- 04 --solution &   k6 run bench/k6/fibonacci.ts
//   k6 run -e BASE_URL=http://localhost:8080 -e N=35 -e VUS=20 -e DURATION=30 bench/k6/fibonacci.ts

import type { Options } from "k6/options";
import { DURATION, TREND_STATS, VUS, WARMUP, warmupScenario } from "./params.ts";
import { heavy } from "./requests.ts";

export const options: Options = {
  scenarios: {
    ...warmupScenario("heavyRequest", VUS),
    load: { executor: "constant-vus", exec: "heavyRequest", vus: VUS, duration: DURATION, startTime: WARMUP },
  },
  thresholds: {
    // Errors are never acceptable, at any step: a slow server must queue, not fail.
    "http_req_failed{scenario:load}": ["rate<0.01"],
    // Listed so that --summary-export reports the measured scenario apart from the warm-up.
    "http_reqs{scenario:load}": ["count>0"],
    "http_req_duration{scenario:load,expected_response:true}": ["p(99)<30000"],
  },
  summaryTrendStats: TREND_STATS,
};

export const heavyRequest = heavy;
