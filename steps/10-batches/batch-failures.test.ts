// Step 10's tests, part 4: when a worker holding batches is lost, and when a batch runs out of
// time. Run them with `npm start -- check 10`.
//
// A worker answers a batch all at once, so the pool cannot tell when each of its tasks starts,
// only when the batch does: once every batch sent before it has its answers. A batch is the unit:
//
//   - its deadline is the SUM of its tasks' deadlines (the time they may take together), counted
//     from when it starts, not from when it was sent; on expiry every task of the batch gets a
//     504, its worker is terminated and replaced;
//   - when its worker dies unasked, every task of the running batch without an answer gets the
//     502: any of them may have run (an answer is held until the batch's last task is done), and
//     none may run twice;
//   - either way, the batches behind it never started: they go back to the FRONT of the pool's
//     queue, in their order, and are answered by another worker or the replacement;
//   - `close({ force: true })` answers every unfinished task 503 at once, those of a batch not
//     posted yet included; `close()` lets them all finish first.
//
// A test hands tasks out in separate turns of the event loop to make separate batches (those of
// one turn go to a worker together), and holds a worker at a gate so that the batches behind it
// stay behind it for as long as the test wants. Deadlines are observed with the pool's own
// timers and a clock that cannot run fast (a runaway in a pool of its own); nothing is timed
// here. Threads are counted at the source (lib/testing/worker-census.ts).

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { FIXTURE_APP } from "#lib/app-modules.ts";
import type { WireRequest } from "#lib/batch-protocol.ts";
import { until, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newGate } from "#lib/testing/gate.ts";
import { describeError, PoolTasks } from "#lib/testing/pool-tasks.ts";
import { controlledStart } from "#lib/testing/start-control.ts";
import { wireRequest } from "#lib/testing/wire-tasks.ts";
import { openWorkerCensus, type WorkerCensus } from "#lib/testing/worker-census.ts";
import { WorkerPool, type PoolOptions, type PoolStats } from "./pool.ts";
import { startServer, type PoolServer } from "./server.ts";

const events = new EventLog();
afterAll(() => events.close());

let current: PoolTasks | undefined;
let census: WorkerCensus | undefined;
afterEach(async () => {
  await current?.cleanUp();
  current = undefined;
  census?.stop();
  census = undefined;
});

/** A pool on the fixture app whose threads a census counts, and the book of this test's tasks on it. */
async function newTasks(options: Omit<PoolOptions, "appModule">, appModule = FIXTURE_APP): Promise<{ tasks: PoolTasks; pool: WorkerPool; threads: WorkerCensus }> {
  const threads = openWorkerCensus();
  census = threads;
  const pool = await within(
    WorkerPool.create({ appModule, ...options }),
    `WorkerPool.create(${JSON.stringify(options)})`,
    "does every worker answer `init`, as in step 09?",
  );
  current = new PoolTasks(pool, events);
  return { tasks: current, pool, threads };
}

const pathOf = (request: WireRequest) => new URL(request.url).pathname;
/** /loop gets `loopMs`; everything else a generous minute. */
const runawaysGet = (loopMs: number) => (request: WireRequest) => (pathOf(request) === "/loop" ? loopMs : 60_000);

const atRest = (size: number): Partial<PoolStats> => ({ size, idle: size, busy: 0, queued: 0, ahead: 0, starting: 0 });

/** The next turn of the event loop: the batches handed out in this one have been posted. */
function aTurnOfTheEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The pool settles back at `size` idle workers, with exactly `size` threads alive, and serves `size` held tasks at once. */
async function expectBackAtRest(tasks: PoolTasks, pool: WorkerPool, threads: WorkerCensus, size: number, after: string): Promise<void> {
  await until(
    () => pool.stats().idle === size && pool.stats().starting === 0,
    `the pool back at ${size} idle workers ${after}`,
    () => `stats() says ${JSON.stringify(pool.stats())}`,
  );
  expect(pool.stats(), `stats() ${after}, once settled`).toMatchObject(atRest(size));
  await until(() => threads.alive() === size, `exactly ${size} worker threads alive ${after}`, () => `${threads.alive()} are alive`);
  const held = Array.from({ length: size }, (_, i) => `check ${i + 1}`);
  await tasks.hold(held, `a pool of ${size} must run ${size} tasks at once ${after}: was a worker lost, or never replaced?`);
  for (const label of held) tasks.open(label);
  for (const label of held) await tasks.expectAnswered(label);
}

/** Every start event of `labels` since `from`, in order (they come on a channel of their own). */
const startsOf = (from: number, labels: string[]) => events.started.slice(from).filter((label) => labels.includes(label));

/**
 * A clock that cannot run fast: a runaway in a pool of its own (`clock`), answered once its
 * deadline has passed. Resolves with the name of what it was refused with ("DeadlineExceeded").
 */
function tick(clock: WorkerPool): Promise<string> {
  return within(
    clock.run(wireRequest("/loop")).then(
      () => "answered",
      (error: unknown) => (error instanceof Error ? error.name : String(error)),
    ),
    "the clock: a runaway in a pool of its own",
    "a batch past its deadline is refused with DeadlineExceeded, as in step 09",
  );
}

const BEHIND_A_CRASH = "its batch was behind the one running when its worker crashed, and never started: it must go back to the front of the pool's queue and be answered by another worker (pool.ts), not get the crash's 502";
const BEHIND_AN_EXPIRY = "its batch was behind the one that ran past its deadline, and never started: it must go back to the front of the pool's queue and be answered (pool.ts)";

describe("a worker crashes while running a batch", () => {
  test("every unanswered task of the running batch gets a 502, even one that ran before the crash, and none runs twice; the batch behind is answered by the replacement, in order", async () => {
    const { tasks, pool, threads } = await newTasks({ size: 1 });
    const from = events.started.length;
    tasks.holdLater("g");
    tasks.labelled("a");
    tasks.run("crash", "/crash/exit");
    tasks.labelled("c");
    await tasks.started("g", "the tasks of one turn go to the idle worker together, at the end of the turn");
    const behind = ["b1", "b2", "b3"];
    tasks.labelled(...behind);
    expect(pool.stats(), "stats() with [g, a, crash, c] running and [b1, b2, b3] handed out in a later turn, behind it").toMatchObject({ busy: 1, ahead: 3, queued: 0 });
    tasks.open("g");
    expect(
      await tasks.outcomesOf(["g", "a", "crash", "c"], "the tasks of the batch running when its worker died are answered at once (step 05)"),
      "the tasks of the batch that crashed: the worker held g's and a's answers until the batch's end, which never came, so each gets the 502 (a ran, c never did; the pool cannot tell them apart, and must run neither again)",
    ).toEqual(["g: WorkerCrashed 502", "a: WorkerCrashed 502", "crash: WorkerCrashed 502", "c: WorkerCrashed 502"]);
    for (const label of behind) await tasks.expectAnswered(label, BEHIND_A_CRASH);
    expect(tasks.settledAmong(behind), "the order the 3 tasks behind the crash were answered in, by the replacement").toEqual(behind);
    await until(() => startsOf(from, behind).length >= behind.length, "the start events of b1, b2 and b3", () => JSON.stringify(startsOf(from, behind)));
    await expectBackAtRest(tasks, pool, threads, 1, "after the crash");
    expect(
      startsOf(from, ["a", "c", ...behind]),
      "the starts of a, c and the tasks behind: a once (before the crash), c never (it came after), each of the others once",
    ).toEqual(["a", ...behind]);
    expect(threads.started.length, "threads started: 1 at creation, 1 replacement").toBe(2);
  });

  test("the batches behind a crash go back to the FRONT of the queue, in their order, ahead of the tasks still queued", async () => {
    const { tasks, pool, threads } = await newTasks({ size: 1, tasksPerWorker: 5 });
    tasks.holdLater("g");
    tasks.run("crash", "/crash/exit");
    await tasks.started("g");
    tasks.labelled("b1", "b2"); // a second batch
    await aTurnOfTheEventLoop();
    const queued = ["q1", "q2", "q3"];
    tasks.labelled("b3", ...queued); // b3 makes a third batch; the worker then holds 5: the rest wait in the queue
    expect(pool.stats(), "stats() with [g, crash] running, [b1, b2] and [b3] behind, and 3 tasks queued (tasksPerWorker 5)").toMatchObject({ busy: 1, ahead: 3, queued: 3 });
    tasks.open("g");
    expect(await tasks.outcomesOf(["g", "crash"]), "the batch that crashed").toEqual(["g: WorkerCrashed 502", "crash: WorkerCrashed 502"]);
    const all = ["b1", "b2", "b3", ...queued];
    for (const label of all) await tasks.expectAnswered(label, label.startsWith("b") ? BEHIND_A_CRASH : "");
    expect(
      tasks.settledAmong(all),
      "the order the tasks were answered in: b1, b2 and b3 were handed out before q1, q2 and q3 and never ran; they go back in FRONT of them, in their order (at the back, or reversed, they are served out of turn)",
    ).toEqual(all);
    await expectBackAtRest(tasks, pool, threads, 1, "after the crash");
  });

  test("the batches behind a crash wait in the queue again under queueWaitMs: while no worker can take them, they are refused in time (QueueTimeout)", async () => {
    const start = controlledStart();
    let replacement: ReturnType<typeof start.hold> | undefined;
    try {
      const { tasks, pool } = await newTasks({ size: 1, queueWaitMs: 300 }, start.appModule);
      tasks.holdLater("g");
      tasks.run("crash", "/crash/exit");
      await tasks.started("g");
      tasks.labelled("b1", "b2");
      expect(pool.stats(), "stats() with [g, crash] running and [b1, b2] behind it").toMatchObject({ busy: 1, ahead: 2, queued: 0 });
      replacement = start.hold(); // from now on, a worker loading the app waits at this gate
      tasks.open("g");
      expect(await tasks.outcomesOf(["g", "crash"]), "the batch that crashed").toEqual(["g: WorkerCrashed 502", "crash: WorkerCrashed 502"]);
      await within(events.waitForStart(replacement.loading), "the replacement's start", "a worker that crashed is replaced (step 05)");
      expect(
        await tasks.outcomesOf(["b1", "b2"], "back in the pool's queue, a task waits at most queueWaitMs (300 ms here): arm its queue timer again when it goes back in line"),
        "the tasks behind the crash, back in the queue while the only worker is still starting",
      ).toEqual(["b1: QueueTimeout 503", "b2: QueueTimeout 503"]);
      replacement.gate.open();
      await until(() => pool.stats().idle === 1 && pool.stats().starting === 0, "the pool back at 1 idle worker", () => JSON.stringify(pool.stats()));
      expect(pool.stats(), "stats() once the replacement is ready").toMatchObject(atRest(1));
    } finally {
      replacement?.gate.open();
      start.dispose();
    }
  });

  test("crashes on 2 workers, twice: each crash is a 502 for its own batch only; the batches behind them, and the other worker's, are answered", async () => {
    const { tasks, pool, threads } = await newTasks({ size: 2 });
    for (const round of [1, 2]) {
      const [h1, h2, c1, c2, d1, d2] = ["held 1", "held 2", "crash 1", "crash 2", "d1", "d2"].map((label) => `${label} (round ${round})`) as [string, string, string, string, string, string];
      await tasks.hold([h1, h2]);
      tasks.run(c1, "/crash/exit");
      tasks.run(c2, "/crash/exit"); // one batch of one crash behind each held worker
      await aTurnOfTheEventLoop();
      tasks.labelled(d1, d2); // and one batch of one task behind each crash
      expect(pool.stats(), `round ${round}: stats() with 2 held workers, each with a crash and a task behind it`).toMatchObject({ busy: 2, ahead: 4, queued: 0 });
      tasks.open(h1);
      tasks.open(h2);
      expect(await tasks.outcomesOf([h1, h2, c1, c2], "every task must be answered"), `round ${round}: the held tasks and the crashes`).toEqual([
        `${h1}: 200 released ${h1}`,
        `${h2}: 200 released ${h2}`,
        `${c1}: WorkerCrashed 502`,
        `${c2}: WorkerCrashed 502`,
      ]);
      for (const label of [d1, d2]) await tasks.expectAnswered(label, BEHIND_A_CRASH);
      await until(() => pool.stats().idle === 2 && pool.stats().starting === 0, `round ${round}: the pool back at 2 idle workers`, () => JSON.stringify(pool.stats()));
    }
    await expectBackAtRest(tasks, pool, threads, 2, "after 4 crashes");
    expect(threads.started.length, "threads started: 2 at creation, 1 replacement per crash").toBe(6);
  });

  test("its thread terminated from outside: both tasks of its running batch get a 502; the batch behind is answered", async () => {
    const { tasks, pool, threads } = await newTasks({ size: 1 });
    const token = tasks.gate("doomed").token; // never opened: its thread is ended while it holds the task
    tasks.run("doomed", `/gate-thread/${token}`);
    tasks.labelled("after doomed"); // the same batch, behind it
    await tasks.expectNoneRefused(["doomed", "after doomed"], "the tasks of the batch whose thread is to be ended");
    let label: string | undefined;
    await until(() => (label = events.started.find((l) => l.startsWith(`${token}@`))) !== undefined, "the start of the doomed task");
    const behind = ["t1", "t2"];
    tasks.labelled(...behind);
    expect(pool.stats(), "stats() with [doomed, after doomed] running and [t1, t2] behind").toMatchObject({ busy: 1, ahead: 2, queued: 0 });
    const thread = threads.byThreadId(Number(label?.split("@")[1]));
    if (!thread) throw new Error(`no recorded worker runs thread ${label}`);
    thread.terminate();
    expect(await tasks.outcomesOf(["doomed", "after doomed"], "the tasks of the batch whose thread ended are answered at once (step 05)"), "the running batch").toEqual([
      "doomed: WorkerCrashed 502",
      "after doomed: WorkerCrashed 502",
    ]);
    for (const task of behind) await tasks.expectAnswered(task, BEHIND_A_CRASH);
    await expectBackAtRest(tasks, pool, threads, 1, "after the thread was ended from outside");
    expect(threads.started.length, "threads started: 1 at creation, 1 replacement").toBe(2);
  });
});

describe("a batch runs past its deadline", () => {
  test("every task of the batch gets a 504 naming the batch's deadline, the sum of its tasks' (3 × 100 ms); its worker is replaced; the batch behind is answered, in order", async () => {
    // Held tasks get a minute; the others 100 ms each.
    const deadlineMs = (request: WireRequest) => (pathOf(request).startsWith("/gate/") ? 60_000 : 100);
    const { tasks, pool, threads } = await newTasks({ size: 1, deadlineMs });
    await tasks.hold(["held"]);
    tasks.labelled("a");
    tasks.run("runaway", "/loop");
    tasks.labelled("c");
    await aTurnOfTheEventLoop();
    const behind = ["b1", "b2"];
    tasks.labelled(...behind);
    expect(pool.stats(), "stats() with held running, [a, runaway, c] and [b1, b2] behind it").toMatchObject({ busy: 1, ahead: 5, queued: 0 });
    tasks.open("held");
    expect(await tasks.outcome("held")).toBe("200 released held");
    expect(
      await tasks.outcomesOf(["a", "runaway", "c"], "a batch past its deadline: each of its tasks gets a DeadlineExceeded (step 06)"),
      "the tasks of the batch that ran past its deadline (a's answer was held with the batch's, which never came)",
    ).toEqual(["a: DeadlineExceeded 504", "runaway: DeadlineExceeded 504", "c: DeadlineExceeded 504"]);
    const error = await tasks.outcomes.error("runaway");
    expect(
      error instanceof Error ? error.message : describeError(error),
      "the runaway's DeadlineExceeded names the deadline the batch had: 300 ms, the sum of its 3 tasks' 100 ms (not the first task's alone)",
    ).toContain("300 ms");
    for (const label of behind) await tasks.expectAnswered(label, BEHIND_AN_EXPIRY);
    expect(tasks.settledAmong(behind), "the order the 2 tasks behind were answered in, by the replacement").toEqual(behind);
    expect(threads.started.length, "threads started: 1 at creation, 1 replacement for the runaway's").toBe(2);
    await expectBackAtRest(tasks, pool, threads, 1, "after the runaway");
  });

  test("a batch's deadline is the sum of its tasks': held past its first task's deadline, or past its last task's, it is not cut", async () => {
    // A held task gets 150 ms, the others a minute: each batch below may take a minute and 150 ms.
    // A runaway in a second pool, under 500 ms, is the clock: when its 504 comes, the held task's
    // batch has run longer than either of its tasks' deadlines alone.
    const deadlineMs = (request: WireRequest) => (pathOf(request).startsWith("/gate/") ? 150 : 60_000);
    const clock = await within(WorkerPool.create({ appModule: FIXTURE_APP, size: 1, deadlineMs: 500 }), "the clock's pool"); // before the census opens
    try {
      const { tasks, pool } = await newTasks({ size: 1, deadlineMs });
      for (const [first, second, held] of [
        ["g1", "x1", "g1"],
        ["x2", "g2", "g2"],
      ] as const) {
        const batch = `[${first} (${first === held ? "150 ms" : "a minute"}), ${second} (${second === held ? "150 ms" : "a minute"})]`;
        for (const label of [first, second]) {
          if (label === held) tasks.holdLater(label);
          else tasks.labelled(label);
        }
        await tasks.started(held, "the tasks of one turn go to the idle worker together");
        const ticked = await tick(clock);
        expect(ticked, "the clock: a runaway under a 500 ms deadline, in a pool of its own").toBe("DeadlineExceeded");
        await aTurnOfTheEventLoop();
        const settled = await Promise.all(tasks.settledAmong([first, second]).map(async (label) => `${label}: ${await tasks.outcome(label)}`));
        expect(
          settled,
          `tasks of the batch ${batch} settled after it had run 500 ms, its held task still at its gate: its deadline is the sum, a minute and 150 ms (not its first task's, nor its last's)`,
        ).toEqual([]);
        expect(pool.stats(), `stats() with ${batch} still running`).toMatchObject({ size: 1, busy: 1, starting: 0 });
        tasks.open(held);
        for (const label of [first, second]) await tasks.expectAnswered(label);
      }
      expect(pool.stats(), "stats() once both batches were answered").toMatchObject(atRest(1));
    } finally {
      await within(clock.close({ force: true }), "the clock pool's close()").catch(() => {});
    }
  });

  test("a batch's deadline counts from when it starts, not from when it was sent", async () => {
    // One worker, held (a minute's deadline); `behind` is sent behind it, with a 300 ms deadline.
    // A runaway in a second pool, under 500 ms, is the clock: when its 504 arrives, `behind` has
    // waited over 300 ms. It has not started: nothing may end it.
    const deadlineMs = (request: WireRequest) => (pathOf(request).startsWith("/busy/") ? 300 : 60_000);
    const clock = await within(WorkerPool.create({ appModule: FIXTURE_APP, size: 1, deadlineMs: 500 }), "the clock's pool");
    try {
      const { tasks } = await newTasks({ size: 1, deadlineMs });
      await tasks.hold(["held"]);
      tasks.labelled("behind");
      const ticked = await tick(clock);
      expect(ticked, "the clock: a runaway under a 500 ms deadline, in a pool of its own").toBe("DeadlineExceeded");
      await aTurnOfTheEventLoop();
      const early = await Promise.all(tasks.outcomes.settled.map(async (label) => `${label}: ${await tasks.outcome(label)}`));
      expect(
        early,
        "tasks settled after the batch [behind] had waited over its 300 ms deadline behind the held task: it had not started, so its deadline had not begun (start a batch's timer when the batch before it has all its answers, not when it is posted)",
      ).toEqual([]);
      tasks.open("held");
      expect(await tasks.outcome("held")).toBe("200 released held");
      await tasks.expectAnswered("behind", "once started, it answers well within its 300 ms");
    } finally {
      await within(clock.close({ force: true }), "the clock pool's close()").catch(() => {});
    }
  });

  test("a batch answered in time leaves no deadline behind: it does not cut the batch its worker runs next", async () => {
    // `quick` (300 ms) answers at once; then `held` (a minute) runs on the same worker and stays
    // at its gate. A runaway in a second pool, under 500 ms, is the clock: when its 504 comes,
    // quick's 300 ms are past. A deadline timer of quick's batch left running would have fired
    // by then, on its worker, which now runs `held`.
    const deadlineMs = (request: WireRequest) => (pathOf(request).startsWith("/busy/") ? 300 : 60_000);
    const clock = await within(WorkerPool.create({ appModule: FIXTURE_APP, size: 1, deadlineMs: 500 }), "the clock's pool"); // before the census opens
    try {
      const { tasks, pool } = await newTasks({ size: 1, deadlineMs });
      tasks.labelled("quick");
      await tasks.expectAnswered("quick");
      tasks.holdLater("held");
      await tasks.started("held");
      const ticked = await tick(clock);
      expect(ticked, "the clock: a runaway under a 500 ms deadline, in a pool of its own").toBe("DeadlineExceeded");
      await aTurnOfTheEventLoop();
      expect(
        { settled: tasks.outcomes.settled, stats: pool.stats() },
        "once quick's 300 ms were past: only quick may have settled, and held's worker must still run it, never replaced (clear a batch's deadline timer once it has all its answers)",
      ).toMatchObject({ settled: ["quick"], stats: { size: 1, busy: 1, idle: 0, ahead: 0, queued: 0, starting: 0 } });
      tasks.open("held");
      expect(await tasks.outcome("held", "held was running, with a minute's deadline"), "held, once released").toBe("200 released held");
      expect(pool.stats(), "stats() once both were answered").toMatchObject(atRest(1));
    } finally {
      await within(clock.close({ force: true }), "the clock pool's close()").catch(() => {});
    }
  });

  test("a runaway batch behind another is cut by its deadline once it starts, and the batch behind it is answered", async () => {
    // The runaway (100 ms) starts once the held task has its answer, and the pool starts its
    // batch's deadline before that answer reaches the test. A runaway in a second pool, started
    // after it, under 400 ms, is the clock: when its 504 comes, the first runaway's time is up.
    const clock = await within(WorkerPool.create({ appModule: FIXTURE_APP, size: 1, deadlineMs: 400 }), "the clock's pool"); // before the census opens
    try {
      const { tasks, pool, threads } = await newTasks({ size: 1, deadlineMs: runawaysGet(100) });
      await tasks.hold(["held"]);
      tasks.run("runaway", "/loop");
      await aTurnOfTheEventLoop();
      tasks.labelled("after");
      expect(pool.stats(), "stats() with the held task running, [runaway] and [after] behind it").toMatchObject({ busy: 1, ahead: 2, queued: 0 });
      tasks.open("held");
      expect(await tasks.outcome("held")).toBe("200 released held");
      const ticked = await tick(clock);
      expect(ticked, "the clock: a runaway under a 400 ms deadline, in a pool of its own, started after the held task's answer").toBe("DeadlineExceeded");
      await within(clock.close({ force: true }), "the clock pool's close()"); // its replacement thread must not count below
      await aTurnOfTheEventLoop();
      expect(
        tasks.outcomes.settled.includes("runaway"),
        "the runaway's batch (100 ms deadline) was answered by the time the clock's 400 ms were up: a batch's deadline must start when it starts, that is when the batch before it has all its answers",
      ).toBe(true);
      expect(await tasks.outcome("runaway"), "the runaway, behind a held task").toBe("DeadlineExceeded 504");
      await tasks.expectAnswered("after", BEHIND_AN_EXPIRY);
      await expectBackAtRest(tasks, pool, threads, 1, "after the runaway");
    } finally {
      await within(clock.close({ force: true }), "the clock pool's close()").catch(() => {});
    }
  });

  test("runaways on 2 workers, twice: a 504 for each runaway's batch only; the batches behind them are answered", async () => {
    const { tasks, pool, threads } = await newTasks({ size: 2, deadlineMs: runawaysGet(100) });
    for (const round of [1, 2]) {
      const [h1, h2, r1, r2, d1, d2] = ["held 1", "held 2", "runaway 1", "runaway 2", "d1", "d2"].map((label) => `${label} (round ${round})`) as [string, string, string, string, string, string];
      await tasks.hold([h1, h2]);
      tasks.run(r1, "/loop");
      tasks.run(r2, "/loop"); // one batch of one runaway behind each held worker
      await aTurnOfTheEventLoop();
      tasks.labelled(d1, d2); // and one batch of one task behind each runaway
      expect(pool.stats(), `round ${round}: stats() with 2 held workers, each with a runaway and a task behind it`).toMatchObject({ busy: 2, ahead: 4, queued: 0 });
      tasks.open(h1);
      tasks.open(h2);
      expect(await tasks.outcomesOf([h1, h2, r1, r2], "every task must be answered"), `round ${round}: the held tasks and the runaways`).toEqual([
        `${h1}: 200 released ${h1}`,
        `${h2}: 200 released ${h2}`,
        `${r1}: DeadlineExceeded 504`,
        `${r2}: DeadlineExceeded 504`,
      ]);
      for (const label of [d1, d2]) await tasks.expectAnswered(label, BEHIND_AN_EXPIRY);
      await until(() => pool.stats().idle === 2 && pool.stats().starting === 0, `round ${round}: the pool back at 2 idle workers`, () => JSON.stringify(pool.stats()));
    }
    await expectBackAtRest(tasks, pool, threads, 2, "after 4 runaways");
    expect(threads.started.length, "threads started: 2 at creation, 1 replacement per runaway").toBe(6);
  });

  test("long deadlines whose sum is more than a timer holds (2^31 - 1 ms): the batch is not cut at once; every task is answered", async () => {
    // 1.5 × 2^30 ms each (about 18 days): fine for one task, but two of them add up to more than
    // setTimeout keeps, and a longer delay fires at once. The sum must be kept under it.
    const { tasks, pool, threads } = await newTasks({ size: 1, deadlineMs: 1.5 * 2 ** 30 });
    const sent = ["long 1", "long 2", "long 3"];
    tasks.labelled(...sent); // one turn: one batch of 3
    for (const label of sent) await tasks.expectAnswered(label, "a batch's deadline longer than a timer can hold fires at once unless it is cut to 2^31 - 1 ms");
    await expectBackAtRest(tasks, pool, threads, 1, "after a batch with long deadlines");
    expect(threads.started.length, "threads started: 1 at creation, none replaced").toBe(1);
  });
});

describe("close() with batches, posted or still being filled", () => {
  const running = ["running 1", "running 2"];
  const posted = ["posted 1", "posted 2"];
  const filling = ["filling 1", "filling 2"];
  const queued = ["queued 1", "queued 2", "queued 3"];
  const all = [...running, ...posted, ...filling, ...queued];

  /** 2 held workers, each with a posted batch behind and one still being filled (this turn), and 3 queued tasks. */
  async function busyPool(): Promise<{ tasks: PoolTasks; pool: WorkerPool }> {
    const { tasks, pool } = await newTasks({ size: 2, tasksPerWorker: 3 });
    await tasks.hold(running);
    tasks.labelled(...posted);
    await aTurnOfTheEventLoop();
    tasks.labelled(...filling, ...queued);
    expect(pool.stats(), "stats() with 2 held workers, 2 batches posted behind them, 2 being filled and 3 tasks queued").toMatchObject({ busy: 2, ahead: 4, queued: 3 });
    return { tasks, pool };
  }

  test("close({ force: true }) answers every unfinished task 503 at once: running, in a batch posted or still being filled, queued; no thread is left", async () => {
    const { tasks, pool } = await busyPool();
    let aliveWhenClosed = -1;
    // In the same turn: the batches being filled have not been posted yet.
    tasks.outcomes.track("close({ force: true })", pool.close({ force: true }).then(() => void (aliveWhenClosed = pool.stats().alive)));
    await tasks.outcomes.value("close({ force: true })", "a forced close resolves once every thread has ended");
    await aTurnOfTheEventLoop();
    expect(
      all.filter((label) => !tasks.outcomes.settled.includes(label)),
      "tasks still unanswered once close({ force: true }) had resolved (every unfinished task gets its 503 at once, those of a batch not posted yet included)",
    ).toEqual([]);
    expect(await tasks.outcomesOf(all, "a forced close answers every unfinished task at once"), "each task's outcome, gates still closed").toEqual(
      all.map((label) => `${label}: PoolClosed 503`),
    );
    expect(aliveWhenClosed, "stats().alive when close({ force: true }) resolved").toBe(0);
    expect(pool.stats(), "stats() once closed").toMatchObject({ size: 0, idle: 0, busy: 0, queued: 0, ahead: 0, alive: 0 });
    tasks.labelled("late");
    expect(await tasks.outcome("late"), "a task sent after close()").toBe("PoolClosed 503");
  });

  test("close() lets every task finish first, those of a batch still being filled included, then ends the threads", async () => {
    const { tasks, pool } = await busyPool();
    let aliveWhenClosed = -1;
    tasks.outcomes.track("close()", pool.close().then(() => void (aliveWhenClosed = pool.stats().alive)));
    await aTurnOfTheEventLoop();
    tasks.outcomes.expectNoneSettled("Right after close(), with both workers still held");
    for (const label of running) tasks.open(label);
    for (const label of running) expect(await tasks.outcome(label)).toBe(`200 released ${label}`);
    for (const label of [...posted, ...filling, ...queued]) await tasks.expectAnswered(label, "close() lets every accepted task finish, those handed to a worker in the turn close() was called included");
    await tasks.outcomes.value("close()", "close() resolves once every task is answered and every thread has ended");
    expect(tasks.outcomes.settled.at(-1), "the last to settle: close() resolves after every task's answer").toBe("close()");
    expect(aliveWhenClosed, "stats().alive when close() resolved").toBe(0);
  });
});

describe("over HTTP", () => {
  test("a crash is a 502 for the requests of the running batch only: the batch behind it gets its own answers (one worker)", async () => {
    const logged: string[] = [];
    const server: PoolServer = await within(startServer({ appModule: FIXTURE_APP, port: 0, workers: 1, log: (line) => logged.push(line) }), "startServer({ workers: 1 })");
    const gate = newGate();
    try {
      // Through the server's own fetch, in this process: requests handed over in one turn reach the pool in that turn.
      const ask = (path: string) => within(server.fetch(new Request(new URL(path, server.url).href)), `server.fetch(GET ${path})`, "every request gets an answer");
      const held = ask(`/gate/${gate.token}`);
      await within(events.waitForStart(gate.token), "the start of the held request");
      const doomed = ["/busy/a/1", "/crash/exit", "/busy/c/1"].map(ask);
      await until(() => server.stats().ahead === 3, "the 3 requests of the crash's batch, behind the held one", () => JSON.stringify(server.stats()));
      await aTurnOfTheEventLoop();
      const behind = ["b1", "b2"].map((label) => ask(`/busy/${label}/1`));
      await until(() => server.stats().ahead === 5, "the 2 requests of the next batch, behind the crash's", () => JSON.stringify(server.stats()));
      gate.open();
      expect((await held).status, "the held request").toBe(200);
      const crashed = await Promise.all(doomed.map(async (answer) => (await answer).status));
      expect(crashed, "the requests of the batch that crashed its worker: GET /busy/a/1, /crash/exit, /busy/c/1").toEqual([502, 502, 502]);
      const answers = await Promise.all(behind.map(async (answer) => `${(await answer).status} ${await (await answer).text()}`));
      expect(answers, "the requests of the batch behind the crash (it never ran on the crashed worker)").toEqual(
        ["b1", "b2"].map((label) => `200 ${JSON.stringify({ label, n: 1, fibonacci: 1 })}`),
      );
      expect(logged.filter((line) => /crash/i.test(line)).length, `crashes in the log, one per request that got the 502: ${JSON.stringify(logged)}`).toBe(3);
      await until(() => server.stats().idle === 1 && server.stats().starting === 0, "the server's pool back at 1 idle worker", () => JSON.stringify(server.stats()));
      expect(server.stats(), "stats() once settled").toMatchObject(atRest(1));
    } finally {
      gate.open();
      await within(server.stop({ force: true }), "server.stop({ force: true })").catch(() => {});
    }
  });
});
