// The yardstick: the simplest pool that works, to measure the tutorial's pool against.
//
// This is NOT a step and not a model: it has no queue bound, no deadline, no crash recovery,
// no shutdown, and it drops the request's headers. It is what someone who only wanted speed
// would write in a few lines: tasks go to the workers in turn (round robin), however many each
// already has, and one listener per worker hands every answer to its caller by id.
//
// Two things make it cheap, and both are what the tutorial's pool is measured against:
//   - its messages are flat objects of strings and numbers, the shape Bun's postMessage copies fastest;
//   - a worker is never idle while tasks wait: its next tasks are already in its mailbox.

export interface BareTask {
  id: number;
  method: string;
  /** The path and query string, e.g. `/fibonacci/1?x=2`. */
  url: string;
  body: string;
}

export interface BareAnswer {
  id: number;
  status: number;
  contentType: string;
  body: string;
}

/**
 * How the worker calls the app: `handle` (RequestData in, AppResponse out, as steps 02-07 do)
 * or `fetch` (Request in, Response out, as steps 08-09 do for any app). Each step is measured
 * against the bare pool that calls the app the same way, so that the difference is the pool's.
 */
export type BareEntry = "handle" | "fetch";

const WORKERS: Record<BareEntry, string> = {
  handle: new URL("./worker.ts", import.meta.url).href,
  fetch: new URL("./fetch-worker.ts", import.meta.url).href,
};

export class BarePool {
  readonly #workers: Worker[];
  readonly #waiting = new Map<number, (answer: BareAnswer) => void>();
  #nextId = 0;
  #turn = 0;

  constructor(size = navigator.hardwareConcurrency, entry: BareEntry = "handle") {
    this.#workers = Array.from({ length: size }, () => new Worker(WORKERS[entry]));
    for (const worker of this.#workers) {
      worker.onmessage = (event: MessageEvent) => {
        const answer = event.data as BareAnswer;
        const resolve = this.#waiting.get(answer.id);
        this.#waiting.delete(answer.id);
        resolve?.(answer);
      };
      // No recovery here: a yardstick that lost a worker would measure nothing. The bench sees
      // the process end and says why, instead of waiting on requests that never come back.
      worker.onerror = (event) => {
        console.error(`bare pool: a worker failed: ${event.message}`);
        process.exit(1);
      };
    }
  }

  run(task: Omit<BareTask, "id">): Promise<BareAnswer> {
    const id = this.#nextId++;
    const worker = this.#workers[this.#turn++ % this.#workers.length] as Worker;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      worker.postMessage({ id, ...task } satisfies BareTask);
    });
  }

  close(): void {
    for (const worker of this.#workers) worker.terminate();
  }
}
