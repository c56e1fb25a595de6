// The requests every scenario is made of. A check per request counts wrong answers without
// stopping the load: a 500 is a result to report, not a reason to abort the run.

import http from "k6/http";
import { check, sleep } from "k6";
import { HEALTH_URL, HEAVY_URL, PROBE_RATE, TRIVIAL_URL } from "./params.ts";

export function heavy(): void {
  const res = http.get(HEAVY_URL);
  check(res, { "fibonacci answered 200": (r) => r.status === 200 });
}

export function trivial(): void {
  const res = http.get(TRIVIAL_URL);
  check(res, { "trivial route answered 200": (r) => r.status === 200 });
}

export function health(): void {
  const res = http.get(HEALTH_URL);
  check(res, { "health answered ok": (r) => r.status === 200 && r.body === "ok" });
}

/** One user checking /health every 1/PROBE_RATE s, like a load balancer: watching, not flooding. */
export function healthProbe(): void {
  health();
  sleep(1 / PROBE_RATE);
}
