// WRONG: ignores requests that arrive before the app is loaded, so a request sent right behind `init` is never answered.
import { App } from "#lib/app.ts";
import type { FromWorker, RequestMessage, ToWorker } from "#lib/protocol.ts";

declare const self: Worker;

let app: App | undefined;

self.onmessage = (event: MessageEvent) => {
  const message = event.data as ToWorker;
  if (message.type === "init") void init(message.appModule);
  else if (app) void serve(app, message);
  // else: "not ready yet", and the request is silently gone.
};

async function init(appModule: string): Promise<void> {
  try {
    const module: { app?: unknown } = await import(appModule);
    if (!(module.app instanceof App)) throw new Error('the module does not export an `app` made with `new App()`');
    app = module.app;
  } catch (error) {
    post({ type: "init-error", appModule, reason: error instanceof Error ? error.message : String(error) });
    return;
  }
  post({ type: "ready" });
}

async function serve(app: App, { id, request }: RequestMessage): Promise<void> {
  const response = await app.handle(request);
  post({ type: "response", id, response });
}

function post(message: FromWorker): void {
  self.postMessage(message);
}
