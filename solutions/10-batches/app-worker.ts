// Step 02: the main thread's handle on one worker.
//
// `AppWorker.start()` does the handshake and resolves only once the worker has loaded the
// app (or rejects with the worker's reason). After that, `request()` can be called many
// times without waiting for earlier answers: each request gets an id, and the one message
// listener, installed once for the worker's lifetime, hands each answer to the caller
// whose id it carries.
//
// Step 05: a worker can die: `process.exit` in a handler, an uncaught error or rejection
// outside the handler's promise, its thread terminated by someone else. Bun tells us with a
// `close` event, and that event looks the same whether the worker crashed or we terminated
// it ourselves. So this handle remembers the terminations it asked for: any other `close` is
// a crash. On a crash every request still waiting gets a `WorkerCrashed` at once (a promise
// left pending here is a client left hanging), and `exited` tells the pool, which replaces it.
//
// Step 07: a forced shutdown terminates busy workers, and their callers must learn why (the
// server is shutting down: a 503), not only that the thread is gone: `terminate()` takes the error.
//
// Step 08: requests and answers are any HTTP message, as bytes (lib/fetch-protocol.ts). A
// large request body is handed to the worker in the transfer list rather than copied: from
// then on it is the worker's, and the main thread's `ArrayBuffer` is empty.
//
// Step 09: a message is one flat object (lib/flat-protocol.ts): the request's fields travel
// beside its id, not nested in it, and the answer's fields come back the same way.
//
// Step 10: `request()` no longer posts. It puts the request in this worker's outgoing batch, and
// `send()` posts the whole batch as one message, whenever the pool says (lib/batch-protocol.ts).
// Answers come back several to a message too; each still reaches its own caller by its id.

import type { FromWorker, RequestBatch, ResponseMessage, ToWorker, WireRequest, WireResponse } from "#lib/batch-protocol.ts";
import { WorkerCrashed } from "./pool-errors.ts";
import { transferList } from "./wire.ts";

const WORKER_SCRIPT = new URL("./worker.ts", import.meta.url).href;

interface Waiting {
  resolve: (response: WireResponse) => void;
  reject: (error: Error) => void;
}

/** How a worker's thread ended: `crashed` is false only for the terminations we asked for. */
export interface Exit {
  crashed: boolean;
  reason: string;
}

export class AppWorker {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  // Requests given since the last `send()`, and the large bodies they hand over.
  #batch: RequestBatch = [];
  #transfer: ArrayBuffer[] = [];
  #nextId = 1;
  #terminating = false;
  #alive = true;
  // A crash by an uncaught error sends an `error` event just before `close`: it says what happened.
  #lastError = "";
  /** Settles once the thread has ended, for whatever reason: whether it crashed, and why. */
  readonly exited: Promise<Exit>;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.addEventListener("message", (event) => this.#onMessage(event.data as FromWorker));
    worker.addEventListener("error", (event) => (this.#lastError = event.message));
    // `close` comes once, for every end of the thread, asked for or not.
    const closed = new Promise<CloseEvent>((resolve) => worker.addEventListener("close", (event) => resolve(event as CloseEvent)));
    this.exited = closed.then((event) => this.#onClose(event.code));
  }

  /** Starts a worker, tells it which app to load, and waits for its answer. */
  static start(appModule: string): Promise<AppWorker> {
    const worker = new Worker(WORKER_SCRIPT);
    return new Promise<AppWorker>((resolve, reject) => {
      const onMessage = (event: MessageEvent) => {
        const message = event.data as FromWorker;
        if (Array.isArray(message)) return; // answers: none can come before ready
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
      // A module that calls process.exit while loading ends the thread with no error event.
      const onClose = (event: Event) => {
        stopListening();
        reject(new Error(`the worker exited before it was ready (code ${(event as CloseEvent).code})`));
      };
      const stopListening = () => {
        worker.removeEventListener("message", onMessage);
        worker.removeEventListener("error", onError);
        worker.removeEventListener("close", onClose);
      };
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", onError);
      worker.addEventListener("close", onClose);
      send(worker, { type: "init", appModule });
    });
  }

  /**
   * Adds one request to the batch `send()` posts next. Several may be in flight; each gets its
   * own answer, once the worker has run every task of its batch.
   */
  request(request: WireRequest): Promise<WireResponse> {
    const id = this.#nextId++;
    if (!this.#alive) return Promise.reject(new WorkerCrashed(this.#lastError || "it had already exited"));
    return new Promise<WireResponse>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#batch.push({ type: "request", id, ...request });
      this.#transfer.push(...transferList(request.body));
    });
  }

  /** Posts the requests given since the last call, as one message; nothing when there are none. */
  send(): void {
    if (this.#batch.length === 0) return;
    const [batch, transfer] = [this.#batch, this.#transfer];
    [this.#batch, this.#transfer] = [[], []];
    // Posting to a thread that has ended is silently dropped: its close event answers the callers.
    try {
      send(this.#worker, batch, transfer);
    } catch {
      // postMessage refuses the whole message (a DataCloneError, thrown at once, nothing sent)
      // when one body cannot cross: its buffer was handed over already, or given twice. Sent one
      // by one, the requests that can cross do, and only the one that cannot hears why.
      for (const message of batch) {
        try {
          send(this.#worker, [message], transferList(message.body));
        } catch (error) {
          this.#waiting.get(message.id)?.reject(error instanceof Error ? error : new Error(String(error)));
          this.#waiting.delete(message.id);
        }
      }
    }
  }

  /** How many requests are waiting for their answer. */
  get inFlight(): number {
    return this.#waiting.size;
  }

  /** Ends the thread. Whoever still waits gets `error` rather than a promise that never settles. */
  terminate(error = new Error("the worker was terminated")): void {
    this.#terminating = true; // the close event that follows is ours, not a crash
    this.#worker.terminate();
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
    [this.#batch, this.#transfer] = [[], []];
  }

  /** False once the thread has ended. */
  get alive(): boolean {
    return this.#alive;
  }

  #onClose(code: number): Exit {
    this.#alive = false;
    const crashed = !this.#terminating;
    const reason = this.#lastError || `the worker exited with code ${code}`;
    for (const waiting of this.#waiting.values()) {
      waiting.reject(crashed ? new WorkerCrashed(reason) : new Error("the worker was terminated"));
    }
    this.#waiting.clear();
    return { crashed, reason };
  }

  #onMessage(message: FromWorker): void {
    if (!Array.isArray(message)) return;
    // In the order the worker ran them: each caller hears its answer in that order.
    for (const answer of message) this.#onAnswer(answer);
  }

  #onAnswer(answer: ResponseMessage): void {
    const waiting = this.#waiting.get(answer.id);
    this.#waiting.delete(answer.id);
    // The message is the answer: a WireResponse with its type and id beside it. No copy needed.
    waiting?.resolve(answer);
  }
}

function send(worker: Worker, message: ToWorker, transfer: ArrayBuffer[] = []): void {
  worker.postMessage(message, transfer);
}
