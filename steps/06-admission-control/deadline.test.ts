// Step 06's tests, part 1: the deadline. Run them with `npm start -- check 06`.
//
// A task's run has a time limit, counted from when a worker starts it. `/loop` never returns,
// so any limit ends it: the tests give it a small one and every other route a generous one.
// These are settings, like a product's, not measures of speed. Where a test needs time to
// pass (a task kept waiting longer than its own deadline), the clock is a runaway's deadline:
// the pool's own timer, which cannot fire early, so nothing here depends on the machine's speed.

import { afterAll, describe, expect, test } from "bun:test";
import { FIXTURE_APP } from "#lib/app-modules.ts";
import type { AppResponse, RequestData } from "#lib/http-types.ts";
import { requestData } from "#lib/http.ts";
import { rejectionOf, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newGate } from "#lib/testing/gate.ts";
import { holdWorkers } from "#lib/testing/hold.ts";
import { get } from "#lib/testing/http.ts";
import { expectFullPool, withPool } from "#lib/testing/pool-checks.ts";
import { openWorkerCensus } from "#lib/testing/worker-census.ts";
import { DeadlineExceeded, WorkerCrashed } from "./pool-errors.ts";
import { WorkerPool, type PoolOptions } from "./pool.ts";
import { startServer } from "./server.ts";

const census = openWorkerCensus(); // before any pool starts a worker
const events = new EventLog();
afterAll(() => {
  events.close();
  census.stop();
  // A wrong pool's runaway, answered but never terminated, would burn a core for the rest of the run.
  for (const worker of census.started) if (!census.ended(worker)) worker.terminate();
});

/** The worker threads started from now on: a test's own, whatever earlier tests left ending. */
function threadsFromNow() {
  const from = census.started.length;
  const mine = () => census.started.slice(from);
  return { live: () => mine().filter((worker) => !census.ended(worker)).length, started: () => mine().length };
}

/** /loop gets `loopMs`; /fibonacci gets `quickMs` when given; everything else a generous minute. */
function deadlines(loopMs: number, quickMs?: number) {
  return (request: RequestData) => {
    if (request.path === "/loop") return loopMs;
    if (quickMs !== undefined && request.path.startsWith("/fibonacci/")) return quickMs;
    return 60_000;
  };
}

const pool = (options: Omit<PoolOptions, "appModule">) => () => WorkerPool.create({ appModule: FIXTURE_APP, ...options });
const run = (target: WorkerPool, path: string) => target.run(requestData(path));

/** The reason a runaway was refused with, checked to be the deadline's. */
async function expectDeadline(outcome: Promise<AppResponse>, what: string) {
  const error = await rejectionOf(outcome, what, "does each task get a timer when a worker starts it, which rejects it once its deadline passes?");
  expect(error instanceof DeadlineExceeded, `${what} was refused with ${describeError(error)}, not a DeadlineExceeded`).toBe(true);
  expect((error as DeadlineExceeded).status, `${what}: the status the client gets`).toBe(504);
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

describe("a deadline on each task's run", () => {
  test("a runaway is refused with DeadlineExceeded (504), and its worker replaced: the pool is back at full size", async () => {
    const threads = threadsFromNow();
    await withPool(pool({ size: 2, deadlineMs: deadlines(50) }), async (target) => {
      await expectDeadline(run(target, "/loop"), "pool.run(/loop), under a 50 ms deadline");
      await expectFullPool(target, 2, events, { threads, after: "after one runaway" });
    });
  });

  test("the next tasks after a runaway are served by its replacement, a new thread", async () => {
    await withPool(pool({ size: 1, deadlineMs: deadlines(50) }), async (target) => {
      const before = JSON.parse((await within(run(target, "/thread"), "pool.run(/thread)")).body) as { threadId: number };
      await expectDeadline(run(target, "/loop"), "pool.run(/loop), under a 50 ms deadline");
      const hint = "the runaway's worker must be terminated, and a replacement must take the next tasks";
      const after = JSON.parse((await within(run(target, "/thread"), "pool.run(/thread) after the runaway", hint)).body) as { threadId: number };
      expect(after.threadId, "the thread that answers after the runaway (the same as before means nothing was replaced)").not.toBe(before.threadId);
      const answers = await within(Promise.all([20, 21, 22].map((n) => run(target, `/fibonacci/${n}`))), "three tasks after the runaway", hint);
      expect(answers.map((a) => a.body)).toEqual([
        JSON.stringify({ n: 20, fibonacci: 6765 }),
        JSON.stringify({ n: 21, fibonacci: 10946 }),
        JSON.stringify({ n: 22, fibonacci: 17711 }),
      ]);
    });
  });

  test("runaways in a row, one after another and more at once than workers, leave the pool at full size, no thread left behind", async () => {
    const threads = threadsFromNow();
    await withPool(pool({ size: 2, deadlineMs: deadlines(50) }), async (target) => {
      for (let i = 1; i <= 3; i++) await expectDeadline(run(target, "/loop"), `runaway ${i} of 3 in a row`);
      const together = [1, 2, 3].map(() => run(target, "/loop"));
      for (const [i, outcome] of together.entries()) await expectDeadline(outcome, `runaway ${i + 1} of 3 sent at once to 2 workers`);
      await expectFullPool(target, 2, events, { threads, after: "after six runaways" });
      expect(threads.started(), "worker threads started: 2 at creation plus one replacement per runaway").toBe(2 + 6);
    });
  });

  test("a plain number is a deadline for every task", async () => {
    await withPool(pool({ size: 2, deadlineMs: 500 }), async (target) => {
      await expectDeadline(run(target, "/loop"), "pool.run(/loop), under `deadlineMs: 500`");
      const answer = await within(run(target, "/fibonacci/20"), "pool.run(/fibonacci/20) after the runaway");
      expect(answer.body).toBe(JSON.stringify({ n: 20, fibonacci: 6765 }));
    });
  });

  test("the deadline function is asked for each task's own limit: a runaway and a long task side by side", async () => {
    const asked: string[] = [];
    // The limit comes from the request itself: a header the test sets.
    const deadlineMs = (request: RequestData) => {
      asked.push(request.path);
      return Number(request.headers["x-deadline-ms"] ?? 60_000);
    };
    await withPool(pool({ size: 2, deadlineMs }), async (target) => {
      const loop = target.run(requestData("/loop", { headers: { "x-deadline-ms": "50" } }));
      const long = target.run(requestData("/busy/long/27", { headers: { "x-deadline-ms": "60000" } }));
      long.catch(() => {}); // looked at below
      await expectDeadline(loop, "/loop, whose request asks for 50 ms");
      const answer = await within(long, "/busy/long/27, whose request asks for 60 s");
      expect(JSON.parse(answer.body), "/busy/long/27's answer").toMatchObject({ label: "long", fibonacci: 196418 });
      expect([...new Set(asked)].sort(), "the paths deadlineMs(request) was called with").toEqual(["/busy/long/27", "/loop"]);
    });
  });

  test("the deadline counts from when a worker starts the task, not from its arrival", async () => {
    // One worker. The runaway takes it at once, and its 600 ms deadline is the clock: a held
    // task sent right behind it waits at least that long, more than its own 500 ms deadline,
    // then starts on the replacement. Its deadline is about its run: once it has started, a
    // second clock (a runaway in another pool, 100 ms) passes, and it must still be running.
    const deadlineMs = (request: RequestData) => (request.path === "/loop" ? 600 : request.path.startsWith("/gate/") ? 500 : 60_000);
    await withPool(pool({ size: 1, deadlineMs }), async (target) => {
      await withPool(pool({ size: 1, deadlineMs: 100 }), async (clockPool) => {
        const gate = newGate();
        try {
          const runaway = run(target, "/loop");
          let outcome: string | undefined;
          const settledAs = () => outcome; // read later: the task settles in a callback
          const behind = run(target, `/gate/${gate.token}`).then(
            (response) => (outcome = `answered ${response.body}`),
            (error: unknown) => (outcome = `refused with ${describeError(error)}`),
          );
          await expectDeadline(runaway, "the runaway (600 ms deadline)");
          await within(
            Promise.race([events.waitForStart(gate.token), behind]),
            "the start of the task queued behind the runaway",
            "the runaway's worker must be replaced, and the task then run",
          );
          await expectDeadline(run(clockPool, "/loop"), "the second clock: a runaway under 100 ms, in a pool of its own, started once the queued task had started");
          if (settledAs() !== undefined) {
            throw new Error(
              `the task queued behind the runaway waited over 600 ms, then started, and was ${settledAs()} within 100 ms of its start. ` +
                "Its 500 ms deadline must count from when a worker starts it, not from its arrival: waiting has its own limit (queueWaitMs).",
            );
          }
          gate.open();
          await within(behind, "the task queued behind the runaway, once its gate was opened");
          expect(settledAs(), "the task queued behind the runaway").toBe(`answered released ${gate.token}`);
        } finally {
          gate.open();
        }
      });
    });
  });

  test("a task answered in time leaves no deadline behind: it does not fire later on the worker's next task", async () => {
    // One worker: a quick task (500 ms deadline) is answered, then a held task (no tight
    // limit) takes the same worker. Only then does a runaway start in a second pool, under a
    // 500 ms deadline too: when its 504 arrives, the quick task's 500 ms are past for sure. Had
    // that deadline been left pending, it would have fired by now, on the held task's worker.
    await withPool(pool({ size: 1, deadlineMs: deadlines(60_000, 500) }), async (target) => {
      await withPool(pool({ size: 1, deadlineMs: 500 }), async (clockPool) => {
        const quick = await within(run(target, "/fibonacci/20"), "pool.run(/fibonacci/20), a quick task under a 500 ms deadline");
        expect(quick.body).toBe(JSON.stringify({ n: 20, fibonacci: 6765 }));
        const held = await holdWorkers(events, 1, (path) => run(target, path), "the quick task's worker must be free once it answered");
        try {
          await expectDeadline(run(clockPool, "/loop"), "the clock: a runaway under a 500 ms deadline, in a pool of its own, started after the quick task's answer");
          expect(held.settled, "held tasks already settled when the clock's 504 arrived (the quick task's old deadline must not end its worker's next task)").toEqual([]);
          const answers = await held.release();
          expect(answers.map((a) => a.body)).toEqual(held.expected);
        } finally {
          held.open();
        }
      });
    });
  });

  test("a task whose worker crashed leaves no deadline behind: it does not fire later, and the pool does not grow", async () => {
    // The crash is answered at once (502). Its task had a 500 ms deadline. A runaway started
    // after that answer, under a 500 ms deadline too, is the clock: when its 504 arrives, the
    // crashed task's deadline is past for sure. Had its timer been left pending, it would have
    // fired on a worker already gone, and replaced it a second time.
    const deadlineMs = (request: RequestData) => (request.path === "/loop" || request.path === "/crash/exit" ? 500 : 60_000);
    const threads = threadsFromNow();
    await withPool(pool({ size: 2, deadlineMs }), async (target) => {
      const crash = await rejectionOf(run(target, "/crash/exit"), "pool.run(/crash/exit)", "a crash is answered at once (step 05)");
      expect(crash instanceof WorkerCrashed, `/crash/exit was refused with ${describeError(crash)}`).toBe(true);
      await expectDeadline(run(target, "/loop"), "the clock: a runaway under a 500 ms deadline, started after the crash was answered");
      await expectFullPool(target, 2, events, { threads, after: "after a crash and a runaway" });
      expect(threads.started(), "worker threads started: 2 at creation, one replacement for the crash and one for the runaway").toBe(4);
    });
  });

  test("a task queued behind a crash is served by the replacement, as in step 05", async () => {
    await withPool(pool({ size: 1, deadlineMs: deadlines(50) }), async (target) => {
      const crash = run(target, "/crash/exit");
      const behind = run(target, "/fibonacci/20");
      behind.catch(() => {}); // looked at below
      const error = await rejectionOf(crash, "pool.run(/crash/exit)");
      expect(error instanceof WorkerCrashed, `/crash/exit was refused with ${describeError(error)}`).toBe(true);
      const answer = await within(
        behind.catch((reason: unknown) => {
          throw new Error(`the task queued behind the crash was refused with ${describeError(reason)}: only a live worker may take a task`);
        }),
        "the task queued behind the crash",
        "a dead worker must not come back among the idle ones; the replacement takes the task",
      );
      expect(answer.body).toBe(JSON.stringify({ n: 20, fibonacci: 6765 }));
    });
  });

  test("a task that computes for a moment is not cut off by the default deadline (deadlineMs left out)", async () => {
    await withPool(pool({ size: 2 }), async (target) => {
      const outcome = run(target, "/busy/default/30");
      const answer = await within(outcome, "pool.run(/busy/default/30) with the default deadline", "the default deadline is 20 s");
      expect(JSON.parse(answer.body), "fib(30) under the default deadline").toMatchObject({ fibonacci: 832040 });
    });
  });
});

describe("the deadline over HTTP", () => {
  test("a runaway is answered 504, and the server goes on serving with all its workers", async () => {
    const server = await within(
      startServer({ appModule: FIXTURE_APP, port: 0, workers: 2, deadlineMs: deadlines(50), log: () => {} }),
      "startServer()",
    );
    try {
      const answer = await within(get(server.url, "/loop"), "GET /loop under a 50 ms deadline", "a DeadlineExceeded must become its 504");
      expect(answer.status, `GET /loop's status (body: ${answer.body})`).toBe(504);
      expect(answer.body).toContain("deadline");
      expect(answer.headers.get("retry-after"), "Retry-After on a 504 (the same request would run past its deadline again)").toBeNull();
      const paths = [10, 11, 12, 13].map((n) => `/fibonacci/${n}`);
      const answers = await within(Promise.all(paths.map((path) => get(server.url, path))), "four requests after the runaway");
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
      const held = await holdWorkers(events, 2, (path) => get(server.url, path), "both workers must take a request after the runaway");
      expect((await held.release()).map((a) => a.body)).toEqual(held.expected);
    } finally {
      await within(server.stop(), "server.stop()");
    }
  });

  test("a worker that crashes is still answered 502, as in step 05", async () => {
    const server = await within(startServer({ appModule: FIXTURE_APP, port: 0, workers: 2, log: () => {} }), "startServer()");
    try {
      const answer = await within(get(server.url, "/crash/exit"), "GET /crash/exit");
      expect(answer.status, `GET /crash/exit's status (body: ${answer.body})`).toBe(502);
      expect(answer.body).toContain("crashed");
      expect(answer.headers.get("retry-after"), "Retry-After on a 502 (WorkerCrashed has no retryAfterSeconds)").toBeNull();
    } finally {
      await within(server.stop(), "server.stop()");
    }
  });
});
