// The event loop, workers and Bun.serve, as chapters 01-02 and the briefs of steps 01-02
// describe them, checked on the pinned Bun. No sleeps: where a thread must be shown blocked,
// it blocks on `Atomics.wait` until the test releases it, so every order below is certain.
//
//   docs/01 promise callbacks are microtasks: all of them run before the next task
//   docs/01 a running task is never interrupted: a due timer, a message wait until it returns
//   docs/01 an `await` gives the thread back to the loop, which runs other tasks meanwhile
//   docs/01 fibonacci(35) is about thirty million calls
//   docs/01 a BroadcastChannel message arrives while the thread that posted it is still blocked
//   docs/02 postMessage returns at once, even to a blocked thread; messages wait in order
//   docs/02 an async onmessage does not hold back the next message
//   docs/02 a worker has its own copy of every module it imports
//   docs/02 `onmessage = f` replaces the previous handler; addEventListener listeners stay
//   docs/02 import() rejects for a missing file and for a module that throws while loading
//   docs/02 an error that escapes a worker's code is an `error` event on the Worker, and the
//           worker dies of it (the blog's worker, when its import() fails)
//   docs/02 process.exit() while loading: a close event with the code, no error event
//   steps/02 Bun's error event message: source lines first, then the `error:` line
//   steps/01 Bun.serve: port 0 gets a free port, named by server.url; stop() closes idle
//           keep-alive connections and refuses new ones, with or without `true`; `true` cuts
//           requests still running, plain stop() waits for them
//
// That a request arriving while the main thread computes waits for it (docs/01) is shown by
// step 01's own lesson test, with a client on another thread.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { fibonacci } from "../fibonacci.ts";
import { within } from "../testing/bounded.ts";
import { inlineWorkers, nextMessage } from "./inline-worker.ts";
import { EventLog } from "../testing/events.ts";

/** A worker from source text; terminated after this file's tests. */
const workerFrom = inlineWorkers();

const lib = (path: string) => JSON.stringify(new URL(`../${path}`, import.meta.url).href);

describe("the event loop: tasks and microtasks", () => {
  test("promise callbacks are microtasks: every one runs before the next task, even one queued by another", async () => {
    const order: string[] = [];
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        order.push("timer (a task)");
        resolve();
      }, 0),
    );
    let chain = Promise.resolve();
    for (let i = 1; i <= 3; i++) chain = chain.then(() => void order.push(`then ${i} (a microtask)`));
    queueMicrotask(() => order.push("queueMicrotask (a microtask)"));
    order.push("synchronous code");
    await timer;
    expect(order).toEqual([
      "synchronous code",
      "then 1 (a microtask)",
      "queueMicrotask (a microtask)",
      "then 2 (a microtask)",
      "then 3 (a microtask)",
      "timer (a task)",
    ]);
  });

  test("a running task is never interrupted: a timer due meanwhile runs only after it returns", async () => {
    const order: string[] = [];
    const timer = new Promise<void>((resolve) => setTimeout(() => resolve(void order.push("timer")), 0));
    order.push(`fibonacci(25) = ${fibonacci(25)}`); // well past the timer's 0 ms
    order.push("end of the task");
    await timer;
    expect(order).toEqual(["fibonacci(25) = 75025", "end of the task", "timer"]);
  });

  test("a message from another thread is a task: it is not handled while this thread computes", async () => {
    // The worker posts, then tells us so through shared memory. We wait for that on this thread
    // without returning to the loop (Atomics.wait blocks), so the message has arrived and waits.
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const worker = workerFrom(`self.onmessage = (e) => {
      const flag = e.data;
      postMessage("hello");
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    };`);
    const handled: string[] = [];
    worker.onmessage = (e) => handled.push(e.data as string);
    worker.postMessage(flag);
    expect(Atomics.wait(flag, 0, 0, 3_000)).not.toBe("timed-out");
    expect(handled, "handled while this thread had not yet returned to the loop").toEqual([]);
    await within(
      new Promise<void>((resolve) => worker.addEventListener("message", () => resolve(), { once: true })),
      "the worker's message",
    );
    expect(handled).toEqual(["hello"]);
  });

  test("an await gives the thread back to the loop: other tasks run while a handler waits", async () => {
    const order: string[] = [];
    let release = () => {};
    const handler = (async () => {
      order.push("handler starts, then awaits");
      await new Promise<void>((resolve) => (release = resolve));
      order.push("handler resumes");
    })();
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    order.push("another task ran meanwhile");
    release();
    await handler;
    expect(order).toEqual(["handler starts, then awaits", "another task ran meanwhile", "handler resumes"]);
  });

  test("fibonacci(35) is about thirty million calls (2 fib(36) - 1)", () => {
    let calls = 0;
    const counted = (n: number): number => (calls++, n <= 1 ? n : counted(n - 1) + counted(n - 2));
    for (let n = 0; n <= 20; n++) {
      calls = 0;
      counted(n);
      expect(calls).toBe(2 * fibonacci(n + 1) - 1);
    }
    let [a, b] = [0, 1];
    for (let i = 0; i < 36; i++) [a, b] = [b, a + b];
    expect(2 * a - 1).toBe(29_860_703);
  });
});

describe("messages between threads", () => {
  test("a BroadcastChannel message arrives while the thread that posted it is still blocked", async () => {
    const events = new EventLog();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    try {
      const worker = workerFrom(`
        import { announce } from ${lib("testing/events.ts")};
        self.onmessage = (e) => {
          const flag = e.data;
          announce({ kind: "started", label: "blocked announcer" });
          Atomics.wait(flag, 0, 0, 3000); // blocked until the test has the announcement
          postMessage(Atomics.load(flag, 0) === 1 ? "released by the test" : "gave up");
        };`);
      const done = nextMessage<string>(worker, "the announcer's last word");
      worker.postMessage(flag);
      await within(events.waitForStart("blocked announcer"), "the announcement of a blocked thread");
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      expect(await done).toBe("released by the test");
    } finally {
      events.close();
    }
  });

  test("postMessage returns at once, even to a blocked thread; the messages wait for it, in order", async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const worker = workerFrom(`
      const got = [];
      self.onmessage = (e) => {
        if (e.data instanceof Int32Array) {
          postMessage("blocking");
          Atomics.wait(e.data, 0, 0, 3000);
        } else {
          got.push(e.data);
          if (got.length === 3) postMessage(got);
        }
      };`);
    const blocking = nextMessage<string>(worker, "the worker blocking");
    worker.postMessage(flag);
    expect(await blocking).toBe("blocking");
    const received = nextMessage<number[]>(worker, "the three messages");
    for (const n of [1, 2, 3]) worker.postMessage(n); // the worker is blocked: these return anyway
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    expect(await received).toEqual([1, 2, 3]);
  });

  test("an async onmessage does not hold back the next message: it is handled while the first still awaits", async () => {
    const worker = workerFrom(`
      let release;
      const waiting = new Promise((resolve) => (release = resolve));
      self.onmessage = async (e) => {
        if (e.data === "first") {
          await waiting;
          postMessage("first resumed");
        } else {
          postMessage("second handled");
          release();
        }
      };`);
    const said: string[] = [];
    const both = within(
      new Promise<void>((resolve) =>
        worker.addEventListener("message", (e) => {
          said.push(e.data as string);
          if (said.length === 2) resolve();
        }),
      ),
      "both answers",
    );
    worker.postMessage("first");
    worker.postMessage("second");
    await both;
    expect(said).toEqual(["second handled", "first resumed"]);
  });

  test("`onmessage = f` replaces the previous handler; listeners added with addEventListener stay", async () => {
    const worker = workerFrom(`self.onmessage = (e) => postMessage(e.data);`);
    const heard: string[] = [];
    worker.addEventListener("message", (e) => heard.push(`listener: ${e.data}`));
    worker.onmessage = (e) => heard.push(`first onmessage: ${e.data}`);
    worker.onmessage = (e) => heard.push(`second onmessage: ${e.data}`);
    const echoed = nextMessage(worker, "the echo");
    worker.postMessage("ping");
    await echoed;
    expect(heard.sort()).toEqual(["listener: ping", "second onmessage: ping"]);
  });
});

describe("workers", () => {
  test("a worker has its own copy of every module it imports: a change made on this thread is not seen there", async () => {
    const dir = mkdtempSync(join(tmpdir(), "facts-module-copy-"));
    const file = join(dir, "box.ts");
    writeFileSync(file, `export const box = { value: "as loaded" };\n`);
    try {
      const url = pathToFileURL(file).href;
      const { box } = (await import(url)) as { box: { value: string } };
      box.value = "changed on the main thread";
      const worker = workerFrom(`
        import { box } from ${JSON.stringify(url)};
        self.onmessage = () => postMessage(box.value);`);
      const seen = nextMessage<string>(worker, "the worker's copy of box.value");
      worker.postMessage("go");
      expect(await seen, "box.value, read in the worker").toBe("as loaded");
      expect(box.value).toBe("changed on the main thread");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("import() rejects for a missing file, naming it, and for a module that throws while loading, with its error", async () => {
    const missing = await import(new URL("../testing/no-such-app.ts", import.meta.url).href).then(
      () => "loaded",
      (e: unknown) => String((e as Error).message),
    );
    expect(missing).toContain("no-such-app.ts");
    const broken = await import(new URL("../testing/broken-app.ts", import.meta.url).href).then(
      () => "loaded",
      (e: unknown) => String((e as Error).message),
    );
    expect(broken).toBe("broken-app refuses to load (on purpose)");
  });

  test("an error that escapes a worker's code is an error event, and the worker dies: the blog's worker when import() fails", async () => {
    // The blog's worker: an async onmessage that imports what it is told, with no try/catch.
    const worker = workerFrom(`self.onmessage = async (e) => { await import(e.data); postMessage("loaded"); };`);
    const seen: string[] = [];
    const closed = within(
      new Promise<void>((resolve) => {
        worker.addEventListener("message", (e) => seen.push(`message ${e.data}`));
        worker.addEventListener("error", (e) => seen.push(`error event: ${(e as ErrorEvent).message}`));
        worker.addEventListener("close", () => resolve());
      }),
      "the blog worker's end",
    );
    worker.postMessage(new URL("../testing/no-such-app.ts", import.meta.url).href);
    await closed;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain("error event: ");
    expect(seen[0]).toContain("Cannot find module");
  });

  test("a module that calls process.exit() while a worker imports it ends the worker with a close event carrying its code, and no error event", async () => {
    const dir = mkdtempSync(join(tmpdir(), "facts-exit-"));
    const file = join(dir, "exits-while-loading.ts");
    writeFileSync(file, `process.exit(3);\nexport const app = undefined;\n`);
    try {
      const worker = workerFrom(`self.onmessage = async (e) => { await import(e.data); postMessage("loaded"); };`);
      const seen: string[] = [];
      worker.addEventListener("error", () => seen.push("error event"));
      worker.addEventListener("message", (e) => seen.push(`message ${e.data}`));
      const code = within(
        new Promise<number>((resolve) => worker.addEventListener("close", (e) => resolve((e as CloseEvent).code))),
        "the close event",
      );
      worker.postMessage(pathToFileURL(file).href);
      expect(await code, "the close event's code").toBe(3);
      expect(seen, "what else the worker said").toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("Bun's error event message puts the source lines around the throw before the `error:` line", async () => {
    const worker = workerFrom(`self.onmessage = () => { throw new Error("thrown on purpose"); };`);
    const message = within(
      new Promise<string>((resolve) => worker.addEventListener("error", (e) => resolve((e as ErrorEvent).message))),
      "the error event",
    );
    worker.postMessage("go");
    const lines = (await message).split("\n");
    const errorLine = lines.findIndex((line) => line.trim() === "error: thrown on purpose");
    expect(errorLine, "index of the `error:` line").toBeGreaterThan(0);
  });
});

describe("Bun.serve", () => {
  async function keepAliveSocket(port: number): Promise<{ closed: Promise<void>; destroy: () => void }> {
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    await within(new Promise<void>((resolve) => socket.once("connect", () => resolve())), "the connection");
    socket.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    await within(new Promise<void>((resolve) => socket.once("data", () => resolve())), "the first answer");
    return { closed, destroy: () => socket.destroy() };
  }

  test("port 0 gets a free port from the system, and server.url names it", async () => {
    const server = Bun.serve({ port: 0, fetch: async () => new Response("ok") });
    try {
      expect(server.port).toBeGreaterThan(0);
      expect(server.url.port).toBe(String(server.port));
      expect(await (await fetch(server.url)).text()).toBe("ok");
    } finally {
      await server.stop(true);
    }
  });

  for (const force of [false, true]) {
    test(`stop(${force}) closes an idle keep-alive connection and refuses new ones`, async () => {
      const server = Bun.serve({ port: 0, fetch: () => new Response("ok") });
      const socket = await keepAliveSocket(server.port ?? 0);
      try {
        await within(server.stop(force), `server.stop(${force})`);
        await within(socket.closed, "the keep-alive connection closing");
        const after = await fetch(server.url).then(
          () => "answered",
          (e: unknown) => String((e as { code?: string }).code),
        );
        expect(after).toBe("ECONNREFUSED");
      } finally {
        socket.destroy();
      }
    });
  }

  test("stop() waits for a request still running; stop(true) cuts it", async () => {
    for (const force of [false, true]) {
      let release = () => {};
      let running = () => {};
      const isRunning = new Promise<void>((resolve) => (running = resolve));
      const server = Bun.serve({
        port: 0,
        fetch: async () => {
          running();
          await new Promise<void>((resolve) => (release = resolve));
          return new Response("finished");
        },
      });
      const client = fetch(server.url).then(
        async (r) => `answered: ${await r.text()}`,
        (e: unknown) => `cut: ${String((e as { code?: string }).code)}`,
      );
      await within(isRunning, "the request starting");
      let stopped = false;
      const stop = server.stop(force).then(() => (stopped = true));
      await new Promise<void>((resolve) => setTimeout(resolve, 0)); // a turn of the loop, for stop() to get on
      const stoppedWhileRunning = stopped;
      release();
      await within(stop, `server.stop(${force})`);
      expect(await within(client, "the client's outcome")).toBe(force ? "cut: ECONNRESET" : "answered: finished");
      if (!force) expect(stoppedWhileRunning, "stop() resolved while the request still ran").toBe(false);
    }
  });
});
