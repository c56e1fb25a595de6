// WRONG (the blog's sketch): imports the app on init but never answers it: no `ready`, and no `init-error` when the import fails.
import { App } from "#lib/app.ts";
import type { FromWorker, RequestMessage, ToWorker } from "#lib/protocol.ts";

declare const self: Worker;

let app: App | undefined;
const early: RequestMessage[] = [];

self.onmessage = (event: MessageEvent) => {
  const message = event.data as ToWorker;
  if (message.type === "init") void init(message.appModule);
  else if (app) void serve(app, message);
  else early.push(message);
};

async function init(appModule: string): Promise<void> {
  // Silent on success, and a failed import escapes as an uncaught error: whoever waits for
  // the handshake has nothing to wait *for*.
  const module: { app: App } = await import(appModule);
  app = module.app;
  for (const message of early.splice(0)) void serve(app, message);
}

async function serve(app: App, { id, request }: RequestMessage): Promise<void> {
  const response = await app.handle(request);
  post({ type: "response", id, response });
}

function post(message: FromWorker): void {
  self.postMessage(message);
}
