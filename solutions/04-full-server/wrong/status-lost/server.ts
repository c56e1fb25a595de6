// WRONG: the answer is rebuilt from its body and headers only, so every response is a 200, even a 400, a 405 or a 500
// CAUGHT BY: any other request goes to the pool, and the handler's status | /fibonacci/abc is a 400
// Step 04: the full server. `Bun.serve` hands every request to the pool.
//
// Compared with step 02, one line of the idea changes: requests go to a pool of N workers
// instead of one worker. Everything else is what makes it a server you can run: options
// with sensible defaults, and a stop that shuts things down in the right order.

import { toRequestData } from "#lib/http.ts";
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
  const response = await pool.run(await toRequestData(request));
  return new Response(response.body, { headers: response.headers });
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
