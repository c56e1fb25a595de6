// WRONG: no queue: each task goes to the next worker in turn, busy or not, so it can wait behind a busy worker while another sits idle
// CAUGHT BY: every task goes to the idle one, never to a busy one
import type { AppResponse, RequestData } from "#lib/http-types.ts";
import { AppWorker } from "./app-worker.ts";

export interface PoolOptions {
  appModule: string;
  size?: number;
}

export interface PoolStats {
  size: number;
  idle: number;
  busy: number;
  queued: number;
}

export class WorkerPool {
  #workers: AppWorker[];
  #next = 0;
  #closed = false;

  private constructor(workers: AppWorker[]) {
    this.#workers = workers;
  }

  static async create({ appModule, size = navigator.hardwareConcurrency }: PoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a pool needs at least one worker, got size ${size}`);
    const starts = Array.from({ length: size }, () => AppWorker.start(appModule));
    const results = await Promise.allSettled(starts);
    const workers = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) {
      for (const worker of workers) worker.terminate();
      throw failure.reason;
    }
    return new WorkerPool(workers);
  }

  run(request: RequestData): Promise<AppResponse> {
    if (this.#closed) return Promise.reject(new Error("the pool is closed"));
    // Fair in turns, blind to load: AppWorker accepts several requests, so nothing refuses,
    // and the task simply waits in that worker's inbox behind whatever it is running.
    const worker = this.#workers[this.#next++ % this.#workers.length] as AppWorker;
    return worker.request(request);
  }

  stats(): PoolStats {
    const busy = this.#workers.filter((worker) => worker.inFlight > 0).length;
    return { size: this.#workers.length, idle: this.#workers.length - busy, busy, queued: 0 };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const worker of this.#workers) worker.terminate();
    this.#workers = [];
  }
}
