// The helpers of step 05's tests are tested too: a census that missed a thread, or a flaky app
// that ignored its plan, would make a crash-recovery test pass or fail for the wrong reason.
import { afterEach, expect, test } from "bun:test";
import { FLAKY_APP } from "../app-modules.ts";
import { within } from "./bounded.ts";
import { planFlakyLoads, resetFlakyLoads, takeFlakyLoad } from "./flaky-loads.ts";
import { openWorkerCensus } from "./worker-census.ts";

afterEach(() => resetFlakyLoads());

const READY = URL.createObjectURL(new Blob(['postMessage(require("node:worker_threads").threadId);'], { type: "application/javascript" }));

test("the census records the workers made while it is open, their thread ids, and their end", async () => {
  const census = openWorkerCensus();
  let worker: Worker;
  try {
    worker = new Worker(READY);
  } finally {
    census.stop();
  }
  const outside = new Worker(READY); // made after stop(): not recorded
  try {
    const threadId = await within(new Promise<number>((resolve) => (worker.onmessage = (e) => resolve(e.data))), "the worker's thread id");
    expect(census.started).toEqual([worker]);
    expect(census.byThreadId(threadId)).toBe(worker);
    expect(census.alive()).toBe(1);
    worker.terminate();
    await within(new Promise((resolve) => worker.addEventListener("close", resolve)), "the worker's close");
    expect(census.ended(worker)).toBe(true);
    expect(census.alive()).toBe(0);
  } finally {
    worker.terminate();
    outside.terminate();
  }
});

test("the flaky app's plan: the next loads in order, then the rest; after a reset, every load loads", () => {
  expect(takeFlakyLoad()).toBe("load");
  planFlakyLoads({ next: ["throw", { hold: "g" }], then: "exit" });
  expect([takeFlakyLoad(), takeFlakyLoad(), takeFlakyLoad(), takeFlakyLoad()]).toEqual(["throw", { hold: "g" }, "exit", "exit"]);
  resetFlakyLoads();
  expect(takeFlakyLoad()).toBe("load");
});

test("a worker that imports the flaky app follows the plan: it loads, it throws", async () => {
  const source = `import(${JSON.stringify(FLAKY_APP)}).then((m) => postMessage(typeof m.app), (e) => postMessage(String(e)));`;
  const url = URL.createObjectURL(new Blob([source], { type: "application/javascript" }));
  const load = async () => {
    const worker = new Worker(url);
    try {
      return await within(new Promise<string>((resolve) => (worker.onmessage = (e) => resolve(e.data))), "the flaky app's import");
    } finally {
      worker.terminate();
    }
  };
  planFlakyLoads({ next: ["load", "throw"] });
  expect(await load()).toBe("object");
  expect(await load()).toContain("flaky-app refuses to load now (on purpose)");
  expect(await load()).toBe("object"); // the plan's `then` is "load" unless said otherwise
});
