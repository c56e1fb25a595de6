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

import type { FromWorker, RequestMessage, ToWorker, WireResponse } from "#lib/fetch-protocol.ts";
import { answerOf, fetchHandlerOf, internalError, type FetchHandler } from "./fetch-handler.ts";
import { fromWireRequest, toWireResponse, transferList } from "./wire.ts";

declare const self: Worker;

let handler: FetchHandler | undefined;

// Requests can arrive while `import()` is still loading the app: `postMessage` does not wait
// for our `ready`. They wait here instead of being dropped, and run once the app is loaded.
const early: RequestMessage[] = [];

self.onmessage = (event: MessageEvent) => {
  const message = event.data as ToWorker;
  if (message.type === "init") void init(message.appModule);
  else if (handler) void serve(handler, message);
  else early.push(message);
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
  for (const message of early.splice(0)) void serve(handler, message);
}

async function serve(handler: FetchHandler, { id, request }: RequestMessage): Promise<void> {
  let response: WireResponse;
  try {
    response = await toWireResponse(await answerOf(handler, fromWireRequest(request)));
  } catch (error) {
    // The handler threw, rejected, answered something else than a Response, or its streamed
    // body failed half-way: a 500, and this worker goes on serving.
    response = internalError(error);
  }
  // The id goes back with the answer: it is how the main thread knows whose answer this is.
  post({ type: "response", id, response }, transferList(response.body));
}

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  self.postMessage(message, transfer);
}
