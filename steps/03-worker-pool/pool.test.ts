// Step 03's tests of the WorkerPool. Run them with `npm start -- check 03` (or `bun test` here).
//
// To show what runs and what waits without ever timing anything, the tests use gated tasks:
// `/gate/:token` announces that it has started, then holds its worker until the test opens
// the gate. "Still waiting" is read from `pool.stats()`, and "what started next" from the
// started announcements, which can only come in one order when the pool is right.

import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { FIXTURE_APP, MISSING_APP } from "#lib/app-modules.ts";
import type { AppResponse } from "#lib/http-types.ts";
import { requestData } from "#lib/http.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newGate, type Gate } from "#lib/testing/gate.ts";
import { WorkerPool } from "./pool.ts";

/** The pool size of most tests: small, and the same on every machine. */
const N = 2;

const events = new EventLog();
afterAll(() => events.close());

// Every pool a test creates is closed after it, whatever happened in the test.
const pools: WorkerPool[] = [];
async function createPool(size: number | undefined = N): Promise<WorkerPool> {
  const pool = await WorkerPool.create({ appModule: FIXTURE_APP, size });
  pools.push(pool);
  return pool;
}
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

/** Starts gated tasks; `settled` never rejects, so a task that fails early is read, not thrown. */
function runGated(pool: WorkerPool, count: number) {
  const gates = Array.from({ length: count }, () => newGate());
  const tasks = gates.map((gate) => pool.run(requestData(`/gate/${gate.token}`)));
  return { gates, tasks, settled: Promise.allSettled(tasks) };
}

/** Whichever of these gates' handlers starts first (at once if one already has). */
async function nextToStart(gates: Gate[]): Promise<Gate> {
  const event = await Promise.race(gates.map((gate) => events.waitForStart(gate.token)));
  return gates.find((gate) => gate.token === event.label) as Gate;
}

function bodyOf(result: PromiseSettledResult<AppResponse>): string {
  return result.status === "fulfilled" ? result.value.body : `rejected: ${String(result.reason)}`;
}

describe("starting the pool", () => {
  test("create() resolves once every worker is ready: all idle, nothing queued", async () => {
    const pool = await createPool(3);
    expect(pool.stats()).toEqual({ size: 3, idle: 3, busy: 0, queued: 0 });
  });

  test("by default the pool has one worker per core", async () => {
    const pool = await createPool(undefined);
    expect(pool.stats().size).toBe(navigator.hardwareConcurrency);
  });

  test("create() rejects, naming the module, when a worker cannot load the app", async () => {
    await expect(WorkerPool.create({ appModule: MISSING_APP, size: N })).rejects.toThrow("no-such-app.ts");
  });

  test("a pool of zero workers is refused with a clear error", async () => {
    await expect(WorkerPool.create({ appModule: FIXTURE_APP, size: 0 })).rejects.toThrow("at least one worker");
  });
});

describe("running tasks", () => {
  let pool: WorkerPool;
  beforeEach(async () => {
    pool = await createPool();
  });

  test("a task runs on a worker thread and gets its answer", async () => {
    const answer = await pool.run(requestData("/thread"));
    expect(JSON.parse(answer.body).threadId).not.toBe(0);
  });

  test("N+k concurrent tasks all complete, each with its own result", async () => {
    const ids = Array.from({ length: 3 * N + 1 }, (_, i) => String(i));
    const answers = await Promise.all(ids.map((i) => pool.run(requestData(`/echo?i=${i}`))));
    expect(answers.map((a) => JSON.parse(a.body).query.i)).toEqual(ids);
  });

  test("a handler that throws is a 500 for its own caller only, and the pool keeps serving", async () => {
    const [broken, fine] = await Promise.all([pool.run(requestData("/throw")), pool.run(requestData("/fibonacci/10"))]);
    expect(broken?.status).toBe(500);
    expect(fine?.status).toBe(200);
    expect((await pool.run(requestData("/fibonacci/3"))).status).toBe(200);
  });
});

test("under concurrency no response reaches the wrong caller", async () => {
  // The tasks go out the instant create() resolves, all at once, more than there are
  // workers. Each answer must be its own request's: fibonacci(n) for its own n.
  const pool = await createPool();
  const ns = [20, 1, 15, 2, 10, 3, 12, 5, 8];
  const answers = await Promise.all(ns.map((n) => pool.run(requestData(`/fibonacci/${n}`))));
  expect(answers.map((a) => JSON.parse(a?.body ?? "null")?.n)).toEqual(ns);
});

describe("when every worker is busy", () => {
  let pool: WorkerPool;
  beforeEach(async () => {
    pool = await createPool();
  });

  test("never more than N tasks run at once: the others wait in the queue", async () => {
    const { gates, settled } = runGated(pool, N + 3);
    const running = gates.slice(0, N);
    for (const gate of running) await events.waitForStart(gate.token);
    // N handlers hold the N workers; the other three are queued, not failed and not running.
    expect(pool.stats()).toEqual({ size: N, idle: 0, busy: N, queued: 3 });
    const tokens = new Set(gates.map((gate) => gate.token));
    expect(events.started.filter((label) => tokens.has(label)).sort()).toEqual(running.map((g) => g.token).sort());

    for (const gate of gates) gate.open();
    const results = await settled;
    expect(results.map(bodyOf)).toEqual(gates.map((gate) => `released ${gate.token}`));
  });

  test("queued tasks start in FIFO order", async () => {
    const { gates, settled } = runGated(pool, N + 3);
    for (const gate of gates.slice(0, N)) await events.waitForStart(gate.token);
    expect(pool.stats()).toEqual({ size: N, idle: 0, busy: N, queued: 3 });
    // Each time one running task is let go, exactly one worker is free, and the task it
    // takes must be the oldest of those still waiting.
    for (let released = 0; released < 3; released++) {
      gates[released]?.open();
      const waiting = gates.slice(N + released);
      expect((await nextToStart(waiting)).token).toBe(waiting[0]?.token as string);
    }
    for (const gate of gates.slice(3)) gate.open();
    expect((await settled).map(bodyOf)).toEqual(gates.map((gate) => `released ${gate.token}`));
  });

  test("a task goes to an idle worker, never behind a busy one", async () => {
    const held = runGated(pool, 1);
    await events.waitForStart(held.gates[0]?.token as string);
    // One worker is held; the other is free. Tasks sent one after the other must all be
    // answered by the free one while the held one is still held.
    for (let i = 0; i < 2 * N; i++) {
      const answer = await pool.run(requestData(`/echo?i=${i}`));
      expect(JSON.parse(answer.body).query.i).toBe(String(i));
    }
    held.gates[0]?.open();
    expect((await held.settled).map(bodyOf)).toEqual([`released ${held.gates[0]?.token}`]);
  });
});

/**
 * A Worker that remembers being terminated. Installed as the global `Worker` while a pool
 * starts, it lets the close() test see that every thread the pool started was ended, without
 * waiting to see whether one keeps running.
 */
class RecordedWorker extends Worker {
  static readonly started: RecordedWorker[] = [];
  terminated = false;
  constructor(...args: ConstructorParameters<typeof Worker>) {
    super(...args);
    RecordedWorker.started.push(this);
  }
  override terminate(): void {
    this.terminated = true;
    super.terminate();
  }
}

async function createRecordedPool(): Promise<{ pool: WorkerPool; workers: RecordedWorker[] }> {
  const original = globalThis.Worker;
  globalThis.Worker = RecordedWorker;
  try {
    const pool = await createPool();
    return { pool, workers: RecordedWorker.started.splice(0) };
  } finally {
    globalThis.Worker = original;
  }
}

describe("close()", () => {
  test("close() terminates every worker and settles every pending task with a clear error", async () => {
    const { pool, workers } = await createRecordedPool();
    expect(workers.length).toBe(N);
    const { gates, settled } = runGated(pool, N + 2);
    for (const gate of gates.slice(0, N)) await events.waitForStart(gate.token);

    await pool.close();
    // Every thread is ended, the busy ones too (their gates are still closed).
    expect(workers.map((worker) => worker.terminated)).toEqual(workers.map(() => true));
    const results = await settled;
    // The running ones and the queued ones alike: none is left pending, none succeeded.
    expect(results.map((r) => r.status)).toEqual(gates.map(() => "rejected"));
    for (const result of results) expect(bodyOf(result)).toMatch(/closed|terminated/);
    expect(pool.stats()).toEqual({ size: 0, idle: 0, busy: 0, queued: 0 });
    await expect(pool.run(requestData("/health"))).rejects.toThrow("closed");
  });
});
