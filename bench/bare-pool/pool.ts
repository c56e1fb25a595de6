// The yardstick: the simplest pool that works, to measure the tutorial's pool against.
//
// This is NOT a step and not a model: it has no queue bound, no deadline, no crash recovery,
// no shutdown; it merges repeated headers and reads bodies as text. It is what someone who only
// wanted it to work would write in a few lines, doing the same job as the steps' pools: the
// request's method, URL, headers and body go to a worker, the answer's status, headers and body
// come back, in the most obvious shapes (headers as `Object.fromEntries(headers)`). Tasks go
// to the workers in turn (round robin), however many each already has, and one listener per
// worker hands every answer to its caller by id.
//
// What makes it cheap: no bookkeeping at all, and a worker is never idle while tasks wait (its
// next tasks are already in its mailbox). What does not: its messages nest the header objects,
// a shape Bun's postMessage copies on its slower path (npx bun bench/round-trip-parts.ts).

export interface BareTask {
  id: number;
  method: string;
  /** The whole URL, e.g. `http://localhost:3000/fibonacci/1?x=2`. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface BareAnswer {
  id: number;
  status: number;
  headers: Record<string, string>;
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
