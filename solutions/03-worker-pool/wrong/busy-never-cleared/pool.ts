// WRONG: a worker whose task settled goes back to the idle list but is never taken out of #busy, so stats() counts it twice
// CAUGHT BY: stats() after every task was answered
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

import type { AppResponse, RequestData } from "#lib/http-types.ts";
import { AppWorker } from "./app-worker.ts";

export interface PoolOptions {
  appModule: string;
  /** How many workers. One per core lets every core compute; more only adds switching. */
  size?: number;
}

export interface PoolStats {
  size: number;
  idle: number;
  busy: number;
  queued: number;
}

interface Task {
  request: RequestData;
  resolve: (response: AppResponse) => void;
  reject: (error: Error) => void;
}

export class WorkerPool {
  readonly #idle: AppWorker[];
  readonly #busy = new Set<AppWorker>();
  readonly #queue: Task[] = [];
  #closed = false;

  private constructor(workers: AppWorker[]) {
    this.#idle = workers;
  }

  /** Starts every worker and resolves once all of them are ready. */
  static async create({ appModule, size = navigator.hardwareConcurrency }: PoolOptions): Promise<WorkerPool> {
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
    return new WorkerPool(workers);
  }

  /** Runs one request on some worker, now if one is idle, else when its turn comes. */
  run(request: RequestData): Promise<AppResponse> {
    if (this.#closed) return Promise.reject(new Error("the pool is closed"));
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
    if (this.#closed) return; // close() has terminated it: it must not come back as idle
    this.#idle.push(worker);
    this.#dispatch();
  }
}
