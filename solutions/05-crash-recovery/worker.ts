// Step 02: the worker. This file runs on its own thread, inside `new Worker(...)`.
//
// It is generic: it does not know which app it serves until the main thread tells it.
// The handshake goes: the main thread posts `init` with the app module's path; this
// worker imports that module and answers `ready`, or `init-error` with the reason.
// Either way it *answers*: a caller waiting for a worker that silently failed to load
// its app would wait forever (the blog's sketch sends `init` and never hears back).

import { App } from "#lib/app.ts";
import type { FromWorker, RequestMessage, ToWorker } from "#lib/protocol.ts";

declare const self: Worker;

let app: App | undefined;

// Requests can arrive while `import()` is still loading the app: `postMessage` does not wait
// for our `ready`. They wait here instead of being dropped, and run once the app is loaded.
const early: RequestMessage[] = [];

self.onmessage = (event: MessageEvent) => {
  const message = event.data as ToWorker;
  if (message.type === "init") void init(message.appModule);
  else if (app) void serve(app, message);
  else early.push(message);
};

async function init(appModule: string): Promise<void> {
  try {
    const module: { app?: unknown } = await import(appModule);
    if (!(module.app instanceof App)) throw new Error('the module does not export an `app` made with `new App()`');
    app = module.app;
  } catch (error) {
    // A wrong path, a syntax error, or a module that throws while loading all end here.
    post({ type: "init-error", appModule, reason: error instanceof Error ? error.message : String(error) });
    return;
  }
  post({ type: "ready" });
  for (const message of early.splice(0)) void serve(app, message);
}

async function serve(app: App, { id, request }: RequestMessage): Promise<void> {
  // `handle` turns a throwing handler into a 500, so one bad request never kills the worker.
  const response = await app.handle(request);
  // The id goes back with the answer: it is how the main thread knows whose answer this is.
  post({ type: "response", id, response });
}

function post(message: FromWorker): void {
  self.postMessage(message);
}
