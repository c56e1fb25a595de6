// A census of worker threads, kept by the test rather than asked of the code under test.
//
// "The pool is back to full size" could be read from the pool's own `stats()`, but a pool that
// lost track of a thread would lose it from its stats too. So the test counts at the source:
// while a census is open, every `new Worker(...)` in this process goes through a subclass that
// records it, and a thread counts as ended only when Bun fires its `close` event.
//
// It also gives the test the raw `Worker` objects, which the code under test keeps private:
// that is how a test terminates a worker's thread "from outside", the way a crash it did not
// ask for would end it. `worker.threadId` (Bun) is the `threadId` a handler sees on its thread
// (lib/facts/worker-exit.test.ts), so the fixture's `/gate-thread/:token` tells which one.
//
// Open it *before* the code under test creates its workers; `stop()` puts the real `Worker`
// back (the workers already recorded stay watched).

export interface WorkerCensus {
  /** Every worker started while the census was open, in order. */
  readonly started: Worker[];
  /** How many of them have not ended yet. */
  alive(): number;
  /** Whether this one's thread has ended (its `close` event came). */
  ended(worker: Worker): boolean;
  /** The recorded worker whose thread has this id. */
  byThreadId(threadId: number): Worker | undefined;
  /** Stops recording new workers: `globalThis.Worker` is the real one again. */
  stop(): void;
}

export function openWorkerCensus(): WorkerCensus {
  const started: Worker[] = [];
  const ended = new Set<Worker>();
  const Real = globalThis.Worker;
  class CountedWorker extends Real {
    constructor(...args: ConstructorParameters<typeof Worker>) {
      super(...args);
      started.push(this);
      this.addEventListener("close", () => ended.add(this));
    }
  }
  globalThis.Worker = CountedWorker;
  return {
    started,
    alive: () => started.length - ended.size,
    ended: (worker) => ended.has(worker),
    byThreadId: (threadId) => started.find((worker) => worker.threadId === threadId),
    stop() {
      if (globalThis.Worker === CountedWorker) globalThis.Worker = Real;
    },
  };
}
