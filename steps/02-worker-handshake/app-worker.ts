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
    // TODO(step 02): create `new Worker(WORKER_SCRIPT)` and return a promise that
    //   - resolves with `new AppWorker(worker)` when the worker posts `ready`;
    //   - rejects when it posts `init-error`, with an Error naming `message.appModule` and
    //     `message.reason`, after terminating the worker;
    //   - rejects too on the worker's `error` event (the script itself failed to run).
    // Listen with addEventListener and remove these listeners once settled: from then on the
    // constructor's listener is the only one. Then send `{ type: "init", appModule }`.
    void [appModule, WORKER_SCRIPT, send];
    throw new Error("not implemented yet: see steps/02-worker-handshake/README.md (AppWorker.start)");
  }

  /** Runs one request in the worker. Several may be in flight; each gets its own answer. */
  request(request: RequestData): Promise<AppResponse> {
    // TODO(step 02): take a fresh id (this.#nextId++), remember this call's resolve/reject
    // under it in this.#waiting, and send `{ type: "request", id, request }`.
    void request;
    throw new Error("not implemented yet: see steps/02-worker-handshake/README.md (AppWorker.request)");
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
    // TODO(step 02): for a `response`, find who waits for `message.id`, forget them, and
    // resolve them with `message.response`. Ignore any other message.
    void message;
    throw new Error("not implemented yet: see steps/02-worker-handshake/README.md (AppWorker #onMessage)");
  }
}

function send(worker: Worker, message: ToWorker): void {
  worker.postMessage(message);
}
