// Step 02's tests of AppWorker: the main thread's side of the handshake, and answers by id.
// Run them with `npm start -- check 02` (or `bun test` in this folder).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BROKEN_APP, FIXTURE_APP, MISSING_APP } from "#lib/app-modules.ts";
import { requestData } from "#lib/http.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newGate } from "#lib/testing/gate.ts";
import { AppWorker } from "./app-worker.ts";

const events = new EventLog();
let worker: AppWorker;
beforeAll(async () => {
  worker = await AppWorker.start(FIXTURE_APP);
});
afterAll(() => {
  worker?.terminate();
  events.close();
});

describe("the handshake", () => {
  test("start() resolves once the worker is ready, and the worker answers", async () => {
    const response = await worker.request(requestData("/fibonacci/10"));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ n: 10, fibonacci: 55 });
  });

  test("the handlers run on the worker's thread, not on this one", async () => {
    const response = await worker.request(requestData("/thread"));
    // threadId 0 is the main thread; a worker thread has another.
    expect(JSON.parse(response.body).threadId).not.toBe(0);
  });

  test("start() rejects for a missing module, naming it", async () => {
    await expect(AppWorker.start(MISSING_APP)).rejects.toThrow("no-such-app.ts");
  });

  test("start() rejects for a module that throws while loading, with its error", async () => {
    const failure = AppWorker.start(BROKEN_APP);
    await expect(failure).rejects.toThrow("broken-app.ts");
    await expect(failure).rejects.toThrow("broken-app refuses to load (on purpose)");
  });
});

describe("requests and responses, matched by id", () => {
  test("several requests in flight each get their own answer", async () => {
    const ids = Array.from({ length: 12 }, (_, i) => String(i));
    const pending = ids.map((i) => worker.request(requestData(`/echo?i=${i}`)));
    expect(worker.inFlight).toBe(ids.length);
    const answers = await Promise.all(pending);
    expect(answers.map((a) => JSON.parse(a.body).query.i)).toEqual(ids);
    expect(worker.inFlight).toBe(0);
  });

  test("a handler that throws is a 500, and the worker keeps serving", async () => {
    const broken = await worker.request(requestData("/throw"));
    expect(broken.status).toBe(500);
    expect(broken.body).toContain("handler exploded on purpose");
    expect((await worker.request(requestData("/fibonacci/1"))).status).toBe(200);
  });

  test("terminate() settles the requests still waiting, with an error", async () => {
    const doomed = await AppWorker.start(FIXTURE_APP);
    const gate = newGate(); // never opened: the worker is stopped while it waits
    const pending = doomed.request(requestData(`/gate/${gate.token}`));
    await events.waitForStart(gate.token);
    doomed.terminate();
    await expect(pending).rejects.toThrow("terminated");
    expect(doomed.inFlight).toBe(0);
  });
});

describe("the limit of one worker", () => {
  test("one worker runs one request at a time: a light one waits until the heavy one is done", async () => {
    const heavy = newGate();
    const done: string[] = [];
    const a = worker.request(requestData(`/gate/${heavy.token}`)).then((r) => (done.push("heavy"), r));
    await events.waitForStart(heavy.token);
    // The light request is in the worker's inbox now, but the worker's only thread is held
    // by the heavy one. The main thread is free (this test runs on it), the worker is not.
    const b = worker.request(requestData("/echo?i=light")).then((r) => (done.push("light"), r));
    heavy.open();
    expect((await a).body).toBe(`released ${heavy.token}`);
    expect((await b).status).toBe(200);
    expect(done).toEqual(["heavy", "light"]);
  });
});
