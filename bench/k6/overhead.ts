// Scenario 4, what the pool costs: many users on a trivial route. First `app` hits
// /fibonacci/1, which goes through the app (through a worker from step 02 on: a postMessage
// there and back); then `main` hits /health, answered on the main thread. The difference
// between their throughputs is the price of crossing threads, per request.

import type { Options } from "k6/options";
import { OVERHEAD_DURATION, OVERHEAD_SECONDS, OVERHEAD_VUS, TREND_STATS, WARMUP, WARMUP_SECONDS, warmupScenario } from "./params.ts";
import { health, trivial } from "./requests.ts";

export const options: Options = {
  scenarios: {
    ...warmupScenario("trivialRequest", OVERHEAD_VUS),
    app: { executor: "constant-vus", exec: "trivialRequest", vus: OVERHEAD_VUS, duration: OVERHEAD_DURATION, startTime: WARMUP },
    main: {
      executor: "constant-vus",
      exec: "healthRequest",
      vus: OVERHEAD_VUS,
      duration: OVERHEAD_DURATION,
      // One after the other, with a second between, so that the two never compete.
      startTime: `${WARMUP_SECONDS + OVERHEAD_SECONDS + 1}s`,
    },
  },
  thresholds: {
    "http_req_failed{scenario:app}": ["rate<0.01"],
    "http_req_failed{scenario:main}": ["rate<0.01"],
    "http_reqs{scenario:app}": ["count>0"],
    "http_reqs{scenario:main}": ["count>0"],
    "http_req_duration{scenario:app,expected_response:true}": ["p(99)<30000"],
    "http_req_duration{scenario:main,expected_response:true}": ["p(99)<30000"],
  },
  summaryTrendStats: TREND_STATS,
};

export const trivialRequest = trivial;
export const healthRequest = health;
