// Step 06's tests, part 2: the queue's limits. Run them with `npm start -- check 06`.
//
// Every worker is held busy at a gate (`/gate/<token>`: the handler announces its start, then
// keeps its thread until the test opens the gate), so the queue behind them fills on any
// machine. "At once" means: answered while every held task is still unanswered. Where a task
// must wait past a limit, the limit is a small setting (a product's choice, not a speed), and
// where time must be seen to pass, a runaway's deadline is the clock.

import { afterAll, describe, expect, test } from "bun:test";
import { FIXTURE_APP } from "#lib/app-modules.ts";
import type { AppResponse, RequestData } from "#lib/http-types.ts";
import { requestData } from "#lib/http.ts";
import { rejectionOf, until, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newGate } from "#lib/testing/gate.ts";
import { holdWorkers } from "#lib/testing/hold.ts";
import { get } from "#lib/testing/http.ts";
import { expectFullPool, withPool } from "#lib/testing/pool-checks.ts";
import { rawRequest } from "#lib/testing/raw-http.ts";
import { DeadlineExceeded, QueueFull, QueueTimeout } from "./pool-errors.ts";
import { WorkerPool, type PoolOptions } from "./pool.ts";
import { startServer, type PoolServer, type ServerOptions } from "./server.ts";

const events = new EventLog();
afterAll(() => events.close());

const pool = (options: Omit<PoolOptions, "appModule">) => () => WorkerPool.create({ appModule: FIXTURE_APP, ...options });
const run = (target: WorkerPool, path: string) => target.run(requestData(path));
/** A task that announces its label when it starts, then computes for a moment. */
const labelled = (label: string) => `/busy/${label}/5`;
const labelOf = (response: AppResponse) => (JSON.parse(response.body) as { label: string }).label;

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function expectRefusal(outcome: Promise<AppResponse>, kind: typeof QueueFull | typeof QueueTimeout, what: string, hint: string) {
  const error = await rejectionOf(outcome, what, hint);
  expect(error instanceof kind, `${what} was refused with ${describeError(error)}, not a ${kind.name}`).toBe(true);
  expect((error as QueueFull).status, `${what}: the status the client gets`).toBe(503);
}

/** Runs `paths`, all of them, and answers with their outcomes in order (bounded). */
function settleAll(outcomes: Promise<AppResponse>[], what: string) {
  return within(Promise.allSettled(outcomes), what, "every task the pool accepted must be answered once a worker is free");
}

describe("a bounded queue", () => {
  test("exactly maxQueue tasks may wait: one more is refused at once with QueueFull (503) while every worker is busy", async () => {
    await withPool(pool({ size: 2, maxQueue: 3 }), async (target) => {
      const held = await holdWorkers(events, 2, (path) => run(target, path));
      try {
        const waiting = ["q1", "q2", "q3"].map((label) => run(target, labelled(label)));
        for (const outcome of waiting) outcome.catch(() => {}); // looked at below
        expect(target.stats().queued, "stats().queued with 3 tasks waiting and maxQueue 3").toBe(3);
        const refused = run(target, labelled("refused"));
        await expectRefusal(refused, QueueFull, "the 4th task to wait, with maxQueue 3", "a task that finds maxQueue tasks already waiting must be refused at once");
        expect(held.settled, "held tasks answered before the refusal (it must not wait for a worker)").toEqual([]);
        expect(target.stats().queued, "stats().queued after the refusal (the refused task must not stay queued)").toBe(3);
        const answers = await held.release();
        expect(answers.map((a) => a.body)).toEqual(held.expected);
        const results = await settleAll(waiting, "the 3 tasks that were let wait");
        expect(results.map((r) => (r.status === "fulfilled" ? labelOf(r.value) : describeError(r.reason))), "the waiting tasks' answers").toEqual(["q1", "q2", "q3"]);
        await expectFullPool(target, 2, events, { after: "after the queue emptied" });
        expect(events.started, "tasks that started (the refused one must never run)").not.toContain("refused");
      } finally {
        held.open();
      }
    });
  });

  test("tasks start in the order they were queued: six behind a held worker", async () => {
    await withPool(pool({ size: 2, maxQueue: 8 }), async (target) => {
      const first = await holdWorkers(events, 1, (path) => run(target, path));
      const second = await holdWorkers(events, 1, (path) => run(target, path));
      try {
        const labels = ["f1", "f2", "f3", "f4", "f5", "f6"];
        const answered: string[] = [];
        const waiting = labels.map((label) => run(target, labelled(label)).finally(() => answered.push(label)));
        for (const outcome of waiting) outcome.catch(() => {}); // looked at below
        // One worker freed: it runs the queued tasks one at a time, so they are answered in the
        // order they started.
        await first.release();
        const results = await settleAll(waiting, "the six queued tasks, run by the one free worker");
        const failed = results.flatMap((r, i) => (r.status === "rejected" ? [`${labels[i]}: ${describeError(r.reason)}`] : []));
        expect(failed, "queued tasks that were refused (maxQueue is 8)").toEqual([]);
        const misplaced = answered.findIndex((label, i) => label !== labels[i]);
        const detail =
          misplaced < 0
            ? "in order"
            : `task ${answered[misplaced]} ran before task ${labels[misplaced]}, which was queued first (FIFO: the oldest waiting task goes first)`;
        expect(answered, `the order the queued tasks ran in, on the one free worker: ${detail}`).toEqual(labels);
        await second.release();
      } finally {
        first.open();
        second.open();
      }
    });
  });

  test("with maxQueue 0 no task may wait: one is refused at once while every worker is busy, and the pool then serves", async () => {
    await withPool(pool({ size: 2, maxQueue: 0 }), async (target) => {
      const held = await holdWorkers(events, 2, (path) => run(target, path));
      try {
        await expectRefusal(run(target, labelled("none")), QueueFull, "a task sent while both workers are busy, with maxQueue 0", "maxQueue 0: no task may wait");
        expect(held.settled, "held tasks answered before the refusal").toEqual([]);
        await held.release();
        await expectFullPool(target, 2, events, { after: "after the refusal" });
      } finally {
        held.open();
      }
    });
  });

  test("the default maxQueue is 256: 256 tasks wait behind two held workers, the 257th is refused", async () => {
    await withPool(pool({ size: 2 }), async (target) => {
      const held = await holdWorkers(events, 2, (path) => run(target, path));
      try {
        const waiting = Array.from({ length: 256 }, () => run(target, "/fibonacci/1"));
        for (const outcome of waiting) outcome.catch(() => {}); // looked at below
        expect(target.stats().queued, "stats().queued after 256 tasks were sent behind two held workers").toBe(256);
        await expectRefusal(run(target, "/fibonacci/2"), QueueFull, "the 257th task to wait, with maxQueue left out", "the default maxQueue is 256");
        await held.release();
        const results = await settleAll(waiting, "the 256 waiting tasks");
        const refused = results.filter((r) => r.status === "rejected").length;
        expect(refused, "waiting tasks refused (all 256 fit in the default queue, and the default wait is 20 s)").toBe(0);
        await expectFullPool(target, 2, events, { after: "after the 256 tasks" });
      } finally {
        held.open();
      }
    });
  });
});

describe("a limit on the wait", () => {
  test("a task that waits longer than queueWaitMs is refused with QueueTimeout (503) while every worker is busy, and never runs", async () => {
    await withPool(pool({ size: 2, queueWaitMs: 100 }), async (target) => {
      const held = await holdWorkers(events, 2, (path) => run(target, path));
      try {
        const waiting = ["w1", "w2"].map((label) => run(target, labelled(label)));
        for (const outcome of waiting) outcome.catch(() => {}); // looked at below
        for (const [i, outcome] of waiting.entries()) {
          await expectRefusal(outcome, QueueTimeout, `task w${i + 1}, waiting behind two held workers with queueWaitMs 100`, "each waiting task needs a timer that refuses it once queueWaitMs has passed");
        }
        expect(held.settled, "held tasks answered before the refusals (they must not wait for a worker)").toEqual([]);
        expect(target.stats().queued, "stats().queued after both waiting tasks were refused (they must leave the queue)").toBe(0);
        await held.release();
        await expectFullPool(target, 2, events, { after: "after the refusals" });
        expect(events.started.filter((label) => label === "w1" || label === "w2"), "refused tasks that ran anyway").toEqual([]);
      } finally {
        held.open();
      }
    });
  });

  test("when a waiting task is refused, the tasks queued after it keep their places", async () => {
    // One held worker; k1 waits (queueWaitMs 600). A second pool's runaway (300 ms deadline) is
    // the clock: once it ends, k2 joins the queue. k1 is refused at its 600 ms, when k2 has
    // waited less than 300 ms: k2 must still be waiting, and run once the worker is free.
    await withPool(pool({ size: 1, queueWaitMs: 600 }), async (target) => {
      await withPool(pool({ size: 1, deadlineMs: 300 }), async (clockPool) => {
        const held = await holdWorkers(events, 1, (path) => run(target, path));
        try {
          const k1 = run(target, labelled("k1"));
          k1.catch(() => {}); // looked at below
          const clock = await rejectionOf(run(clockPool, "/loop"), "the clock: a runaway under a 300 ms deadline, in a pool of its own");
          expect(clock instanceof DeadlineExceeded, `the clock ended with ${describeError(clock)}`).toBe(true);
          const k2 = run(target, labelled("k2"));
          k2.catch(() => {}); // looked at below
          await expectRefusal(k1, QueueTimeout, "k1, waiting 600 ms behind the held worker", "a task past queueWaitMs must be refused");
          expect(target.stats().queued, "tasks still waiting once k1 was refused (k2 must be)").toBe(1);
          await held.release();
          const answer = await within(k2, "k2, queued after k1 and waiting less than its limit", "the refused task must leave the queue, and only it");
          expect(labelOf(answer)).toBe("k2");
          expect(events.started, "tasks that started (k1 was refused: it must never run)").not.toContain("k1");
        } finally {
          held.open();
        }
      });
    });
  });

  test("a task that waited, then started, is not refused later by its wait limit", async () => {
    // One worker, held; a gated task waits behind it (queueWaitMs 500) and starts as soon as
    // the first gate opens. Only then does a runaway start in a second pool, under a 500 ms
    // deadline: when its 504 arrives, the gated task's 500 ms since it was queued are past for
    // sure. A wait timer left running would have refused it by now, though it is running.
    await withPool(pool({ size: 1, queueWaitMs: 500 }), async (target) => {
      await withPool(pool({ size: 1, deadlineMs: 500 }), async (clockPool) => {
        const first = await holdWorkers(events, 1, (path) => run(target, path));
        const gate = newGate();
        let settled = false;
        const second = run(target, `/gate/${gate.token}`).finally(() => (settled = true));
        second.catch(() => {}); // looked at below
        try {
          await first.release();
          await within(events.waitForStart(gate.token), "the waiting task's start, once the worker was free", "a task must start as soon as a worker is free");
          const clock = await rejectionOf(run(clockPool, "/loop"), "the clock: a runaway under a 500 ms deadline, in a pool of its own");
          expect(clock instanceof DeadlineExceeded, `the clock ended with ${describeError(clock)}`).toBe(true);
          expect(settled, "the task that waited, then started, was already settled when the clock's 504 arrived (its wait timer must stop when it leaves the queue)").toBe(false);
          gate.open();
          const answer = await within(second, "the task that waited, then started");
          expect(answer.body).toBe(`released ${gate.token}`);
        } finally {
          first.open();
          gate.open();
        }
      });
    });
  });

  test("the default wait limit lets a task wait behind a runaway (queueWaitMs left out)", async () => {
    const deadlineMs = (request: RequestData) => (request.path === "/loop" ? 200 : 60_000);
    await withPool(pool({ size: 1, deadlineMs }), async (target) => {
      const runaway = run(target, "/loop");
      runaway.catch(() => {}); // looked at below
      const behind = run(target, "/fibonacci/20");
      behind.catch(() => {}); // looked at below
      await rejectionOf(runaway, "the runaway (200 ms deadline)");
      const answer = await within(behind, "the task queued behind the runaway", "the default queueWaitMs is 20 s: it must not refuse a task that waited a moment");
      expect(answer.body).toBe(JSON.stringify({ n: 20, fibonacci: 6765 }));
    });
  });
});

describe("the queue's limits over HTTP", () => {
  async function serve(options: Omit<ServerOptions, "appModule">): Promise<PoolServer> {
    return within(startServer({ appModule: FIXTURE_APP, port: 0, log: () => {}, ...options }), "startServer()");
  }

  test("a full queue is answered 503 with Retry-After at once, while every worker is busy", async () => {
    const server = await serve({ workers: 2, maxQueue: 2 });
    const held = await holdWorkers(events, 2, (path) => get(server.url, path));
    try {
      const waiting = ["h1", "h2"].map((label) => get(server.url, labelled(label)));
      for (const outcome of waiting) outcome.catch(() => {}); // looked at below
      await until(() => server.stats().queued === 2, "two requests waiting in the queue", () => `stats() says ${JSON.stringify(server.stats())}`);
      const refused = await within(get(server.url, labelled("h3")), "the request that finds the queue full", "QueueFull must become an answer at once");
      expect(refused.status, `the refused request's status (body: ${refused.body})`).toBe(503);
      expect(refused.headers.get("retry-after"), "the refused request's Retry-After header (the error's retryAfterSeconds)").toBe("1");
      expect(held.settled, "held requests answered before the refusal (it must not wait for a worker)").toEqual([]);
      await held.release();
      const answers = await within(Promise.all(waiting), "the two requests that waited");
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
    } finally {
      held.open();
      await within(server.stop(), "server.stop()");
    }
  });

  test("a request that waits too long is answered 503 with Retry-After, while every worker is busy", async () => {
    const server = await serve({ workers: 2, queueWaitMs: 100 });
    const held = await holdWorkers(events, 2, (path) => get(server.url, path));
    try {
      const refused = await within(get(server.url, labelled("late")), "a request waiting behind two held workers (queueWaitMs 100)", "QueueTimeout must become an answer");
      expect(refused.status, `its status (body: ${refused.body})`).toBe(503);
      expect(refused.headers.get("retry-after"), "its Retry-After header (the error's retryAfterSeconds)").toBe("1");
      expect(held.settled, "held requests answered before the refusal").toEqual([]);
      await held.release();
    } finally {
      held.open();
      await within(server.stop(), "server.stop()");
    }
  });

  test("with the limits left out, 256 requests wait and the 257th gets 503 with Retry-After; a request computing for a moment is answered", async () => {
    // fetch keeps at most 256 requests in flight: the waiting ones go over raw sockets.
    const server = await serve({ workers: 2 });
    const held = await holdWorkers(events, 2, (path) => get(server.url, path));
    try {
      const waiting = Array.from({ length: 256 }, () => rawRequest(server.url, { path: "/fibonacci/1" }));
      for (const outcome of waiting) outcome.catch(() => {}); // looked at below
      await until(
        () => server.stats().queued === 256,
        "256 requests waiting in the queue, with maxQueue left out (default 256)",
        () => `stats() says ${JSON.stringify(server.stats())}`,
      );
      const refused = await within(get(server.url, "/fibonacci/2"), "the 257th waiting request");
      expect(refused.status, `the 257th request's status (body: ${refused.body})`).toBe(503);
      expect(refused.headers.get("retry-after"), "its Retry-After header").toBe("1");
      await held.release();
      const answers = await within(Promise.all(waiting), "the 256 requests that waited");
      const statuses = answers.reduce<Record<number, number>>((count, a) => ({ ...count, [a.status]: (count[a.status] ?? 0) + 1 }), {});
      expect(statuses, "statuses of the 256 requests that waited (the default wait is 20 s)").toEqual({ 200: 256 });
      const computed = await within(get(server.url, "/busy/served/30"), "GET /busy/served/30 with the default deadline");
      expect(computed.status, `its status (body: ${computed.body})`).toBe(200);
    } finally {
      held.open();
      await within(server.stop(), "server.stop()");
    }
  });
});
