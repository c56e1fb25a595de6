// What the main thread is told when a worker's thread ends, on the pinned Bun: the facts step 05
// (crash recovery) rests on, checked here so that a Bun upgrade that changes one fails first.
// `bun bench/reliability/worker-exits.ts` is the older experiment, with counts over many runs.
//
//   the close event        comes for every end: process.exit, an uncaught error or rejection, a
//                          terminate(), even of a thread stuck in an endless loop
//   its code               process.exit(n) gives n; an uncaught error 1 (but 0 under `bun test`);
//                          an unhandled rejection 0 ("terminated normally"); terminate() 0 or 1,
//                          each form identical to a crash's: the close event cannot tell a crash
//                          from an end we asked for
//   the error event        comes first for an uncaught error or rejection, never for process.exit
//                          or terminate(); `event.error` is null and `event.message` is Bun's
//                          printed report: source lines, a caret, "<Name>: <message>", the stack
//   terminate()            returns nothing; the close comes later, as an event; nothing is
//                          rejected or answered by it (a request in flight just never gets a reply)
//   and around them        a throw inside onmessage kills a Bun worker too; a message posted just
//                          before process.exit arrives before the close; postMessage to an ended
//                          worker does not throw; `worker.threadId` is the thread's `threadId`;
//                          process.exit while a module loads ends the thread; a worker shares
//                          `process.pid` but not later changes to `process.env`; import() ignores
//                          a query string; an error thrown by Bun.serve's fetch becomes a 500
//                          whose page, outside production, shows the error's message.

import { afterEach, describe, expect, test } from "bun:test";
import { within } from "../testing/bounded.ts";

// One worker script that ends, or not, in the way it is asked to.
const source = `
const { threadId } = require("node:worker_threads");
class PaymentDeclined extends Error { name = "PaymentDeclined"; }
self.onmessage = (event) => {
  const how = event.data;
  if (how === "exit 1") process.exit(1);
  if (how === "exit 7") process.exit(7);
  if (how === "exit 0") process.exit(0);
  if (how === "uncaught") setTimeout(() => { throw new Error("uncaught on purpose"); }, 0);
  if (how === "type error") setTimeout(() => { null.x(); }, 0);
  if (how === "named") setTimeout(() => { throw new PaymentDeclined("declined on purpose"); }, 0);
  if (how === "throw in onmessage") throw new Error("thrown by onmessage on purpose");
  if (how === "rejection") void Promise.reject(new Error("rejected on purpose"));
  if (how === "answer then exit") { postMessage("the answer"); process.exit(1); }
  if (how === "loop") { postMessage("looping"); for (;;) {} }
  if (how === "thread id") postMessage(threadId);
  if (how === "pid") postMessage(process.pid);
  if (how === "env") postMessage(process.env.WORKER_EXIT_FACT ?? "unset");
  if (how.startsWith("import ")) import(how.slice(7)).then(() => postMessage("imported"));
  if (how === "ping") postMessage("pong");
};
postMessage("ready");`;
const SCRIPT = URL.createObjectURL(new Blob([source], { type: "application/javascript" }));

interface Ending {
  /** The error events' messages, in order. */
  errors: string[];
  /** `event.error` of each error event. */
  errorObjects: unknown[];
  close: { code: number; reason: string; wasClean: boolean };
  /** Messages received before the close, except "ready". */
  messages: unknown[];
}

const workers: Worker[] = [];
afterEach(() => {
  for (const worker of workers.splice(0)) worker.terminate();
});

/** A ready worker, and a promise of how its thread ended. */
async function startWorker(): Promise<{ worker: Worker; ended: Promise<Ending> }> {
  const worker = new Worker(SCRIPT);
  workers.push(worker);
  const ending: Ending = { errors: [], errorObjects: [], close: { code: -1, reason: "", wasClean: false }, messages: [] };
  const ready = new Promise<void>((resolve) =>
    worker.addEventListener("message", (event) => (event.data === "ready" ? resolve() : ending.messages.push(event.data))),
  );
  worker.addEventListener("error", (event) => {
    ending.errors.push(event.message);
    ending.errorObjects.push(event.error);
  });
  const ended = new Promise<Ending>((resolve) =>
    worker.addEventListener("close", (event) => {
      const { code, reason, wasClean } = event as CloseEvent;
      ending.close = { code, reason, wasClean };
      resolve(ending);
    }),
  );
  await within(ready, "the fact worker's ready");
  return { worker, ended: within(ended, "the fact worker's close event") };
}

async function endBy(how: string): Promise<Ending> {
  const { worker, ended } = await startWorker();
  worker.postMessage(how);
  return ended;
}

async function ask(how: string): Promise<unknown> {
  const { worker } = await startWorker();
  const answer = new Promise((resolve) => worker.addEventListener("message", (event) => resolve(event.data), { once: true }));
  worker.postMessage(how);
  return within(answer, `the worker's answer to "${how}"`);
}

const ABNORMAL = { code: 1, reason: "Worker exited abnormally", wasClean: false };
const NORMAL = { code: 0, reason: "Worker terminated normally", wasClean: true };

/**
 * How each way of ending looks from the main thread of a plain `bun` process (as a server runs),
 * observed in a child process: under `bun test` some close codes differ (see below).
 */
async function endingsInBunProcess(ways: string[]): Promise<Record<string, Ending>> {
  const script = `
    const SCRIPT = URL.createObjectURL(new Blob([${JSON.stringify(source)}], { type: "application/javascript" }));
    const endings = {};
    for (const how of ${JSON.stringify(ways)}) {
      const worker = new Worker(SCRIPT);
      const ending = { errors: [], errorObjects: [], messages: [] };
      await new Promise((resolve) => {
        worker.addEventListener("message", (event) => {
          if (event.data === "ready") {
            if (how === "terminate()") worker.terminate();
            else worker.postMessage(how);
          } else ending.messages.push(event.data);
        });
        worker.addEventListener("error", (event) => { ending.errors.push(event.message); ending.errorObjects.push(event.error); });
        worker.addEventListener("close", (event) => {
          ending.close = { code: event.code, reason: event.reason, wasClean: event.wasClean };
          resolve();
        });
      });
      endings[how] = ending;
    }
    console.log(JSON.stringify(endings));`;
  const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "ignore", timeout: 9_000 });
  const out = await within(new Response(child.stdout).text(), "the child process's report of worker endings", "", 8_000);
  await child.exited;
  return JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as Record<string, Ending>;
}

describe("how a worker's end looks from the main thread", () => {
  test("in a bun process: process.exit(n) gives close code n; an uncaught error, error then code 1; a rejection, error then code 0; terminate(), code 0 or 1", async () => {
    const ways = ["exit 1", "exit 7", "exit 0", "uncaught", "throw in onmessage", "rejection", "terminate()", "terminate()", "terminate()"];
    const endings = await endingsInBunProcess(ways);
    const seen = (how: string) => ({ close: endings[how]?.close, errors: endings[how]?.errors.length });
    expect(seen("exit 1")).toEqual({ close: ABNORMAL, errors: 0 });
    expect(seen("exit 7")).toEqual({ close: { ...ABNORMAL, code: 7 }, errors: 0 });
    expect(seen("exit 0").close?.code).toBe(0);
    expect(seen("uncaught")).toEqual({ close: ABNORMAL, errors: 1 });
    expect(seen("throw in onmessage")).toEqual({ close: ABNORMAL, errors: 1 });
    // Identical to a terminate() that reports code 0:
    expect(seen("rejection")).toEqual({ close: NORMAL, errors: 1 });
    // And terminate() reports either form, each identical to a crash's (process.exit(1), or a rejection):
    expect([ABNORMAL, NORMAL]).toContainEqual(endings["terminate()"]?.close as Ending["close"]);
    expect(endings["terminate()"]?.errors).toEqual([]);
  });

  test("under bun test, an uncaught error's close says code 0 instead: the code cannot be relied on", async () => {
    const ending = await endBy("uncaught");
    expect(ending.errors.length).toBe(1);
    expect(ending.close).toEqual(NORMAL);
  });

  test("process.exit(n) in a worker ends its thread, not the process: close code n, no error event", async () => {
    const one = await endBy("exit 1");
    expect(one.close).toEqual(ABNORMAL);
    expect(one.errors).toEqual([]);
    expect((await endBy("exit 7")).close.code).toBe(7);
    // This test's own thread is still running: the process was not ended.
  });

  test("a throw inside onmessage itself kills a Bun worker as well", async () => {
    const ending = await endBy("throw in onmessage");
    expect(ending.errors[0]).toContain("thrown by onmessage on purpose");
    expect([ABNORMAL, NORMAL]).toContainEqual(ending.close);
  });

  test("an unhandled rejection kills the worker: an error event, then close code 0, 'terminated normally'", async () => {
    const ending = await endBy("rejection");
    expect(ending.errors[0]).toContain("rejected on purpose");
    expect(ending.close).toEqual(NORMAL);
  });

  test("terminate(): no error event, and a close that looks like one crash or another (code 1 like process.exit(1), or code 0 like a rejection)", async () => {
    for (let i = 0; i < 5; i++) {
      const { worker, ended } = await startWorker();
      worker.terminate();
      const ending = await ended;
      expect(ending.errors).toEqual([]);
      expect([ABNORMAL, NORMAL]).toContainEqual(ending.close);
    }
  });

  test("a worker stuck in an endless loop still ends on terminate(), and its close event comes", async () => {
    const { worker, ended } = await startWorker();
    const looping = new Promise((resolve) => worker.addEventListener("message", resolve, { once: true }));
    worker.postMessage("loop");
    await within(looping, "the worker's 'looping'");
    worker.terminate();
    expect((await ended).errors).toEqual([]);
  });
});

describe("the error event", () => {
  test("event.error is null; event.message is Bun's report: source lines, a caret, `error: <message>`, the stack", async () => {
    const ending = await endBy("uncaught");
    expect(ending.errorObjects).toEqual([null]);
    const lines = (ending.errors[0] ?? "").split("\n");
    const messageLine = lines.findIndex((line) => line === "error: uncaught on purpose");
    expect(messageLine).toBeGreaterThan(1);
    expect(lines.slice(0, messageLine - 1).every((line) => /^\s*\d+ \| /.test(line))).toBe(true); // numbered source
    expect(lines[messageLine - 2]).toContain('throw new Error("uncaught on purpose")');
    expect(lines[messageLine - 1]).toMatch(/^\s*\^$/); // the caret under the throw
    expect(lines[messageLine + 1]).toMatch(/^\s+at /); // then the stack
  });

  test("an error's line is `<its name>: <message>`: `TypeError: …`, or any name of its own", async () => {
    expect((await endBy("type error")).errors[0]).toMatch(/^TypeError: /m);
    const named = (await endBy("named")).errors[0] ?? "";
    expect(named).toContain("\nPaymentDeclined: declined on purpose\n");
    expect(named).not.toMatch(/^\w*error: /im); // no line a search for "error:" would find
  });

  test("process.exit sends no error event at all", async () => {
    expect((await endBy("exit 1")).errors).toEqual([]);
  });
});

describe("terminate() and what it does not do", () => {
  test("terminate() returns nothing, and the close event comes later, not during the call or its microtasks", async () => {
    const { worker, ended } = await startWorker();
    let closed = false;
    worker.addEventListener("close", () => (closed = true));
    expect(worker.terminate()).toBeUndefined();
    expect(closed).toBe(false);
    await Promise.resolve();
    await Promise.resolve();
    expect(closed).toBe(false);
    await ended;
    expect(closed).toBe(true);
  });

  test("a message posted to a worker that then ends is never answered, and nothing is rejected: the close event is the only signal", async () => {
    const { worker, ended } = await startWorker();
    worker.postMessage("loop"); // the worker answers "looping", then never reads another message
    worker.postMessage("ping"); // so this one is never answered
    await within(new Promise((resolve) => worker.addEventListener("message", resolve, { once: true })), "'looping'");
    worker.terminate();
    const ending = await ended;
    expect(ending.messages).toEqual(["looping"]);
  });

  test("postMessage to a worker whose thread has ended does not throw", async () => {
    const { worker, ended } = await startWorker();
    worker.postMessage("exit 1");
    await ended;
    expect(() => worker.postMessage("ping")).not.toThrow();
  });
});

describe("around a worker's end", () => {
  test("a message posted just before process.exit arrives before the close event", async () => {
    const ending = await endBy("answer then exit");
    expect(ending.messages).toEqual(["the answer"]);
    expect(ending.close.code).toBe(1);
  });

  test("worker.threadId is the `threadId` the worker's own code sees", async () => {
    const { worker } = await startWorker();
    const answer = new Promise((resolve) => worker.addEventListener("message", (event) => resolve(event.data), { once: true }));
    worker.postMessage("thread id");
    expect(await within(answer, "the worker's threadId")).toBe(worker.threadId);
    expect(worker.threadId).toBeGreaterThan(0);
  });

  test("process.exit while a module is being imported ends the worker's thread: the import never finishes", async () => {
    const module = URL.createObjectURL(new Blob(["process.exit(3); export const never = 1;"], { type: "application/javascript" }));
    const ending = await endBy(`import ${module}`);
    expect(ending.close.code).toBe(3);
    expect(ending.messages).toEqual([]); // never "imported"
  });

  test("a worker has the process's pid, but not the variables set in process.env after the process started", async () => {
    expect(await ask("pid")).toBe(process.pid);
    process.env.WORKER_EXIT_FACT = "set by the main thread";
    try {
      expect(await ask("env")).toBe("unset");
    } finally {
      delete process.env.WORKER_EXIT_FACT;
    }
  });

  test("import() of one file with two query strings gives one module, whose import.meta.url has no query", async () => {
    const a = await import(new URL("../app-modules.ts?a", import.meta.url).href);
    const b = await import(new URL("../app-modules.ts?b", import.meta.url).href);
    expect(a).toBe(b);
    expect(a.EXAMPLE_APP).toBe(new URL("../example-app.ts", import.meta.url).href);
  });
});

describe("at the server's edge", () => {
  // A server in a process of its own: inside `bun test`, an error thrown by fetch fails the test.
  test("an error thrown by Bun.serve's fetch is answered 500, with the error's message in the page outside production", async () => {
    const script = `
      const server = Bun.serve({ port: 0, fetch() { throw new Error("a detail for the log only"); } });
      const response = await fetch(server.url);
      const body = await response.text();
      console.log(JSON.stringify({ status: response.status, shown: body.includes("a detail for the log only") }));
      await server.stop(true);`;
    const run = async (env: Record<string, string>) => {
      const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "ignore", env: { ...process.env, ...env }, timeout: 9_000 });
      const out = await within(new Response(child.stdout).text(), "the child server's report", "", 8_000);
      await child.exited;
      return JSON.parse(out.trim().split("\n").at(-1) ?? "{}");
    };
    expect(await run({ NODE_ENV: "development" })).toEqual({ status: 500, shown: true });
    expect(await run({ NODE_ENV: "production" })).toEqual({ status: 500, shown: false });
  });
});
