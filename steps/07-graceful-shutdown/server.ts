// Step 04: the full server. `Bun.serve` hands every request to the pool.
//
// Compared with step 02, one line of the idea changes: requests go to a pool of N workers
// instead of one worker. Everything else is what makes it a server you can run: options
// with sensible defaults, and a stop that shuts things down in the right order.
//
// Step 05: every request gets an answer, even when its worker dies under it. The pool's
// failures arrive as `PoolError`s carrying their status (502 for a crash, 503 once no worker
// is left); they become answers here, and what went wrong goes to the log, never to the client.
//
// Step 06: the limits a request must live within are set here, where the server is
// configured: its run (504), its wait for a worker (503), the queue's length (503 with
// `Retry-After`), and its body's size (413, answered by Bun before the body can reach a worker).
//
// Step 07: `stop()` is graceful. It stops accepting, answers every request already accepted
// (running or queued), and only then ends the workers. `stop({ force: true })` does not wait:
// whatever is unfinished is answered 503 before the connections close.

import { text, type AppResponse } from "#lib/app.ts";
import { toRequestData, toResponse } from "#lib/http.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { PoolError, WorkerCrashed } from "./pool-errors.ts";
import { WorkerPool, type PoolOptions, type PoolStats } from "./pool.ts";

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
  /** The largest request body accepted, in bytes (413 past it). */
  maxBodyBytes?: number;
  /**
   * Bun closes a connection whose request has had no answer for about this long (10 s unless
   * told), answering nothing. It counts on a 4-second tick and may close up to 4 s early: keep
   * it above the deadline plus the queue wait by more than that. Whole seconds, at most 255.
   */
  idleTimeoutSeconds?: number;
  /** Where crashes and handler errors are reported; console.error by default. */
  log?: (line: string) => void;
}

export interface PoolServer extends RunningServer {
  /** Graceful by default: answers everything accepted, then ends the workers. */
  stop(options?: { force?: boolean }): Promise<void>;
  stats(): PoolStats;
}

export async function handleInPool(pool: WorkerPool, request: Request, log: (line: string) => void): Promise<Response> {
  // Answered on the main thread: it must stay fast even when every worker is busy.
  if (request.method === "GET" && new URL(request.url).pathname === "/health") return new Response("ok");
  // Each request awaits its own task. The fetch handler returns at the first `await`, so
  // Bun can accept the next request while this one waits for a worker.
  const data = await toRequestData(request);
  let response: AppResponse;
  try {
    response = await pool.run(data);
  } catch (error) {
    if (!(error instanceof PoolError)) throw error; // a bug of ours: Bun's error handler answers 500
    if (error instanceof WorkerCrashed) log(`${data.method} ${data.path}: ${error.message}\n${error.reason}`);
    const retry: Record<string, string> = error.retryAfterSeconds ? { "retry-after": String(error.retryAfterSeconds) } : {};
    response = text(error.message, error.status, retry);
  }
  // A handler's error crossed the thread as data, stack included: for the log, not the client.
  if (response.error) log(`${data.method} ${data.path}: ${response.error.stack ?? response.error.message}`);
  return toResponse(response);
}

export async function startServer({
  appModule,
  port = 0,
  workers = navigator.hardwareConcurrency,
  deadlineMs,
  queueWaitMs,
  maxQueue,
  maxBodyBytes = 1024 * 1024,
  idleTimeoutSeconds = 60,
  log = console.error,
}: ServerOptions): Promise<PoolServer> {
  const pool = await WorkerPool.create({ appModule, size: workers, deadlineMs, queueWaitMs, maxQueue });
  try {
    const server = Bun.serve({
      port,
      // Past the limit Bun answers 413 itself: from the content-length, before reading the body,
      // or, for a chunked body, once the bytes read pass it (our read of the body then rejects).
      maxRequestBodySize: maxBodyBytes,
      idleTimeout: idleTimeoutSeconds,
      fetch: (request) => handleInPool(pool, request, log),
    });
    return {
      url: server.url,
      port: server.port ?? port,
      stats: () => pool.stats(),
      stop: async ({ force = false } = {}) => {
        // TODO(step 07): graceful by default: stop accepting at once (new connections are
        // refused, idle keep-alive ones closed), answer every request already accepted, running,
        // queued or still sending its body, with its real answer, then end the workers; resolve
        // once every worker thread has ended. Forced: answer every unfinished request with the
        // pool's 503 (PoolClosed), written to its client before the connections close, then the
        // same end. A second call, during the first, resolves at the same end too.
        void [force, server, pool];
        throw new Error("not implemented yet: see steps/07-graceful-shutdown/README.md (stop)");
      },
    };
  } catch (error) {
    await pool.close(); // e.g. the port is taken: do not leave the threads behind.
    throw error;
  }
}
