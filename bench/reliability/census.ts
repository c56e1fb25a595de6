// A census of worker threads, kept by the bench itself rather than asked of the pool.
//
// "The pool is back to full size" could be checked with the pool's own `stats()`, but a pool
// that lost track of a thread would also lose it from its stats. Counting at the source is
// the honest check: every `new Worker` made in this process goes through this subclass, and
// a thread counts as gone only when Bun fires its `close` event (the thread really ended).
// Install it before the server module is imported.

export interface Census {
  /** Threads started and not yet ended. */
  readonly live: number;
  /** Threads started since install. */
  readonly started: number;
}

export function installWorkerCensus(): Census {
  const counts = { live: 0, started: 0 };
  const Base = globalThis.Worker;
  class CountedWorker extends Base {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      counts.live++;
      counts.started++;
      this.addEventListener("close", () => counts.live--);
    }
  }
  globalThis.Worker = CountedWorker;
  return counts;
}
