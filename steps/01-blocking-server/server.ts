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
  // TODO(step 01): turn the web `Request` into the app's plain `RequestData` (toRequestData),
  // let `app.handle` answer it, and turn its `AppResponse` back into a `Response` (toResponse).
  void [app, request, toRequestData, toResponse];
  throw new Error("not implemented yet: see steps/01-blocking-server/README.md (handleOnThisThread)");
}

export function startServer({ app, port = 0 }: ServerOptions): RunningServer {
  // TODO(step 01): start `Bun.serve` on `port` with a `fetch` that calls handleOnThisThread,
  // and return its url, its actual port and a `stop()` that closes it for good.
  void [app, port];
  throw new Error("not implemented yet: see steps/01-blocking-server/README.md (startServer)");
}
