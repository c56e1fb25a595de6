// Step 05's tests of the WorkerPool: a worker that dies is replaced, the pool gets back to full
// size, and a module that keeps failing at start-up makes the pool give up, say why, and refuse
// tasks rather than leave them waiting. Run them with `npm start -- check 05`.
//
// Threads are counted at the source, not asked of the pool: while a test runs, every `Worker`
// made in this process is recorded (lib/testing/worker-census.ts), so "back to full size",
// "no thread left behind" and "no respawn storm" are counts of real threads. The flaky app
// (lib/testing/flaky-loads.ts) loads like the fixture app until a test plans otherwise: then
// the next workers that load it throw, exit, or wait at a gate while they start.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { FIXTURE_APP, FLAKY_APP } from "#lib/app-modules.ts";
import type { AppResponse } from "#lib/http-types.ts";
import { requestData } from "#lib/http.ts";
import { rejectionOf, until, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { planFlakyLoads, resetFlakyLoads } from "#lib/testing/flaky-loads.ts";
import { newGate, type Gate } from "#lib/testing/gate.ts";
import { openWorkerCensus, type WorkerCensus } from "#lib/testing/worker-census.ts";
import { PoolBroken, WorkerCrashed } from "./pool-errors.ts";
import { WorkerPool, type PoolOptions } from "./pool.ts";

const events = new EventLog();
afterAll(() => events.close());

/** What a settled pool of `size` workers reports: every worker idle, nothing else going on. */
const full = (size: number) => ({ size, idle: size, busy: 0, queued: 0, starting: 0, broken: undefined });

// Each test's pool and census, undone after it whatever happened.
let pool: WorkerPool | undefined;
let census: WorkerCensus | undefined;
const loadGates: Gate[] = [];
afterEach(async () => {
  for (const gate of loadGates.splice(0)) gate.open(); // a worker a failed test left held while starting may go on
  if (pool) await within(pool.close(), "pool.close() after the test");
  pool = undefined;
  census?.stop();
  census = undefined;
  resetFlakyLoads();
});

/** The next worker to load the flaky app waits at a gate while it starts, until `open()`. */
function holdNextStart(): Gate {
  const gate = newGate();
  loadGates.push(gate);
  planFlakyLoads({ next: [{ hold: gate.token }] });
  return {
    token: gate.token,
    open() {
      loadGates.splice(loadGates.indexOf(gate), 1);
      gate.open();
    },
  };
}

/** A pool whose threads the census counts, replacements included. */
async function createPool(options: Partial<PoolOptions> = {}): Promise<{ pool: WorkerPool; census: WorkerCensus }> {
  census = openWorkerCensus();
  pool = await within(
    WorkerPool.create({ appModule: FIXTURE_APP, size: 2, ...options }),
    `WorkerPool.create() in ${import.meta.file}`,
    "does every worker answer `init`?",
  );
  return { pool, census };
}

function run(target: WorkerPool, path: string): Promise<AppResponse> {
  return target.run(requestData(path));
}

/**
 * How long an answer may take once the event it must follow was seen: the pool rejects a
 * crashed task within microseconds of its thread's end. Generous on a loaded machine; it only
 * keeps a pool that never answers from costing every test the full bound.
 */
const AT_ONCE_MS = 1_000;

function endedThreads(): number {
  return census?.started.filter((worker) => census?.ended(worker)).length ?? 0;
}

/**
 * Awaits a task that must fail, as soon as its thread has ended, because its worker crashed.
 * With `replacedIn`, the pool must have started the dead worker's replacement by then.
 */
async function expectCrashed(task: Promise<unknown>, what: string, replacedIn?: { pool: WorkerPool; size: number }): Promise<WorkerCrashed> {
  task.catch(() => {}); // read below
  const before = endedThreads();
  await until(() => endedThreads() > before, `the end of the thread running ${what}`);
  const error = await rejectionOf(task, what, "the task running on a worker that dies is rejected as soon as its thread ends", AT_ONCE_MS);
  expect(error instanceof WorkerCrashed, `${what}: rejected with a WorkerCrashed, got ${String(error)}`).toBe(true);
  if (replacedIn) {
    const { size, starting } = replacedIn.pool.stats();
    expect(size + starting, `workers ready or starting, right after ${what} was rejected (stats().size + stats().starting)`).toBe(replacedIn.size);
  }
  return error as WorkerCrashed;
}

/** Awaits a task that must be refused, now that the pool has given up with no worker left. */
async function expectBroken(task: Promise<unknown>, what: string): Promise<PoolBroken> {
  const error = await rejectionOf(task, what, "with no worker left and none coming, a task gets PoolBroken at once", AT_ONCE_MS);
  expect(error instanceof PoolBroken, `${what}: rejected with a PoolBroken, got ${String(error)}`).toBe(true);
  return error as PoolBroken;
}

/** Every task settled, described for an assertion: "200 <body>" or "rejected: <error>". */
async function outcomes(tasks: Promise<AppResponse>[], what: string, ms?: number): Promise<string[]> {
  const settled = await within(Promise.allSettled(tasks), what, "is every task answered?", ms);
  return settled.map((s) => (s.status === "fulfilled" ? `${s.value.status} ${s.value.body}` : `rejected: ${String(s.reason)}`));
}

/** Sends gated tasks and waits until each has started on a worker; `answered` lists those that came back. */
async function hold(target: WorkerPool, count: number) {
  const gates = Array.from({ length: count }, () => newGate());
  const answered: string[] = [];
  const tasks = gates.map((gate, i) =>
    run(target, `/gate/${gate.token}`).finally(() => answered.push(`gated task ${i + 1}`)),
  );
  for (const task of tasks) task.catch(() => {}); // read through `release`
  await within(Promise.all(gates.map((gate) => events.waitForStart(gate.token))), `the start of ${count} gated task(s)`, "is a worker free for each?");
  return {
    answered,
    /** Opens the gates; resolves with each task's outcome. */
    async release(): Promise<string[]> {
      for (const gate of gates) gate.open();
      return outcomes(tasks, "the gated tasks, once released");
    },
    /** Each task's outcome, gates left shut: for tasks that something else ended. */
    ended: () => outcomes(tasks, "the gated tasks"),
    expected: gates.map((gate) => `200 released ${gate.token}`),
  };
}

/** Waits until the pool is settled at full size, then proves it: `size` tasks run at once. */
async function expectBackToFullSize(target: WorkerPool, threads: WorkerCensus, size: number) {
  const { size: ready, starting } = target.stats();
  expect(ready + starting, "workers ready or starting, once every crash was answered (stats().size + stats().starting)").toBe(size);
  await until(
    () => target.stats().starting === 0 && target.stats().idle === size,
    `the pool back to ${size} idle workers`,
    () => `stats() is ${JSON.stringify(target.stats())}`,
  );
  expect(target.stats(), "stats() once the pool has settled").toEqual(full(size));
  expect(threads.alive(), "threads alive (counted at the source), once the pool has settled").toBe(size);
  const held = await hold(target, size);
  expect(await held.release()).toEqual(held.expected);
}

/** The raw Worker running the `/gate-thread/:token` handler. */
async function threadHolding(token: string, threads: WorkerCensus): Promise<Worker> {
  let label: string | undefined;
  await until(() => (label = events.started.find((l) => l.startsWith(`${token}@`))) !== undefined, "the gated handler's start");
  const thread = threads.byThreadId(Number(label?.split("@")[1]));
  if (!thread) throw new Error(`no recorded worker runs thread ${label}`);
  return thread;
}

describe("a crashed worker is replaced", () => {
  test("the crashed task is rejected with WorkerCrashed, and by then its replacement is already starting", async () => {
    const { pool, census } = await createPool();
    await expectCrashed(run(pool, "/crash/exit"), "the task /crash/exit");
    const { size, starting } = pool.stats();
    expect(size + starting, "workers ready or starting, right when the crashed task was answered").toBe(2);
    await expectBackToFullSize(pool, census, 2);
    expect(census.started.length, "threads started: 2 at first, 1 replacement").toBe(3);
  });

  const deaths: Array<[string, (pool: WorkerPool, census: WorkerCensus) => Promise<unknown>]> = [
    ["process.exit in a handler", (p) => run(p, "/crash/exit")],
    ["an uncaught error outside the handler's promise", (p) => run(p, "/crash/pending")],
    ["an unhandled rejection", (p) => run(p, "/crash/rejection")],
    [
      "its thread terminated from outside",
      async (p, c) => {
        const gate = newGate(); // never opened: the thread is ended while it holds the task
        const task = run(p, `/gate-thread/${gate.token}`);
        task.catch(() => {}); // returned below
        (await threadHolding(gate.token, c)).terminate();
        return task;
      },
    ],
  ];
  for (const [how, kill] of deaths) {
    test(`${how}: WorkerCrashed, then the pool is back to 2 workers that both take work`, async () => {
      const { pool, census } = await createPool();
      await expectCrashed(kill(pool, census), `the task whose worker died of ${how}`, { pool, size: 2 });
      await expectBackToFullSize(pool, census, 2);
    });
  }

  test("a worker that dies while idle, after answering, is replaced too, and never given work", async () => {
    const { pool, census } = await createPool();
    expect((await within(run(pool, "/crash/uncaught"), "the answer of /crash/uncaught")).status).toBe(200);
    await until(() => endedThreads() === 1, "the end of the worker that answered /crash/uncaught");
    const { size, starting } = pool.stats();
    expect(size + starting, "workers ready or starting, right after the idle worker's thread ended").toBe(2);
    await until(
      () => census.started.length === 3 && pool.stats().starting === 0,
      "the replacement of the worker that died after answering",
      () => `${census.started.length} threads started, stats() is ${JSON.stringify(pool.stats())}`,
    );
    expect(pool.stats(), "stats() once the replacement is ready").toEqual(full(2));
    await expectBackToFullSize(pool, census, 2);
  });

  test("tasks queued behind a crash wait for the replacement and get their real answers", async () => {
    const { pool, census } = await createPool();
    const held = await hold(pool, 1); // one worker held: the other takes the crash
    const crash = run(pool, "/crash/exit");
    const queued = [1, 2, 3].map((i) => run(pool, `/echo?i=${i}`));
    expect(pool.stats().queued, "tasks queued behind the crash").toBe(3);
    await expectCrashed(crash, "the task /crash/exit", { pool, size: 2 });
    await until(() => pool.stats().starting === 0, "the replacement's start", () => JSON.stringify(pool.stats()));
    const answers = await outcomes(queued, "the 3 tasks queued behind the crash, once the replacement was ready", AT_ONCE_MS);
    expect(
      answers.map((a) => a.slice(0, 3)),
      `the tasks queued behind the crash get their real answers, not the dead worker's fate: ${answers.join(" / ")}`,
    ).toEqual(["200", "200", "200"]);
    expect(held.answered, "answers of the task held on the other worker, while the crash was handled").toEqual([]);
    expect(await held.release()).toEqual(held.expected);
    await expectBackToFullSize(pool, census, 2);
  });

  test("five crashes in a row do not disturb the task in flight on the other worker", async () => {
    const { pool, census } = await createPool();
    const held = await hold(pool, 1);
    for (const [i, path] of ["/crash/exit", "/crash/pending", "/crash/rejection", "/crash/exit", "/crash/pending"].entries()) {
      await expectCrashed(run(pool, path), `crash ${i + 1} of 5 (${path})`, { pool, size: 2 });
      expect(held.answered, `answers of the held task after crash ${i + 1}`).toEqual([]);
    }
    expect(await held.release()).toEqual(held.expected);
    await expectBackToFullSize(pool, census, 2);
    expect(census.started.length, "threads started: 2 at first, 5 replacements").toBe(7);
  });

  test("a replacement takes work only once it is ready: until then, tasks wait in the queue", async () => {
    const { pool } = await createPool({ appModule: FLAKY_APP });
    const loading = holdNextStart();
    const held = await hold(pool, 1);
    await expectCrashed(run(pool, "/crash/exit"), "the task /crash/exit", { pool, size: 2 });
    await within(events.waitForStart(loading.token), "the replacement's start of loading the app");
    expect(pool.stats(), "stats() while the replacement is still loading the app").toEqual({
      size: 1,
      idle: 0,
      busy: 1,
      queued: 0,
      starting: 1,
      broken: undefined,
    });
    const early = run(pool, "/echo?i=early");
    expect(pool.stats().queued, "a task sent while the replacement loads waits in the queue").toBe(1);
    loading.open();
    expect((await within(early, "the task sent while the replacement loaded")).status).toBe(200);
    expect(await held.release()).toEqual(held.expected);
  });
});

describe("the pool's own terminations are not crashes", () => {
  test("close() starts no replacement: every thread ends, and no new one is started", async () => {
    const { pool, census } = await createPool();
    const held = await hold(pool, 1);
    await pool.close();
    const [first, second] = census.started;
    await until(
      () => census.ended(first as Worker) && census.ended(second as Worker),
      "the end of both threads after close()",
      () => `${census.alive()} of ${census.started.length} threads alive`,
    );
    expect(census.started.length, "threads started: the 2 of create(), none after close()").toBe(2);
    const [answer] = await held.ended();
    expect(answer, "the task running when close() was called").toMatch(/^rejected: .*terminated/);
    expect(answer, "the task ended by close() did not crash").not.toContain("crashed");
  });

  test("close() while a replacement is still starting: the replacement is ended once ready, never adopted", async () => {
    const { pool, census } = await createPool({ appModule: FLAKY_APP, size: 1 });
    const loading = holdNextStart();
    await expectCrashed(run(pool, "/crash/exit"), "the task /crash/exit", { pool, size: 1 });
    await within(events.waitForStart(loading.token), "the replacement's start of loading the app");
    await pool.close();
    loading.open();
    await until(() => census.alive() === 0, "the end of every thread after close(), the late replacement's too", () => `${census.alive()} alive`);
    expect(pool.stats().size, "stats().size after close()").toBe(0);
    expect(census.started.length, "threads started: 1 at first, 1 replacement, none after").toBe(2);
  });
});

describe("a module that keeps failing at start-up", () => {
  test("the pool gives up after 3 failed replacements in a row by default, says why, and answers waiting tasks with PoolBroken", async () => {
    const { pool, census } = await createPool({ appModule: FLAKY_APP, size: 1 });
    planFlakyLoads({ then: "throw" });
    await expectCrashed(run(pool, "/crash/exit"), "the task /crash/exit", { pool, size: 1 });
    const waiting = run(pool, "/fibonacci/1"); // queued: no worker is ready
    waiting.catch(() => {}); // awaited below
    await until(
      () => pool.stats().broken !== undefined || census.started.length > 4,
      "the pool giving up (stats().broken)",
      () => `${census.started.length - 1} replacements started, stats() is ${JSON.stringify(pool.stats())}`,
    );
    expect(census.started.length, "threads started: 1 at first, then 3 replacements that failed (maxStartFailures left out)").toBe(4);
    const refused = await expectBroken(waiting, "the task queued while the replacements failed");
    expect(refused.status).toBe(503);
    expect(refused.message, "PoolBroken's message gives the module's reason").toContain("flaky-app refuses to load now");
    expect(pool.stats(), "stats() once the pool gave up").toMatchObject({ size: 0, idle: 0, busy: 0, queued: 0, starting: 0 });
    expect(pool.stats().broken, "stats().broken").toContain("flaky-app refuses to load now");
    // No storm later either: a new task is refused at once and starts no thread.
    await expectBroken(run(pool, "/fibonacci/2"), "a task sent after the pool gave up");
    expect(census.started.length, "threads started after the pool gave up").toBe(4);
  });

  for (const max of [1, 5]) {
    test(`maxStartFailures: ${max} means ${max} failed start${max === 1 ? "" : "s"} in a row before giving up`, async () => {
      const { pool, census } = await createPool({ appModule: FLAKY_APP, size: 1, maxStartFailures: max });
      planFlakyLoads({ then: "throw" });
      await expectCrashed(run(pool, "/crash/exit"), "the task /crash/exit", { pool, size: 1 });
      await until(
        () => pool.stats().broken !== undefined || census.started.length > 1 + max,
        "the pool giving up (stats().broken)",
        () => `${census.started.length - 1} replacements started`,
      );
      expect(census.started.length, `threads started: 1 at first, then ${max} failed replacement(s)`).toBe(1 + max);
      await expectBroken(run(pool, "/fibonacci/1"), "a task sent after the pool gave up");
    });
  }

  test("a replacement that exits while loading is a failed start too", async () => {
    const { pool, census } = await createPool({ appModule: FLAKY_APP, size: 1 });
    planFlakyLoads({ then: "exit" });
    await expectCrashed(run(pool, "/crash/exit"), "the task /crash/exit", { pool, size: 1 });
    await until(() => pool.stats().broken !== undefined, "the pool giving up (stats().broken)", () => JSON.stringify(pool.stats()));
    expect(pool.stats().broken, "stats().broken names how the replacements ended").toContain("code 3");
    expect(census.started.length, "threads started: 1 at first, then 3 failed replacements").toBe(4);
  });

  test("only failures in a row count: a replacement that starts resets the count", async () => {
    const { pool, census } = await createPool({ appModule: FLAKY_APP, size: 1, maxStartFailures: 2 });
    planFlakyLoads({ next: ["throw", "load", "throw", "load", "throw", "load"] });
    for (let crash = 1; crash <= 3; crash++) {
      await expectCrashed(run(pool, "/crash/exit"), `the task /crash/exit, crash ${crash}`, { pool, size: 1 });
      await until(
        () => (pool.stats().idle === 1 && pool.stats().starting === 0) || pool.stats().broken !== undefined,
        `the pool back to 1 worker after crash ${crash} (one failed start, then one that worked)`,
        () => JSON.stringify(pool.stats()),
      );
      expect(pool.stats().broken, `stats().broken after crash ${crash}: each time, one failure then a success`).toBeUndefined();
    }
    expect(census.started.length, "threads started: 1 at first, then 2 per crash").toBe(7);
    expect((await within(run(pool, "/fibonacci/10"), "a task after three crashes")).status).toBe(200);
  });

  test("a pool of 2 that loses one worker for good keeps serving with the other; once the last dies, waiting and new tasks get PoolBroken", async () => {
    const { pool, census } = await createPool({ appModule: FLAKY_APP, size: 2 });
    planFlakyLoads({ then: "throw" });
    const held = await hold(pool, 1); // the survivor is busy while the pool gives up on the other
    await expectCrashed(run(pool, "/crash/exit"), "the first /crash/exit", { pool, size: 2 });
    const queued = [1, 2].map((i) => run(pool, `/echo?i=${i}`));
    for (const task of queued) task.catch(() => {}); // read below
    await until(
      () => pool.stats().broken !== undefined || census.started.length > 5,
      "the pool giving up on replacements (stats().broken)",
      () => `${census.started.length - 2} replacements started`,
    );
    expect(census.started.length, "threads started: 2 at first, then 3 failed replacements").toBe(5);
    expect(pool.stats(), "stats() once given up, with the held worker left").toMatchObject({ size: 1, busy: 1, queued: 2, starting: 0 });
    expect(await held.release()).toEqual(held.expected);
    const served = await outcomes([...queued, ...[3, 4].map((i) => run(pool, `/echo?i=${i}`))], "tasks for the pool's last worker");
    expect(
      served.map((a) => a.slice(0, 3)),
      `a pool that gave up still serves with the workers it has, queued tasks included: ${served.join(" / ")}`,
    ).toEqual(["200", "200", "200", "200"]);

    const lastCrash = run(pool, "/crash/exit");
    const waiting = [1, 2].map((i) => run(pool, `/echo?after=${i}`));
    for (const task of waiting) task.catch(() => {}); // awaited below
    await expectCrashed(lastCrash, "the /crash/exit that kills the last worker");
    for (const [i, task] of waiting.entries()) await expectBroken(task, `task ${i + 1} of 2 queued behind the last crash`);
    await expectBroken(run(pool, "/fibonacci/1"), "a task sent once no worker is left");
    expect(census.started.length, "threads started after the pool gave up: none").toBe(5);
    expect(pool.stats()).toMatchObject({ size: 0, starting: 0, queued: 0 });
  });
});
