// WRONG: stop() resolves without stopping Bun.serve, so the port stays bound and the process never exits.
import type { App } from "#lib/app.ts";
import { toRequestData, toResponse } from "#lib/http.ts";
import type { RunningServer } from "#lib/running-server.ts";

export interface ServerOptions {
  app: App;
  port?: number;
}

export async function handleOnThisThread(app: App, request: Request): Promise<Response> {
  return toResponse(await app.handle(await toRequestData(request)));
}

export function startServer({ app, port = 0 }: ServerOptions): RunningServer {
  const server = Bun.serve({ port, fetch: (request) => handleOnThisThread(app, request) });
  return { url: server.url, port: server.port ?? port, stop: async () => {} };
}
