// Step 04: the full server. `Bun.serve` hands every request to the pool.
//
// Compared with step 02, one line of the idea changes: requests go to a pool of N workers
// instead of one worker. Everything else is what makes it a server you can run: options
// with sensible defaults, and a stop that shuts things down in the right order.

import { toRequestData, toResponse } from "#lib/http.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { WorkerPool } from "./pool.ts";

export interface ServerOptions {
  /** The app module every worker imports (a URL or absolute path). */
  appModule: string;
  /** 0 asks the operating system for any free port. */
  port?: number;
  /** How many workers; one per core by default. */
  workers?: number;
}

export async function handleInPool(pool: WorkerPool, request: Request): Promise<Response> {
  // TODO(step 04): answer `GET /health` right here with "ok", without asking the pool (as
  // step 02's server did); for any other request, turn it into `RequestData` (toRequestData),
  // let the pool run it (`pool.run`) and turn its `AppResponse` back into a `Response` (toResponse).
  void [pool, request, toRequestData, toResponse];
  throw new Error("not implemented yet: see steps/04-full-server/README.md (handleInPool)");
}

export async function startServer({
  appModule,
  port = 0,
  workers = navigator.hardwareConcurrency,
}: ServerOptions): Promise<RunningServer> {
  // TODO(step 04): create a pool of `workers` workers (WorkerPool.create), then start `Bun.serve`
  // on `port` with a `fetch` that calls handleInPool. Return its url, its actual port and a
  // `stop()` that stops the server first (open connections included), then closes the pool.
  // If `Bun.serve` throws (a busy port), close the pool before rethrowing.
  void [appModule, port, workers, WorkerPool];
  throw new Error("not implemented yet: see steps/04-full-server/README.md (startServer)");
}
