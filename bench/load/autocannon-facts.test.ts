// What autocannon 9 does with `overallRate`, which bench/load/autocannon.ts and
// docs/benchmarks.md rely on. Against a server that answers every request after a fixed wait:
// its coordinated-omission "correction" invents samples and halves the median, so the bench
// switches it off; and each connection sends at most one request per second of its rate.

import { afterAll, describe, expect, test } from "bun:test";
import autocannon from "autocannon";

const WAIT_MS = 200;
const server = Bun.serve({ port: 0, fetch: async () => (await Bun.sleep(WAIT_MS), new Response("ok")) });
afterAll(() => server.stop(true));

function run(ignoreCoordinatedOmission: boolean): Promise<autocannon.Result> {
  return new Promise((resolve, reject) =>
    autocannon({ url: server.url.href, connections: 4, overallRate: 4, duration: 1, ignoreCoordinatedOmission }, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

// Both runs at once: they share the server, which only waits.
const runs = Promise.all([run(true), run(false)]);

describe("autocannon 9 with overallRate", () => {
  test("its coordinated-omission correction reports latencies no request had", async () => {
    const [raw, corrected] = await runs;
    expect(raw.latency.p50, "measured: every answer waited the full delay").toBeGreaterThanOrEqual(WAIT_MS);
    expect((corrected.latency as { totalCount?: number }).totalCount ?? 0, "samples recorded, for a handful of requests").toBeGreaterThan(10 * raw.requests.total);
    expect(corrected.latency.p50, "the 'corrected' median").toBeLessThan(0.75 * WAIT_MS);
  });
  test("a connection sends one request per second of its rate, not more", async () => {
    // 4 connections at 1 request/s each, for 1 s, answers in 200 ms: 4 requests, not 20.
    expect((await runs)[0].requests.total).toBeLessThanOrEqual(4 + 1);
  });
});
