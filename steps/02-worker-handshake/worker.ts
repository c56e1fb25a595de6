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
  // TODO(step 02): handle each message from the main thread. `init` names the app module to
  // load, and messages keep arriving while it loads. Every request must be answered once the
  // app is loaded, also one that arrived before: none is lost, and those that waited are
  // served in the order they arrived, before any request that arrives later.
  void [message, app, early];
  throw new Error("not implemented yet: see steps/02-worker-handshake/README.md (the worker's onmessage)");
};

async function init(appModule: string): Promise<void> {
  // TODO(step 02): load `appModule` and answer `init` exactly once: `ready` when the module's
  // `app` export is an App (lib/app.ts), else `init-error` with `appModule` and a `reason`
  // string saying what went wrong (no such file, the module threw while loading, no `app`,
  // an `app` that is not an App). Nothing may escape as an uncaught error, and no request is
  // answered before `ready`.
  void [appModule, App];
  throw new Error("not implemented yet: see steps/02-worker-handshake/README.md (init)");
}

async function serve(app: App, { id, request }: RequestMessage): Promise<void> {
  // TODO(step 02): answer one request with the app's response, in a `response` message that
  // carries the request's own `id`. A handler that throws must not stop the worker.
  void [app, id, request];
  throw new Error("not implemented yet: see steps/02-worker-handshake/README.md (serve)");
}

function post(message: FromWorker): void {
  self.postMessage(message);
}
