// Step 09's tests, part 5: when a worker holding tasks sent ahead is lost. Run them with
// `npm start -- check 09`.
//
// A task sent ahead waits in its worker's mailbox; the worker starts it once every task sent
// before it has its answer. So when that worker is lost, the pool knows which of its tasks ran:
//
//   - its thread crashed: the task it was running gets the 502 (step 05); the ones sent ahead
//     never started, so they go back to the FRONT of the pool's queue, in their order, and are
//     answered normally by another worker or the replacement;
//   - a task ran past its deadline: a 504 for that one, its thread terminated and replaced
//     (step 06); the ones sent ahead go back to the front of the queue the same way. Its
//     deadline counts from its start, not from when it was sent;
//   - `close({ force: true })`: every unfinished task, running, sent ahead or queued, gets a 503
//     at once; `close()` answers them all first (step 07).
//
// Tasks are sent in the same turn of the event loop, so the pool dispatches all of them before
// the first one even starts: a task sent ahead behind `/crash/exit` or `/loop` is in the dying
// worker's mailbox for sure. Threads are counted at the source (lib/testing/worker-census.ts).

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { FIXTURE_APP } from "#lib/app-modules.ts";
import type { WireRequest } from "#lib/flat-protocol.ts";
import { until, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { PoolTasks } from "#lib/testing/pool-tasks.ts";
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
async function newTasks(options: Omit<PoolOptions, "appModule">): Promise<{ tasks: PoolTasks; pool: WorkerPool; threads: WorkerCensus }> {
  const threads = openWorkerCensus();
  census = threads;
  const pool = await within(
    WorkerPool.create({ appModule: FIXTURE_APP, ...options }),
    `WorkerPool.create(${JSON.stringify(options)})`,
    "does every worker answer `init`, as in step 08?",
  );
  current = new PoolTasks(pool, events);
  return { tasks: current, pool, threads };
}

/** /loop gets `loopMs`; everything else a generous minute. */
const runawaysGet = (loopMs: number) => (request: WireRequest) => (new URL(request.url).pathname === "/loop" ? loopMs : 60_000);

const atRest = (size: number): Partial<PoolStats> => ({ size, idle: size, busy: 0, queued: 0, ahead: 0, starting: 0 });

/** Lets a wrong pool's asynchronous mistakes land before the test looks. */
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
    "a task past its deadline is refused with DeadlineExceeded, as in step 06",
  );
}

const SENT_AHEAD_TO_CRASHED = "it was sent ahead to the worker that crashed and never ran: it must go back to the front of the pool's queue and be answered by another worker (pool.ts), not get the crash's 502";
const SENT_AHEAD_TO_EXPIRED = "it was sent ahead to the worker whose task ran past its deadline, and never ran: it must go back to the front of the pool's queue and be answered (pool.ts)";

describe("a worker crashes while holding tasks sent ahead", () => {
  test("the task it ran gets a 502; the 3 sent ahead to it never ran, and are answered by the replacement, in order", async () => {
    const { tasks, pool, threads } = await newTasks({ size: 1, tasksPerWorker: 4 });
    const behind = ["b1", "b2", "b3"];
    const from = events.started.length;
    tasks.run("crash", "/crash/exit");
    tasks.labelled(...behind);
    expect(pool.stats(), "stats() right after /crash/exit and 3 more were sent to one idle worker (tasksPerWorker 4)").toMatchObject({ busy: 1, ahead: 3, queued: 0 });
    expect(await tasks.outcome("crash", "the task running when its worker died is answered at once (step 05)"), "the task that crashed its worker").toBe("WorkerCrashed 502");
    for (const label of behind) await tasks.expectAnswered(label, SENT_AHEAD_TO_CRASHED);
    expect(tasks.settledAmong(behind), "the order the 3 tasks were answered in, by the replacement").toEqual(behind);
    const starts = () => events.started.slice(from).filter((label) => behind.includes(label));
    await until(() => starts().length >= behind.length, "the start events of the 3 tasks", () => JSON.stringify(starts())); // they come on a channel of their own
    expect(starts(), "the tasks' starts: each once, in order").toEqual(behind);
    expect(threads.started.length, "threads started: 1 at creation, 1 replacement").toBe(2);
    await expectBackAtRest(tasks, pool, threads, 1, "after the crash");
  });

  test("the tasks sent ahead to a crashed worker go back to the FRONT of the queue, ahead of the tasks still queued", async () => {
    const { tasks, pool, threads } = await newTasks({ size: 1, tasksPerWorker: 2 });
    tasks.run("crash", "/crash/exit");
    tasks.labelled("b1"); // sent ahead
    const queued = ["q1", "q2", "q3"];
    tasks.labelled(...queued); // the worker holds 2: these wait in the queue
    expect(pool.stats(), "stats() right after the 5 tasks were sent").toMatchObject({ busy: 1, ahead: 1, queued: 3 });
    expect(await tasks.outcome("crash"), "the task that crashed its worker").toBe("WorkerCrashed 502");
    await tasks.expectAnswered("b1", SENT_AHEAD_TO_CRASHED);
    for (const label of queued) await tasks.expectAnswered(label);
    expect(
      tasks.settledAmong(["b1", ...queued]),
      "the order the tasks were answered in: b1 was sent before q1, q2 and q3, and never ran; it goes back in FRONT of them (put back at the back, it waits behind tasks that came after it)",
    ).toEqual(["b1", ...queued]);
    await expectBackAtRest(tasks, pool, threads, 1, "after the crash");
  });

  test("crash after crash on 2 workers: each crash is a 502 for its own task only; every task sent ahead behind them is answered", async () => {
    const { tasks, pool, threads } = await newTasks({ size: 2 });
    const sequence = ["crash 1", "a", "crash 2", "b", "c", "crash 3", "d"];
    const from = events.started.length;
    for (const label of sequence) {
      if (label.startsWith("crash")) tasks.run(label, "/crash/exit");
      else tasks.labelled(label);
    }
    expect(pool.stats(), "stats() right after 7 tasks were sent to 2 idle workers: 2 run, 5 sent ahead").toMatchObject({ busy: 2, ahead: 5, queued: 0 });
    expect(await tasks.outcomesOf(sequence, "every task must be answered: a crash's 502 for the crashing ones, their own answer for the others"), "each task's outcome").toEqual([
      "crash 1: WorkerCrashed 502",
      "a: 200 a",
      "crash 2: WorkerCrashed 502",
      "b: 200 b",
      "c: 200 c",
      "crash 3: WorkerCrashed 502",
      "d: 200 d",
    ]);
    const starts = () => events.started.slice(from).filter((label) => ["a", "b", "c", "d"].includes(label)).sort();
    await until(() => starts().length >= 4, "the start events of a, b, c and d", () => JSON.stringify(starts())); // they come on a channel of their own
    expect(starts(), "the starts of a, b, c and d: each ran once").toEqual(["a", "b", "c", "d"]);
    await expectBackAtRest(tasks, pool, threads, 2, "after 3 crashes");
    expect(threads.started.length, "threads started: 2 at creation, 1 replacement per crash").toBe(5);
  });

  test("its thread terminated from outside: the task it ran gets a 502, the 2 sent ahead to it are answered", async () => {
    const { tasks, pool, threads } = await newTasks({ size: 2, tasksPerWorker: 3 });
    const token = tasks.gate("doomed").token; // never opened: its thread is ended while it holds the task
    tasks.run("doomed", `/gate-thread/${token}`);
    await tasks.hold(["held"]);
    const ahead = ["t1", "t2", "t3", "t4"];
    tasks.labelled(...ahead);
    expect(pool.stats(), "stats() with both workers held, 2 tasks sent ahead to each").toMatchObject({ busy: 2, ahead: 4, queued: 0 });
    let label: string | undefined;
    await until(() => (label = events.started.find((l) => l.startsWith(`${token}@`))) !== undefined, "the start of the doomed task");
    const thread = threads.byThreadId(Number(label?.split("@")[1]));
    if (!thread) throw new Error(`no recorded worker runs thread ${label}`);
    thread.terminate();
    expect(await tasks.outcome("doomed", "the task whose thread ended is answered at once (step 05)"), "the task running on the thread ended from outside").toBe("WorkerCrashed 502");
    tasks.open("held");
    for (const task of ahead) await tasks.expectAnswered(task, SENT_AHEAD_TO_CRASHED);
    expect(await tasks.outcome("held")).toBe("200 released held");
    await expectBackAtRest(tasks, pool, threads, 2, "after the thread was ended from outside");
  });
});

describe("a task runs past its deadline while tasks wait behind it", () => {
  test("the runaway gets a 504 and its worker is replaced; the 3 tasks sent ahead to it are answered normally, in order", async () => {
    const { tasks, pool, threads } = await newTasks({ size: 1, tasksPerWorker: 4, deadlineMs: runawaysGet(100) });
    const behind = ["b1", "b2", "b3"];
    tasks.run("runaway", "/loop");
    tasks.labelled(...behind);
    expect(pool.stats(), "stats() right after /loop and 3 more were sent to one idle worker").toMatchObject({ busy: 1, ahead: 3, queued: 0 });
    expect(await tasks.outcome("runaway", "a task past its deadline gets a DeadlineExceeded (step 06)"), "the runaway").toBe("DeadlineExceeded 504");
    const { queued, ahead } = pool.stats();
    expect(queued + ahead, `tasks waiting in the pool right after the runaway's 504 (stats() says ${JSON.stringify(pool.stats())}): the 3 sent ahead to its worker never ran: they must be put back in the queue, neither dropped nor refused`).toBe(3);
    for (const label of behind) await tasks.expectAnswered(label, SENT_AHEAD_TO_EXPIRED);
    expect(tasks.settledAmong(behind), "the order the 3 tasks were answered in, by the replacement").toEqual(behind);
    expect(threads.started.length, "threads started: 1 at creation, 1 replacement for the runaway's").toBe(2);
    await expectBackAtRest(tasks, pool, threads, 1, "after the runaway");
  });

  test("runaways in a row on 2 workers, tasks sent ahead behind each: a 504 for each runaway only, every other task answered", async () => {
    const { tasks, pool, threads } = await newTasks({ size: 2, deadlineMs: runawaysGet(100) });
    const sequence = ["runaway 1", "a", "runaway 2", "b", "c", "runaway 3", "d"];
    for (const label of sequence) {
      if (label.startsWith("runaway")) tasks.run(label, "/loop");
      else tasks.labelled(label);
    }
    expect(await tasks.outcomesOf(sequence, "every task must be answered: a 504 for the runaways, their own answer for the others"), "each task's outcome").toEqual([
      "runaway 1: DeadlineExceeded 504",
      "a: 200 a",
      "runaway 2: DeadlineExceeded 504",
      "b: 200 b",
      "c: 200 c",
      "runaway 3: DeadlineExceeded 504",
      "d: 200 d",
    ]);
    await expectBackAtRest(tasks, pool, threads, 2, "after 3 runaways");
    expect(threads.started.length, "threads started: 2 at creation, 1 replacement per runaway").toBe(5);
  });

  test("a task sent ahead: its deadline counts from when it starts, not from when it was sent", async () => {
    // One worker, held (a minute's deadline); `behind` is sent ahead with a 300 ms deadline. A
    // runaway in a second pool, under a 500 ms deadline, is the clock: when its 504 arrives,
    // `behind` has waited over 300 ms in the mailbox. It has not started: nothing may end it.
    const deadlineMs = (request: WireRequest) => (new URL(request.url).pathname.startsWith("/busy/") ? 300 : 60_000);
    const clock = await within(WorkerPool.create({ appModule: FIXTURE_APP, size: 1, deadlineMs: 500 }), "the clock's pool");
    try {
      const { tasks } = await newTasks({ size: 1, tasksPerWorker: 2, deadlineMs });
      await tasks.hold(["held"]);
      tasks.labelled("behind");
      const ticked = await tick(clock);
      expect(ticked, "the clock: a runaway under a 500 ms deadline, in a pool of its own").toBe("DeadlineExceeded");
      await aTurnOfTheEventLoop();
      const early = await Promise.all(tasks.outcomes.settled.map(async (label) => `${label}: ${await tasks.outcome(label)}`));
      expect(
        early,
        "tasks settled after `behind` had waited over its 300 ms deadline behind the held task: it had not started, so its deadline had not begun (start its timer when the task before it has its answer, not when it is sent)",
      ).toEqual([]);
      tasks.open("held");
      expect(await tasks.outcome("held")).toBe("200 released held");
      await tasks.expectAnswered("behind", "once started, it answers well within its 300 ms");
    } finally {
      await within(clock.close({ force: true }), "the clock pool's close()").catch(() => {});
    }
  });

  test("a task answered in time leaves no deadline behind: it does not end the task sent ahead behind it, which then runs", async () => {
    // `quick` (300 ms deadline) answers at once, and `held`, sent ahead behind it, starts and
    // stays at its gate. A runaway in a second pool, under 500 ms, is the clock: when its 504
    // comes, quick's 300 ms are past. A deadline timer of quick's left running would have fired
    // by then, on its worker, which now runs `held`.
    const deadlineMs = (request: WireRequest) => (new URL(request.url).pathname.startsWith("/busy/") ? 300 : 60_000);
    const clock = await within(WorkerPool.create({ appModule: FIXTURE_APP, size: 1, deadlineMs: 500 }), "the clock's pool"); // before the census opens
    try {
      const { tasks, pool } = await newTasks({ size: 1, tasksPerWorker: 2, deadlineMs });
      tasks.labelled("quick");
      tasks.holdLater("held");
      expect(pool.stats(), "stats() with quick running and held sent ahead").toMatchObject({ busy: 1, ahead: 1 });
      await tasks.expectAnswered("quick");
      await tasks.started("held", "a task sent ahead starts once the one before it has its answer");
      const ticked = await tick(clock);
      expect(ticked, "the clock: a runaway under a 500 ms deadline, in a pool of its own").toBe("DeadlineExceeded");
      await aTurnOfTheEventLoop();
      expect(
        { settled: tasks.outcomes.settled, stats: pool.stats() },
        "once quick's 300 ms were past: only quick may have settled, and held's worker must still run it, never replaced (clear a task's deadline timer when it settles)",
      ).toMatchObject({ settled: ["quick"], stats: { size: 1, busy: 1, idle: 0, ahead: 0, queued: 0, starting: 0 } });
      tasks.open("held");
      expect(await tasks.outcome("held", "held was running, with a minute's deadline"), "held, once released").toBe("200 released held");
      expect(pool.stats(), "stats() once both were answered").toMatchObject(atRest(1));
    } finally {
      await within(clock.close({ force: true }), "the clock pool's close()").catch(() => {});
    }
  });

  test("a runaway sent ahead is cut by its deadline once it starts, and the task sent behind it is answered", async () => {
    // The runaway (100 ms) starts once the held task has its answer, and the pool starts its
    // deadline before that answer reaches the test. A runaway in a second pool, started after
    // it, under 400 ms, is the clock: when its 504 comes, the first runaway's time is long up.
    const clock = await within(WorkerPool.create({ appModule: FIXTURE_APP, size: 1, deadlineMs: 400 }), "the clock's pool"); // before the census opens
    try {
      const { tasks, pool, threads } = await newTasks({ size: 1, tasksPerWorker: 3, deadlineMs: runawaysGet(100) });
      await tasks.hold(["held"]);
      tasks.run("runaway", "/loop");
      tasks.labelled("after");
      expect(pool.stats(), "stats() with the runaway and one more sent ahead behind the held task").toMatchObject({ busy: 1, ahead: 2, queued: 0 });
      tasks.open("held");
      expect(await tasks.outcome("held")).toBe("200 released held");
      const ticked = await tick(clock);
      expect(ticked, "the clock: a runaway under a 400 ms deadline, in a pool of its own, started after the held task's answer").toBe("DeadlineExceeded");
      await within(clock.close({ force: true }), "the clock pool's close()"); // its replacement thread must not count below
      await aTurnOfTheEventLoop();
      expect(
        tasks.outcomes.settled.includes("runaway"),
        "the runaway sent ahead (100 ms deadline) was answered by the time the clock's 400 ms were up: its deadline must start when it starts, that is when the task before it has its answer",
      ).toBe(true);
      expect(await tasks.outcome("runaway"), "the runaway, sent ahead behind a held task").toBe("DeadlineExceeded 504");
      await tasks.expectAnswered("after", SENT_AHEAD_TO_EXPIRED);
      await expectBackAtRest(tasks, pool, threads, 1, "after the runaway");
    } finally {
      await within(clock.close({ force: true }), "the clock pool's close()").catch(() => {});
    }
  });
});

describe("close() with tasks sent ahead", () => {
  const running = ["running 1", "running 2"];
  const ahead = ["ahead 1", "ahead 2", "ahead 3", "ahead 4"];
  const queued = ["queued 1", "queued 2", "queued 3"];

  test("close({ force: true }) rejects every unfinished task at once with PoolClosed (503): running, sent ahead and queued; no thread is left", async () => {
    const { tasks, pool } = await newTasks({ size: 2, tasksPerWorker: 3 });
    await tasks.hold(running);
    tasks.labelled(...ahead, ...queued);
    expect(pool.stats(), "stats() with 2 held workers, 4 tasks sent ahead and 3 queued").toMatchObject({ busy: 2, ahead: 4, queued: 3 });
    let aliveWhenClosed = -1;
    tasks.outcomes.track("close({ force: true })", pool.close({ force: true }).then(() => void (aliveWhenClosed = pool.stats().alive)));
    const all = [...running, ...ahead, ...queued];
    await tasks.outcomes.value("close({ force: true })", "a forced close resolves once every thread has ended");
    await aTurnOfTheEventLoop();
    expect(
      all.filter((label) => !tasks.outcomes.settled.includes(label)),
      "tasks still unanswered once close({ force: true }) had resolved (every unfinished task gets its 503 at once, the ones sent ahead to a worker included)",
    ).toEqual([]);
    expect(
      await tasks.outcomesOf(all, "a forced close answers every unfinished task at once, the ones sent ahead to a worker included"),
      "each task's outcome, gates still closed",
    ).toEqual(all.map((label) => `${label}: PoolClosed 503`));
    expect(aliveWhenClosed, "stats().alive when close({ force: true }) resolved").toBe(0);
    expect(pool.stats(), "stats() once closed").toMatchObject({ size: 0, idle: 0, busy: 0, queued: 0, ahead: 0, alive: 0 });
    tasks.labelled("late");
    expect(await tasks.outcome("late"), "a task sent after close()").toBe("PoolClosed 503");
  });

  test("close() answers every running, sent-ahead and queued task first, then ends the threads", async () => {
    const { tasks, pool } = await newTasks({ size: 2, tasksPerWorker: 3 });
    await tasks.hold(running);
    tasks.labelled(...ahead, ...queued);
    let aliveWhenClosed = -1;
    tasks.outcomes.track("close()", pool.close().then(() => void (aliveWhenClosed = pool.stats().alive)));
    await aTurnOfTheEventLoop();
    tasks.outcomes.expectNoneSettled("Right after close(), with both workers still held");
    for (const label of running) tasks.open(label);
    for (const label of running) expect(await tasks.outcome(label)).toBe(`200 released ${label}`);
    for (const label of [...ahead, ...queued]) await tasks.expectAnswered(label, "close() lets every accepted task finish, the ones sent ahead included");
    await tasks.outcomes.value("close()", "close() resolves once every task is answered and every thread has ended");
    expect(tasks.outcomes.settled.at(-1), "the last to settle: close() resolves after every task's answer").toBe("close()");
    expect(aliveWhenClosed, "stats().alive when close() resolved").toBe(0);
  });
});

describe("over HTTP", () => {
  test("a crash is a 502 for its own request only: the requests sent ahead behind it get their own answers (one worker)", async () => {
    const logged: string[] = [];
    const server: PoolServer = await within(startServer({ appModule: FIXTURE_APP, port: 0, workers: 1, log: (line) => logged.push(line) }), "startServer({ workers: 1 })");
    try {
      // Through the server's own fetch, in this process: the requests reach the pool in the order sent.
      const ask = (path: string) => within(server.fetch(new Request(new URL(path, server.url).href)), `server.fetch(GET ${path})`, "every request gets an answer");
      const crash = ask("/crash/exit");
      const behind = ["b1", "b2", "b3"].map((label) => ask(`/busy/${label}/1`));
      const crashed = await crash;
      expect(crashed.status, `GET /crash/exit: ${await crashed.text()}`).toBe(502);
      const answers = await Promise.all(behind.map(async (answer) => `${(await answer).status} ${await (await answer).text()}`));
      expect(answers, "the requests sent ahead behind the crash (they never ran on the crashed worker)").toEqual(
        ["b1", "b2", "b3"].map((label) => `200 ${JSON.stringify({ label, n: 1, fibonacci: 1 })}`),
      );
      expect(logged.filter((line) => /crash/i.test(line)).length, `crashes in the log: ${JSON.stringify(logged)}`).toBe(1);
      await until(
        () => server.stats().idle === 1 && server.stats().starting === 0,
        "the server's pool back at 1 idle worker",
        () => JSON.stringify(server.stats()),
      );
      expect(server.stats(), "stats() once settled").toMatchObject(atRest(1));
    } finally {
      await within(server.stop({ force: true }), "server.stop({ force: true })").catch(() => {});
    }
  });
});
