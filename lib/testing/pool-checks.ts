// Checks on a worker pool made through its public surface (`create`, `run`, `stats`, `close`),
// shared by the step tests (step 06 uses them). Every wait is bounded and says what it waited for.

import { expect } from "bun:test";
import type { AppResponse, RequestData } from "../http-types.ts";
import { requestData } from "../http.ts";
import { until, within } from "./bounded.ts";
import type { EventLog } from "./events.ts";
import { holdWorkers } from "./hold.ts";

/** Counts a test's own worker threads (with a census: ./worker-census.ts). */
export interface Threads {
  /** Threads started and not yet ended. */
  live(): number;
}

/** What every step's pool offers from step 05 on. */
export interface PoolLike {
  run(request: RequestData): Promise<AppResponse>;
  stats(): { size: number; idle: number; busy: number; queued: number; starting: number };
  close(): Promise<void>;
}

/**
 * Creates a pool with `create`, hands it to `body`, and closes it afterwards whatever happens.
 * Creation and closing are bounded: a pool that never gets ready fails here, by name.
 */
export async function withPool<P extends PoolLike>(create: () => Promise<P>, body: (pool: P) => Promise<void>): Promise<void> {
  const pool = await within(create(), "WorkerPool.create()", "does every worker answer `init`?");
  try {
    await body(pool);
  } finally {
    await within(pool.close(), "pool.close()");
  }
}

/**
 * The pool is back at full size and serves: it reports `size` idle workers; `size` held tasks
 * all start at once (which only `size` free workers can do); once they are answered it reports
 * them idle again; and, with a census, exactly `size` threads are alive (none leaked).
 */
export async function expectFullPool(
  pool: PoolLike,
  size: number,
  events: EventLog,
  { threads, after = "" }: { threads?: Threads; after?: string } = {},
): Promise<void> {
  const context = after ? ` ${after}` : "";
  await until(
    () => {
      const stats = pool.stats();
      return stats.size === size && stats.idle === size && stats.starting === 0;
    },
    `the pool back at ${size} idle workers${context}`,
    () => `stats() says ${JSON.stringify(pool.stats())}: a worker taken from the pool must be replaced, and only live workers may count`,
  );
  const held = await holdWorkers(
    events,
    size,
    (path) => pool.run(requestData(path)),
    `a pool of ${size} must run ${size} tasks at once${context}: is a worker still busy with a runaway, or was one never replaced?`,
  );
  expect((await held.release()).map((response) => response.body), `the held tasks' answers${context}`).toEqual(held.expected);
  expect(pool.stats(), `stats() once the held tasks were answered${context}`).toMatchObject({ size, idle: size, busy: 0, queued: 0, starting: 0 });
  if (threads) {
    await until(
      () => threads.live() === size,
      `exactly ${size} worker threads alive${context}`,
      () => `${threads.live()} are alive: a thread the pool stopped counting (a runaway answered but never terminated) goes on running`,
    );
  }
}
