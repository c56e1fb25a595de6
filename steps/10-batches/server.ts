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
//
// Step 08: the server runs any app with a fetch handler, Hono, plain Bun or the tutorial's
// App. The request crosses as it came and the handler's `Response` comes back whole (wire.ts).
// Routes the server is told are light are answered on the main thread by the app's own
// handler, imported here too: a request that costs less than the trip to a worker skips it,
// and never waits behind the heavy ones. And the server's own endpoints move under a prefix
// of their own: `/health` was the server's, and would have hidden any app's `/health`.
//
// Step 09: nothing here changes but the messages' types (lib/flat-protocol.ts); the cuts are in
// wire.ts, worker.ts and pool.ts.
//
// Step 10: nothing here changes: the batches are made and unmade in pool.ts, app-worker.ts and
// worker.ts, and every request still awaits its own answer.

import type { WireResponse } from "#lib/flat-protocol.ts";
import { text } from "#lib/app.ts";
import { toResponse } from "#lib/http.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { answerOf, fetchHandlerOf, internalError, type FetchHandler } from "./fetch-handler.ts";
import { PoolError, WorkerCrashed } from "./pool-errors.ts";
import { WorkerPool, type PoolOptions, type PoolStats } from "./pool.ts";
import { fromWireResponse, toWireRequest } from "./wire.ts";

/**
 * Everything under this path is the server's, never the app's: `/_pool/live` and
 * `/_pool/ready`. A prefix no app is likely to use, so that no app route is ever hidden.
 */
export const POOL_PREFIX = "/_pool/";

export interface ServerOptions {
  /** The app module every worker imports (a URL or absolute path). */
  appModule: string;
  /** 0 asks the operating system for any free port. */
  port?: number;
  /** How many workers; one per core by default. */
  workers?: number;
  /**
   * A request's time limit on its worker (504 past it): one for all, or one per request. A batch
   * of them may run for the sum (pool.ts).
   */
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
   * From step 10 on, a request's answer may wait for its whole batch, whose deadline is the sum
   * of its tasks': with many tasks of long deadlines a batch can outlast this, and a client can
   * lose its connection with no answer. Keep deadlines short, or `tasksPerWorker` small, when
   * they are long.
   */
  idleTimeoutSeconds?: number;
  /** Where crashes and handler errors are reported; console.error by default. */
  log?: (line: string) => void;
  /**
   * Requests answered on the main thread by the app's own handler, never by a worker: path
   * patterns in URLPattern syntax (`/health`, `/users/:id`), or a function of the request.
   * Only for what costs less than the trip to a worker: while one runs, nothing else does.
   */
  light?: string[] | ((request: Request) => boolean);
}

export interface PoolServer extends RunningServer {
  /** Graceful by default: answers everything accepted, then ends the workers. */
  stop(options?: { force?: boolean }): Promise<void>;
  stats(): PoolStats;
  /** The handler `Bun.serve` calls, for answering a `Request` made in this process. */
  fetch(request: Request): Promise<Response>;
}

export async function handleInPool(pool: WorkerPool, request: Request, log: (line: string) => void): Promise<Response> {
  // Each request awaits its own task. The fetch handler returns at the first `await`, so
  // Bun can accept the next request while this one waits for a worker.
  const data = await toWireRequest(request);
  // Only a failure is logged, and only then is the URL parsed again to name it.
  const where = () => `${request.method} ${new URL(request.url).pathname}`;
  let response: WireResponse;
  try {
    response = await pool.run(data);
  } catch (error) {
    if (!(error instanceof PoolError)) throw error; // a bug of ours: Bun's error handler answers 500
    if (error instanceof WorkerCrashed) log(`${where()}: ${error.message}\n${error.reason}`);
    const retry: Record<string, string> = error.retryAfterSeconds ? { "retry-after": String(error.retryAfterSeconds) } : {};
    return toResponse(text(error.message, error.status, retry));
  }
  // A handler's error crossed the thread as data, stack included: for the log, not the client.
  if (response.error) log(`${where()}: ${response.error.stack ?? response.error.message}`);
  return fromWireResponse(response);
}

/** Which requests are light: none unless told; a function, as given; patterns, against the path alone. */
export function lightMatcher(light: ServerOptions["light"]): (request: Request) => boolean {
  if (light === undefined) return () => false;
  if (typeof light === "function") return light;
  const patterns = light.map((pathname) => new URLPattern({ pathname }));
  return (request) => {
    const { pathname } = new URL(request.url);
    return patterns.some((pattern) => pattern.test({ pathname }));
  };
}

/** A light request, answered here by the app's own handler: its errors are a 500, as in a worker. */
export async function answerInline(handler: FetchHandler, request: Request, log: (line: string) => void): Promise<Response> {
  try {
    return await answerOf(handler, request);
  } catch (error) {
    const failed = internalError(error);
    log(`${request.method} ${new URL(request.url).pathname}: ${failed.error?.stack ?? failed.error?.message}`);
    return fromWireResponse(failed);
  }
}

/**
 * The server's own answers, under POOL_PREFIX, given on the main thread. `live`: this process
 * answers, its event loop turns (a load balancer restarts a server that does not). `ready`:
 * the pool takes work, 503 while it cannot (the server is shutting down, or no worker is left
 * and none is coming), so that a load balancer sends the requests elsewhere meanwhile.
 */
export function poolEndpoint(pathname: string, pool: WorkerPool, stopping: boolean): Response {
  if (pathname === `${POOL_PREFIX}live`) return new Response("live");
  if (pathname === `${POOL_PREFIX}ready`) {
    if (stopping) return new Response("not ready: the server is shutting down", { status: 503 });
    const { broken, size } = pool.stats();
    if (broken && size === 0) return new Response(`not ready: no worker left (${broken})`, { status: 503 });
    return new Response("ready");
  }
  return new Response(`Not Found: the server's own endpoints are ${POOL_PREFIX}live and ${POOL_PREFIX}ready`, { status: 404 });
}

// The app's handler on this thread, for the light routes.
async function mainThreadHandler(appModule: string): Promise<FetchHandler> {
  try {
    return fetchHandlerOf(await import(appModule));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the main thread could not load ${appModule} for the light routes: ${reason}`);
  }
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
  light,
}: ServerOptions): Promise<PoolServer> {
  const pool = await WorkerPool.create({ appModule, size: workers, deadlineMs, queueWaitMs, maxQueue });
  try {
    // Imported on this thread only when some routes are light: its top-level code runs here too.
    const isLight = lightMatcher(light);
    const handler = light === undefined ? undefined : await mainThreadHandler(appModule);
    let stopping = false;
    const fetch = async (request: Request): Promise<Response> => {
      const { pathname } = new URL(request.url);
      if (pathname.startsWith(POOL_PREFIX)) return poolEndpoint(pathname, pool, stopping);
      if (handler && isLight(request)) return answerInline(handler, request, log);
      return handleInPool(pool, request, log);
    };
    const server = Bun.serve({
      port,
      // Past the limit Bun answers 413 itself: from the content-length, before reading the body,
      // or, for a chunked body, once the bytes read pass it (our read of the body then rejects).
      maxRequestBodySize: maxBodyBytes,
      idleTimeout: idleTimeoutSeconds,
      fetch,
    });
    return {
      url: server.url,
      port: server.port ?? port,
      stats: () => pool.stats(),
      fetch,
      stop: async ({ force = false } = {}) => {
        stopping = true; // from now on, /_pool/ready says so
        // Graceful: Bun stops listening, closes idle keep-alive connections and resolves once
        // every accepted request has its answer, one whose body is still arriving included:
        // the pool must serve them all, so it closes only after.
        if (!force) return void (await server.stop(false), await pool.close());
        const closed = pool.close({ force: true }); // every unfinished task is rejected: 503s
        // Bun writes those answers on the event loop's next turn; closing the connections
        // before it would cut them off (measured on Bun 1.4.5: every client saw a reset).
        await new Promise((resolve) => setImmediate(resolve));
        await server.stop(true);
        await closed;
      },
    };
  } catch (error) {
    await pool.close(); // e.g. the port is taken: do not leave the threads behind.
    throw error;
  }
}
