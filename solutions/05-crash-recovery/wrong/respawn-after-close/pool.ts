// WRONG: replaces every worker whose thread ends, also those close() terminated: a closed pool keeps starting threads
// CAUGHT BY: close() starts no replacement
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
// Step 05: the pool keeps its size when workers die. AppWorker has already answered a dead
// worker's task (502); the pool takes the worker out of its lists and starts a replacement,
// which gets work only once it is ready. A module that fails at every start-up would make
// that a respawn storm, so after a few failed starts in a row the pool stops and says why.

import type { AppResponse, RequestData } from "#lib/http-types.ts";
import { AppWorker } from "./app-worker.ts";
import { PoolBroken } from "./pool-errors.ts";

export interface PoolOptions {
  appModule: string;
  /** How many workers. One per core lets every core compute; more only adds switching. */
  size?: number;
  /** Replacement workers that may fail to start in a row before the pool gives up on them. */
  maxStartFailures?: number;
}

export interface PoolStats {
  size: number;
  idle: number;
  busy: number;
  queued: number;
  /** Replacement workers still loading the app. */
  starting: number;
  /** Why the pool stopped replacing workers, once it has. */
  broken?: string;
}

interface Task {
  request: RequestData;
  resolve: (response: AppResponse) => void;
  reject: (error: Error) => void;
}

export class WorkerPool {
  readonly #idle: AppWorker[] = [];
  readonly #busy = new Set<AppWorker>();
  readonly #queue: Task[] = [];
  #closed = false;
  readonly #appModule: string;
  readonly #maxStartFailures: number;
  #starting = 0;
  #startFailures = 0;
  #broken: string | undefined;

  private constructor(workers: AppWorker[], appModule: string, maxStartFailures: number) {
    this.#appModule = appModule;
    this.#maxStartFailures = maxStartFailures;
    for (const worker of workers) this.#adopt(worker);
  }

  /** Starts every worker and resolves once all of them are ready. */
  static async create({ appModule, size = navigator.hardwareConcurrency, maxStartFailures = 3 }: PoolOptions): Promise<WorkerPool> {
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
    return new WorkerPool(workers, appModule, maxStartFailures);
  }

  /** Runs one request on some worker, now if one is idle, else when its turn comes. */
  run(request: RequestData): Promise<AppResponse> {
    if (this.#closed) return Promise.reject(new Error("the pool is closed"));
    if (this.#broken && this.stats().size === 0) return Promise.reject(new PoolBroken(this.#broken));
    return new Promise<AppResponse>((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#dispatch();
    });
  }

  stats(): PoolStats {
    return {
      size: this.#idle.length + this.#busy.size,
      idle: this.#idle.length,
      busy: this.#busy.size,
      queued: this.#queue.length,
      starting: this.#starting,
      broken: this.#broken,
    };
  }

  /** Terminates every worker. Every task not yet answered is rejected, none is left pending. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0)) task.reject(new Error("the pool was closed before this task ran"));
    for (const worker of [...this.#idle, ...this.#busy]) worker.terminate(); // rejects their in-flight tasks
    this.#idle.length = 0;
    this.#busy.clear();
  }

  // Pairs idle workers with queued tasks, oldest task first, until one of the two runs out.
  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop() as AppWorker;
      const task = this.#queue.shift() as Task;
      this.#busy.add(worker);
      worker.request(task.request).then(
        (response) => {
          this.#release(worker);
          task.resolve(response);
        },
        (error: Error) => {
          this.#release(worker);
          task.reject(error);
        },
      );
    }
  }

  // The worker is free again *before* its caller hears the answer: whoever reads `stats()`
  // right after `await pool.run()` sees it idle, and the next queued task is already on its way.
  #release(worker: AppWorker): void {
    // close() has terminated it, or it died: either way it must not come back as idle
    // (a dead worker's exit is handled in #adopt).
    if (this.#closed || !worker.alive) return;
    this.#busy.delete(worker);
    this.#idle.push(worker);
    this.#dispatch();
  }

  // Watches a ready worker until its thread ends, and replaces it if it crashed.
  #adopt(worker: AppWorker): void {
    this.#idle.push(worker);
    void worker.exited.then(({ crashed }) => {
      void crashed;
      this.#busy.delete(worker);
      const index = this.#idle.indexOf(worker);
      if (index >= 0) this.#idle.splice(index, 1);
      this.#replace();
    });
  }

  // Starts a replacement. It takes tasks only once it has answered `ready`, like the first ones.
  #replace(): void {
    if (this.#broken) return this.#giveUpIfEmpty();
    this.#starting++;
    AppWorker.start(this.#appModule).then(
      (worker) => {
        this.#starting--;
        if (this.#closed) return worker.terminate(); // too late: nobody will use it
        this.#startFailures = 0;
        this.#adopt(worker);
        this.#dispatch();
      },
      (error: Error) => {
        this.#starting--;
        // A module that failed at start-up will fail the next time too: retrying without end
        // would start and lose threads as fast as the CPU allows (a respawn storm).
        if (++this.#startFailures < this.#maxStartFailures) return this.#replace();
        this.#broken = `${this.#startFailures} replacement workers in a row failed to start: ${error.message}`;
        this.#giveUpIfEmpty();
      },
    );
  }

  // With no worker left and none coming, a queued task would wait forever: it gets the reason now.
  #giveUpIfEmpty(): void {
    if (!this.#broken || this.stats().size > 0 || this.#starting > 0) return;
    for (const task of this.#queue.splice(0)) task.reject(new PoolBroken(this.#broken));
  }
}
