// WRONG: takes a dead worker out of the pool but never starts a replacement, so each crash shrinks the pool for good.
// Step 03: a pool of workers.
//
// One worker runs one heavy request at a time, so with one worker every app request waits
// its turn even though the machine has more cores. The pool keeps N workers (one per core
// by default) and for each task:
//
//   - hands it to an idle worker, marking that worker busy until it answers;
//   - when every worker is busy, puts it at the back of a queue instead of failing (the
//     blog's pool throws "No idle workers available" here, which under load means errors
//     for requests that only needed to wait a few milliseconds);
//   - when a worker finishes, gives it the task at the front of the queue, so tasks start
//     in the order they arrived (first in, first out: nobody waits forever behind latecomers).
//
// Answers are matched to callers by id inside each AppWorker (step 02); the pool only
// decides *who* runs *what*, and when.
//
// Step 05: the pool survives what goes wrong, and says no instead of waiting forever.
//
//   - a worker that dies is replaced (its task was already answered by AppWorker); if the
//     replacements themselves keep failing to start, the pool stops trying and says why;
//   - a task that runs past its deadline gets its worker terminated (the only way to stop a
//     runaway handler) and replaced;
//   - the queue has a bound and a wait limit: past them, a task fails at once (503);
//   - `close()` drains: it takes no new task, finishes the queued and running ones, then
//     terminates the workers. `close({ force: true })` does not wait.

import type { AppResponse, RequestData } from "#lib/http-types.ts";
import { AppWorker } from "./app-worker.ts";
import { DeadlineExceeded, PoolBroken, PoolClosed, QueueFull, QueueTimeout } from "./pool-errors.ts";

export interface PoolOptions {
  appModule: string;
  /** How many workers. One per core lets every core compute; more only adds switching. */
  size?: number;
  /** How long a task may run on its worker, counted from when the worker starts it. */
  deadlineMs?: number | ((request: RequestData) => number);
  /** How long a task may wait in the queue for a free worker. */
  queueWaitMs?: number;
  /** How many tasks may wait; one more is refused at once. */
  maxQueue?: number;
  /** Replacement workers that may fail to start in a row before the pool stops respawning. */
  maxStartFailures?: number;
}

export interface PoolStats {
  size: number;
  idle: number;
  busy: number;
  queued: number;
  /** Replacement workers still loading the app. */
  starting: number;
  /** Workers started and not yet exited: after `close()`, 0, or a thread was leaked. */
  alive: number;
  /** Workers replaced after a crash or a deadline. */
  replaced: number;
  /** Why the pool stopped respawning, if it did. */
  broken?: string;
}

interface Task {
  request: RequestData;
  resolve: (response: AppResponse) => void;
  reject: (error: Error) => void;
  queueTimer?: ReturnType<typeof setTimeout>;
}

type Limits = Required<Omit<PoolOptions, "appModule">>;

export class WorkerPool {
  readonly #idle: AppWorker[] = [];
  readonly #busy = new Set<AppWorker>();
  readonly #queue: Task[] = [];
  #closed = false;
  readonly #appModule: string;
  readonly #limits: Limits;
  /** Every worker whose thread has not ended yet, idle, busy or being terminated. */
  readonly #alive = new Set<AppWorker>();
  #starting = 0;
  #startFailures = 0;
  #replaced = 0;
  #broken: string | undefined;
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  private constructor(workers: AppWorker[], appModule: string, limits: Limits) {
    this.#appModule = appModule;
    this.#limits = limits;
    for (const worker of workers) this.#adopt(worker);
  }

  /** Starts every worker and resolves once all of them are ready. */
  static async create({
    appModule,
    size = navigator.hardwareConcurrency,
    deadlineMs = 20_000,
    queueWaitMs = 20_000,
    maxQueue = 256,
    maxStartFailures = 3,
  }: PoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a pool needs at least one worker, got size ${size}`);
    const starts = Array.from({ length: size }, () => AppWorker.start(appModule));
    const results = await Promise.allSettled(starts);
    const workers = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) {
      // Half a pool is no pool: stop the workers that did start, and say why the others did not.
      for (const worker of workers) worker.terminate();
      throw failure.reason;
    }
    return new WorkerPool(workers, appModule, { size, deadlineMs, queueWaitMs, maxQueue, maxStartFailures });
  }

  /** Runs one request on some worker, now if one is idle, else when its turn comes. */
  run(request: RequestData): Promise<AppResponse> {
    if (this.#closed) return Promise.reject(new PoolClosed());
    if (this.#broken && this.stats().size === 0) return Promise.reject(new PoolBroken(this.#broken));
    return new Promise<AppResponse>((resolve, reject) => {
      const task: Task = { request, resolve, reject };
      this.#queue.push(task);
      this.#dispatch();
      if (this.#queue.at(-1) === task) this.#admit(task); // no worker was free: it waits
    });
  }

  stats(): PoolStats {
    return {
      size: this.#idle.length + this.#busy.size,
      idle: this.#idle.length,
      busy: this.#busy.size,
      queued: this.#queue.length,
      starting: this.#starting,
      alive: this.#alive.size,
      replaced: this.#replaced,
      broken: this.#broken,
    };
  }

  /**
   * Stops taking tasks, lets every queued and running task finish (deadlines still apply),
   * then terminates the workers and resolves once every thread has ended. With `force`, the
   * unfinished tasks are rejected at once instead.
   */
  async close({ force = false }: { force?: boolean } = {}): Promise<void> {
    this.#closed = true;
    if (force) {
      for (const task of this.#queue.splice(0)) this.#fail(task, new PoolClosed());
      for (const worker of this.#busy) worker.terminate(new PoolClosed()); // rejects their in-flight tasks
      this.#busy.clear();
    }
    // A second close (a forced one after a graceful one, say) waits for the same end.
    this.#closing ??= this.#drainThenTerminate();
    return this.#closing;
  }

  async #drainThenTerminate(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#drained = resolve;
      this.#checkDrained();
    });
    for (const worker of this.#idle) worker.terminate();
    this.#idle.length = 0;
    await Promise.all([...this.#alive].map((worker) => worker.exited));
  }

  // Pairs idle workers with queued tasks, oldest task first, until one of the two runs out.
  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop() as AppWorker;
      const task = this.#queue.shift() as Task;
      clearTimeout(task.queueTimer);
      this.#busy.add(worker);
      // The deadline counts from here, when a worker starts the task, not from its arrival:
      // time spent queued has its own limit. A handler in an endless loop never yields, so
      // no message can stop it: terminating its thread is the only way, and a new one replaces it.
      const { deadlineMs } = this.#limits;
      const ms = typeof deadlineMs === "function" ? deadlineMs(task.request) : deadlineMs;
      let expired = false;
      const timer = setTimeout(() => {
        expired = true;
        this.#expire(worker, task, ms);
      }, ms);
      worker
        .request(task.request)
        .then(task.resolve, task.reject)
        .finally(() => {
          clearTimeout(timer);
          // A worker that died or was terminated is not given back: #replace takes its place.
          if (expired || !worker.alive || !this.#busy.has(worker)) return;
          this.#busy.delete(worker);
          this.#idle.push(worker);
          this.#dispatch();
          this.#checkDrained();
        });
    }
  }

  // A task that must wait, waits within limits. A bounded queue says no at once (the client
  // can retry, or go elsewhere) rather than holding it for as long as the backlog takes; and
  // even an admitted task gives up after `queueWaitMs`.
  #admit(task: Task): void {
    const { maxQueue, queueWaitMs } = this.#limits;
    if (this.#queue.length > maxQueue) {
      this.#queue.pop();
      task.reject(new QueueFull(maxQueue));
      return;
    }
    task.queueTimer = setTimeout(() => {
      this.#queue.splice(this.#queue.indexOf(task), 1);
      task.reject(new QueueTimeout(queueWaitMs));
      this.#checkDrained();
    }, queueWaitMs);
  }

  // The task's time is up: answer it, then stop the thread still running it, and replace it.
  #expire(worker: AppWorker, task: Task, ms: number): void {
    task.reject(new DeadlineExceeded(ms));
    this.#busy.delete(worker);
    worker.terminate();
    this.#replace();
    this.#checkDrained();
  }

  // Tracks a ready worker until its thread ends, and replaces it if it crashed.
  #adopt(worker: AppWorker): void {
    this.#alive.add(worker);
    this.#idle.push(worker);
    void worker.exited.then(({ crashed }: { crashed: boolean }) => {
      this.#alive.delete(worker);
      if (!crashed) return;
      // Its waiting task, if any, was already rejected with WorkerCrashed by AppWorker.
      this.#busy.delete(worker);
      const index = this.#idle.indexOf(worker);
      if (index >= 0) this.#idle.splice(index, 1);
      this.#checkDrained();
    });
  }

  // Starts a replacement. It takes tasks only once it has answered `ready` (a worker that is
  // still loading must not get work, nor be terminated: that has crashed some Bun versions).
  #replace(): void {
    // Once closing, a replacement is only worth starting for tasks that still wait.
    if (this.#broken || (this.#closed && this.#queue.length === 0)) return;
    this.#starting++;
    AppWorker.start(this.#appModule).then(
      (worker: AppWorker) => {
        this.#starting--;
        this.#startFailures = 0;
        this.#replaced++;
        this.#adopt(worker);
        this.#dispatch();
        this.#checkDrained();
      },
      (error: Error) => {
        this.#starting--;
        // A module that fails at start-up will fail the next time too: retrying without end
        // would be a respawn storm (threads started and failing as fast as the CPU allows).
        if (++this.#startFailures < this.#limits.maxStartFailures) return this.#replace();
        this.#broken = `${this.#startFailures} replacement workers in a row failed to start: ${error.message}`;
        if (this.stats().size === 0) for (const task of this.#queue.splice(0)) this.#fail(task, new PoolBroken(this.#broken));
        this.#checkDrained();
      },
    );
  }

  #fail(task: Task, error: Error): void {
    clearTimeout(task.queueTimer);
    task.reject(error);
  }

  // Resolves a pending close() once nothing is queued, running or starting.
  #checkDrained(): void {
    if (!this.#drained || this.#queue.length > 0 || this.#busy.size > 0 || this.#starting > 0) return;
    const drained = this.#drained;
    this.#drained = undefined;
    drained();
  }
}
