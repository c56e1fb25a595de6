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
  // TODO(step 01): answer `request` with what `app` answers. The handler must see the whole
  // request (method, path, query, headers, body), and the client must get the app's whole
  // answer (status, headers, body), whatever the status. Never reject: the app turns every
  // failure into a response already.
  void [app, request, toRequestData, toResponse];
  throw new Error("not implemented yet: see steps/01-blocking-server/README.md (handleOnThisThread)");
}

export function startServer({ app, port = 0 }: ServerOptions): RunningServer {
  // TODO(step 01): serve HTTP on `port` (0: any free port), answering every request with
  // handleOnThisThread. Return where the server really listens (its url and port, never 0),
  // and a stop() that resolves once the port is closed, connections that clients keep open
  // included.
  void [app, port];
  throw new Error("not implemented yet: see steps/01-blocking-server/README.md (startServer)");
}
