// Step 02's tests of AppWorker: the main thread's side of the handshake, and answers by id.
// Run them with `npm start -- check 02` (or `bun test` in this folder).
//
// Each test starts the workers it needs and terminates them after it. Every wait is bounded:
// a start() or a request() that never settles fails its test within seconds, with a message
// naming what was awaited, instead of hanging the run.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { BROKEN_APP, FIXTURE_APP, MISSING_APP } from "#lib/app-modules.ts";
import { requestData } from "#lib/http.ts";
import type { AppResponse, RequestData } from "#lib/http-types.ts";
import { newAsyncGate } from "#lib/testing/async-gate.ts";
import { rejectionOf, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newGate } from "#lib/testing/gate.ts";
import {
  DIES_WHILE_LOADING_APP,
  FAILED_STARTS,
  NOT_AN_APP,
  SLOW_LOADING_APP,
  STARTS,
  WAITING_APP,
  watchSlowLoad,
} from "#lib/testing/handshake-apps.ts";
import { SetUps } from "#lib/testing/set-ups.ts";
import { AppWorker } from "./app-worker.ts";

const setUps = new SetUps("app-worker.test.ts");
const events = new EventLog();
afterAll(() => events.close());

const workers: AppWorker[] = [];
afterEach(() => {
  for (const worker of workers.splice(0)) worker.terminate();
});

const START_HINT = "does start() resolve when the worker answers `init` with `ready`? (and does worker.ts answer it?)";
const REJECT_HINT = "does start() reject when the worker answers `init` with `init-error`?";

/** A started AppWorker for this test, terminated after it. */
function started(appModule: string, name: string): Promise<AppWorker> {
  return setUps.start(`AppWorker.start(${name})`, () => AppWorker.start(appModule).then(keep), {
    hint: START_HINT,
    key: STARTS,
    release: (late) => late.terminate(),
  });
}
function keep(worker: AppWorker): AppWorker {
  workers.push(worker);
  return worker;
}

/** The error start() rejects with for a module that cannot be loaded. */
async function startFailure(appModule: string, name: string): Promise<Error> {
  const reason = await setUps.rejection(`AppWorker.start(${name})`, () => AppWorker.start(appModule), {
    hint: REJECT_HINT,
    key: FAILED_STARTS,
    release: (late) => late.terminate(),
  });
  expect(reason, `what AppWorker.start(${name}) rejected with`).toBeInstanceOf(Error);
  return reason as Error;
}

/** One request, bounded: a caller left waiting fails the test instead of hanging it. */
function ask(worker: AppWorker, label: string, request: RequestData): Promise<AppResponse> {
  return within(worker.request(request), `the answer to ${label}`, "is each answer handed to the caller whose id it carries?");
}
const body = (response: AppResponse) => JSON.parse(response.body);

/**
 * Sends `/echo?label=<label>` and resolves with the label its answer echoes, failing at once
 * when the caller got another request's answer (instead of waiting for its own forever).
 */
function echo(worker: AppWorker, label: string): Promise<string> {
  return ask(worker, `request ${label}`, requestData(`/echo?label=${label}`)).then((response) => {
    const answered = body(response).query?.label;
    if (answered !== label) throw new Error(`the caller of request ${label} got the answer to request ${answered}`);
    return label;
  });
}

/**
 * Sends `/wait/<token>` (answered once the test opens that async gate) and resolves with
 * `label`, failing at once when the caller got another request's answer.
 */
function waitFor(worker: AppWorker, label: string, token: string): Promise<string> {
  return ask(worker, `request ${label} (/wait)`, requestData(`/wait/${token}`)).then((response) => {
    if (response.body !== `released ${token}`) {
      throw new Error(`the caller of request ${label} got another request's answer: ${JSON.stringify(response.body)}`);
    }
    return label;
  });
}

describe("start(): the handshake", () => {
  test("start() resolves with a worker that answers requests", async () => {
    const worker = await started(FIXTURE_APP, "FIXTURE_APP");
    const response = await ask(worker, "GET /fibonacci/10", requestData("/fibonacci/10"));
    expect(response.status, "the status of GET /fibonacci/10").toBe(200);
    expect(body(response)).toEqual({ n: 10, fibonacci: 55 });
  });

  test("start() resolves only once the worker said ready, not while the app is still loading", async () => {
    let resolved = false;
    const loading = watchSlowLoad(events);
    const starting = AppWorker.start(SLOW_LOADING_APP).then((worker) => {
      resolved = true;
      return keep(worker);
    });
    // The slow app announces that it is loading, then waits for the test: no `ready` yet.
    const letGo = await Promise.race([
      loading("the slow app starting to load", "does start() send `init` with the module?"),
      starting.then(() => new Promise<never>(() => {})), // a start() that fails says so at once
    ]);
    const resolvedWhileLoading = resolved;
    letGo();
    expect(resolvedWhileLoading, "start() had resolved while the worker was still loading the app").toBe(false);
    const worker = await setUps.start("AppWorker.start(SLOW_LOADING_APP)", () => starting, { hint: START_HINT, key: STARTS });
    expect((await ask(worker, "GET /health", requestData("/health"))).body).toBe("ok");
  });

  test("the handlers run on the worker's thread, not on this one", async () => {
    const worker = await started(FIXTURE_APP, "FIXTURE_APP");
    const response = await ask(worker, "GET /thread", requestData("/thread"));
    // threadId 0 is the main thread; a worker thread has another.
    expect(body(response).threadId, "the threadId the handler ran on").not.toBe(0);
  });

  test("start() rejects for a missing module, naming the module and the reason", async () => {
    const error = await startFailure(MISSING_APP, "MISSING_APP");
    expect(error.message, "start()'s error names the module").toContain("no-such-app.ts");
    expect(error.message, "start()'s error gives the worker's reason").toContain("Cannot find module");
  });

  test("start() rejects for a module that throws while loading, with its error", async () => {
    const error = await startFailure(BROKEN_APP, "BROKEN_APP");
    expect(error.message, "start()'s error names the module").toContain("broken-app.ts");
    expect(error.message, "start()'s error gives the worker's reason").toContain("broken-app refuses to load (on purpose)");
  });

  test("start() rejects for a module without an app, or whose app is not an App", async () => {
    const noApp = await startFailure(import.meta.resolve("#lib/fibonacci.ts"), "lib/fibonacci.ts");
    expect(noApp.message, "start()'s error names the module").toContain("fibonacci.ts");
    const notAnApp = await startFailure(NOT_AN_APP, "NOT_AN_APP");
    expect(notAnApp.message, "start()'s error names the module").toContain("not-an-app.ts");
  });

  test("start() rejects when the worker dies before it answers init (its error event)", async () => {
    // The module throws from a timer while it loads: the worker cannot answer at all, and
    // only the Worker's `error` event tells the main thread.
    const reason = await setUps.rejection("AppWorker.start(DIES_WHILE_LOADING_APP)", () => AppWorker.start(DIES_WHILE_LOADING_APP), {
      hint: "does start() listen to the worker's `error` event, and reject on it?",
      release: (late) => late.terminate(),
    });
    expect(String((reason as Error).message ?? reason), "start()'s error says why the worker died").toContain(
      "an uncaught error while loading (on purpose)",
    );
  });

  test("start() fails again and again, each time with its own reason, and a good start works after", async () => {
    for (const [module, name, reason] of [
      [MISSING_APP, "MISSING_APP", "no-such-app.ts"],
      [BROKEN_APP, "BROKEN_APP", "broken-app refuses to load"],
      [MISSING_APP, "MISSING_APP", "no-such-app.ts"],
    ] as const) {
      expect((await startFailure(module, name)).message, `start(${name})'s error`).toContain(reason);
    }
    const worker = await started(FIXTURE_APP, "FIXTURE_APP");
    expect((await ask(worker, "GET /health", requestData("/health"))).status).toBe(200);
  });

  test("two workers started side by side each answer their own requests", async () => {
    const [a, b] = await Promise.all([started(FIXTURE_APP, "FIXTURE_APP"), started(FIXTURE_APP, "FIXTURE_APP")]);
    if (!a || !b) throw new Error("two workers expected");
    const labels = ["a1", "b1", "a2", "b2", "a3", "b3"];
    const answers = await Promise.all(labels.map((label) => echo(label.startsWith("a") ? a : b, label)));
    expect(answers, "which request each answer is for").toEqual(labels);
    const threads = await Promise.all([a, b].map((w) => ask(w, "GET /thread", requestData("/thread")).then((r) => body(r).threadId)));
    expect(threads[0], "the two workers' threads").not.toBe(threads[1]);
  });
});

describe("request(): answers matched by id", () => {
  test("the answer is the app's response: status, headers and body, whatever the status", async () => {
    const worker = await started(FIXTURE_APP, "FIXTURE_APP");
    const notFound = await ask(worker, "GET /no/such/route", requestData("/no/such/route"));
    expect(notFound.status, "the status of GET /no/such/route").toBe(404);
    const wrongMethod = await ask(worker, "POST /fibonacci/3", requestData("/fibonacci/3", { method: "POST" }));
    expect(wrongMethod.status, "the status of POST /fibonacci/3").toBe(405);
    expect(wrongMethod.headers.allow, "the Allow header of POST /fibonacci/3").toBe("GET");
    const bad = await ask(worker, "GET /fibonacci/abc", requestData("/fibonacci/abc"));
    expect(bad.status, "the status of GET /fibonacci/abc").toBe(400);
    expect(bad.body).toContain("n must be");
  });

  test("every method with a body, the query and the headers reach the handler", async () => {
    const worker = await started(FIXTURE_APP, "FIXTURE_APP");
    for (const method of ["GET", "POST", "PUT", "DELETE"]) {
      const sent = method === "GET" ? "" : `the body of a ${method}`;
      const response = await ask(
        worker,
        `${method} /echo`,
        requestData("/echo?lang=ts&name=ada%20lovelace", { method, body: sent, headers: { "x-tutorial-step": "02" } }),
      );
      expect(response.headers["x-echo"], `the x-echo header of ${method} /echo's answer`).toBe("yes");
      const seen = body(response);
      expect(seen.method, `the method /echo received for a ${method}`).toBe(method);
      expect(seen.body, `the body /echo received for a ${method}`).toBe(sent);
      expect(seen.query, `the query /echo received for a ${method}`).toEqual({ lang: "ts", name: "ada lovelace" });
      expect(seen.headers["x-tutorial-step"], `the header /echo received for a ${method}`).toBe("02");
    }
  });

  test("twelve requests in flight at once each get their own answer; inFlight counts them, and is 0 once all are answered", async () => {
    const worker = await started(FIXTURE_APP, "FIXTURE_APP");
    const labels = Array.from({ length: 12 }, (_, i) => `r${i + 1}`);
    const pending = labels.map((label) => echo(worker, label));
    expect(worker.inFlight, "inFlight right after sending 12 requests").toBe(12);
    expect(await Promise.all(pending), "which request each answer is for").toEqual(labels);
    expect(worker.inFlight, "inFlight after all 12 were answered").toBe(0);
  });

  test("answers come back by id, in any order: a request that finishes first is answered first", async () => {
    // /wait/:token awaits a gate the test opens. The worker's thread stays free meanwhile, so B,
    // sent after A, can finish first: its answer must go to B's caller, not to A's.
    const worker = await started(WAITING_APP, "WAITING_APP");
    const [a, b] = [newAsyncGate(), newAsyncGate()];
    const requestA = waitFor(worker, "A", a.token);
    const requestB = waitFor(worker, "B", b.token);
    await within(Promise.all([events.waitForStart(a.token), events.waitForStart(b.token)]), "requests A and B starting in the worker");
    b.open();
    expect(await Promise.race([requestA, requestB]), "the first caller answered (only B was let go)").toBe("B");
    a.open();
    expect(await requestA, "the caller answered next").toBe("A");
    expect(worker.inFlight, "inFlight once both were answered").toBe(0);
  });

  test("ids are never reused: a request sent after an answer does not take the id of one still waiting", async () => {
    const worker = await started(WAITING_APP, "WAITING_APP");
    const [a, b, c] = [newAsyncGate(), newAsyncGate(), newAsyncGate()];
    const requestA = waitFor(worker, "A", a.token);
    const requestB = waitFor(worker, "B", b.token);
    await within(Promise.all([events.waitForStart(a.token), events.waitForStart(b.token)]), "requests A and B starting in the worker");
    a.open();
    expect(await Promise.race([requestA, requestB]), "the first caller answered (only A was let go)").toBe("A");
    // One answered, one waiting: the next request must get an id nobody waits on.
    const requestC = waitFor(worker, "C", c.token);
    await within(events.waitForStart(c.token), "request C starting in the worker");
    expect(worker.inFlight, "inFlight with B and C waiting").toBe(2);
    c.open();
    expect(await Promise.race([requestB, requestC]), "the caller answered next (only C was let go)").toBe("C");
    b.open();
    expect(await requestB, "the last caller answered").toBe("B");
    expect(worker.inFlight, "inFlight once A, B and C were answered").toBe(0);
  });

  test("a handler that throws is a 500, time after time, and the worker keeps serving", async () => {
    const worker = await started(FIXTURE_APP, "FIXTURE_APP");
    for (let round = 1; round <= 3; round++) {
      const broken = await ask(worker, `GET /throw (round ${round})`, requestData("/throw"));
      expect(broken.status, `the status of GET /throw, round ${round}`).toBe(500);
      expect(broken.body).toContain("handler exploded on purpose");
      expect((await ask(worker, "GET /fibonacci/1", requestData("/fibonacci/1"))).status, `GET /fibonacci/1 after a throw, round ${round}`).toBe(200);
    }
    expect(worker.inFlight, "inFlight after every answer came back").toBe(0);
  });
});

describe("terminate()", () => {
  test("terminate() rejects every request still waiting, running or queued, at once, and inFlight is 0", async () => {
    const worker = await started(FIXTURE_APP, "FIXTURE_APP");
    const gate = newGate(); // never opened: the worker is stopped while its thread is held
    const waiting = new Map([
      ["the running request", worker.request(requestData(`/gate/${gate.token}`))],
      ["queued request 1", worker.request(requestData("/echo?i=1"))],
      ["queued request 2", worker.request(requestData("/echo?i=2"))],
    ]);
    await within(events.waitForStart(gate.token), "the gated request starting in the worker");
    worker.terminate();
    const hint = "does terminate() reject every caller still waiting? (a promise that never settles is a client left hanging)";
    for (const [label, pending] of waiting) {
      const error = await rejectionOf(pending, `${label}, after terminate()`, hint);
      expect(error, `what ${label} rejected with`).toBeInstanceOf(Error);
    }
    expect(worker.inFlight, "inFlight after terminate()").toBe(0);
  });
});

describe("the limit of one worker", () => {
  test("one worker runs one request at a time: a light one waits until the heavy one is done", async () => {
    const worker = await started(FIXTURE_APP, "FIXTURE_APP");
    const heavy = newGate();
    const done: string[] = [];
    const a = ask(worker, "the heavy request", requestData(`/gate/${heavy.token}`)).then((r) => {
      expect(r.body, "the answer the heavy request's caller got").toBe(`released ${heavy.token}`);
      done.push("heavy");
    });
    await within(events.waitForStart(heavy.token), "the heavy request starting in the worker");
    // The light request is in the worker's inbox now, but the worker's only thread is held
    // by the heavy one. The main thread is free (this test runs on it), the worker is not.
    const b = echo(worker, "light").then(() => void done.push("light"));
    heavy.open();
    await Promise.all([a, b]);
    expect(done, "the order the two answers came back in").toEqual(["heavy", "light"]);
  });
});
