// The tap of step 09's tests (./message-tap.ts, ./tapped-app.ts) is itself tested: a tap that
// missed a message, or described it wrongly, would make the flat-message tests pass or fail
// for the wrong reason. So is the order the tests rely on: on one thread, a handler's start is
// reported before the `in` entry of the message a worker started it from, and every entry in
// the order it happened.

import { afterAll, expect, test } from "bun:test";
import { newAsyncGate } from "./async-gate.ts";
import { within } from "./bounded.ts";
import { describeEntry, describeMessage, kindOf, TAPPED_APP, TapLog } from "./message-tap.ts";
import { bodyText, summary, wireRequest } from "./wire-tasks.ts";

const tap = new TapLog();
afterAll(() => tap.close());

// A worker that loads the tapped app, then answers each request message (flat, as step 09's) by
// calling the app at once, as a worker that runs tasks concurrently would: the tap must show it.
const source = `
  let app;
  self.onmessage = async (event) => {
    const m = event.data;
    if (m.type === "init") {
      app = (await import(m.appModule)).default;
      self.postMessage({ type: "ready" });
      return;
    }
    const response = await app.fetch(new Request(m.url, { method: m.method }));
    const body = await response.arrayBuffer();
    self.postMessage({ type: "response", id: m.id, status: response.status, body }, body.byteLength > 1000 ? [body] : []);
  };
`;

test("kindOf and describeMessage say what each key of a message holds, and find a request's path, flat or nested", () => {
  expect([null, "a", 1, true, undefined, new ArrayBuffer(1), [1], {}, () => {}].map(kindOf)).toEqual([
    "null",
    "string",
    "number",
    "boolean",
    "undefined",
    "ArrayBuffer",
    "array",
    "object",
    "other",
  ]);
  expect(describeMessage({ type: "request", id: 3, url: "http://x.test/a/b?c=d", body: null })).toEqual({
    type: "request",
    id: 3,
    label: "/a/b",
    shape: { type: "string", id: "number", url: "string", body: "null" },
  });
  expect(describeMessage({ type: "request", id: 4, request: { url: "http://x.test/nested" } }).label).toBe("/nested");
  expect(describeEntry({ kind: "in", threadId: 1, type: "request", id: 4, label: "/nested" })).toBe("in request #4 /nested");
});

test("the tapped app reports every message in and out of its worker, what went in the transfer list, and each handler's start, in order", async () => {
  const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "application/javascript" })));
  try {
    const mine = tap.fromNow();
    const answers: unknown[] = [];
    let wake = () => {};
    worker.addEventListener("message", (event) => {
      answers.push(event.data);
      wake();
    });
    const next = (count: number) =>
      within(
        (async () => {
          while (answers.length < count) await new Promise<void>((resolve) => (wake = resolve));
        })(),
        `${count} messages from the test worker`,
      );
    worker.postMessage({ type: "init", appModule: TAPPED_APP });
    await next(1);
    const gate = newAsyncGate();
    worker.postMessage({ type: "request", id: 1, ...wireRequest(`/wait/${gate.token}`) });
    worker.postMessage({ type: "request", id: 2, ...wireRequest("/start/two") });
    await tap.waitFor(mine, (e) => e.kind === "out" && e.id === 2, "the tap's report of the answer to /start/two");
    gate.open();
    await tap.waitFor(mine, (e) => e.kind === "out" && e.id === 1, "the tap's report of the answer to /wait/<gate>, once opened");
    worker.postMessage({ type: "request", id: 3, ...wireRequest("/bytes/5000") });
    await next(4);
    await tap.waitFor(mine, (e) => e.kind === "out" && e.id === 3, "the tap's report of the answer to /bytes/5000");
    expect(mine().map((e) => describeEntry(e).replace(gate.token, "<gate>"))).toEqual([
      "out ready",
      "started <gate>",
      "in request #1 /wait/<gate>",
      "started two",
      "in request #2 /start/two",
      "out response #2",
      "out response #1",
      "in request #3 /bytes/5000",
      "out response #3",
    ]);
    const entries = mine();
    expect(entries[0]?.transferred, "objects in the transfer list of `ready`").toBe(0);
    expect(entries[5]?.shape).toEqual({ type: "string", id: "number", status: "number", body: "ArrayBuffer" });
    expect(entries[8]?.transferred, "the 5000-byte answer went in the transfer list").toBe(1);
    expect(new Set(entries.map((e) => e.threadId)).size, "every entry from the one worker thread").toBe(1);
  } finally {
    worker.terminate();
  }
});

test("wire-tasks builds flat requests and reads answers, however their body crossed", () => {
  expect(wireRequest("/a?b=c")).toEqual({ method: "GET", url: "http://pool.test/a?b=c", headers: "", body: null });
  expect(wireRequest("/p", { method: "POST", headers: "x-a: 1", body: "hi" })).toEqual({ method: "POST", url: "http://pool.test/p", headers: "x-a: 1", body: "hi" });
  const utf8 = Buffer.from("héllo ✓");
  expect(bodyText({ status: 200, statusText: "", headers: "", body: utf8.toString("latin1") })).toBe("héllo ✓");
  expect(bodyText({ status: 200, statusText: "", headers: "", body: utf8.buffer.slice(utf8.byteOffset, utf8.byteOffset + utf8.length) as ArrayBuffer })).toBe("héllo ✓");
  expect(summary({ status: 204, statusText: "", headers: "", body: null })).toBe("204 ");
});
