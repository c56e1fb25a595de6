// Step 08's tests, part 5: the server's own endpoints, under the reserved prefix `/_pool/`.
//
// `/_pool/live` says the process answers; `/_pool/ready` says the pool takes work, and is a 503
// while it cannot: once no worker is left and none can start, and from the moment `stop()` is
// called. Every other path belongs to the app, `/health` included: in steps 04-07 the server
// answered `/health` itself, which hid any `/health` an app has of its own.
//
// Readiness during a stop is asked through the server's own `fetch`: once `stop()` is called,
// Bun.serve accepts no new connection, so no client could ask it over HTTP.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { FLAKY_APP } from "#lib/app-modules.ts";
import { until, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { HONO_FIXTURE_APP, PLAIN_FETCH_APP } from "#lib/testing/fetch-apps.ts";
import { planFlakyLoads, resetFlakyLoads } from "#lib/testing/flaky-loads.ts";
import { holdWorkers } from "#lib/testing/hold.ts";
import { get, type Answer } from "#lib/testing/http.ts";
import { SetUps } from "#lib/testing/set-ups.ts";
import { startServer, type PoolServer, type ServerOptions } from "./server.ts";

const WORKERS = 2;
const setUps = new SetUps("pool-endpoints.test.ts");
const events = new EventLog();
const running: PoolServer[] = [];
afterEach(async () => {
  resetFlakyLoads();
  for (const server of running.splice(0)) await within(server.stop({ force: true }), "stop()").catch(() => {});
});
afterAll(() => events.close());

const name = (appModule: string) => appModule.slice(appModule.lastIndexOf("/") + 1);

function serve(appModule: string, workers = WORKERS, light?: ServerOptions["light"]): Promise<PoolServer> {
  return setUps.start(
    `startServer({ appModule: ${name(appModule)}, workers: ${workers}${light ? ", light" : ""} })`,
    async () => {
      const server = await startServer({ appModule, port: 0, workers, light, log: () => {} });
      running.push(server);
      return server;
    },
    { key: "startServer", hint: "does the pool start?", release: (late) => late.stop({ force: true }) },
  );
}

function ask(server: PoolServer, path: string, init?: RequestInit): Promise<Answer> {
  return within(get(server.url, path, init), `${init?.method ?? "GET"} ${path}`, "every request gets an answer");
}

/** GET `path` through the server's own fetch, in this process: works during and after stop() too. */
async function askInProcess(server: PoolServer, path: string): Promise<{ status: number; body: string }> {
  const response = await within(server.fetch(new Request(new URL(path, server.url).href)), `server.fetch(GET ${path})`);
  return { status: response.status, body: await response.text() };
}

describe("/_pool/live and /_pool/ready", () => {
  test("both answer 200 while every worker is held, on the main thread", async () => {
    const server = await serve(HONO_FIXTURE_APP);
    const held = await holdWorkers(events, WORKERS, (path) => ask(server, path));
    try {
      const live = await ask(server, "/_pool/live");
      const ready = await ask(server, "/_pool/ready");
      const settledMeanwhile = [...held.settled];
      expect(live.status, "GET /_pool/live while every worker is held").toBe(200);
      expect(ready.status, "GET /_pool/ready while every worker is held (busy is not unready)").toBe(200);
      expect(settledMeanwhile, "held requests answered before /_pool/live and /_pool/ready were").toEqual([]);
    } finally {
      held.open();
    }
    expect((await held.release()).map((a) => a.body)).toEqual(held.expected);
  });

  test("/_pool/ready is 503 once no worker is left and none can start; /_pool/live stays 200", async () => {
    const server = await serve(FLAKY_APP, 1);
    expect((await ask(server, "/_pool/ready")).status, "GET /_pool/ready at first").toBe(200);
    planFlakyLoads({ then: "throw" });
    expect((await ask(server, "/crash/exit")).status, "GET /crash/exit, which ends the only worker").toBe(502);
    // The replacements fail one after the other; until the pool gives up, one may still come.
    await until(
      () => server.stats().broken !== undefined && server.stats().starting === 0,
      "the pool giving up on its replacements (stats().broken)",
      () => JSON.stringify(server.stats()),
    );
    const ready = await ask(server, "/_pool/ready");
    expect(ready.status, `GET /_pool/ready once the pool is broken: ${ready.body}`).toBe(503);
    expect((await ask(server, "/_pool/live")).status, "GET /_pool/live: the process still answers").toBe(200);
  });

  test("/_pool/ready is 503 from the moment stop() is called, while the requests in flight finish; /_pool/live stays 200", async () => {
    const server = await serve(HONO_FIXTURE_APP);
    expect((await askInProcess(server, "/_pool/ready")).status, "/_pool/ready before stop()").toBe(200);
    const held = await holdWorkers(events, WORKERS, (path) => ask(server, path));
    const stopping = server.stop();
    stopping.catch(() => {});
    try {
      const ready = await askInProcess(server, "/_pool/ready");
      expect(ready.status, `/_pool/ready during the graceful stop: ${ready.body}`).toBe(503);
      expect((await askInProcess(server, "/_pool/live")).status, "/_pool/live during the graceful stop").toBe(200);
    } finally {
      held.open();
    }
    expect((await held.release()).map((a) => a.body), "the requests in flight, answered").toEqual(held.expected);
    await within(stopping, "stop()");
    expect((await askInProcess(server, "/_pool/ready")).status, "/_pool/ready once stopped").toBe(503);
  });
});

describe("the prefix is the server's, every other path the app's", () => {
  test("the app's own /health, /live and /ready reach the app", async () => {
    const server = await serve(HONO_FIXTURE_APP);
    const health = await ask(server, "/health");
    expect({ status: health.status, body: health.body }, "GET /health, the Hono app's own route").toEqual({ status: 200, body: '{"status":"ok"}' });
    for (const path of ["/live", "/ready", "/_pool"]) {
      const answer = await ask(server, path);
      expect({ status: answer.status, body: answer.body }, `GET ${path}: the Hono app's own 404`).toEqual({ status: 404, body: "404 Not Found" });
    }
  });

  test("a path that only starts like the prefix is the app's: /_poolside", async () => {
    const server = await serve(PLAIN_FETCH_APP);
    const answer = await ask(server, "/_poolside");
    expect({ status: answer.status, body: answer.body }, "GET /_poolside: the app's own 404").toEqual({ status: 404, body: "Not Found: /_poolside" });
  });

  test("an unknown path under /_pool/ is the server's 404: the app never sees it", async () => {
    const server = await serve(PLAIN_FETCH_APP);
    for (const path of ["/_pool/health", "/_pool/live/x", "/_pool/"]) {
      const answer = await ask(server, path);
      expect(answer.status, `GET ${path}`).toBe(404);
      expect(answer.body, `GET ${path}: answered by the server, not by the app (whose 404 says "Not Found: <path>")`).not.toBe(`Not Found: ${path}`);
    }
  });

  test("the prefix comes first: a light predicate that takes every request does not get /_pool/", async () => {
    const server = await serve(PLAIN_FETCH_APP, WORKERS, () => true);
    expect(JSON.parse((await ask(server, "/thread")).body).threadId, "the thread that answered /thread, light by the predicate").toBe(0);
    for (const path of ["/_pool/live", "/_pool/ready"]) expect((await ask(server, path)).status, `GET ${path}`).toBe(200);
    const unknown = await ask(server, "/_pool/other");
    expect(unknown.status, "GET /_pool/other").toBe(404);
    expect(unknown.body, "GET /_pool/other: answered by the server, not by the app").not.toBe("Not Found: /_pool/other");
  });
});
