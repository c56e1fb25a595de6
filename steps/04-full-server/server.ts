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
  // TODO(step 04): `GET /health` is answered "ok" by the main thread itself: the pool is not
  // asked. Any other request is run by the pool: the handler sees its method, path, query,
  // headers and body, and the Response carries the handler's status, headers and body. Each
  // request awaits only its own answer.
  void [pool, request, toRequestData, toResponse];
  throw new Error("not implemented yet: see steps/04-full-server/README.md (handleInPool)");
}

export async function startServer({
  appModule,
  port = 0,
  workers = navigator.hardwareConcurrency,
}: ServerOptions): Promise<RunningServer> {
  // TODO(step 04): resolve once a pool of `workers` workers has loaded the app and the port
  // listens, with the url and the port really used; reject with the reason when the app cannot
  // load or the port is taken, leaving no worker running. `stop()` stops accepting before the
  // pool closes, and resolves once the port refuses connections and every worker is terminated.
  void [appModule, port, workers, WorkerPool];
  throw new Error("not implemented yet: see steps/04-full-server/README.md (startServer)");
}
