// Step 03's tests of the WorkerPool. Run them with `npm start -- check 03` (or `bun test` here).
//
// Nothing here is timed. To see what runs and what waits, the tests use gated tasks:
// `/gate/:token` announces that it has started, then holds its worker until the test opens its
// gate. "Running" is read from those announcements, "waiting" from `pool.stats()`, and "which
// task started next" from the order of the announcements, which a correct pool makes certain.
// Tasks are named "task 1", "task 2"… in the order `run()` was called.
//
// Nothing here can hang either: every wait that a wrong pool could leave pending is bounded
// (#lib/testing/bounded.ts) and fails with what was awaited. While a test waits, it also
// watches `stats()` for what a pool must never show between two turns of the event loop: a
// task in the queue while a worker sits idle, or a size other than the one it was created
// with. That catches a pool that forgets to start queued tasks, or loses or doubles a worker,
// at once instead of after a long wait.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { FIXTURE_APP, MISSING_APP } from "#lib/app-modules.ts";
import type { AppResponse } from "#lib/http-types.ts";
import { requestData } from "#lib/http.ts";
import { rejectionOf, until, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newGate, type Gate } from "#lib/testing/gate.ts";
import { WorkerPool, type PoolStats } from "./pool.ts";

/** The pool size of most tests: small, and the same on every machine. */
const N = 2;

const events = new EventLog();

/**
 * Every `Worker` this file's pools start is one of these: it remembers being terminated, so a
 * test can check at once that close() ended every thread, busy ones included, instead of
 * waiting to see whether one goes on. Installed for the whole file, removed after it.
 */
class RecordedWorker extends Worker {
  static readonly all: RecordedWorker[] = [];
  terminated = false;
  constructor(...args: ConstructorParameters<typeof Worker>) {
    super(...args);
    RecordedWorker.all.push(this);
  }
  override terminate(): void {
    this.terminated = true;
    super.terminate();
  }
}
const OriginalWorker = globalThis.Worker;
globalThis.Worker = RecordedWorker;

// Every pool a test creates is closed after it; whatever thread a wrong close() left running is ended.
const pools: WorkerPool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) {
    sizes.delete(pool);
    await within(
      Promise.resolve().then(() => pool.close()),
      "pool.close() after the test",
      "",
      1_000,
    ).catch(() => {});
  }
  for (const worker of RecordedWorker.all.splice(0)) if (!worker.terminated) worker.terminate();
});
afterAll(() => {
  globalThis.Worker = OriginalWorker;
  events.close();
});

/** A pool of `size` workers running the fixture app (size left out: the pool's default). */
async function createPool(size?: number): Promise<{ pool: WorkerPool; threads: RecordedWorker[] }> {
  const from = RecordedWorker.all.length;
  const what = size === undefined ? "WorkerPool.create() with no size" : `WorkerPool.create({ size: ${size} })`;
  const pool = await within(WorkerPool.create({ appModule: FIXTURE_APP, size }), what, "does every worker answer `init`?");
  pools.push(pool);
  sizes.set(pool, pool.stats().size);
  return { pool, threads: RecordedWorker.all.slice(from) };
}

function expectStats(pool: WorkerPool, expected: PoolStats, when: string): void {
  expect(pool.stats(), `stats() ${when}`).toEqual(expected);
}

/**
 * The pool after its work has settled: every worker idle, none busy, nothing queued. The size
 * must be right at once (a worker counted twice shows there), the rest within a few turns.
 */
async function expectAtRest(pool: WorkerPool, size: number, when: string): Promise<void> {
  expect(pool.stats().size, `stats().size ${when} (the pool has ${size} workers)`).toBe(size);
  const rest = { size, idle: size, busy: 0, queued: 0 };
  await until(
    () => Bun.deepEquals(pool.stats(), rest),
    `stats() back at ${JSON.stringify(rest)} ${when}`,
    () => `it still says ${JSON.stringify(pool.stats())}: does a worker whose task has settled go back to idle?`,
  );
}

/**
 * Waits for `promise`, bounded, and fails at once if the pool shows what a correct pool never
 * shows between two turns of the event loop: a task in the queue while a worker sits idle, or
 * a size other than the number of workers it was created with (a worker lost or counted twice).
 */
async function watching<T>(pool: WorkerPool, promise: Promise<T>, what: string, hint: string): Promise<T> {
  const size = sizes.get(pool);
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  watched.catch(() => {});
  const watcher = (async () => {
    while (!settled) {
      const stats = pool.stats();
      if (stats.queued > 0 && stats.idle > 0) {
        throw new Error(
          `while waiting for ${what}: ${stats.queued} task(s) wait in the queue while ${stats.idle} worker(s) sit idle ` +
            `(stats() ${JSON.stringify(stats)}). A task must start as soon as a worker is free: when run() is called ` +
            `and when a worker finishes its task.`,
        );
      }
      if (size !== undefined && stats.size !== size) {
        throw new Error(
          `while waiting for ${what}: stats().size is ${stats.size} in a pool of ${size} workers ` +
            `(stats() ${JSON.stringify(stats)}). Is a worker whose task settled taken out of the busy ones and put back ` +
            `with the idle ones, exactly once?`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  return within(Promise.race([watched, watcher.then(() => watched)]), what, hint);
}
/** The size each open pool was created with, for `watching`. */
const sizes = new Map<WorkerPool, number>();

type Outcome = { answered: true; status: number; body: string } | { answered: false; error: string };

interface Task {
  label: string;
  /** The promise run() returned. */
  answer: Promise<AppResponse>;
  /** What became of it; never rejects. */
  outcome: Promise<Outcome>;
  /** The outcome, once it is known. */
  seen?: Outcome;
}

interface GatedTask extends Task {
  gate: Gate;
}

/** Calls `pool.run()` for one request, synchronously, and records what becomes of it. */
function send(pool: WorkerPool, label: string, path: string, init?: Parameters<typeof requestData>[1]): Task {
  let answer: Promise<AppResponse>;
  try {
    answer = pool.run(requestData(path, init));
  } catch (error) {
    answer = Promise.reject(new Error(`run() threw instead of returning a promise: ${(error as Error).message}`));
  }
  const task: Task = { label, answer, outcome: Promise.resolve({ answered: false, error: "" }) };
  task.outcome = answer.then(
    (response): Outcome => (task.seen = asOutcome(response)),
    (error: unknown): Outcome => (task.seen = { answered: false, error: error instanceof Error ? error.message : String(error) }),
  );
  return task;
}

/** An answer as an Outcome, also when a wrong pool resolves with something that is no response. */
function asOutcome(response: AppResponse | undefined): Outcome {
  if (typeof response?.status !== "number" || typeof response.body !== "string") {
    return { answered: true, status: 0, body: `something that is not a response: ${JSON.stringify(response) ?? String(response)}` };
  }
  return { answered: true, status: response.status, body: response.body };
}

/** Gated tasks "task <first>"…, sent one after the other, in that order. */
function sendGated(pool: WorkerPool, count: number, first = 1): GatedTask[] {
  return Array.from({ length: count }, (_, i) => {
    const gate = newGate();
    const label = `task ${first + i}`;
    labels.set(gate.token, label);
    return Object.assign(send(pool, label, `/gate/${gate.token}`), { gate });
  });
}
const labels = new Map<string, string>();

/** The labels of these gated tasks that have started, in the order they announced it. */
function startedAmong(tasks: GatedTask[]): string[] {
  const mine = new Set(tasks.map((task) => task.gate.token));
  return events.started.filter((token) => mine.has(token)).map((token) => labels.get(token) ?? token);
}

/**
 * Waits until `task` has started. A gated task cannot settle before it starts (its gate is
 * closed), so one that does was refused or lost: that fails at once, saying how.
 */
async function started(pool: WorkerPool, task: GatedTask, hint: string): Promise<void> {
  const first = Promise.race([events.waitForStart(task.gate.token).then(() => undefined), task.outcome]);
  const early = await watching(pool, first, `${task.label} to start`, hint);
  if (early) throw new Error(`${task.label} was ${describeOutcome(early)}, before it ever started`);
}

async function allStarted(pool: WorkerPool, tasks: GatedTask[], hint: string): Promise<void> {
  for (const task of tasks) await started(pool, task, hint);
}

/** Whichever of these tasks starts first (at once if one already has). */
async function nextToStart(pool: WorkerPool, waiting: GatedTask[], after: string): Promise<GatedTask> {
  const first = Promise.race([
    ...waiting.map((task) => events.waitForStart(task.gate.token).then(() => ({ task, early: undefined }))),
    ...waiting.map((task) => task.outcome.then((early) => ({ task, early }))),
  ]);
  const next = await watching(pool, first, `a queued task to start ${after}`, "a worker that finishes must take the next queued task");
  if (next.early) throw new Error(`${next.task.label} was ${describeOutcome(next.early)}, before it ever started`);
  return next.task;
}

function parsed(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** A gated task's outcome, in the learner's terms: "answered" or "rejected: …". */
function describeOutcome(outcome: Outcome): string {
  if (!outcome.answered) return `rejected: ${outcome.error}`;
  if (outcome.status === 0) return `resolved with ${outcome.body}`;
  const body = outcome.body.replace(/^released (.+)$/, (_, token: string) => `released ${labels.get(token) ?? token}`);
  return `answered ${outcome.status}: ${body}`;
}

/** Opens every gate, then checks that each gated task got its own answer. */
async function releaseAll(pool: WorkerPool, tasks: GatedTask[]): Promise<void> {
  for (const task of tasks) task.gate.open();
  const outcomes: string[] = [];
  for (const task of tasks) {
    outcomes.push(describeOutcome(await watching(pool, task.outcome, `the answer to ${task.label}`, "is every task started, and answered?")));
  }
  expect(outcomes, "what each task's caller got, in the order run() was called").toEqual(
    tasks.map((task) => `answered 200: released ${task.label}`),
  );
}

describe("starting the pool (create() is given)", () => {
  test("create() resolves once every worker is ready: all idle, nothing queued", async () => {
    const { pool, threads } = await createPool(3);
    expectStats(pool, { size: 3, idle: 3, busy: 0, queued: 0 }, "right after create({ size: 3 })");
    expect(threads.length, "worker threads started by create({ size: 3 })").toBe(3);
  });

  test("with `size` left out, the pool has one worker per core, and every one of them takes a task at once", async () => {
    const cores = navigator.hardwareConcurrency;
    const { pool } = await createPool();
    expectStats(pool, { size: cores, idle: cores, busy: 0, queued: 0 }, `of a default pool (navigator.hardwareConcurrency is ${cores})`);
    const tasks = sendGated(pool, cores);
    await allStarted(pool, tasks, "with a worker idle, a task must start at once");
    expectStats(pool, { size: cores, idle: 0, busy: cores, queued: 0 }, `with ${cores} tasks running`);
    await releaseAll(pool, tasks);
  });

  test("create() rejects, naming the module, when a worker cannot load the app, and leaves no thread running", async () => {
    const from = RecordedWorker.all.length;
    const error = await rejectionOf(WorkerPool.create({ appModule: MISSING_APP, size: N }), "WorkerPool.create() of a missing app module");
    expect(String(error)).toContain("no-such-app.ts");
    const threads = RecordedWorker.all.slice(from);
    expect(threads.filter((w) => !w.terminated).length, "worker threads still running after create() failed").toBe(0);
  });

  test("a size below one, or not a whole number, is refused with a clear error", async () => {
    for (const size of [0, -1, 1.5]) {
      const error = await rejectionOf(WorkerPool.create({ appModule: FIXTURE_APP, size }), `WorkerPool.create({ size: ${size} })`);
      expect(String(error), `the error for size ${size}`).toContain("at least one worker");
    }
  });
});

describe("run(): every caller gets its own answer", () => {
  test("a task runs on a worker thread, not on the main thread, and gets its answer", async () => {
    const { pool } = await createPool();
    const outcome = await watching(pool, send(pool, "task 1", "/thread").outcome, "the answer to task 1", "is the task ever started?");
    const thread = outcome.answered ? (parsed(outcome.body) as { threadId?: number } | undefined)?.threadId : undefined;
    expect(thread, `the thread that ran task 1 (0 is the main thread); task 1 was ${describeOutcome(outcome)}`).toBeNumber();
    expect(thread, "the thread that ran task 1 (0 is the main thread)").not.toBe(0);
    await expectAtRest(pool, N, "after the one task was answered");
  });

  test("many more tasks than workers, sent the moment create() resolves, each get their own answer", async () => {
    // The blog's pool sets `worker.onmessage` per task: each answer then reaches the wrong caller.
    const { pool } = await createPool();
    const ns = [20, 1, 15, 2, 10, 3, 12, 5, 8];
    const tasks = ns.map((n, i) => send(pool, `task ${i + 1}`, `/fibonacci/${n}`));
    const outcomes = await watching(pool, Promise.all(tasks.map((t) => t.outcome)), `the answers to tasks 1-${ns.length}`, "is every queued task started?");
    const got = outcomes.map((o) => (o.answered ? (parsed(o.body) as { n?: number } | undefined)?.n ?? `no n in "${o.body}"` : describeOutcome(o)));
    expect(got, "the n each caller got back, task 1 first (each asked for fibonacci(n) of its own n)").toEqual(ns);
    await expectAtRest(pool, N, `after all ${ns.length} tasks were answered`);
  });

  test("the whole request reaches the handler: method, path, query, headers and body", async () => {
    const { pool } = await createPool();
    const task = send(pool, "task 1", "/echo?name=ada&lang=ts", { method: "PUT", headers: { "x-learner": "yes" }, body: "héllo wörld" });
    const outcome = await watching(pool, task.outcome, "the answer to task 1", "");
    expect(describeOutcome(outcome), "what task 1 got").toStartWith("answered 200");
    expect(outcome.answered ? parsed(outcome.body) : undefined, "what the handler saw of the request").toEqual({
      method: "PUT",
      path: "/echo",
      query: { name: "ada", lang: "ts" },
      headers: { "x-learner": "yes" },
      body: "héllo wörld",
    });
  });

  test("a handler that throws is a 500 for its own caller, every time, and the workers keep serving", async () => {
    const { pool } = await createPool();
    const tasks = Array.from({ length: 4 * N + 2 }, (_, i) =>
      i % 2 === 0 ? send(pool, `task ${i + 1}`, "/throw") : send(pool, `task ${i + 1}`, `/fibonacci/${i}`),
    );
    const outcomes = await watching(pool, Promise.all(tasks.map((t) => t.outcome)), "the answers to every task", "is every queued task started?");
    expect(outcomes.map(describeOutcome), "what each caller got, task 1 first").toEqual(
      tasks.map((_, i) =>
        i % 2 === 0
          ? "answered 500: Internal Server Error: handler exploded on purpose"
          : expect.stringContaining(`answered 200: {"n":${i},`),
      ),
    );
    await expectAtRest(pool, N, "after the failing and the good tasks were all answered");
    const after = await watching(pool, send(pool, "one more task", "/fibonacci/7").outcome, "a task after the failures", "");
    expect(describeOutcome(after), "what a task sent after the failures got").toStartWith("answered 200");
  });
});

describe("which worker runs a task, and when", () => {
  for (const size of [2, 3]) {
    test(`a pool of ${size} runs ${size} tasks at once, each on its own worker`, async () => {
      const { pool } = await createPool(size);
      const tasks = sendGated(pool, size);
      await new Promise((resolve) => setTimeout(resolve, 0)); // one turn of the event loop, not a wait for time
      for (const task of tasks) if (task.seen) throw new Error(`${task.label} was ${describeOutcome(task.seen)}, before it ever started`);
      expectStats(pool, { size, idle: 0, busy: size, queued: 0 }, `one turn of the event loop after run() was called ${size} times`);
      await allStarted(pool, tasks, "a task must start at once when a worker is idle (was it given to a worker that already had one?)");
      expectStats(pool, { size, idle: 0, busy: size, queued: 0 }, `with ${size} tasks running on ${size} workers`);
      await releaseAll(pool, tasks);
      await expectAtRest(pool, size, `after all ${size} tasks were answered`);
    });

    test(`a pool of ${size}: with ${size === 2 ? "1 worker" : `${size - 1} workers`} held, every task goes to the idle one, never to a busy one`, async () => {
      const { pool } = await createPool(size);
      const held = sendGated(pool, size - 1);
      await allStarted(pool, held, "a task must start at once when a worker is idle");
      expectStats(pool, { size, idle: 1, busy: size - 1, queued: 0 }, `with ${size - 1} task(s) held`);
      const threads = new Set<number>();
      for (let i = 1; i <= 3 * size; i++) {
        const label = `task ${size - 1 + i}`;
        const outcome = await watching(
          pool,
          send(pool, label, "/thread").outcome,
          `the answer to ${label}, sent while one worker was idle`,
          "a task given to a busy worker waits behind that worker's task: it must go to the idle one",
        );
        threads.add(outcome.answered ? ((parsed(outcome.body) as { threadId?: number } | undefined)?.threadId ?? -1) : -1);
      }
      expect(threads.size, `worker threads that answered the ${3 * size} tasks (only one worker was free)`).toBe(1);
      expect(pool.stats().size, `stats().size once those tasks were answered (the pool has ${size} workers)`).toBe(size);
      await until(
        () => Bun.deepEquals(pool.stats(), { size, idle: 1, busy: size - 1, queued: 0 }),
        `stats() back at { size: ${size}, idle: 1, busy: ${size - 1}, queued: 0 } once those tasks were answered`,
        () => `it still says ${JSON.stringify(pool.stats())}`,
      );
      await releaseAll(pool, held);
      await expectAtRest(pool, size, "after every task was answered");
    });
  }
});

describe("when every worker is busy: the queue", () => {
  test(`a pool of ${N} never runs more than ${N} tasks at once: the others wait in the queue, and stats() says so`, async () => {
    const { pool } = await createPool(N);
    const tasks = sendGated(pool, N + 5);
    await allStarted(pool, tasks.slice(0, N), "the first tasks must start at once, on the idle workers");
    const refused = tasks.slice(N).flatMap((t) => (t.seen && !t.seen.answered ? [`${t.label}: ${describeOutcome(t.seen)}`] : []));
    expect(refused, "tasks refused while every worker was busy (they must wait in the queue instead)").toEqual([]);
    expect(startedAmong(tasks).sort(), `tasks started while tasks 1-${N} held every worker`).toEqual(
      tasks.slice(0, N).map((t) => t.label).sort(),
    );
    expectStats(pool, { size: N, idle: 0, busy: N, queued: 5 }, `with ${N} tasks running and 5 more sent`);
    await releaseAll(pool, tasks);
    await expectAtRest(pool, N, `after all ${N + 5} tasks were answered`);
  });

  for (const size of [2, 3]) {
    test(`a pool of ${size}: queued tasks start in the order run() was called, every one of them`, async () => {
      const { pool } = await createPool(size);
      const tasks = sendGated(pool, size + 5);
      const running = tasks.slice(0, size);
      const waiting = tasks.slice(size);
      await allStarted(pool, running, "the first tasks must start at once, on the idle workers");
      expectStats(pool, { size, idle: 0, busy: size, queued: 5 }, `with ${size} tasks running and 5 queued`);
      // Each time one running task is let go, exactly one worker is free, and the task it
      // takes must be the one that has waited longest.
      while (waiting.length > 0) {
        const finished = running.shift() as GatedTask;
        finished.gate.open();
        const next = await nextToStart(pool, waiting, `after ${finished.label} finished`);
        const oldest = waiting[0] as GatedTask;
        expect(
          next.label,
          `the task that started when ${finished.label} finished (${oldest.label} had waited longest: run() was called for it first)`,
        ).toBe(oldest.label);
        waiting.splice(waiting.indexOf(next), 1);
        running.push(next);
        expectStats(pool, { size, idle: 0, busy: size, queued: waiting.length }, `after ${finished.label} finished and ${next.label} started`);
      }
      await releaseAll(pool, tasks);
      await expectAtRest(pool, size, `after all ${size + 5} tasks were answered`);
    });
  }

  test("a queued task starts when a worker finishes, with no new run() call", async () => {
    const { pool } = await createPool(N);
    const tasks = Array.from({ length: N + 3 }, (_, i) => send(pool, `task ${i + 1}`, `/fibonacci/${15 + i}`));
    const outcomes = await watching(
      pool,
      Promise.all(tasks.map((t) => t.outcome)),
      `the answers to tasks 1-${N + 3} (the last 3 queued behind ${N} running)`,
      "a worker that finishes must take the next queued task",
    );
    expect(outcomes.map((o) => (o.answered ? o.status : describeOutcome(o))), "the status each caller got, task 1 first").toEqual(
      tasks.map(() => 200),
    );
    await expectAtRest(pool, N, "after every task was answered");
  });

  test("the workers keep taking tasks after many completions", async () => {
    const { pool } = await createPool(N);
    for (let i = 1; i <= 4 * N; i++) {
      await watching(pool, send(pool, `task ${i}`, "/fibonacci/5").answer, `the answer to task ${i}, sent alone`, "is every worker back in service?");
    }
    for (let wave = 1; wave <= 8; wave++) {
      const tasks = Array.from({ length: 2 * N + 1 }, (_, i) => send(pool, `wave ${wave} task ${i + 1}`, `/fibonacci/${i + 3}`));
      await watching(pool, Promise.all(tasks.map((t) => t.answer)), `the answers to wave ${wave} (${2 * N + 1} tasks at once)`, "is every worker back in service?");
    }
    await expectAtRest(pool, N, "after 8 waves of tasks");
  });

  test("stats() after every task was answered: every worker idle, none busy, nothing queued, size unchanged", async () => {
    const { pool } = await createPool(N);
    const tasks = Array.from({ length: 3 * N + 1 }, (_, i) => send(pool, `task ${i + 1}`, i === 2 ? "/throw" : `/fibonacci/${10 + i}`));
    await watching(pool, Promise.all(tasks.map((t) => t.outcome)), "the answers to every task", "is every queued task started?");
    await expectAtRest(pool, N, `after all ${tasks.length} tasks were answered`);
    const gated = sendGated(pool, N);
    await allStarted(pool, gated, "a task must start at once when a worker is idle");
    expectStats(pool, { size: N, idle: 0, busy: N, queued: 0 }, `with ${N} new tasks running`);
    await releaseAll(pool, gated);
    await expectAtRest(pool, N, "after those were answered too");
  });
});

describe("close()", () => {
  test("close() with every worker idle: every thread is terminated and stats() reports an empty pool", async () => {
    const { pool, threads } = await createPool(3);
    await within(Promise.resolve().then(() => pool.close()), "pool.close() with every worker idle");
    expect(threads.map((w) => w.terminated), "terminated, for each of the 3 worker threads").toEqual([true, true, true]);
    expectStats(pool, { size: 0, idle: 0, busy: 0, queued: 0 }, "after close()");
  });

  test("close() with tasks running and queued: every worker is terminated and every task rejects, none left pending", async () => {
    const { pool, threads } = await createPool(N);
    const tasks = sendGated(pool, N + 3);
    await allStarted(pool, tasks.slice(0, N), "the first tasks must start at once, on the idle workers");
    expectStats(pool, { size: N, idle: 0, busy: N, queued: 3 }, `with ${N} tasks running and 3 queued`);

    await within(Promise.resolve().then(() => pool.close()), `pool.close() with ${N} tasks running and 3 queued`);
    // Every thread is ended, the busy ones too: their gates are still closed.
    expect(threads.map((w) => w.terminated), `terminated, for each of the ${N} worker threads (all were busy)`).toEqual(
      threads.map(() => true),
    );
    const outcomes: string[] = [];
    for (const [i, task] of tasks.entries()) {
      const state = i < N ? "running" : "queued";
      const outcome = await within(
        task.outcome,
        `${task.label}, ${state} when close() was called`,
        "close() must settle every task not yet answered: reject it, so that its caller is not left waiting",
      );
      outcomes.push(`${task.label} (${state}): ${outcome.answered ? describeOutcome(outcome) : /closed|terminated/i.test(outcome.error) ? "rejected, saying why" : `rejected with "${outcome.error}"`}`);
    }
    expect(outcomes, "what each caller got (an error that says the pool was closed or the worker terminated)").toEqual(
      tasks.map((t, i) => `${t.label} (${i < N ? "running" : "queued"}): rejected, saying why`),
    );
    // Rejecting the running tasks must not bring their terminated workers back as idle.
    expectStats(pool, { size: 0, idle: 0, busy: 0, queued: 0 }, "after close(), once every task had settled");
  });

  test("run() after close() is refused: a rejected promise, not a throw, and nothing is queued", async () => {
    const { pool } = await createPool(N);
    await within(Promise.resolve().then(() => pool.close()), "pool.close()");
    let answer: Promise<AppResponse> | undefined;
    let thrown: unknown;
    try {
      answer = pool.run(requestData("/health"));
    } catch (error) {
      thrown = error;
    }
    expect(thrown, "what run() threw on a closed pool (it must return a rejected promise instead)").toBeUndefined();
    const error = await rejectionOf(answer as Promise<AppResponse>, "run() on a closed pool", "a closed pool must refuse new tasks");
    expect(String(error), "the error of run() on a closed pool").toMatch(/closed/i);
    expectStats(pool, { size: 0, idle: 0, busy: 0, queued: 0 }, "after run() on a closed pool");
  });
});
