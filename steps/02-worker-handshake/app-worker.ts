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
    // TODO(step 02): start a worker running WORKER_SCRIPT and tell it to load `appModule`.
    // Resolve with an AppWorker only once the worker said `ready`. Reject with an Error whose
    // message names the module and the worker's reason when it answers `init-error`, and with
    // an Error when the worker fails before answering (its `error` event). A worker that did
    // not start is not left running. Once start() has settled, the AppWorker's own listener
    // (the constructor's) is the only one left listening to the worker.
    void [appModule, WORKER_SCRIPT, send];
    throw new Error("not implemented yet: see steps/02-worker-handshake/README.md (AppWorker.start)");
  }

  /** Runs one request in the worker. Several may be in flight; each gets its own answer. */
  request(request: RequestData): Promise<AppResponse> {
    // TODO(step 02): send `request` to the worker and return the promise of its answer: the
    // response the worker sends back for this very request, however many others are in flight
    // and in whatever order their answers come. Until it is answered, it counts in `inFlight`.
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
    // TODO(step 02): every message the worker sends once it is ready comes here. Hand each
    // response to the caller waiting for it, and to no one else; from then on that caller no
    // longer counts in `inFlight`.
    void message;
    throw new Error("not implemented yet: see steps/02-worker-handshake/README.md (AppWorker #onMessage)");
  }
}

function send(worker: Worker, message: ToWorker): void {
  worker.postMessage(message);
}
