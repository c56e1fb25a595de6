// WRONG: (the blog's sketch) raw Workers counted idle without waiting for `ready`, and `worker.onmessage = …` set per task, so each message goes to whichever task set it last
// CAUGHT BY: many more tasks than workers, sent the moment create() resolves, each get their own answer
import type { AppResponse, RequestData } from "#lib/http-types.ts";
import type { FromWorker, ResponseMessage, ToWorker } from "#lib/protocol.ts";

const WORKER_SCRIPT = new URL("./worker.ts", import.meta.url).href;

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

interface Task {
  request: RequestData;
  resolve: (response: AppResponse) => void;
  reject: (error: Error) => void;
}

export class WorkerPool {
  readonly #idle: Worker[];
  readonly #busy = new Map<Worker, Task>();
  readonly #queue: Task[] = [];
  #nextId = 1;
  #closed = false;

  private constructor(workers: Worker[]) {
    this.#idle = workers;
  }

  static async create({ appModule, size = navigator.hardwareConcurrency }: PoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a pool needs at least one worker, got size ${size}`);
    // As in the blog: post `init` and count the worker as idle at once.
    const workers = Array.from({ length: size }, () => {
      const worker = new Worker(WORKER_SCRIPT);
      worker.postMessage({ type: "init", appModule } satisfies ToWorker);
      return worker;
    });
    return new WorkerPool(workers);
  }

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

  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0)) task.reject(new Error("the pool was closed before this task ran"));
    for (const [worker, task] of this.#busy) {
      worker.terminate();
      task.reject(new Error("the worker was terminated"));
    }
    for (const worker of this.#idle) worker.terminate();
    this.#idle.length = 0;
    this.#busy.clear();
  }

  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop() as Worker;
      const task = this.#queue.shift() as Task;
      this.#busy.set(worker, task);
      // The next message from this worker is taken to be this task's answer, whatever it is:
      // its `ready`, or the answer to the task before.
      worker.onmessage = (event: MessageEvent) => {
        const message = event.data as FromWorker;
        if (this.#closed) return;
        this.#busy.delete(worker);
        this.#idle.push(worker);
        task.resolve((message as ResponseMessage).response);
        this.#dispatch();
      };
      worker.postMessage({ type: "request", id: this.#nextId++, request: task.request } satisfies ToWorker);
    }
  }
}
