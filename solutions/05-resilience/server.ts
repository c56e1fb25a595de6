// Step 04: the full server. `Bun.serve` hands every request to the pool.
//
// Compared with step 02, one line of the idea changes: requests go to a pool of N workers
// instead of one worker. Everything else is what makes it a server you can run: options
// with sensible defaults, and a stop that shuts things down in the right order.
//
// Step 05: every request gets an answer, whatever happens to it. The pool's failures
// (a dead worker, a deadline, a full queue, a shutdown) become 502/504/503 with a clear body;
// oversized bodies and broken paths are refused before they reach a worker; a handler's
// error is logged here, with its stack from the worker, and never sent to the client; and
// `stop()` lets every request already accepted finish before the workers go.

import { text, type AppResponse } from "#lib/app.ts";
import { toResponse } from "#lib/http.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { PoolError, WorkerCrashed } from "./pool-errors.ts";
import { WorkerPool, type PoolOptions, type PoolStats } from "./pool.ts";
import { isResponse, readRequest } from "./request-limits.ts";

export interface ServerOptions {
  /** The app module every worker imports (a URL or absolute path). */
  appModule: string;
  /** 0 asks the operating system for any free port. */
  port?: number;
  /** How many workers; one per core by default. */
  workers?: number;
  /** A request's time limit on its worker (504 past it): one for all, or one per request. */
  deadlineMs?: PoolOptions["deadlineMs"];
  /** How long a request may wait for a free worker (503 past it). */
  queueWaitMs?: number;
  /** How many requests may wait for a worker (503 with Retry-After past it). */
  maxQueue?: number;
  /** The largest body accepted (413 past it). */
  maxBodyBytes?: number;
  /** Where handler errors and crashes are reported; console.error by default. */
  log?: (line: string) => void;
  /**
   * Bun closes a connection whose request has had no answer for this long (10 s unless told),
   * which would drop the very requests our 504 and 503 exist to answer: keep it above the
   * deadline plus the queue wait. At most 255.
   */
  idleTimeoutSeconds?: number;
}

export interface ResilientServer extends RunningServer {
  /** Graceful by default: answers everything accepted, then ends the workers. */
  stop(options?: { force?: boolean }): Promise<void>;
  stats(): PoolStats;
}

export interface Limits {
  maxBodyBytes: number;
  log: (line: string) => void;
}

export async function handleInPool(pool: WorkerPool, request: Request, limits: Limits): Promise<Response> {
  // Answered on the main thread: it must stay fast even when every worker is busy.
  if (request.method === "GET" && new URL(request.url).pathname === "/health") return new Response("ok");
  const data = await readRequest(request, limits.maxBodyBytes);
  if (isResponse(data)) return toResponse(data);
  // Each request awaits its own task. The fetch handler returns at the first `await`, so
  // Bun can accept the next request while this one waits for a worker.
  let response: AppResponse;
  try {
    response = await pool.run(data);
  } catch (error) {
    response = failure(error);
    if (error instanceof WorkerCrashed) limits.log(`${data.method} ${data.path}: ${error.message}\n${error.reason}`);
  }
  // A handler's error crossed the thread as data, stack included: for the log, not the client.
  if (response.error) limits.log(`${data.method} ${data.path}: ${response.error.stack ?? response.error.message}`);
  return toResponse({ status: response.status, headers: response.headers, body: response.body });
}

// The pool's failures carry their status; anything else is a bug of ours, and still an answer.
function failure(error: unknown): AppResponse {
  if (error instanceof PoolError) {
    const retry: Record<string, string> = error.retryAfterSeconds ? { "retry-after": String(error.retryAfterSeconds) } : {};
    return text(error.message, error.status, retry);
  }
  const message = error instanceof Error ? error.message : String(error);
  return { ...text("Internal Server Error", 500), error: { message, stack: error instanceof Error ? error.stack : undefined } };
}

export async function startServer({
  appModule,
  port = 0,
  workers = navigator.hardwareConcurrency,
  deadlineMs,
  queueWaitMs,
  maxQueue,
  maxBodyBytes = 1024 * 1024,
  log = console.error,
  idleTimeoutSeconds = 60,
}: ServerOptions): Promise<ResilientServer> {
  const pool = await WorkerPool.create({ appModule, size: workers, deadlineMs, queueWaitMs, maxQueue });
  try {
    const server = Bun.serve({
      port,
      idleTimeout: idleTimeoutSeconds,
      fetch: (request) => handleInPool(pool, request, { maxBodyBytes, log }),
      // The last net: an exception in our own code still becomes an answer, and a log line.
      error: (error) => {
        log(`unexpected error: ${error.stack ?? error.message}`);
        return new Response(`Internal Server Error: ${error.message}`, { status: 500 });
      },
    });
    return {
      url: server.url,
      port: server.port ?? port,
      stats: () => pool.stats(),
      // Stop accepting first, then close the pool: in that order no request reaches a closed pool.
      // Graceful: `server.stop(false)` resolves once every accepted request has its answer.
      stop: async ({ force = false } = {}) => {
        if (force) await Promise.all([server.stop(true), pool.close({ force: true })]);
        await server.stop(false);
        await pool.close();
      },
    };
  } catch (error) {
    await pool.close({ force: true }); // e.g. the port is taken: do not leave the threads behind.
    throw error;
  }
}
