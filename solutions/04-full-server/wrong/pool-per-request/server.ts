// WRONG: a new pool is created for every request (and closed after it), so `workers` no longer bounds the threads and a broken app is noticed only by the first request
// CAUGHT BY: never on more threads than `workers` | an app module that cannot load makes startServer reject
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
  // Answered on the main thread: it must stay fast even when every worker is busy.
  if (request.method === "GET" && new URL(request.url).pathname === "/health") return new Response("ok");
  // Each request awaits its own task. The fetch handler returns at the first `await`, so
  // Bun can accept the next request while this one waits for a worker.
  return toResponse(await pool.run(await toRequestData(request)));
}

export async function startServer({
  appModule,
  port = 0,
  workers = navigator.hardwareConcurrency,
}: ServerOptions): Promise<RunningServer> {
  const onePoolPerRequest = async (request: Request): Promise<Response> => {
    const pool = await WorkerPool.create({ appModule, size: workers });
    try {
      return await handleInPool(pool, request);
    } finally {
      await pool.close();
    }
  };
  const server = Bun.serve({ port, fetch: onePoolPerRequest });
  return {
    url: server.url,
    port: server.port ?? port,
    stop: async () => {
      await server.stop(true);
    },
  };
}
