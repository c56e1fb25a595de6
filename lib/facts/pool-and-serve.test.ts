// What steps 03 (the worker pool) and 04 (the full server) say about Bun, workers and
// Bun.serve, checked on the pinned Bun. No sleeps: a thread shown busy is blocked on
// `Atomics.wait` until the test lets it go, and every wait is bounded (#lib/testing/bounded.ts).
//
//   docs/03, docs/04, steps/03-04 `navigator.hardwareConcurrency` is the number of cores this
//           process may run on (as os.availableParallelism(): it follows CPU affinity)
//   docs/03 a worker is a thread of its own in the same process
//   docs/03 a busy worker's inbox is a queue: messages wait, in order, until it is free
//   docs/03 a caller awaiting a promise settled in a `then` callback resumes before a
//           `finally` further down that chain runs, and both before the next task
//   docs/03 the blog's pool: `worker.onmessage` set per task hears whatever comes next,
//           the worker's `ready` included
//   docs/04, steps/04 a worker that waits for messages keeps the process alive until it is
//           terminated; an unref'd timer does not (the child-process tests rely on it)
//   docs/04 `process.exit()` in a worker ends that thread only; the main thread hears a
//           `close` event and nothing else, no answer and no `error`
//   docs/04 a handler that never returns holds its thread; terminate() still ends it
//   docs/04, steps/04 Bun.serve calls `fetch` for the next request while an earlier one's
//           handler still awaits
//   docs/04 port 0 gets a free port, which server.port and server.url name
//   docs/04, steps/04 Bun.serve on a port in use throws at once: EADDRINUSE, naming the port
//   docs/04, steps/04 stop(true) cuts a request still running (the client sees ECONNRESET)
//           without waiting for it, and the port then refuses connections; stop() without
//           `true` waits for it (it is answered) and refuses new connections meanwhile
//   docs/04, steps/04 header names reach the handler in lower case; a repeated query key
//           keeps its last value; `+` and %-escapes in the query are decoded
//   steps/04 fetch() refuses a body on GET and HEAD; POST, PUT and DELETE carry one

import { describe, expect, test } from "bun:test";
import { availableParallelism } from "node:os";
import { readdirSync } from "node:fs";
import { within } from "../testing/bounded.ts";
import { inlineWorkers, nextMessage } from "./inline-worker.ts";

/** A worker from source text; terminated after this file's tests. */
const workerFrom = inlineWorkers();

/** Runs `source` in a Bun process of its own; how it ended and what it printed. */
async function runAlone(source: string, env: { taskset?: string } = {}): Promise<{ code: number | null; out: string }> {
  const command = [process.execPath, "-e", source];
  const child = Bun.spawn(env.taskset ? ["taskset", "-c", env.taskset, ...command] : command, {
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    const out = await within(new Response(child.stdout).text(), "the child process's output");
    return { code: await within(child.exited, "the child process's exit"), out: out.trim() };
  } finally {
    child.kill();
  }
}

describe("cores and threads", () => {
  test("navigator.hardwareConcurrency is the number of cores this process may run on", async () => {
    expect(navigator.hardwareConcurrency).toBe(availableParallelism());
    expect(navigator.hardwareConcurrency).toBeGreaterThanOrEqual(1);
  });

  test.skipIf(!Bun.which("taskset"))("it follows CPU affinity: a process pinned to one core reports 1", async () => {
    const pinned = await runAlone("console.log(navigator.hardwareConcurrency)", { taskset: "0" });
    expect(pinned.out, "navigator.hardwareConcurrency under `taskset -c 0`").toBe("1");
  });

  test.skipIf(process.platform !== "linux")("every worker is a thread of its own in this process", async () => {
    const threads = () => readdirSync("/proc/self/task").length;
    const before = threads();
    const three = [1, 2, 3].map(() => workerFrom(`self.onmessage = () => {}; postMessage("up");`));
    await Promise.all(three.map((worker, i) => nextMessage(worker, `worker ${i + 1} up`)));
    expect(threads() - before, "threads added by three workers").toBeGreaterThanOrEqual(3);
  });
});

describe("promise order", () => {
  test("the caller of a promise settled in a `then` resumes before a `finally` further down; both before the next task", async () => {
    const order: string[] = [];
    let answer = (_: string) => {};
    const answered = new Promise<string>((resolve) => (answer = resolve));
    let settleCaller = (_: string) => {};
    const callersPromise = new Promise<string>((resolve) => (settleCaller = resolve));
    // The old pool: settle the caller in `then`, free the worker in `finally`.
    answered.then(settleCaller).finally(() => order.push("worker freed (finally)"));
    const caller = (async () => {
      await callersPromise;
      order.push("caller resumed");
    })();
    const nextTask = new Promise<void>((resolve) => setTimeout(() => resolve(void order.push("next task")), 0));
    answer("the answer");
    await Promise.all([caller, nextTask]);
    expect(order).toEqual(["caller resumed", "worker freed (finally)", "next task"]);
  });
});

describe("a worker's inbox", () => {
  test("messages posted to a busy worker wait, in order, until it is free", async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const worker = workerFrom(`
      const seen = [];
      self.onmessage = (e) => {
        if (e.data instanceof Int32Array) { postMessage("busy"); Atomics.wait(e.data, 0, 0, 3000); return; }
        seen.push(e.data);
        if (seen.length === 4) postMessage(seen);
      };`);
    const busy = nextMessage<string>(worker, "the worker saying it is busy");
    worker.postMessage(flag);
    await busy;
    const handled = nextMessage<string[]>(worker, "the four queued messages");
    for (const task of ["task 1", "task 2", "task 3", "task 4"]) worker.postMessage(task);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    expect(await handled).toEqual(["task 1", "task 2", "task 3", "task 4"]);
  });

  test("the blog's pool: an onmessage set for the first task hears the worker's `ready` instead of its answer", async () => {
    const worker = workerFrom(`self.onmessage = (e) => postMessage(e.data === "init" ? "ready" : "answer to " + e.data);`);
    worker.postMessage("init"); // the blog posts init and counts the worker idle at once
    const heardByTask1 = within(new Promise((resolve) => (worker.onmessage = (e) => resolve(e.data))), "task 1's handler");
    worker.postMessage("task 1");
    expect(await heardByTask1).toBe("ready");
    const heardByTask2 = within(new Promise((resolve) => (worker.onmessage = (e) => resolve(e.data))), "task 2's handler");
    worker.postMessage("task 2");
    expect(await heardByTask2, "what task 2's handler hears").toBe("answer to task 1");
  });
});

describe("a worker's life", () => {
  test("a worker waiting for messages keeps the process alive until terminated; an unref'd timer does not", async () => {
    const program = (terminate: boolean) => `
      const worker = new Worker(URL.createObjectURL(new Blob(["self.onmessage = () => {}; postMessage('up');"])));
      await new Promise((resolve) => (worker.onmessage = resolve));
      ${terminate ? "worker.terminate();" : ""}
      setTimeout(() => { console.log("still running"); process.exit(3); }, 300).unref();`;
    expect(await runAlone(program(false)), "a process with a live worker").toEqual({ code: 3, out: "still running" });
    expect(await runAlone(program(true)), "the same process once the worker is terminated").toEqual({ code: 0, out: "" });
  });

  test("process.exit() in a worker ends that thread only: the main thread hears `close`, no answer, no `error`", async () => {
    const worker = workerFrom(`self.onmessage = (e) => { if (e.data === "exit") process.exit(1); postMessage("pong"); };`);
    const heard: string[] = [];
    worker.addEventListener("message", (e) => heard.push(`message ${e.data}`));
    worker.addEventListener("error", () => heard.push("error"));
    const closed = within(
      new Promise<number>((resolve) => worker.addEventListener("close", (e) => resolve((e as CloseEvent).code))),
      "the worker's close event",
    );
    worker.postMessage("exit");
    expect(await closed, "the close event's code").toBe(1);
    expect(heard, "what else the main thread heard").toEqual([]);
  });

  test("a handler that never returns holds its thread; terminate() still ends it", async () => {
    const worker = workerFrom(`self.onmessage = () => { postMessage("looping"); for (;;) {} };`);
    const looping = nextMessage<string>(worker, "the worker starting its loop");
    worker.postMessage("go");
    await looping;
    const closed = within(new Promise<void>((resolve) => worker.addEventListener("close", () => resolve())), "the close event");
    worker.terminate();
    await closed;
  });
});

describe("Bun.serve", () => {
  test("port 0 gets a free port from the system; server.port and server.url name it", async () => {
    const server = Bun.serve({ port: 0, fetch: () => new Response("here") });
    try {
      expect(server.port).toBeGreaterThan(0);
      expect(server.url.port).toBe(String(server.port));
      expect(await within(fetch(server.url).then((r) => r.text()), "the answer")).toBe("here");
    } finally {
      await server.stop(true);
    }
  });

  test("fetch is called for the next request while an earlier one's handler still awaits", async () => {
    let releaseFirst = () => {};
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const calls: string[] = [];
    const server = Bun.serve({
      port: 0,
      async fetch(request) {
        const path = new URL(request.url).pathname;
        calls.push(path);
        if (path === "/first") await firstHeld; // answered only once /second has been handled
        else releaseFirst();
        return new Response(path);
      },
    });
    try {
      const first = fetch(new URL("/first", server.url)).then((r) => r.text());
      const second = fetch(new URL("/second", server.url)).then((r) => r.text());
      expect(await within(Promise.all([first, second]), "both answers")).toEqual(["/first", "/second"]);
      expect(calls.sort()).toEqual(["/first", "/second"]);
    } finally {
      await server.stop(true);
    }
  });

  test("on a port in use, Bun.serve throws at once: EADDRINUSE, and the message names the port", async () => {
    const taken = Bun.serve({ port: 0, fetch: () => new Response("first") });
    try {
      let thrown: unknown;
      try {
        Bun.serve({ port: taken.port, fetch: () => new Response("second") }).stop(true);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect((thrown as { code?: string }).code).toBe("EADDRINUSE");
      expect((thrown as Error).message).toContain(String(taken.port));
    } finally {
      await taken.stop(true);
    }
  });

  test("stop(true) cuts a request still running (ECONNRESET) without waiting for it; then the port refuses connections", async () => {
    let running = () => {};
    const isRunning = new Promise<void>((resolve) => (running = resolve));
    const server = Bun.serve({
      port: 0,
      fetch: async () => {
        running();
        return new Promise<Response>(() => {}); // never answers
      },
    });
    const outcome = (p: Promise<Response>) => p.then((r) => `answered ${r.status}`, (e: unknown) => String((e as { code?: string }).code));
    const client = outcome(fetch(server.url));
    await within(isRunning, "the request starting");
    await within(server.stop(true), "server.stop(true) with a request still running");
    expect(await within(client, "the cut request's outcome")).toBe("ECONNRESET");
    expect(await within(outcome(fetch(server.url)), "a request after stop")).toBe("ECONNREFUSED");
  });

  test("stop() without `true` waits for a request still running, which gets its answer; new connections are refused meanwhile", async () => {
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
    const outcome = (p: Promise<Response>) => p.then((r) => r.text(), (e: unknown) => String((e as { code?: string }).code));
    const client = outcome(fetch(server.url));
    await within(isRunning, "the request starting");
    let stopped = false;
    const stop = server.stop().then(() => (stopped = true));
    expect(await within(outcome(fetch(server.url)), "a request during stop()")).toBe("ECONNREFUSED");
    expect(stopped, "stop() resolved while a request was still running").toBe(false);
    release();
    await within(stop, "server.stop()");
    expect(await within(client, "the running request's outcome")).toBe("finished");
  });

  test("header names arrive in lower case; a repeated query key keeps its last value; + and %-escapes decode", async () => {
    const server = Bun.serve({
      port: 0,
      fetch: (request) =>
        Response.json({
          headers: Object.fromEntries(request.headers),
          query: Object.fromEntries(new URL(request.url).searchParams),
        }),
    });
    try {
      const answer = await within(
        fetch(new URL("/?lang=js&lang=ts&who=J%C3%BCrgen&what=a+b", server.url), { headers: { "X-Learner": "Yes" } }).then(
          (r) => r.json() as Promise<{ headers: Record<string, string>; query: Record<string, string> }>,
        ),
        "the answer",
      );
      expect(answer.headers["x-learner"]).toBe("Yes");
      expect(answer.headers["X-Learner"]).toBeUndefined();
      expect(answer.query).toEqual({ lang: "ts", who: "Jürgen", what: "a b" });
    } finally {
      await server.stop(true);
    }
  });

  test("fetch() refuses a body on GET and HEAD; POST, PUT and DELETE carry one", async () => {
    const server = Bun.serve({ port: 0, fetch: async (request) => new Response(await request.text()) });
    try {
      for (const method of ["GET", "HEAD"]) {
        const refused = await fetch(server.url, { method, body: "payload" }).then(
          () => "sent",
          (e: unknown) => (e as Error).name,
        );
        expect(refused, `a ${method} with a body`).toBe("TypeError");
      }
      for (const method of ["POST", "PUT", "DELETE"]) {
        const echoed = await within(fetch(server.url, { method, body: "payload" }).then((r) => r.text()), `the ${method} answer`);
        expect(echoed, `the body of a ${method}, as the server read it`).toBe("payload");
      }
    } finally {
      await server.stop(true);
    }
  });
});
