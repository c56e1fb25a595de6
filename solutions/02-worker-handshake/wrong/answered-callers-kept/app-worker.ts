// WRONG: resolves the caller but never forgets it, so inFlight only grows
// CAUGHT BY: is 0 once all are answered | a handler that throws is a 500, time after time
// Step 02: the main thread's handle on one worker.
//
// `AppWorker.start()` does the handshake and resolves only once the worker has loaded the
// app (or rejects with the worker's reason). After that, `request()` can be called many
// times without waiting for earlier answers: each request gets an id, and the one message
// listener, installed once for the worker's lifetime, hands each answer to the caller
// whose id it carries.

import type { AppResponse, RequestData } from "#lib/http-types.ts";
import type { FromWorker, ToWorker } from "#lib/protocol.ts";

const WORKER_SCRIPT = new URL("./worker.ts", import.meta.url).href;

interface Waiting {
  resolve: (response: AppResponse) => void;
  reject: (error: Error) => void;
}

export class AppWorker {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 1;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.addEventListener("message", (event) => this.#onMessage(event.data as FromWorker));
  }

  /** Starts a worker, tells it which app to load, and waits for its answer. */
  static start(appModule: string): Promise<AppWorker> {
    const worker = new Worker(WORKER_SCRIPT);
    return new Promise<AppWorker>((resolve, reject) => {
      const onMessage = (event: MessageEvent) => {
        const message = event.data as FromWorker;
        if (message.type === "ready") {
          stopListening();
          resolve(new AppWorker(worker));
        } else if (message.type === "init-error") {
          stopListening();
          worker.terminate();
          reject(new Error(`the worker could not load ${message.appModule}: ${message.reason}`));
        }
      };
      // The worker script itself failing (before it can even answer) arrives as an error event.
      const onError = (event: ErrorEvent) => {
        stopListening();
        worker.terminate();
        reject(new Error(`the worker failed to start: ${event.message}`));
      };
      const stopListening = () => {
        worker.removeEventListener("message", onMessage);
        worker.removeEventListener("error", onError);
      };
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", onError);
      send(worker, { type: "init", appModule });
    });
  }

  /** Runs one request in the worker. Several may be in flight; each gets its own answer. */
  request(request: RequestData): Promise<AppResponse> {
    const id = this.#nextId++;
    return new Promise<AppResponse>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      send(this.#worker, { type: "request", id, request });
    });
  }

  /** How many requests are waiting for their answer. */
  get inFlight(): number {
    return this.#waiting.size;
  }

  /** Ends the thread. Whoever still waits gets an error rather than a promise that never settles. */
  terminate(): void {
    this.#worker.terminate();
    for (const waiting of this.#waiting.values()) waiting.reject(new Error("the worker was terminated"));
    this.#waiting.clear();
  }

  #onMessage(message: FromWorker): void {
    if (message.type !== "response") return;
    const waiting = this.#waiting.get(message.id);
    waiting?.resolve(message.response);
  }
}

function send(worker: Worker, message: ToWorker): void {
  worker.postMessage(message);
}
