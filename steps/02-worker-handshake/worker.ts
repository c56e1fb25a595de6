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
  // TODO(step 02): route the message. `init` starts init(message.appModule) (do not await it
  // here: `void init(...)`). A request is served at once when `app` is loaded, and pushed
  // onto `early` when it is not, so that init() can serve it later.
  void [message, app, early];
  throw new Error("not implemented yet: see steps/02-worker-handshake/README.md (the worker's onmessage)");
};

async function init(appModule: string): Promise<void> {
  // TODO(step 02): `await import(appModule)` and check that its `app` export is an App
  // (`instanceof App`). If anything fails (no such file, the module throws while loading, no
  // `app`), post `init-error` with the module and the reason, and stop. Otherwise keep the
  // app, post `ready`, then serve every request waiting in `early`, in order.
  void [appModule, App];
  throw new Error("not implemented yet: see steps/02-worker-handshake/README.md (init)");
}

async function serve(app: App, { id, request }: RequestMessage): Promise<void> {
  // TODO(step 02): let `app.handle` answer the request (it never throws: a throwing handler
  // becomes a 500), and post a `response` carrying the request's own `id`.
  void [app, id, request];
  throw new Error("not implemented yet: see steps/02-worker-handshake/README.md (serve)");
}

function post(message: FromWorker): void {
  self.postMessage(message);
}
