// Scenario 5, for a step whose pool is not behind an HTTP server yet (step 03): tasks per
// second through the step's WorkerPool vs the same app called on the main thread.
//
//   bun bench/pool-bench.ts <dir with pool.ts> [n] [seconds] [pool size]
//
// Run as a child process by the bench, so that the learner's pool (and its workers) live and
// die with this process, and prints one JSON line: a PoolRound.
//
// Heavy tasks (fib(n)) show the parallel speedup; trivial ones (fib(1)) show what a trip through
// the pool costs, since there the work itself is nothing.

import { join } from "node:path";
import { app } from "#lib/example-app.ts";
import { EXAMPLE_APP } from "#lib/app-modules.ts";
import type { AppResponse, RequestData } from "#lib/http-types.ts";
import { requestData } from "#lib/http.ts";
import type { PoolRound } from "./config.ts";

interface Pool {
  run(request: RequestData): Promise<AppResponse>;
  close(): Promise<void>;
}
interface PoolModule {
  WorkerPool: { create(options: { appModule: string; size?: number }): Promise<Pool> };
}

const [dir, nArg = "33", secondsArg = "3", sizeArg = String(navigator.hardwareConcurrency)] = Bun.argv.slice(2);
if (!dir) {
  console.error("usage: bun bench/pool-bench.ts <dir with pool.ts> [n] [seconds] [pool size]");
  process.exit(2);
}
const n = Number(nArg);
const seconds = Number(secondsArg);
const size = Number(sizeArg);
let errors = 0;

/** Calls the app on this thread, one task after the other, for `seconds`. */
async function onMainThread(request: RequestData): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    if ((await app.handle(request)).status !== 200) errors++;
    done++;
  }
  return done / seconds;
}

/** Keeps two tasks per worker in flight for `seconds`, so that no worker ever idles waiting for the next. */
async function throughPool(pool: Pool, request: RequestData): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const lane = async () => {
    while (performance.now() < end) {
      if ((await pool.run(request)).status !== 200) errors++;
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: size * 2 }, lane));
  return done / ((performance.now() - started) / 1000);
}

const { WorkerPool } = (await import(join(dir, "pool.ts"))) as PoolModule;
const pool = await WorkerPool.create({ appModule: EXAMPLE_APP, size });
try {
  const heavy = requestData(`/fibonacci/${n}`);
  const trivial = requestData("/fibonacci/1");
  // Warm-up: JIT-compile fib here and in every worker before anything is timed.
  await Promise.all(Array.from({ length: size * 2 }, () => pool.run(heavy)));
  await app.handle(heavy);
  const result: PoolRound = {
    poolSize: size,
    heavy: { poolTasksPerSec: await throughPool(pool, heavy), mainTasksPerSec: await onMainThread(heavy) },
    trivial: { poolTasksPerSec: await throughPool(pool, trivial), mainTasksPerSec: await onMainThread(trivial) },
    errors,
  };
  console.log(JSON.stringify(result));
} finally {
  await pool.close();
}
