// Step 02's tests of the server: the app now runs in a worker, and the main thread stays free.
// Run them with `npm start -- check 02` (or `bun test` in this folder).
//
// The server runs the fixture app (lib/testing/fixture-app.ts) in its worker. Unlike step 01,
// no probe thread is needed: the heavy work runs on the worker's thread, so this test's own
// thread (which also runs the server) stays free to send and receive.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FIXTURE_APP, MISSING_APP } from "#lib/app-modules.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newGate } from "#lib/testing/gate.ts";
import { get } from "#lib/testing/http.ts";
import { startServer } from "./server.ts";

const events = new EventLog();
let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ appModule: FIXTURE_APP, port: 0 });
});
afterAll(async () => {
  await server?.stop();
  events.close();
});

describe("the app, served from the worker", () => {
  test("GET /fibonacci/:n answers with the number, as JSON", async () => {
    const answer = await get(server.url, "/fibonacci/10");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toContain("application/json");
    expect(JSON.parse(answer.body)).toEqual({ n: 10, fibonacci: 55 });
  });

  test("the handlers run on a worker thread, not the server's", async () => {
    const answer = await get(server.url, "/thread");
    expect(JSON.parse(answer.body).threadId).not.toBe(0);
  });

  test("a POST body and the query reach the handler, and its headers come back", async () => {
    const answer = await get(server.url, "/echo?lang=ts", { method: "POST", body: "hello" });
    expect(JSON.parse(answer.body)).toMatchObject({ method: "POST", body: "hello", query: { lang: "ts" } });
    expect(answer.headers.get("x-echo")).toBe("yes");
  });

  test("bad input gets a clear answer: 400 naming n, 404 for an unknown route", async () => {
    const bad = await get(server.url, "/fibonacci/abc");
    expect(bad.status).toBe(400);
    expect(bad.body).toContain("n must be");
    expect((await get(server.url, "/no/such/route")).status).toBe(404);
  });

  test("a handler that throws is a 500, and the worker keeps serving", async () => {
    const broken = await get(server.url, "/throw");
    expect(broken.status).toBe(500);
    expect(broken.body).toContain("handler exploded on purpose");
    // /fibonacci is served by the worker (unlike /health): the worker is still alive.
    expect((await get(server.url, "/fibonacci/1")).status).toBe(200);
  });
});

describe("the lesson: the main thread stays responsive", () => {
  test("/health answers while a heavy request is still running in the worker", async () => {
    const gate = newGate();
    const heavy = get(server.url, `/gate/${gate.token}`);
    try {
      await events.waitForStart(gate.token);
      // The gate is closed: the worker's thread is held by the heavy request. /health is
      // answered anyway, because the main thread answers it and the main thread is free.
      const health = await get(server.url, "/health");
      expect(health).toMatchObject({ status: 200, body: "ok" });
    } finally {
      gate.open();
    }
    // Only now is the heavy request let go: it was still running while /health was answered.
    expect(await heavy).toMatchObject({ status: 200, body: `released ${gate.token}` });
  });
});

describe("the server's life cycle", () => {
  test("startServer rejects, with the reason, when the app module cannot be loaded", async () => {
    await expect(startServer({ appModule: MISSING_APP, port: 0 })).rejects.toThrow("no-such-app.ts");
  });

  test("stop() closes the port", async () => {
    const other = await startServer({ appModule: FIXTURE_APP, port: 0 });
    expect((await get(other.url, "/fibonacci/2")).status).toBe(200);
    await other.stop();
    await expect(get(other.url, "/health")).rejects.toThrow();
  });
});
