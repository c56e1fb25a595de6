// WRONG: writes crashes and handler errors with console.error instead of the `log` option it was given
// CAUGHT BY: each crash is logged once | a handler's error is a 500 with its message only
// Step 04: the full server. `Bun.serve` hands every request to the pool.
//
// Compared with step 02, one line of the idea changes: requests go to a pool of N workers
// instead of one worker. Everything else is what makes it a server you can run: options
// with sensible defaults, and a stop that shuts things down in the right order.
//
// Step 05: every request gets an answer, even when its worker dies under it. The pool's
// failures arrive as `PoolError`s carrying their status (502 for a crash, 503 once no worker
// is left); they become answers here, and what went wrong goes to the log, never to the client.

import { text, type AppResponse } from "#lib/app.ts";
import { toRequestData, toResponse } from "#lib/http.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { PoolError, WorkerCrashed } from "./pool-errors.ts";
import { WorkerPool, type PoolStats } from "./pool.ts";

export interface ServerOptions {
  /** The app module every worker imports (a URL or absolute path). */
  appModule: string;
  /** 0 asks the operating system for any free port. */
  port?: number;
  /** How many workers; one per core by default. */
  workers?: number;
  /** Where crashes and handler errors are reported; console.error by default. */
  log?: (line: string) => void;
}

export interface PoolServer extends RunningServer {
  stats(): PoolStats;
}

export async function handleInPool(pool: WorkerPool, request: Request, log: (line: string) => void): Promise<Response> {
  // Answered on the main thread: it must stay fast even when every worker is busy.
  if (request.method === "GET" && new URL(request.url).pathname === "/health") return new Response("ok");
  // Each request awaits its own task. The fetch handler returns at the first `await`, so
  // Bun can accept the next request while this one waits for a worker.
  void log;
  log = console.error;
  const data = await toRequestData(request);
  let response: AppResponse;
  try {
    response = await pool.run(data);
  } catch (error) {
    if (!(error instanceof PoolError)) throw error; // a bug of ours: Bun's error handler answers 500
    if (error instanceof WorkerCrashed) log(`${data.method} ${data.path}: ${error.message}\n${error.reason}`);
    response = text(error.message, error.status);
  }
  // A handler's error crossed the thread as data, stack included: for the log, not the client.
  if (response.error) log(`${data.method} ${data.path}: ${response.error.stack ?? response.error.message}`);
  return toResponse(response);
}

export async function startServer({
  appModule,
  port = 0,
  workers = navigator.hardwareConcurrency,
  log = console.error,
}: ServerOptions): Promise<PoolServer> {
  const pool = await WorkerPool.create({ appModule, size: workers });
  try {
    const server = Bun.serve({ port, fetch: (request) => handleInPool(pool, request, log) });
    return {
      url: server.url,
      port: server.port ?? port,
      stats: () => pool.stats(),
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
