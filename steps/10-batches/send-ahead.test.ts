// Step 10's tests, part 3: where the pool sends each task, and what stats() says, now that a
// worker holds batches. Run them with `npm start -- check 10`.
//
// Scheduling is step 09's: an idle worker always gets the oldest task first; when none is idle,
// a task goes ahead to the busy worker holding the fewest tasks, if it holds fewer than
// `tasksPerWorker` (32 unless told), else it waits in the pool's queue. What changes is what a
// worker holds: batches, one per turn of the event loop in which it was handed tasks. The first
// batch not fully answered is the one it runs (even while it is still being filled, for a worker
// that was idle); the ones behind it wait. So:
//
//   - a worker's tasks count every batch it holds, sent or still being filled, for tasksPerWorker;
//   - stats(): `busy` workers hold at least one task, `ahead` counts the tasks in the batches
//     BEHIND the running one, `queued` those in the pool's queue;
//   - a worker starts its next batch, or is free again, before its batch's callers hear their answers.
//
// Workers are held busy at gates (`/gate/<token>` keeps its thread until the test opens it), so
// "every worker busy" lasts as long as the test wants, on any machine. Nothing is timed.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { FIXTURE_APP } from "#lib/app-modules.ts";
import { rejectionOf, until, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { holdWorkers } from "#lib/testing/hold.ts";
import { get } from "#lib/testing/http.ts";
import { describeError, PoolTasks } from "#lib/testing/pool-tasks.ts";
import { wireRequest } from "#lib/testing/wire-tasks.ts";
import { openPostLog, requestMessages } from "#lib/testing/post-log.ts";
import { openWorkerCensus } from "#lib/testing/worker-census.ts";
import { WorkerPool, type PoolOptions, type PoolStats } from "./pool.ts";
import { startServer, type PoolServer } from "./server.ts";

const events = new EventLog();
afterAll(() => events.close());

let current: PoolTasks | undefined;
afterEach(async () => {
  await current?.cleanUp();
  current = undefined;
});

/** A pool on the fixture app, created within the bound, and the book of this test's tasks on it. */
async function newTasks(options: Omit<PoolOptions, "appModule">): Promise<PoolTasks> {
  const pool = await within(
    WorkerPool.create({ appModule: FIXTURE_APP, ...options }),
    `WorkerPool.create(${JSON.stringify(options)})`,
    "does every worker answer `init`, as in step 09?",
  );
  current = new PoolTasks(pool, events);
  return current;
}

const statsOf = (tasks: PoolTasks) => (tasks.pool as WorkerPool).stats();
const labels = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);

/** Lets a wrong pool's asynchronous mistakes (a rejection, a late dispatch) land before the test looks. */
function aTurnOfTheEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What a pool of `size` reports at rest: every worker idle, no task anywhere. */
const atRest = (size: number): Partial<PoolStats> => ({ size, idle: size, busy: 0, queued: 0, ahead: 0, starting: 0 });

async function expectAllAnswered(tasks: PoolTasks, names: string[], hint = "every task sent ahead or queued must be answered once its worker is free") {
  expect(await tasks.outcomesOf(names, hint), "the tasks' outcomes").toEqual(names.map((name) => `${name}: 200 ${name}`));
}

describe("an idle worker first; then ahead, to the busy worker holding the fewest tasks", () => {
  test("while a worker is idle, the next task goes to it: nothing is sent ahead (2 workers, 1 held)", async () => {
    const tasks = await newTasks({ size: 2 });
    await tasks.hold(["held"]);
    tasks.labelled("next");
    expect(
      statsOf(tasks),
      "stats() right after a task was sent to a pool of 2 with one worker held: the idle worker must take it (a task sent ahead to the held worker would wait behind it)",
    ).toMatchObject({ size: 2, idle: 0, busy: 2, ahead: 0, queued: 0 });
    await tasks.expectAnswered("next", "it must run on the idle worker while the held one is still held");
    expect(tasks.outcomes.settled, "tasks answered while the held task's gate was still closed").toEqual(["next"]);
    expect(statsOf(tasks), "stats() once `next` was answered, the other worker still held").toMatchObject({ size: 2, idle: 1, busy: 1, ahead: 0, queued: 0 });
    tasks.open("held");
    expect(await tasks.outcome("held")).toBe("200 released held");
    expect(statsOf(tasks), "stats() once every task was answered").toMatchObject(atRest(2));
  });

  test("with every worker busy, tasks are sent ahead, each to the worker holding the fewest: 4 tasks behind 2 held workers go 2 and 2", async () => {
    const tasks = await newTasks({ size: 2 });
    await tasks.hold(["held 1", "held 2"]);
    const ahead = labels("t", 4);
    tasks.labelled(...ahead);
    expect(statsOf(tasks), "stats() after 4 tasks were sent to a pool of 2 held workers (tasksPerWorker 32 by default: all 4 go ahead)").toMatchObject({
      size: 2,
      idle: 0,
      busy: 2,
      ahead: 4,
      queued: 0,
    });
    tasks.open("held 1");
    await until(
      () => statsOf(tasks).idle === 1,
      "the first held worker free again, its tasks done",
      () => `stats() says ${JSON.stringify(statsOf(tasks))}`,
    );
    const answered = tasks.settledAmong(ahead);
    expect(
      answered.length,
      `tasks sent ahead that were answered once only the first held worker was free (${answered.join(", ") || "none"}): each task goes ahead to the busy worker holding the fewest tasks, so 2 of the 4 went to each worker`,
    ).toBe(2);
    expect(statsOf(tasks), "stats() with the second worker still held: it holds its own task and the 2 sent ahead to it").toMatchObject({
      size: 2,
      idle: 1,
      busy: 1,
      ahead: 2,
      queued: 0,
    });
    tasks.open("held 2");
    await expectAllAnswered(tasks, ahead);
    expect(statsOf(tasks), "stats() once every task was answered").toMatchObject(atRest(2));
  });

  test("a worker holds at most tasksPerWorker tasks, the one it runs included: the rest wait in the pool's queue (tasksPerWorker 3, 2 held workers, 10 tasks)", async () => {
    const tasks = await newTasks({ size: 2, tasksPerWorker: 3 });
    await tasks.hold(["held 1", "held 2"]);
    const sent = labels("t", 10);
    tasks.labelled(...sent);
    expect(statsOf(tasks), "stats() after 10 tasks behind 2 held workers, tasksPerWorker 3: 2 more each went ahead, 6 wait in the queue").toMatchObject({
      size: 2,
      idle: 0,
      busy: 2,
      ahead: 4,
      queued: 6,
    });
    tasks.open("held 1");
    tasks.open("held 2");
    await expectAllAnswered(tasks, sent);
    expect(statsOf(tasks), "stats() once all 12 tasks were answered").toMatchObject(atRest(2));
  });

  test("tasksPerWorker is 32 unless told: behind 2 held workers, 31 more each go ahead and the rest wait in the queue (70 tasks)", async () => {
    const tasks = await newTasks({ size: 2 });
    await tasks.hold(["held 1", "held 2"]);
    const sent = labels("t", 70);
    tasks.labelled(...sent);
    expect(statsOf(tasks), "stats() after 70 tasks behind 2 held workers, tasksPerWorker left out (32)").toMatchObject({ busy: 2, ahead: 62, queued: 8 });
    tasks.open("held 1");
    tasks.open("held 2");
    await expectAllAnswered(tasks, sent);
    expect(statsOf(tasks), "stats() once all 72 tasks were answered").toMatchObject(atRest(2));
  });

  test("tasksPerWorker 1 sends nothing ahead: tasks wait in the pool's queue and the first free worker takes them in order, as in step 08", async () => {
    const tasks = await newTasks({ size: 2, tasksPerWorker: 1 });
    await tasks.hold(["held 1", "held 2"]);
    const queued = labels("q", 5);
    tasks.labelled(...queued);
    expect(statsOf(tasks), "stats() after 5 tasks behind 2 held workers with tasksPerWorker 1").toMatchObject({ busy: 2, ahead: 0, queued: 5 });
    tasks.open("held 1");
    await expectAllAnswered(tasks, queued, "with tasksPerWorker 1, the first worker freed takes every queued task, one after the other");
    expect(tasks.settledAmong(queued), "the order the queued tasks were answered in, by the one free worker").toEqual(queued);
    expect(statsOf(tasks), "stats() with the second worker still held").toMatchObject({ size: 2, idle: 1, busy: 1, ahead: 0, queued: 0 });
    tasks.open("held 2");
    expect(await tasks.outcome("held 2")).toBe("200 released held 2");
    expect(statsOf(tasks), "stats() once every task was answered").toMatchObject(atRest(2));
  });

  test("on one worker, tasks start in the order they were sent, ahead or queued (tasksPerWorker 4, 12 tasks)", async () => {
    const tasks = await newTasks({ size: 1, tasksPerWorker: 4 });
    await tasks.hold(["held"]);
    const sent = labels("fifo", 12);
    const from = events.started.length;
    tasks.labelled(...sent);
    expect(statsOf(tasks), "stats() after 12 tasks behind the one held worker, tasksPerWorker 4").toMatchObject({ busy: 1, ahead: 3, queued: 9 });
    tasks.open("held");
    await expectAllAnswered(tasks, sent);
    const starts = () => events.started.slice(from).filter((label) => sent.includes(label));
    await until(() => starts().length >= sent.length, "the start events of the 12 tasks", () => JSON.stringify(starts())); // they come on a channel of their own
    expect(starts(), "the order the 12 tasks started in (first in, first out)").toEqual(sent);
    expect(tasks.settledAmong(sent), "the order they were answered in").toEqual(sent);
    expect(statsOf(tasks), "stats() once every task was answered").toMatchObject(atRest(1));
  });

  test("tasksPerWorker must be a whole number of at least 1: create() refuses 0, -1, 1.5, NaN and Infinity, naming the option and the value, and leaves no thread", async () => {
    const census = openWorkerCensus();
    try {
      for (const tasksPerWorker of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        const created = Promise.resolve().then(() => WorkerPool.create({ appModule: FIXTURE_APP, size: 1, tasksPerWorker }));
        created.then((pool) => pool.close({ force: true }), () => {}); // a pool created by mistake must not stay running
        const error = await rejectionOf(
          created,
          `WorkerPool.create({ size: 1, tasksPerWorker: ${tasksPerWorker} })`,
          "a pool whose workers may hold no task, or a fraction of one, cannot work: create() must throw",
        );
        const message = error instanceof Error ? error.message : String(error);
        expect(error instanceof Error, `create() with tasksPerWorker ${tasksPerWorker} threw ${describeError(error)}, not an Error`).toBe(true);
        expect(message, `the message of create()'s error for tasksPerWorker ${tasksPerWorker}: it names the option`).toContain("tasksPerWorker");
        const value = new RegExp(`(^|[^\\w.-])${String(tasksPerWorker).replace(".", "\\.")}($|[^\\w.])`);
        expect(message, `the message of create()'s error for tasksPerWorker ${tasksPerWorker}: it names the value`).toMatch(value);
      }
      await until(() => census.alive() === 0, "every worker thread started by the refused create() calls ended", () => `${census.alive()} still alive`);
    } finally {
      census.stop();
    }
  });
});

describe("stats() says where each task is", () => {
  test("busy workers hold at least one task, `ahead` counts the tasks sent ahead and not started, `queued` the pool's queue; at rest every worker is idle", async () => {
    const tasks = await newTasks({ size: 2, tasksPerWorker: 3 });
    const stats = () => statsOf(tasks);
    expect(stats(), "stats() of a fresh pool of 2").toMatchObject(atRest(2));
    await tasks.hold(["held 1"]);
    expect(stats(), "stats() with one worker held").toMatchObject({ size: 2, idle: 1, busy: 1, ahead: 0, queued: 0 });
    await tasks.hold(["held 2"]);
    expect(stats(), "stats() with both workers held: a running task is not `ahead`").toMatchObject({ size: 2, idle: 0, busy: 2, ahead: 0, queued: 0 });
    const ahead = labels("a", 4);
    tasks.labelled(...ahead);
    expect(stats(), "stats() after 4 more tasks (2 sent ahead to each worker)").toMatchObject({ size: 2, idle: 0, busy: 2, ahead: 4, queued: 0 });
    const queued = labels("q", 3);
    tasks.labelled(...queued);
    expect(stats(), "stats() after 3 more (both workers hold tasksPerWorker tasks: these wait in the queue)").toMatchObject({ size: 2, idle: 0, busy: 2, ahead: 4, queued: 3 });
    tasks.open("held 1");
    // The freed worker runs its 2 tasks, then takes the 3 queued ones (the other has no room).
    await until(
      () => tasks.outcomes.settled.length === 6,
      "held 1, the 2 tasks sent ahead to its worker and the 3 queued tasks, answered",
      () => `settled: ${tasks.outcomes.settled.join(", ")}; stats() says ${JSON.stringify(stats())}`,
    );
    expect(stats(), "stats() once the freed worker has run everything it could: the other still holds its task and 2 sent ahead").toMatchObject({
      size: 2,
      idle: 1,
      busy: 1,
      ahead: 2,
      queued: 0,
    });
    tasks.open("held 2");
    await expectAllAnswered(tasks, [...ahead, ...queued]);
    expect(stats(), "stats() at rest, once every task was answered").toMatchObject(atRest(2));
  });

  test("`ahead` counts the tasks in the batches behind the running one: the running batch is not ahead, even while it is still being filled", async () => {
    const tasks = await newTasks({ size: 1 });
    const stats = () => statsOf(tasks);
    tasks.holdLater("g");
    tasks.labelled("a1", "a2");
    const seen = stats();
    await tasks.expectNoneRefused(["g", "a1", "a2"], "g, a1 and a2, handed to the idle worker in one turn");
    expect(seen, "stats() right after g, a1 and a2 were handed to the idle worker in one turn: one batch, the running one, not posted yet: nothing is ahead").toMatchObject({
      size: 1,
      idle: 0,
      busy: 1,
      ahead: 0,
      queued: 0,
    });
    await tasks.started("g", "the tasks of one turn go to the idle worker at the end of that turn");
    expect(stats(), "stats() once g has started: its batch [g, a1, a2] runs").toMatchObject({ idle: 0, busy: 1, ahead: 0, queued: 0 });
    tasks.labelled("b1", "b2");
    expect(stats(), "stats() right after b1 and b2 were handed out in a later turn: a second batch, behind the running one (still being filled)").toMatchObject({
      idle: 0,
      busy: 1,
      ahead: 2,
      queued: 0,
    });
    await aTurnOfTheEventLoop();
    tasks.labelled("c1", "c2", "c3");
    expect(stats(), "stats() after c1, c2 and c3, in a third turn: a third batch behind").toMatchObject({ idle: 0, busy: 1, ahead: 5, queued: 0 });
    tasks.open("g");
    await expectAllAnswered(tasks, ["a1", "a2", "b1", "b2", "c1", "c2", "c3"]);
    expect(tasks.settledAmong(["g", "a1", "a2", "b1", "b2", "c1", "c2", "c3"]), "the order the callers heard their answers in").toEqual(["g", "a1", "a2", "b1", "b2", "c1", "c2", "c3"]);
    expect(stats(), "stats() once every task was answered").toMatchObject(atRest(1));
  });

  test("a worker starts its next batch, or is free again, before the callers of its batch hear their answers", async () => {
    const tasks = await newTasks({ size: 1 });
    const pool = tasks.pool as WorkerPool;
    const seen: Record<string, Partial<PoolStats>> = {};
    const pick = ({ idle, busy, ahead, queued }: PoolStats) => ({ idle, busy, ahead, queued });
    const track = (label: string, path: string) =>
      tasks.outcomes.track(label, pool.run(wireRequest(path)).then((r) => ((seen[label] = pick(pool.stats())), r)));
    track("g", `/gate/${tasks.gate("g").token}`);
    track("a", "/busy/a/1");
    await tasks.started("g");
    track("b", "/busy/b/1");
    track("c", "/busy/c/1");
    expect(pick(pool.stats()), "stats() with [g, a] running and [b, c] handed out in a later turn").toEqual({ idle: 0, busy: 1, ahead: 2, queued: 0 });
    tasks.open("g");
    await expectAllAnswered(tasks, ["a", "b", "c"]);
    const running = { idle: 0, busy: 1, ahead: 0, queued: 0 };
    const free = { idle: 1, busy: 0, ahead: 0, queued: 0 };
    expect(
      { g: seen.g, a: seen.a },
      "stats() as the callers of g and a hear their answers: the worker has started the batch behind theirs, [b, c], so nothing is ahead any more",
    ).toEqual({ g: running, a: running });
    expect({ b: seen.b, c: seen.c }, "stats() as the callers of b and c hear their answers: the worker is idle again").toEqual({ b: free, c: free });
  });

  test("tasksPerWorker counts the batch still being filled: 10 tasks in one turn to one idle worker, tasksPerWorker 3, go 3 in one message and 7 in the queue", async () => {
    const log = openPostLog();
    try {
      const tasks = await newTasks({ size: 1, tasksPerWorker: 3 });
      const mine = log.fromNow();
      const sent = labels("t", 10);
      tasks.labelled(...sent);
      const seen = statsOf(tasks);
      await tasks.expectNoneRefused(sent, "10 tasks handed to one idle worker in one turn");
      expect(seen, "stats() right after 10 tasks were handed to one idle worker in one turn, tasksPerWorker 3: the worker takes 3 (its batch, being filled, counts), 7 wait in the queue").toMatchObject({
        busy: 1,
        ahead: 0,
        queued: 7,
      });
      await expectAllAnswered(tasks, sent);
      const sizes = requestMessages(mine()).map((entry) => entry.items.length);
      expect(Math.max(...sizes), `the most tasks in one message to the worker (messages: ${JSON.stringify(sizes)}): never more than tasksPerWorker`).toBeLessThanOrEqual(3);
      expect(tasks.settledAmong(sent), "the order the tasks were answered in").toEqual(sent);
      expect(statsOf(tasks), "stats() once every task was answered").toMatchObject(atRest(1));
    } finally {
      log.stop();
    }
  });
});

describe("the queue's limits apply to the pool's queue only", () => {
  test("a task sent ahead has left the queue: queueWaitMs no longer applies to it, sent at once or taken from the queue; a task still queued is refused in time", async () => {
    const tasks = await newTasks({ size: 1, tasksPerWorker: 2, queueWaitMs: 300 });
    await tasks.hold(["held"]);
    tasks.holdLater("a1"); // sent ahead at once
    tasks.labelled("q1"); // the worker holds 2: this one waits in the queue, then goes ahead when a1 starts
    expect(statsOf(tasks), "stats() with one task sent ahead and one queued").toMatchObject({ busy: 1, ahead: 1, queued: 1 });
    tasks.open("held");
    await tasks.started("a1", "the task sent ahead must start once the one before it has its answer");
    expect(statsOf(tasks), "stats() once a1 started: q1 has gone ahead, behind it").toMatchObject({ busy: 1, ahead: 1, queued: 0 });
    tasks.labelled("q2"); // no room: it waits in the queue, and outlives its limit there
    expect(
      await tasks.outcome("q2", "queueWaitMs 300: a task left waiting in the pool's queue is refused once it has passed"),
      "q2, left in the pool's queue",
    ).toBe("QueueTimeout 503");
    // q1 was queued before q2, and a1 before both: a wait timer of theirs left running would have fired by now.
    await aTurnOfTheEventLoop();
    expect(
      tasks.outcomes.settled,
      "tasks settled once q2's wait limit had passed: a1 and q1 were sent ahead, so they no longer wait in the queue (their wait timer must be cleared when they leave it)",
    ).toEqual(["held", "q2"]);
    expect(statsOf(tasks), "stats() once q2 was refused").toMatchObject({ busy: 1, ahead: 1, queued: 0 });
    tasks.open("a1");
    await tasks.expectAnswered("a1");
    await tasks.expectAnswered("q1", "a task sent ahead runs once its worker is free");
    expect(statsOf(tasks), "stats() once every task was answered").toMatchObject(atRest(1));
  });

  test("maxQueue counts the pool's queue only: tasks sent ahead do not fill it (tasksPerWorker 3, maxQueue 2)", async () => {
    const tasks = await newTasks({ size: 1, tasksPerWorker: 3, maxQueue: 2 });
    await tasks.hold(["held"]);
    const accepted = ["a1", "a2", "q1", "q2"];
    tasks.labelled(...accepted);
    expect(statsOf(tasks), "stats() after 4 tasks behind the held worker: 2 sent ahead, 2 queued").toMatchObject({ ahead: 2, queued: 2 });
    tasks.labelled("refused");
    expect(await tasks.outcome("refused", "a task that finds maxQueue tasks in the queue is refused at once"), "the 5th task, with 2 queued already").toBe("QueueFull 503");
    expect(tasks.outcomes.settled, "tasks settled while the held task's gate was still closed").toEqual(["refused"]);
    tasks.open("held");
    await expectAllAnswered(tasks, accepted);
    expect(tasks.settledAmong(accepted), "the order they were answered in").toEqual(accepted);
    expect(events.started, "tasks that started (the refused one must never run)").not.toContain("refused");
    expect(statsOf(tasks), "stats() once every task was answered").toMatchObject(atRest(1));
  });
});

describe("through the server", () => {
  test("a burst of 70 requests behind 2 held workers: 62 sent ahead and 8 queued by default, each answered with its own answer; then every worker idle", async () => {
    const server: PoolServer = await within(startServer({ appModule: FIXTURE_APP, port: 0, workers: 2, log: () => {} }), "startServer({ workers: 2 })");
    try {
      // One request through the server's own fetch, in this process, before any over HTTP: a pool
      // that throws instead of answering fails here, with its own error, rather than in Bun.serve's
      // handler, where the error escapes every test.
      await within(server.fetch(new Request(new URL("/health", server.url).href)), "server.fetch(GET /health)", "every request gets an answer");
      const held = await holdWorkers(events, 2, (path) => get(server.url, path));
      try {
        const ns = Array.from({ length: 70 }, (_, i) => i % 25);
        const burst = Promise.all(ns.map((n) => get(server.url, `/fibonacci/${n}`)));
        burst.catch(() => {}); // awaited below
        await until(
          () => server.stats().ahead + server.stats().queued === 70,
          "the 70 requests of the burst, all in the pool",
          () => `stats() says ${JSON.stringify(server.stats())}`,
        );
        expect(server.stats(), "stats() with the burst behind the 2 held workers (the server leaves tasksPerWorker at its default, 32)").toMatchObject({
          size: 2,
          busy: 2,
          idle: 0,
          ahead: 62,
          queued: 8,
        });
        expect(held.settled, "held requests answered meanwhile").toEqual([]);
        expect((await held.release()).map((answer) => answer.body), "the held requests' answers").toEqual(held.expected);
        const answers = await within(burst, "the 70 requests of the burst");
        const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));
        expect(answers.map((answer) => answer.body), "each request's own answer").toEqual(ns.map((n) => JSON.stringify({ n, fibonacci: fib(n) })));
        expect(server.stats(), "stats() once the burst was answered").toMatchObject(atRest(2));
      } finally {
        held.open();
      }
    } finally {
      await within(server.stop({ force: true }), "server.stop({ force: true })").catch(() => {});
    }
  });
});
