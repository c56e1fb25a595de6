// WRONG (the blog's sketch): wraps only the body in `new Response(...)`, so every answer is a 200 and headers are lost.
import type { App } from "#lib/app.ts";
import { toRequestData } from "#lib/http.ts";
import type { RunningServer } from "#lib/running-server.ts";

export interface ServerOptions {
  app: App;
  port?: number;
}

export async function handleOnThisThread(app: App, request: Request): Promise<Response> {
  const response = await app.handle(await toRequestData(request));
  return new Response(response.body);
}

export function startServer({ app, port = 0 }: ServerOptions): RunningServer {
  const server = Bun.serve({ port, fetch: (request) => handleOnThisThread(app, request) });
  return { url: server.url, port: server.port ?? port, stop: () => server.stop(true) };
}
