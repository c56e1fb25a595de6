// WRONG: answers with `new Response(response.body)`, as the blog's server does: every answer is a 200, and the handler's headers are lost
// CAUGHT BY: an unknown path is a 404 | is a 400 whose body says what is wrong with n
// Step 01: the blocking server. The baseline every later step is measured against.
//
// One thread does everything here: it accepts connections, parses requests, runs the app's
// handlers and writes responses. While a handler computes, that thread can do nothing else,
// so every other request, even a trivial `/health`, waits until the handler returns.

import type { App } from "#lib/app.ts";
import { toRequestData, toResponse } from "#lib/http.ts";
import type { RunningServer } from "#lib/running-server.ts";

export interface ServerOptions {
  /** The app whose handlers this server runs, on this very thread. */
  app: App;
  /** 0 asks the operating system for any free port: what tests use so that runs never collide. */
  port?: number;
}

/** Answers one request by running the app's handler right here, on the calling thread. */
export async function handleOnThisThread(app: App, request: Request): Promise<Response> {
  // The app speaks plain data, not web `Request`/`Response`: convert at the edge, both ways.
  // Status and headers must come back too: a 404 sent as a 200 is a lie to the client.
  const response = await app.handle(await toRequestData(request));
  return new Response(response.body);
}

export function startServer({ app, port = 0 }: ServerOptions): RunningServer {
  const server = Bun.serve({ port, fetch: (request) => handleOnThisThread(app, request) });
  return {
    url: server.url,
    port: server.port ?? port,
    // Bun's `stop()` stops listening and closes the connections clients keep open between
    // requests (keep-alive), then waits for requests still running; `true` cuts those too,
    // so that a test, or Ctrl-C, ends the server at once. (Letting them finish is step 07's.)
    stop: () => server.stop(true),
  };
}
