// Step 07's tests, the pool's half: `close()` drains. Run them with `npm start -- check 07`
// (or `bun test` in this folder).
//
// Each test holds the workers of a pool of 2 with gated tasks (`/gate/:token` announces its
// start, then keeps its worker until the test opens the gate), queues more tasks behind them,
// closes the pool, and only then lets the work go. Nothing is timed: "close() waited" means
// it had not resolved while a gate still held a worker; "the task was answered at once" means
// it settled while every gate was still closed.

import { afterAll, describe, expect, test } from "bun:test";
import { FIXTURE_APP } from "#lib/app-modules.ts";
import { requestData } from "#lib/http.ts";
import type { AppResponse, RequestData } from "#lib/http-types.ts";
import { within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newGate, type Gate } from "#lib/testing/gate.ts";
import { Outcomes } from "#lib/testing/outcomes.ts";
import { controlledStart } from "#lib/testing/start-control.ts";
import { DeadlineExceeded, PoolClosed, PoolError, WorkerCrashed } from "./pool-errors.ts";
import { WorkerPool, type PoolOptions, type PoolStats } from "./pool.ts";

/** Every pool here has two workers: "every worker" and "the other worker" both mean something. */
const WORKERS = 2;
/**
 * Room for a wrong pool to fail on an assertion that says why (a bounded wait gives up after
 * 3 s, a gate after 4 s) rather than on bun's timeout. The reference takes milliseconds.
 */
const SLOW_FAILURE_MS = 10_000;
/** How long cleanup waits for a forced close; the reference needs a few milliseconds. */
const CLEANUP_WAIT_MS = 500;

const events = new EventLog();
afterAll(() => events.close());

const EMPTY: Partial<PoolStats> = { size: 0, idle: 0, busy: 0, queued: 0, starting: 0, alive: 0 };

/** A pool of WORKERS workers on the fixture app, created within the bound. */
function newPool(options: Partial<PoolOptions> = {}): Promise<WorkerPool> {
  return within(
    WorkerPool.create({ appModule: FIXTURE_APP, size: WORKERS, ...options }),
    `WorkerPool.create() of ${WORKERS} workers`,
    "step 06's pool starts this way: has something before close() changed?",
  );
}

/** One test's tasks, by label, and the gates it opened (so that cleanup opens the rest). */
class Tasks {
  readonly outcomes = new Outcomes<AppResponse | void>();
  readonly #gates: Gate[] = [];
  constructor(readonly pool: WorkerPool) {}

  run(label: string, path: string, init?: Partial<Omit<RequestData, "path">>): void {
    this.outcomes.track(label, this.pool.run(requestData(path, init)));
  }

  gate(): Gate {
    const gate = newGate();
    this.#gates.push(gate);
    return gate;
  }

  /** Runs one gated task per label and waits until each has started: every worker is held. */
  async hold(...labels: string[]): Promise<Gate[]> {
    const gates = labels.map((label) => {
      const gate = this.gate();
      this.run(label, `/gate/${gate.token}`);
      return gate;
    });
    await Promise.all(
      gates.map((gate, i) => {
        const label = labels[i] as string;
        // A task answered before its handler even started never reached a worker: say so at once.
        const answeredFirst = this.outcomes.of(label).then((outcome) => {
          throw new Error(`${label} was answered before its handler started: ${JSON.stringify(outcome)}`);
        });
        return within(
          Promise.race([events.waitForStart(gate.token), answeredFirst]),
          `the start of ${label}`,
          "a pool of 2 runs 2 tasks at once, as in step 03",
        );
      }),
    );
    return gates;
  }

  /** The answer's body for `label`, which must have succeeded with a 200. */
  async body(label: string, hint = ""): Promise<string> {
    const response = (await this.outcomes.value(label, hint)) as AppResponse;
    expect(response.status, `status of ${label}`).toBe(200);
    return response.body;
  }

  /** The error `label` failed with, which must be a PoolError with `status`. */
  async failure(label: string, status: number, hint = ""): Promise<PoolError> {
    const error = await this.outcomes.error(label, hint);
    expect(error instanceof PoolError, `${label} must fail with a PoolError (got ${String(error)})`).toBe(true);
    expect((error as PoolError).status, `status of ${label}'s error (${String(error)})`).toBe(status);
    return error as PoolError;
  }

  /** Lets every gated handler go and force-closes the pool (bounded), whatever the test left behind. */
  async cleanUp(): Promise<void> {
    for (const gate of this.#gates) gate.open();
    // Cleanup fails no test, and waits only briefly: a wrong implementation whose forced
    // stop never settles has already failed, and must fail fast.
    await within(this.pool.close({ force: true }), "cleanup", "", CLEANUP_WAIT_MS).catch(() => {});
  }
}

/** Lets a wrong pool's asynchronous mistakes (a rejection, a resolve) land before the test looks. */
function aTurnOfTheEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function expectEmpty(pool: WorkerPool, when: string): void {
  expect(pool.stats(), `stats() ${when}: no worker, no task, no thread left`).toMatchObject(EMPTY);
}

describe("close() drains: everything accepted is answered, then the threads end", () => {
  test("close() lets every running and queued task finish with its own answer, then resolves (2 running, 4 queued)", async () => {
    const tasks = new Tasks(await newPool());
    try {
      const [g1, g2] = (await tasks.hold("running 1", "running 2")) as [Gate, Gate];
      const g3 = tasks.gate();
      tasks.run("queued 1", `/gate/${g3.token}`);
      tasks.run("queued 2", "/fibonacci/20");
      tasks.run("queued 3", "/echo?from=queue", { method: "POST", body: "drain me", headers: { "x-step": "07" } });
      tasks.run("queued 4", "/busy/queued-4/15");
      expect(tasks.pool.stats().queued, "stats().queued: both workers are held, 4 tasks sent after them").toBe(4);

      tasks.outcomes.track("close()", tasks.pool.close());
      await aTurnOfTheEventLoop();
      tasks.outcomes.expectNoneSettled("Right after close(), with both workers still held at their gates");

      for (const gate of [g1, g2, g3]) gate.open();
      expect(await tasks.body("running 1")).toBe(`released ${g1.token}`);
      expect(await tasks.body("running 2")).toBe(`released ${g2.token}`);
      expect(await tasks.body("queued 1", "a queued task must still run once close() was called")).toBe(`released ${g3.token}`);
      expect(await tasks.body("queued 2")).toBe(JSON.stringify({ n: 20, fibonacci: 6765 }));
      expect(JSON.parse(await tasks.body("queued 3"))).toMatchObject({
        method: "POST",
        path: "/echo",
        query: { from: "queue" },
        body: "drain me",
        headers: { "x-step": "07" },
      });
      expect(JSON.parse(await tasks.body("queued 4"))).toEqual({ label: "queued-4", n: 15, fibonacci: 610 });

      await tasks.outcomes.value("close()", "close() must resolve once nothing is queued or running");
      expect(tasks.outcomes.settled.at(-1), "the last to settle: close() resolves after every task's answer").toBe("close()");
      expectEmpty(tasks.pool, "once close() has resolved");
    } finally {
      await tasks.cleanUp();
    }
  }, SLOW_FAILURE_MS);

  test("close() on an idle pool resolves once every worker thread has ended: stats().alive is 0 when it resolves", async () => {
    const pool = await newPool();
    const tasks = new Tasks(pool);
    try {
      expect(pool.stats().alive, "stats().alive of a fresh pool of 2").toBe(WORKERS);
      let aliveWhenResolved = -1;
      await within(
        pool.close().then(() => (aliveWhenResolved = pool.stats().alive)),
        "close() of an idle pool",
        "nothing runs: it only has to end the threads and wait for their `close` events",
      );
      expect(aliveWhenResolved, "stats().alive when close() resolved: terminate() only asks, the thread ends later").toBe(0);
      expectEmpty(pool, "once close() has resolved");
    } finally {
      await tasks.cleanUp();
    }
  }, SLOW_FAILURE_MS);

  test("a second close() during the drain waits for the same end: neither resolves before the last answer", async () => {
    const tasks = new Tasks(await newPool());
    try {
      const gates = await tasks.hold("running 1", "running 2");
      tasks.run("queued", "/fibonacci/22");
      tasks.outcomes.track("first close()", tasks.pool.close());
      let aliveAtSecond = -1;
      tasks.outcomes.track("second close()", tasks.pool.close().then(() => void (aliveAtSecond = tasks.pool.stats().alive)));
      await aTurnOfTheEventLoop();
      tasks.outcomes.expectNoneSettled("After two close() calls, with both workers still held");

      for (const gate of gates) gate.open();
      expect(await tasks.body("queued")).toBe(JSON.stringify({ n: 22, fibonacci: 17711 }));
      await tasks.outcomes.value("first close()");
      await tasks.outcomes.value("second close()", "a second close() must resolve when the first does");
      expect(tasks.outcomes.settled.slice(-2).sort(), "the last two to settle: both close() calls, after every task").toEqual([
        "first close()",
        "second close()",
      ]);
      expect(aliveAtSecond, "stats().alive when the second close() resolved").toBe(0);
      await within(tasks.pool.close(), "close() once the pool has closed", "it has nothing left to wait for");
    } finally {
      await tasks.cleanUp();
    }
  }, SLOW_FAILURE_MS);

  test("run() after close() is refused at once with PoolClosed (503), during the drain and after it", async () => {
    const pool = await newPool();
    const tasks = new Tasks(pool);
    try {
      const closing = pool.close();
      tasks.run("run() right after close()", "/fibonacci/5");
      const during = await tasks.failure("run() right after close()", 503, "a closing pool takes no new task, even with idle workers");
      expect(during, "run() right after close() must reject with a PoolClosed").toBeInstanceOf(PoolClosed);
      expect(during.message).toContain("shutting down");
      await within(closing, "close() of an idle pool");
      tasks.run("run() once closed", "/fibonacci/5");
      expect(await tasks.failure("run() once closed", 503), "run() once closed must reject with a PoolClosed").toBeInstanceOf(PoolClosed);
    } finally {
      await tasks.cleanUp();
    }
  }, SLOW_FAILURE_MS);
});

describe("close({ force: true }) does not wait", () => {
  test("close({ force: true }) answers every running and queued task with PoolClosed (503) at once, while their handlers still hold their workers", async () => {
    const tasks = new Tasks(await newPool());
    try {
      await tasks.hold("running 1", "running 2");
      const queued = ["queued 1", "queued 2", "queued 3"];
      tasks.run("queued 1", `/gate/${tasks.gate().token}`);
      tasks.run("queued 2", "/fibonacci/25");
      tasks.run("queued 3", "/echo", { method: "PUT", body: "never mind" });
      tasks.outcomes.track("close({ force: true })", tasks.pool.close({ force: true }));
      // No gate is opened: each answer below can only be the forced close's.
      for (const label of ["running 1", "running 2", ...queued]) {
        const error = await tasks.failure(label, 503, "a forced close answers every unfinished task at once");
        expect(error, `${label} must fail with a PoolClosed`).toBeInstanceOf(PoolClosed);
      }
      await tasks.outcomes.value("close({ force: true })", "a forced close resolves once the terminated threads have ended");
      expectEmpty(tasks.pool, "once close({ force: true }) has resolved");
    } finally {
      await tasks.cleanUp();
    }
  }, SLOW_FAILURE_MS);

  test("close({ force: true }) during a graceful close(): the unfinished tasks get PoolClosed at once, and both calls resolve", async () => {
    const tasks = new Tasks(await newPool());
    try {
      await tasks.hold("running 1", "running 2");
      tasks.run("queued 1", "/fibonacci/25");
      tasks.run("queued 2", `/gate/${tasks.gate().token}`);
      tasks.outcomes.track("graceful close()", tasks.pool.close());
      await aTurnOfTheEventLoop();
      tasks.outcomes.track("forced close()", tasks.pool.close({ force: true }));
      for (const label of ["running 1", "running 2", "queued 1", "queued 2"]) {
        expect(await tasks.failure(label, 503, "the forced close came while it was unfinished"), label).toBeInstanceOf(PoolClosed);
      }
      await tasks.outcomes.value("forced close()", "the graceful close() was waiting for these very tasks: they are answered now");
      await tasks.outcomes.value("graceful close()", "the graceful close() ends with the forced one");
      expectEmpty(tasks.pool, "once both close() calls have resolved");
    } finally {
      await tasks.cleanUp();
    }
  }, SLOW_FAILURE_MS);
});

describe("crashes and limits during the drain", () => {
  test("workers that crash during the drain: their tasks get 502 (WorkerCrashed), the task queued behind them its answer, and the drain ends", async () => {
    const tasks = new Tasks(await newPool());
    try {
      const gates = await tasks.hold("running 1", "running 2");
      tasks.run("crash 1", "/crash/exit");
      tasks.run("crash 2", "/crash/pending");
      tasks.run("queued after the crashes", "/fibonacci/18");
      tasks.outcomes.track("close()", tasks.pool.close());
      for (const gate of gates) gate.open();
      for (const [i, label] of ["running 1", "running 2"].entries()) expect(await tasks.body(label)).toBe(`released ${gates[i]?.token}`);
      for (const label of ["crash 1", "crash 2"]) {
        expect(await tasks.failure(label, 502, "a worker that dies is noticed during the drain too (step 05)"), label).toBeInstanceOf(WorkerCrashed);
      }
      expect(await tasks.body("queued after the crashes", "both workers died: only a replacement can run it")).toBe(
        JSON.stringify({ n: 18, fibonacci: 2584 }),
      );
      await tasks.outcomes.value("close()", "every task has its answer: the drain must end");
      expectEmpty(tasks.pool, "once close() has resolved");
    } finally {
      await tasks.cleanUp();
    }
  }, SLOW_FAILURE_MS);

  test("a task queued behind a crash during the drain is served by a replacement worker, while the other worker is still held", async () => {
    const tasks = new Tasks(await newPool());
    try {
      const [g1, g2] = (await tasks.hold("running 1", "running 2")) as [Gate, Gate];
      tasks.run("crash", "/crash/exit");
      tasks.run("queued behind the crash", "/fibonacci/21");
      tasks.outcomes.track("close()", tasks.pool.close());
      g1.open(); // the worker of "running 1" takes "crash" next, and dies of it
      expect(await tasks.body("running 1")).toBe(`released ${g1.token}`);
      expect(await tasks.failure("crash", 502)).toBeInstanceOf(WorkerCrashed);
      const { size, starting } = tasks.pool.stats();
      expect(size + starting, "stats().size + stats().starting once the crash was answered, a task still queued: the dead worker must be replaced (step 05), closing or not").toBe(WORKERS);
      expect(
        await tasks.body("queued behind the crash", "the other worker is held at its gate: a replacement must be started for it, closing or not"),
      ).toBe(JSON.stringify({ n: 21, fibonacci: 10946 }));
      expect(tasks.outcomes.settled, "what had settled while running 2 still held its worker").not.toContain("close()");
      g2.open();
      expect(await tasks.body("running 2")).toBe(`released ${g2.token}`);
      await tasks.outcomes.value("close()");
      expectEmpty(tasks.pool, "once close() has resolved: the replacement's thread has ended too");
    } finally {
      await tasks.cleanUp();
    }
  }, SLOW_FAILURE_MS);

  test("a replacement still starting when every task is done: close() waits for it, and ends its thread too", async () => {
    const start = controlledStart();
    const tasks = new Tasks(await newPool({ appModule: start.appModule }));
    try {
      const [g1, g2] = (await tasks.hold("running 1", "running 2")) as [Gate, Gate];
      tasks.run("crash", "/crash/exit");
      tasks.run("queued behind the crash", "/fibonacci/12");
      const replacement = start.hold(); // from now on, a worker loading the app waits at this gate
      tasks.outcomes.track("close()", tasks.pool.close());
      g1.open();
      expect(await tasks.body("running 1")).toBe(`released ${g1.token}`);
      expect(await tasks.failure("crash", 502)).toBeInstanceOf(WorkerCrashed);
      await within(events.waitForStart(replacement.loading), "the replacement's start", "a task still waits: it needs one");
      g2.open(); // the other worker serves the last task while the replacement is still loading
      expect(await tasks.body("running 2")).toBe(`released ${g2.token}`);
      expect(await tasks.body("queued behind the crash")).toBe(JSON.stringify({ n: 12, fibonacci: 144 }));
      replacement.gate.open();
      await tasks.outcomes.value("close()");
      // Had close() not waited for the replacement, it would join the pool after the end, and live on.
      expectEmpty(tasks.pool, "once close() has resolved: no replacement still starting, none left alive");
    } finally {
      await tasks.cleanUp();
      start.dispose();
    }
  }, SLOW_FAILURE_MS);

  test("a replacement that fails to start during the drain: the drain still ends", async () => {
    const start = controlledStart();
    const tasks = new Tasks(await newPool({ appModule: start.appModule }));
    try {
      const [g1, g2] = (await tasks.hold("running 1", "running 2")) as [Gate, Gate];
      tasks.run("crash", "/crash/exit");
      tasks.run("queued behind the crash", "/fibonacci/12");
      const replacement = start.hold();
      tasks.outcomes.track("close()", tasks.pool.close());
      g1.open();
      expect(await tasks.body("running 1")).toBe(`released ${g1.token}`);
      expect(await tasks.failure("crash", 502)).toBeInstanceOf(WorkerCrashed);
      await within(events.waitForStart(replacement.loading), "the replacement's start");
      g2.open();
      expect(await tasks.body("queued behind the crash")).toBe(JSON.stringify({ n: 12, fibonacci: 144 }));
      start.fail(); // the replacement, released, now fails to load: nothing is left to wait for
      replacement.gate.open();
      await tasks.outcomes.value("close()", "the failed start was the last thing the drain waited for");
      expectEmpty(tasks.pool, "once close() has resolved");
    } finally {
      await tasks.cleanUp();
      start.dispose();
    }
  }, SLOW_FAILURE_MS);

  test("the deadline still applies during the drain: a runaway task gets its 504, and the drain ends", async () => {
    // /loop never returns: its deadline (a product limit, not a measurement) is what ends it.
    const tasks = new Tasks(await newPool({ deadlineMs: (request) => (request.path === "/loop" ? 50 : 60_000) }));
    try {
      const [gate] = (await tasks.hold("running")) as [Gate];
      tasks.run("runaway", "/loop");
      tasks.outcomes.track("close()", tasks.pool.close());
      expect(await tasks.failure("runaway", 504, "close() must not turn off the limits of step 06")).toBeInstanceOf(DeadlineExceeded);
      expect(tasks.outcomes.settled, "settled while running still held its worker").not.toContain("close()");
      gate.open();
      expect(await tasks.body("running")).toBe(`released ${gate.token}`);
      await tasks.outcomes.value("close()");
      expectEmpty(tasks.pool, "once close() has resolved");
    } finally {
      await tasks.cleanUp();
    }
  }, SLOW_FAILURE_MS);
});
