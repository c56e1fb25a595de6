// The post log (./post-log.ts) is itself tested: a log that missed a message, merged two, or
// named an answer after the wrong request would make step 10's batching tests pass or fail
// for the wrong reason.

import { expect, test } from "bun:test";
import { within } from "./bounded.ts";
import { answerMessages, describePost, openPostLog, requestMessages } from "./post-log.ts";

// A worker that answers each message at once: an array with one answer per request in it, a
// single request with a single answer; `init` with `ready`.
const source = `
  self.onmessage = (event) => {
    const m = event.data;
    if (Array.isArray(m)) self.postMessage(m.map((r) => ({ type: "response", id: r.id, status: 200 })));
    else if (m.type === "init") self.postMessage({ type: "ready" });
    else self.postMessage({ type: "response", id: m.id, status: 200 });
  };
`;

test("it records every message both ways, in order, each array as one message, and names answers after their requests", async () => {
  const log = openPostLog();
  let worker: Worker | undefined;
  try {
    worker = new Worker(URL.createObjectURL(new Blob([source], { type: "application/typescript" })));
    const seen: unknown[] = [];
    const three = new Promise<void>((resolve) =>
      worker?.addEventListener("message", (event) => {
        seen.push(event.data);
        if (seen.length === 3) resolve();
      }),
    );
    const big = new ArrayBuffer(64);
    worker.postMessage({ type: "init", appModule: "x" });
    worker.postMessage(
      [
        { type: "request", id: 1, url: "http://t/a", body: big },
        { type: "request", id: 2, url: "http://t/b", body: "x" },
      ],
      [big],
    );
    worker.postMessage({ type: "request", id: 3, url: "http://t/c", body: null });
    await within(three, "the worker's 3 answers");
    expect(big.byteLength, "the transferred buffer, handed over").toBe(0);
    expect(log.workers).toEqual([worker]);
    expect(log.entries.map(describePost)).toEqual([
      "to worker 0: {init}",
      "to worker 0: [/a, /b]",
      "to worker 0: /c",
      "from worker 0: {ready}",
      "from worker 0: [/a, /b]",
      "from worker 0: /c",
    ]);
    const [, batch] = log.entries;
    expect(batch?.transferred, "objects in the batch's transfer list").toBe(1);
    expect(batch?.items[0]?.shape, "the shape of the first request, described before the transfer emptied it").toEqual({
      type: "string",
      id: "number",
      url: "string",
      body: "ArrayBuffer",
    });
    expect(requestMessages(log.entries).map((e) => e.items.map((i) => i.id))).toEqual([[1, 2], [3]]);
    expect(answerMessages(log.entries).map((e) => [e.array, e.items.map((i) => i.id)])).toEqual([
      [true, [1, 2]],
      [false, [3]],
    ]);
  } finally {
    worker?.terminate();
    log.stop();
  }
  expect(globalThis.Worker.name, "the real Worker is back once stopped").toBe("Worker");
});

test("fromNow() gives only what was recorded after it", () => {
  const log = openPostLog();
  try {
    const worker = new Worker(URL.createObjectURL(new Blob(["self.onmessage = () => {};"], { type: "application/typescript" })));
    worker.postMessage({ type: "init" });
    const mine = log.fromNow();
    worker.postMessage([{ type: "request", id: 1, url: "http://t/z" }]);
    worker.terminate();
    expect(mine().map(describePost)).toEqual(["to worker 0: [/z]"]);
  } finally {
    log.stop();
  }
});
