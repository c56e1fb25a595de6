// Step 02's tests of the server: the app now runs in a worker, and the main thread stays free.
// Run them with `npm start -- check 02` (or `bun test` in this folder).
//
// Each test starts a server of its own on port 0, whose worker runs the fixture app
// (lib/testing/fixture-app.ts), and stops it after. Unlike step 01, no probe thread is needed:
// the heavy work runs on the worker's thread, so this test's own thread (which also runs the
// server) stays free to send and receive. Every wait is bounded.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { BROKEN_APP, FIXTURE_APP, MISSING_APP } from "#lib/app-modules.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { rejectionOf, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newGate } from "#lib/testing/gate.ts";
import { FAILED_STARTS, STARTS } from "#lib/testing/handshake-apps.ts";
import { serverThrew } from "#lib/testing/error-page.ts";
import { get, type Answer } from "#lib/testing/http.ts";
import { openKeepAlive, type KeepAlive } from "#lib/testing/keep-alive.ts";
import { SetUps } from "#lib/testing/set-ups.ts";
import { startServer } from "./server.ts";

const setUps = new SetUps("server.test.ts");
const events = new EventLog();
afterAll(() => events.close());

const running: RunningServer[] = [];
const sockets: KeepAlive[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of running.splice(0)) await within(server.stop(), "stop()").catch(() => {});
});

/** A server for this test, on a free port unless `options` say otherwise, stopped after it. */
function serve(options: { port?: number } = { port: 0 }): Promise<RunningServer> {
  return setUps.start(
    "startServer({ appModule: FIXTURE_APP })",
    () =>
      startServer({ appModule: FIXTURE_APP, ...options }).then((server) => {
        running.push(server);
        return server;
      }),
    {
      hint: "startServer waits for AppWorker.start(): does start() resolve once the worker answers `init` with `ready`?",
      key: STARTS,
      release: (late) => late.stop(),
    },
  );
}

/** One request, bounded: a server that never answers fails the test instead of hanging it. */
function ask(server: RunningServer, path: string, init?: RequestInit): Promise<Answer> {
  const what = `${init?.method ?? "GET"} ${path}`;
  return within(
    get(server.url, path, init).then((answer) => {
      const threw = serverThrew(answer, what);
      if (threw) throw new Error(threw);
      return answer;
    }),
    what,
    "is every request the worker answers handed back to its caller (AppWorker.request)?",
  );
}
const body = (answer: Answer) => JSON.parse(answer.body);

describe("the app, served from the worker", () => {
  test("GET /fibonacci/10 answers 200 with the number, as JSON", async () => {
    const answer = await ask(await serve(), "/fibonacci/10");
    expect(answer.status, "the status of GET /fibonacci/10").toBe(200);
    expect(answer.headers.get("content-type"), "the content-type of GET /fibonacci/10").toContain("application/json");
    expect(body(answer)).toEqual({ n: 10, fibonacci: 55 });
  });

  test("the handlers run on a worker thread, not the server's", async () => {
    const answer = await ask(await serve(), "/thread");
    expect(body(answer).threadId, "the threadId the handler ran on (0 is the main thread)").not.toBe(0);
  });

  for (const method of ["GET", "POST", "PUT", "DELETE"]) {
    test(`${method} /echo: the body, the query and the headers reach the handler, and its headers come back`, async () => {
      const sent = method === "GET" ? undefined : `the body of a ${method}, with UTF-8: héllo ✓`;
      const answer = await ask(await serve(), "/echo?lang=ts&name=ada%20lovelace", {
        method,
        body: sent,
        headers: { "X-Tutorial-Step": "02" },
      });
      expect(answer.status, `the status of ${method} /echo`).toBe(200);
      expect(answer.headers.get("x-echo"), `the x-echo header of ${method} /echo's answer`).toBe("yes");
      const seen = body(answer);
      expect(seen.method, `the method /echo received for a ${method}`).toBe(method);
      expect(seen.body, `the body /echo received for a ${method}`).toBe(sent ?? "");
      expect(seen.query, `the query /echo received for a ${method}`).toEqual({ lang: "ts", name: "ada lovelace" });
      expect(seen.headers["x-tutorial-step"], `the header /echo received for a ${method}`).toBe("02");
    });
  }

  test("bad input gets a clear answer: 400 naming n, 404 for an unknown route, 405 with Allow", async () => {
    const server = await serve();
    const bad = await ask(server, "/fibonacci/abc");
    expect(bad.status, "the status of GET /fibonacci/abc").toBe(400);
    expect(bad.body).toContain("n must be");
    expect((await ask(server, "/no/such/route")).status, "the status of GET /no/such/route").toBe(404);
    const wrongMethod = await ask(server, "/fibonacci/10", { method: "POST", body: "x" });
    expect(wrongMethod.status, "the status of POST /fibonacci/10").toBe(405);
    expect(wrongMethod.headers.get("allow"), "the Allow header of POST /fibonacci/10").toBe("GET");
  });

  test("a handler that throws is a 500, and the worker keeps serving, time after time", async () => {
    const server = await serve();
    for (let round = 1; round <= 3; round++) {
      const broken = await ask(server, "/throw");
      expect(broken.status, `the status of GET /throw, round ${round}`).toBe(500);
      expect(broken.body).toContain("handler exploded on purpose");
      // /fibonacci is served by the worker (unlike /health): the worker is still alive.
      expect((await ask(server, "/fibonacci/1")).status, `GET /fibonacci/1 after /throw, round ${round}`).toBe(200);
    }
  });

  test("ten requests sent at once each get their own answer", async () => {
    const server = await serve();
    const labels = Array.from({ length: 10 }, (_, i) => `client-${i}`);
    const answers = await Promise.all(
      labels.map((label) =>
        ask(server, `/echo?who=${label}`, { method: "POST", body: label }).then((answer) => {
          // Checked as each answer arrives: a client given another's answer fails the test at once.
          expect(body(answer).query.who, `whose answer the client ${label} got`).toBe(label);
          return answer;
        }),
      ),
    );
    expect(answers.map((a) => body(a).body), "whose body each answer echoes").toEqual(labels);
  });
});

describe("the lesson: the main thread stays responsive", () => {
  test("/health answers while a heavy request is still running in the worker", async () => {
    const server = await serve();
    const gate = newGate();
    const heavy = ask(server, `/gate/${gate.token}`);
    try {
      await within(events.waitForStart(gate.token), "the heavy (gated) request starting in the worker");
      // The gate is closed: the worker's thread is held by the heavy request. /health is
      // answered anyway, because the main thread answers it and the main thread is free.
      const health = await ask(server, "/health");
      expect(health.status, "the status of /health while the worker is held").toBe(200);
      expect(health.body).toBe("ok");
    } finally {
      gate.open();
    }
    // Only now is the heavy request let go: it was still running while /health was answered.
    const answer = await heavy;
    expect(answer.status, "the status of the heavy request, once let go").toBe(200);
    expect(answer.body).toBe(`released ${gate.token}`);
  });
});

describe("the server's life cycle", () => {
  test("startServer rejects, with the reason, when the app module cannot be loaded", async () => {
    for (const [appModule, name, reason] of [
      [MISSING_APP, "MISSING_APP", "no-such-app.ts"],
      [BROKEN_APP, "BROKEN_APP", "broken-app refuses to load (on purpose)"],
    ] as const) {
      const error = await setUps.rejection(`startServer({ appModule: ${name} })`, () => startServer({ appModule, port: 0 }), {
        hint: "startServer waits for AppWorker.start(): does start() reject when the worker answers `init-error`?",
        key: FAILED_STARTS,
        release: (late) => late.stop(),
      });
      expect(String((error as Error).message ?? error), `startServer's error for ${name}`).toContain(reason);
    }
  });

  test("with no port given, each server still gets a free port of its own: two start side by side", async () => {
    const [first, second] = [await serve({}), await serve({})];
    expect(first.port, "the first server's port").toBeGreaterThan(0);
    expect(second.port, "the second server's port").not.toBe(first.port);
    expect((await ask(first, "/fibonacci/2")).status, "GET /fibonacci/2 on the first").toBe(200);
    expect((await ask(second, "/fibonacci/2")).status, "GET /fibonacci/2 on the second").toBe(200);
  });

  test("stop() closes the port, connections that clients keep open included", async () => {
    const server = await serve();
    expect((await ask(server, "/fibonacci/2")).status).toBe(200);
    const socket = await openKeepAlive(server.url);
    sockets.push(socket);
    await within(server.stop(), "stop()");
    await within(socket.closed, "the kept-alive connection closing after stop()");
    const refused = await rejectionOf(get(server.url, "/health"), "GET /health after stop()", "the server still answers after stop()");
    expect(refused, "what fetch says after stop()").toBeInstanceOf(Error);
  });
});
