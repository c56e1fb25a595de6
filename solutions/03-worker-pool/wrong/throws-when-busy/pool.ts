// WRONG (the blog's sketch): rejects a task with "No idle workers available" when every worker is busy, instead of queueing it.
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
  readonly #idle: AppWorker[];
  readonly #busy = new Set<AppWorker>();
  #closed = false;

  private constructor(workers: AppWorker[]) {
    this.#idle = workers;
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
    const worker = this.#idle.pop();
    // Under load this is the normal case, and every request that only needed to wait fails.
    if (!worker) return Promise.reject(new Error("No idle workers available"));
    this.#busy.add(worker);
    return worker.request(request).finally(() => {
      if (this.#closed) return;
      this.#busy.delete(worker);
      this.#idle.push(worker);
    });
  }

  stats(): PoolStats {
    return { size: this.#idle.length + this.#busy.size, idle: this.#idle.length, busy: this.#busy.size, queued: 0 };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const worker of [...this.#idle, ...this.#busy]) worker.terminate();
    this.#idle.length = 0;
    this.#busy.clear();
  }
}
