// Scenario 3, an open model: requests arrive at a fixed rate whatever the server does, as
// users on the internet do. A closed model hides a slow server's queue (its users just wait
// and send less: coordinated omission); here the queue shows in the latency, and the arrivals
// k6 could not start because every allowed VU was busy are counted as dropped_iterations.

import type { Options } from "k6/options";
import { DURATION, MAX_IN_FLIGHT, RATE, TREND_STATS, VUS, WARMUP, warmupScenario } from "./params.ts";
import { heavy } from "./requests.ts";

export const options: Options = {
  scenarios: {
    ...warmupScenario("heavyRequest", VUS),
    load: {
      executor: "constant-arrival-rate",
      exec: "heavyRequest",
      rate: RATE,
      timeUnit: "1s",
      duration: DURATION,
      preAllocatedVUs: Math.min(RATE, MAX_IN_FLIGHT),
      maxVUs: MAX_IN_FLIGHT,
      startTime: WARMUP,
    },
  },
  thresholds: {
    "http_req_failed{scenario:load}": ["rate<0.01"],
    "http_reqs{scenario:load}": ["count>0"],
    "http_req_duration{scenario:load,expected_response:true}": ["p(99)<30000"],
    // Reported, not required: the slower steps cannot keep up with the rate, which is the lesson.
    dropped_iterations: ["count>=0"],
  },
  summaryTrendStats: TREND_STATS,
};

export const heavyRequest = heavy;
