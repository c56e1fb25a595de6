// Workers written inline, for the facts tests: each one a few lines of source text, so that
// a fact about workers is shown by the smallest program that has it.

import { afterAll } from "bun:test";
import { within } from "../testing/bounded.ts";

/**
 * Returns a `workerFrom(source)` that starts a worker from source text, and terminates every
 * worker it started after the calling test file's tests.
 */
export function inlineWorkers(): (source: string) => Worker {
  const started: Worker[] = [];
  afterAll(() => {
    for (const worker of started) worker.terminate();
  });
  return (source) => {
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "application/typescript" })));
    started.push(worker);
    return worker;
  };
}

/** The next message `worker` posts, bounded (3 s) and named `what` if it never comes. */
export function nextMessage<T>(worker: Worker, what: string): Promise<T> {
  return within(new Promise<T>((resolve) => worker.addEventListener("message", (e) => resolve(e.data as T), { once: true })), what);
}
