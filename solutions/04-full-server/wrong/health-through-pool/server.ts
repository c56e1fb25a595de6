// WRONG: /health goes through the pool like any request, so it waits behind the heavy work it should report on
// CAUGHT BY: GET /health is answered "ok" right here | /health answers while every worker is held
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
  // The app has a /health route too, so this "works": it only answers once a worker is free.
  // Each request awaits its own task. The fetch handler returns at the first `await`, so
  // Bun can accept the next request while this one waits for a worker.
  return toResponse(await pool.run(await toRequestData(request)));
}

export async function startServer({
  appModule,
  port = 0,
  workers = navigator.hardwareConcurrency,
}: ServerOptions): Promise<RunningServer> {
  const pool = await WorkerPool.create({ appModule, size: workers });
  try {
    const server = Bun.serve({ port, fetch: (request) => handleInPool(pool, request) });
    return {
      url: server.url,
      port: server.port ?? port,
      // Stop accepting first, then close the pool: in that order no request reaches a closed pool.
      stop: async () => {
        await server.stop(true);
        await pool.close();
      },
    };
  } catch (error) {
    await pool.close(); // e.g. the port is taken: do not leave the threads behind.
    throw error;
  }
}
