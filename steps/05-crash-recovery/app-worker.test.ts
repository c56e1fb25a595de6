// Step 05's tests of AppWorker: noticing that a worker's thread has ended, whichever way it
// ended, and telling a crash from a terminate() we asked for. Run them with
// `npm start -- check 05` (or `bun test` in this folder).
//
// The fixture app's `/crash/*` routes kill the thread running them, each in its own way. To end
// a thread "from outside" (as the operating system or a bug elsewhere would), the test records
// every `Worker` made while a worker starts (lib/testing/worker-census.ts) and calls the raw
// Worker's own `terminate()`, behind the AppWorker's back. Nothing here is timed: every wait is
// bounded (lib/testing/bounded.ts) and fails with what it was waiting for.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { FIXTURE_APP, FLAKY_APP } from "#lib/app-modules.ts";
import { requestData } from "#lib/http.ts";
import { rejectionOf, until, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { planFlakyLoads, resetFlakyLoads } from "#lib/testing/flaky-loads.ts";
import { newGate } from "#lib/testing/gate.ts";
import { openWorkerCensus } from "#lib/testing/worker-census.ts";
import { AppWorker, type Exit } from "./app-worker.ts";
import { PoolError, WorkerCrashed } from "./pool-errors.ts";

const events = new EventLog();
const started: AppWorker[] = [];
afterEach(() => {
  for (const worker of started.splice(0)) worker.terminate();
  resetFlakyLoads();
});
afterAll(() => events.close());

/** Starts an AppWorker on the fixture app; `thread` is its raw Worker, for ending it from outside. */
async function startWorker(): Promise<{ worker: AppWorker; thread: Worker }> {
  const census = openWorkerCensus();
  try {
    const worker = await within(AppWorker.start(FIXTURE_APP), "AppWorker.start(FIXTURE_APP)", "does the worker answer `init`?");
    started.push(worker);
    // `exited` is awaited by the tests that need it; an unfinished #onClose must fail those
    // tests, not surface later as an error between tests.
    worker.exited.catch(() => {});
    return { worker, thread: census.started[0] as Worker };
  } finally {
    census.stop();
  }
}

/**
 * How long a promise may take to settle once the event it must follow was seen: the requests
 * waiting on a dead worker are rejected before `exited` settles. Generous on a loaded machine;
 * it only keeps a wrong implementation from costing the full bound.
 */
const AT_ONCE_MS = 1_000;

/**
 * The thread has ended, or is about to: waits for `exited`, then for the rejection of each
 * request that was waiting on the worker. Fails, naming what never came, if either hangs.
 */
async function whenItEnds(worker: AppWorker, waiting: Promise<unknown>[], how: string) {
  for (const request of waiting) request.catch(() => {}); // read below, once `exited` has settled
  const exit: Exit = await within(worker.exited, `worker.exited when ${how}`, "`exited` settles with what #onClose returns");
  expect(worker.inFlight, `requests still waiting on the worker once \`exited\` has settled (${how})`).toBe(0);
  const errors: unknown[] = [];
  for (const [i, request] of waiting.entries()) {
    const what = `request ${i + 1} of ${waiting.length} waiting on the worker when ${how}`;
    errors.push(await rejectionOf(request, what, "every request still waiting when the thread ends is rejected by #onClose", AT_ONCE_MS));
  }
  return { exit, errors };
}

function expectCrash(error: unknown, what: string): WorkerCrashed {
  expect(error instanceof WorkerCrashed, `${what}: a WorkerCrashed, got ${String(error)}`).toBe(true);
  const crashed = error as WorkerCrashed;
  expect(crashed.status, `${what}: the status WorkerCrashed carries`).toBe(502);
  return crashed;
}

describe("a crash is noticed, whichever way the worker dies", () => {
  test("process.exit in a handler: the waiting request gets a WorkerCrashed whose reason gives the exit code", async () => {
    const { worker } = await startWorker();
    expect(worker.alive, "alive while the thread runs").toBe(true);
    const { exit, errors } = await whenItEnds(worker, [worker.request(requestData("/crash/exit"))], "/crash/exit ran process.exit(1)");
    const error = expectCrash(errors[0], "the request to /crash/exit");
    expect(error.reason, "the reason of a crash without an error event").toContain("code 1");
    expect(exit, "what `exited` settles with").toEqual({ crashed: true, reason: error.reason });
    expect(worker.alive, "alive once the thread has ended").toBe(false);
    expect(worker.inFlight, "requests still waiting after the crash").toBe(0);
  });

  test("an uncaught error outside the handler's promise: WorkerCrashed, whose reason holds the error's message", async () => {
    const { worker } = await startWorker();
    const { exit, errors } = await whenItEnds(worker, [worker.request(requestData("/crash/pending"))], "/crash/pending threw from a timer");
    const error = expectCrash(errors[0], "the request to /crash/pending");
    expect(error.reason, "the reason: what the worker's error event said").toContain("uncaught error while a request was pending, on purpose");
    expect(exit.crashed, "exit.crashed").toBe(true);
    expect(exit.reason).toBe(error.reason);
  });

  test("an unhandled rejection, though its close event says code 0 like a terminate(): a WorkerCrashed all the same", async () => {
    const { worker } = await startWorker();
    const { exit, errors } = await whenItEnds(worker, [worker.request(requestData("/crash/rejection"))], "/crash/rejection left a rejection unhandled");
    const error = expectCrash(errors[0], "the request to /crash/rejection");
    expect(error.reason, "the reason: what the worker's error event said").toContain("unhandled rejection on purpose");
    expect(exit.crashed, "exit.crashed (close code 0 does not mean we asked for it)").toBe(true);
  });

  test("its thread terminated from outside, not through AppWorker.terminate(): a crash", async () => {
    const { worker, thread } = await startWorker();
    const gate = newGate(); // never opened: the thread is ended while it holds the request
    const pending = worker.request(requestData(`/gate/${gate.token}`));
    await within(events.waitForStart(gate.token), "the gated handler's start");
    thread.terminate(); // the raw Worker's terminate: the AppWorker did not ask for it
    const { exit, errors } = await whenItEnds(worker, [pending], "its thread was terminated from outside");
    const error = expectCrash(errors[0], "the request held at the gate");
    expect(error.reason, "the reason of a crash without an error event").toMatch(/code \d/);
    expect(exit.crashed, "exit.crashed").toBe(true);
  });

  test("every request waiting on the dead worker is rejected at once, not only the one it was running", async () => {
    const { worker, thread } = await startWorker();
    const gate = newGate();
    const waiting = [
      worker.request(requestData(`/gate/${gate.token}`)),
      ...[1, 2, 3, 4].map((i) => worker.request(requestData(`/echo?i=${i}`))),
    ];
    await within(events.waitForStart(gate.token), "the gated handler's start");
    expect(worker.inFlight, "requests waiting: the gated one and four behind it").toBe(5);
    thread.terminate();
    const { errors } = await whenItEnds(worker, waiting, "its thread was terminated with 5 requests waiting");
    errors.forEach((error, i) => expectCrash(error, `request ${i + 1} of 5`));
    expect(worker.inFlight, "requests still waiting after the crash").toBe(0);
  });

  test("a worker that dies while idle, after answering, is noticed too", async () => {
    const { worker } = await startWorker();
    const answer = await within(worker.request(requestData("/crash/uncaught")), "the answer of /crash/uncaught");
    expect(answer.status, "/crash/uncaught answers before its timer kills the worker").toBe(200);
    const { exit } = await whenItEnds(worker, [], "the idle worker died of an uncaught error");
    expect(exit.crashed, "exit.crashed").toBe(true);
    expect(exit.reason).toContain("uncaught error on purpose");
  });

  test("request() on a worker that has crashed rejects at once with a WorkerCrashed, never hangs", async () => {
    const { worker } = await startWorker();
    await whenItEnds(worker, [worker.request(requestData("/crash/exit"))], "/crash/exit ran process.exit(1)");
    const late = await rejectionOf(worker.request(requestData("/fibonacci/1")), "request() on a dead worker", "a dead worker never answers");
    expectCrash(late, "request() after the crash");
  });
});

describe("terminate() is not a crash", () => {
  test("terminate() with a request running: `exited` says crashed: false, and the request gets a plain error, not a WorkerCrashed", async () => {
    const { worker } = await startWorker();
    const gate = newGate();
    const pending = worker.request(requestData(`/gate/${gate.token}`));
    await within(events.waitForStart(gate.token), "the gated handler's start");
    worker.terminate();
    const { exit, errors } = await whenItEnds(worker, [pending], "terminate() was called");
    expect(errors[0] instanceof PoolError, `the request's error is not a crash: got ${String(errors[0])}`).toBe(false);
    expect(String(errors[0])).toContain("terminated");
    expect(exit.crashed, "exit.crashed after our own terminate()").toBe(false);
    expect(worker.alive, "alive once the thread has ended").toBe(false);
  });

  test("terminate() of an idle worker: `exited` says crashed: false", async () => {
    const { worker } = await startWorker();
    worker.terminate();
    const { exit } = await whenItEnds(worker, [], "terminate() was called on an idle worker");
    expect(exit.crashed, "exit.crashed after our own terminate()").toBe(false);
  });

  test("a crash and a terminate() side by side: only the crash is one", async () => {
    const [a, b] = [await startWorker(), await startWorker()];
    const crash = a.worker.request(requestData("/crash/rejection"));
    b.worker.terminate();
    const [ofA, ofB] = await Promise.all([
      whenItEnds(a.worker, [crash], "/crash/rejection ran"),
      whenItEnds(b.worker, [], "terminate() was called"),
    ]);
    expect([ofA.exit.crashed, ofB.exit.crashed], "[crashed of the one that crashed, crashed of the one terminated]").toEqual([true, false]);
  });
});

describe("start-up", () => {
  test("start() rejects, never hangs, when the app module ends the thread while loading (process.exit)", async () => {
    planFlakyLoads({ next: ["exit"] });
    const census = openWorkerCensus();
    try {
      const error = await rejectionOf(AppWorker.start(FLAKY_APP), "AppWorker.start() of a module that calls process.exit(3) while loading");
      expect(String(error)).toContain("code 3");
      await until(() => census.alive() === 0, "the end of the thread that exited");
    } finally {
      census.stop();
    }
  });
});
