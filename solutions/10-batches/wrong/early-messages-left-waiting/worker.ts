// WRONG: does not run the messages that arrived before `ready` once the app has loaded: they wait for a message that may never come
// CAUGHT BY: one message of answers for each message of tasks > messages that arrive before `ready` wait, then run after it
// Step 02: the worker. This file runs on its own thread, inside `new Worker(...)`.
//
// It is generic: it does not know which app it serves until the main thread tells it.
// The handshake goes: the main thread posts `init` with the app module's path; this
// worker imports that module and answers `ready`, or `init-error` with the reason.
// Either way it *answers*: a caller waiting for a worker that silently failed to load
// its app would wait forever (the blog's sketch sends `init` and never hears back).
//
// Step 08: the module may be any app with a fetch handler, Hono, plain Bun or the tutorial's
// App (fetch-handler.ts). The worker rebuilds the `Request` the server received, gives it to
// the handler, and sends back the whole `Response`, body read to its end (wire.ts). A large
// body goes in the transfer list: handed over to the main thread, not copied.
//
// Step 09: the pool may send a task ahead, while this worker still runs the one before. The
// worker runs its tasks one at a time, in the order they came: the pool then knows that a
// task has started once every task sent before it has its answer, and that one still waiting
// here never started (so it can run elsewhere if this worker dies).
//
// Step 10: tasks come several to a message, and their answers go back the same way: the worker
// runs a message's tasks one at a time, in order, keeps each answer until the last one is
// done, then posts them all in one message. One message posted instead of one per task: the
// main thread wakes and turns its event loop once for all of them. The price is that an answer
// waits for the tasks after it in the same message, and that the pool can no longer tell when
// each task starts, only when a message does (pool.ts).

import type { FromWorker, RequestBatch, RequestMessage, ResponseBatch, ResponseMessage, ToWorker, WireResponse } from "#lib/batch-protocol.ts";
import { answerOf, fetchHandlerOf, internalError, type FetchHandler } from "./fetch-handler.ts";
import { fromWireRequest, toWireResponse, transferList } from "./wire.ts";

declare const self: Worker;

let handler: FetchHandler | undefined;

// Messages of tasks that came and have not run yet: while the app loads (`postMessage` does not
// wait for our `ready`), and while an earlier message's tasks run.
const inbox: RequestBatch[] = [];
let running = false;

self.onmessage = (event: MessageEvent) => {
  const message = event.data as ToWorker;
  if (Array.isArray(message)) {
    inbox.push(message);
    void runInOrder();
  } else if (message.type === "init") void init(message.appModule);
};

async function init(appModule: string): Promise<void> {
  try {
    handler = fetchHandlerOf(await import(appModule));
  } catch (error) {
    // A wrong path, a syntax error, a module that throws while loading, or one without a
    // fetch handler all end here.
    post({ type: "init-error", appModule, reason: error instanceof Error ? error.message : String(error) });
    return;
  }
  post({ type: "ready" });
}

// One message at a time, and within it one task at a time: the next message starts once the
// last one's answers are posted.
async function runInOrder(): Promise<void> {
  if (running || handler === undefined) return;
  running = true;
  for (let batch = inbox.shift(); batch !== undefined; batch = inbox.shift()) {
    const answers: ResponseBatch = [];
    for (const message of batch) answers.push(await serve(handler, message));
    // Every answer's large body changes thread with it, in the one transfer list.
    post(answers, answers.flatMap((answer) => transferList(answer.body)));
  }
  running = false;
}

async function serve(handler: FetchHandler, message: RequestMessage): Promise<ResponseMessage> {
  let response: WireResponse;
  try {
    // The message is the request: a WireRequest with its type and id beside it.
    response = await toWireResponse(await answerOf(handler, fromWireRequest(message)));
  } catch (error) {
    // The handler threw, rejected, answered something else than a Response, or its streamed
    // body failed half-way: a 500, and this worker goes on serving.
    response = internalError(error);
  }
  // The id goes back with the answer: it is how the main thread knows whose answer this is.
  return { type: "response", id: message.id, ...response };
}

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  self.postMessage(message, transfer);
}
