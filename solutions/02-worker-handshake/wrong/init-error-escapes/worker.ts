// WRONG: answers `ready` but has no error path: a failed import escapes as an uncaught error instead of an `init-error` reply.
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
  // No try/catch: a caller that listens for messages only (as the blog's pool does) waits forever.
  const module: { app: App } = await import(appModule);
  app = module.app;
  post({ type: "ready" });
  for (const message of early.splice(0)) void serve(app, message);
}

async function serve(app: App, { id, request }: RequestMessage): Promise<void> {
  const response = await app.handle(request);
  post({ type: "response", id, response });
}

function post(message: FromWorker): void {
  self.postMessage(message);
}
