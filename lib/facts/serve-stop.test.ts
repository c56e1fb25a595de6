// What Bun 1.4.5 does when a server stops, and with signals: the facts step 07's code, brief
// and chapter (docs/07-graceful-shutdown.md) rest on, checked on the pinned Bun.
//
//   server.stop(false)  stops listening at once (even Bun's fetch, with a pooled keep-alive
//                       connection, is refused); closes idle keep-alive connections at once;
//                       lets the requests in flight finish (one still sending its body too),
//                       answers them, closes their connections, and resolves only after them;
//                       a second stop(false) resolves with the first; stop() means stop(false)
//   server.stop(true)   during a stop(false): ends it, and cuts off the requests in flight
//   pipelining          a request pipelined behind a pending answer makes Bun close the
//                       connection, that answer included, stopping or not (a Bun limitation);
//                       Bun's own fetch does not pipeline
//   forced answers      answers settled just before stop(true) are lost if it runs in the same
//                       turn of the event loop; one macrotask later (setImmediate) they are written
//   100-continue        Bun answers `Expect: 100-continue` once it hands the request to `fetch`
//   worker.terminate()  only asks: the `close` event comes later
//   signals             a SIGTERM listener replaces the default death; each signal reaches it;
//                       process.emit() calls the listeners without a signal; an open
//                       BroadcastChannel keeps a process alive
//
// No sleeps: a handler that must stay "in flight" awaits a promise the test settles.

import { afterEach, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { until, within } from "../testing/bounded.ts";

/** A server whose every request waits until the test releases it (in arrival order). */
function heldServer() {
  const waiting: Array<(body: string) => void> = [];
  let entered = 0;
  let calls = 0;
  const server = Bun.serve({
    port: 0,
    async fetch(request) {
      entered++;
      const body = request.method === "POST" ? await request.text() : "";
      calls++;
      const answer = await new Promise<string>((resolve) => waiting.push(resolve));
      return new Response(`${answer}${body ? ` ${body}` : ""}`);
    },
  });
  servers.push(server);
  return {
    server,
    port: server.port as number,
    /** Handler calls that got past reading the body. */
    get calls() {
      return calls;
    },
    /** Handler calls, counted before the body is read. */
    get entered() {
      return entered;
    },
    /** Resolves once `n` requests have reached the handler. */
    async handlerCalls(n: number): Promise<void> {
      await until(() => calls >= n, `${n} calls of the fetch handler`);
    },
    releaseAll(answer = "done"): void {
      for (const resolve of waiting.splice(0)) resolve(answer);
    },
  };
}

const servers: Array<{ stop(force?: boolean): Promise<void> }> = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await server.stop(true);
});

/** A raw HTTP/1.1 connection: what it receives, and whether the server closed it. */
async function rawConnection(port: number) {
  const socket = connect(port, "127.0.0.1");
  sockets.push(socket);
  let received = "";
  socket.on("data", (chunk) => (received += chunk.toString()));
  socket.on("error", () => {});
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    socket.on("close", () => {
      isClosed = true;
      resolve();
    }),
  );
  await within(new Promise((resolve) => socket.once("connect", resolve)), "a raw connection");
  return {
    write: (text: string) => socket.write(text),
    get received() {
      return received;
    },
    get isClosed() {
      return isClosed;
    },
    closed,
  };
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`;

function fetchStatus(url: string): Promise<string> {
  return fetch(url).then(
    async (response) => `${response.status} ${await response.text()}`,
    (error: { code?: string }) => `error ${error.code}`,
  );
}

test("stop(false): new connections refused at once, idle keep-alive closed at once, the request in flight answered, and only then does it resolve", async () => {
  const held = heldServer();
  const idle = await rawConnection(held.port);
  idle.write(GET("/first"));
  await held.handlerCalls(1);
  held.releaseAll("first");
  await until(() => idle.received.endsWith("first"), "the first answer on the keep-alive connection");

  const inFlight = fetchStatus(`http://127.0.0.1:${held.port}/in-flight`);
  await held.handlerCalls(2);
  let resolved = false;
  const stopping = held.server.stop(false).then(() => (resolved = true));

  expect(await fetchStatus(`http://127.0.0.1:${held.port}/new`)).toBe("error ECONNREFUSED");
  await within(idle.closed, "the close of the idle keep-alive connection");
  expect(resolved, "stop(false) resolved while a request was in flight").toBe(false);

  held.releaseAll("in flight");
  expect(await within(inFlight, "the in-flight answer")).toBe("200 in flight");
  await within(stopping, "stop(false)");
});

test("Bun's fetch, holding a pooled keep-alive connection to a server whose drain has begun, opens a new one and is refused", async () => {
  const held = heldServer();
  const url = `http://127.0.0.1:${held.port}`;
  const first = fetchStatus(`${url}/first`); // its connection stays in fetch's pool afterwards
  await held.handlerCalls(1);
  held.releaseAll("first");
  expect(await within(first, "the first answer")).toBe("200 first");
  const inFlight = fetchStatus(`${url}/in-flight`);
  await held.handlerCalls(2);
  const stopping = held.server.stop(false);
  expect(await within(fetchStatus(`${url}/during-the-drain`), "a fetch during the drain")).toBe("error ECONNREFUSED");
  held.releaseAll("in flight");
  expect(await within(inFlight, "the in-flight answer")).toBe("200 in flight");
  await within(stopping, "stop(false)");
});

test("stop(false) waits for a request whose body is still arriving, and Bun answers `Expect: 100-continue` once the handler has the request", async () => {
  const held = heldServer();
  const connection = await rawConnection(held.port);
  connection.write("POST /upload HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 8\r\n\r\nhalf");
  await until(() => connection.received === "HTTP/1.1 100 Continue\r\n\r\n", "Bun's 100 Continue");
  expect(held.entered, "fetch handler calls when the 100 Continue arrived").toBe(1);
  const stopping = held.server.stop(false);
  connection.write("done");
  await held.handlerCalls(1);
  held.releaseAll("got");
  await until(() => connection.received.endsWith("got halfdone"), "the answer to the upload", () => JSON.stringify(connection.received));
  await within(stopping, "stop(false)");
});

test("during a drain, a keep-alive connection gets its answer and is then closed by Bun", async () => {
  const held = heldServer();
  const connection = await rawConnection(held.port);
  connection.write(GET("/busy"));
  await held.handlerCalls(1);
  const stopping = held.server.stop(false);
  held.releaseAll("answered");
  await until(() => connection.received.endsWith("answered"), "the answer during the drain");
  await within(connection.closed, "the close of the connection once answered");
  expect(connection.received.toLowerCase(), "Bun sends no `Connection: close` header first").not.toContain("connection: close");
  await within(stopping, "stop(false)");
});

test("a second stop(false) resolves with the first; stop(true) during it ends both and cuts the request in flight off", async () => {
  const held = heldServer();
  const inFlight = fetchStatus(`http://127.0.0.1:${held.port}/in-flight`);
  await held.handlerCalls(1);
  const order: string[] = [];
  const first = held.server.stop(false).then(() => order.push("first stop(false)"));
  const second = held.server.stop(false).then(() => order.push("second stop(false)"));
  const forced = held.server.stop(true).then(() => order.push("stop(true)"));
  await within(Promise.all([first, second, forced]), "all three stops");
  expect(order).toEqual(["first stop(false)", "second stop(false)", "stop(true)"]);
  expect(await within(inFlight, "the in-flight request")).toBe("error ECONNRESET");
  held.releaseAll();
});

test("stop() with no argument is stop(false), and a second call does not resolve before the request in flight is answered either", async () => {
  const held = heldServer();
  const inFlight = fetchStatus(`http://127.0.0.1:${held.port}/in-flight`);
  await held.handlerCalls(1);
  const settled: string[] = [];
  const both = Promise.all([
    held.server.stop().then(() => settled.push("first")),
    held.server.stop(false).then(() => settled.push("second")),
  ]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(settled).toEqual([]);
  held.releaseAll("late");
  expect(await within(inFlight, "the in-flight answer")).toBe("200 late");
  await within(both, "both stops");
});

for (const stopping of [false, true]) {
  test(`a request pipelined behind a pending answer makes Bun close the connection, that answer lost (${stopping ? "during a drain" : "no stop at all"})`, async () => {
    const held = heldServer();
    const connection = await rawConnection(held.port);
    connection.write(GET("/first"));
    await held.handlerCalls(1);
    const drained = stopping ? held.server.stop(false) : undefined;
    connection.write(GET("/second"));
    await within(connection.closed, "the close of the pipelining connection");
    held.releaseAll("too late");
    expect(connection.received, "bytes the pipelining client received").toBe("");
    expect(held.calls, "handler calls: the pipelined request never reached it").toBe(1);
    if (drained) await within(drained, "stop(false)");
  });
}

test("Bun's fetch does not pipeline: concurrent requests to one server each get a connection, and each is answered", async () => {
  const held = heldServer();
  const answers = Array.from({ length: 3 }, (_, i) => fetchStatus(`http://127.0.0.1:${held.port}/${i}`));
  // Pipelined behind a pending answer, the second and third would never reach the handler.
  await held.handlerCalls(3);
  held.releaseAll("each");
  expect(await within(Promise.all(answers), "the 3 answers")).toEqual(Array(3).fill("200 each"));
});

// The step's server answers a forced stop's tasks through a chain of awaits (the pool's
// rejection, the catch that turns it into a 503, the handler's own promise). This handler has
// the same shape: each request waits for a "task" the test rejects.
async function forcedStop(flushFirst: boolean): Promise<string[]> {
  const tasks: Array<(error: Error) => void> = [];
  const server = Bun.serve({
    port: 0,
    async fetch() {
      try {
        await new Promise<never>((_, reject) => tasks.push(reject));
        return new Response("never");
      } catch (error) {
        return new Response((error as Error).message, { status: 503 });
      }
    },
  });
  servers.push(server);
  const clients = Array.from({ length: 4 }, (_, i) => fetchStatus(`http://127.0.0.1:${server.port}/${i}`));
  await until(() => tasks.length === 4, "4 requests in their handlers");
  for (const reject of tasks) reject(new Error("shutting down"));
  if (flushFirst) await new Promise((resolve) => setImmediate(resolve));
  await server.stop(true);
  return within(Promise.all(clients), "the 4 clients");
}

test("forced stop: answers settled in the same turn as stop(true) are lost (every client sees a reset)", async () => {
  expect(await forcedStop(false)).toEqual(Array(4).fill("error ECONNRESET"));
});

test("forced stop: one macrotask (setImmediate) between the answers and stop(true) lets every 503 be written", async () => {
  expect(await forcedStop(true)).toEqual(Array(4).fill("503 shutting down"));
});

test("worker.terminate() only asks: the thread's `close` event comes later, never during the call", async () => {
  const worker = new Worker(URL.createObjectURL(new Blob(["postMessage('up')"], { type: "application/javascript" })));
  await within(new Promise((resolve) => (worker.onmessage = resolve)), "the worker's first message");
  let closed = false;
  const closeEvent = new Promise<void>((resolve) =>
    worker.addEventListener("close", () => {
      closed = true;
      resolve();
    }),
  );
  worker.terminate();
  expect(closed, "close event fired inside terminate()").toBe(false);
  await within(closeEvent, "the close event after terminate()");
});

test("process.emit(signal) calls the signal's listeners, without sending a signal", () => {
  const seen: string[] = [];
  const listener = (signal: NodeJS.Signals) => void seen.push(signal);
  process.on("SIGUSR2", listener);
  try {
    process.emit("SIGUSR2", "SIGUSR2");
  } finally {
    process.off("SIGUSR2", listener);
  }
  expect(seen).toEqual(["SIGUSR2"]);
});

/** Runs `source` in a Bun process of its own; the test may send it signals once it prints "ready". */
async function child(source: string, signals: NodeJS.Signals[] = []) {
  const proc = Bun.spawn([process.execPath, "-e", source], { stdout: "pipe", stderr: "pipe", timeout: 5_000 });
  try {
    const reader = proc.stdout.getReader();
    let out = "";
    const readUntil = async (text: string) => {
      while (!out.includes(text)) {
        const { value, done } = await reader.read();
        if (done) return;
        out += new TextDecoder().decode(value);
      }
    };
    for (const [i, signal] of signals.entries()) {
      await within(readUntil(i === 0 ? "ready" : `got ${i}`), `the child's line before signal ${i + 1}`);
      proc.kill(signal);
    }
    await within(readUntil("\u0000never"), "the child's output");
    return { out, code: await within(proc.exited, "the child's exit"), signal: proc.signalCode };
  } finally {
    proc.kill("SIGKILL");
  }
}

test("without a listener SIGTERM kills a Bun process; with one, the process lives on and each signal reaches it", async () => {
  const bare = await child(`console.log("ready"); setInterval(() => {}, 1000);`, ["SIGTERM"]);
  expect({ code: bare.code, signal: bare.signal }).toEqual({ code: 143, signal: "SIGTERM" });

  const handled = await child(
    `let n = 0;
     process.on("SIGTERM", () => { n++; console.log("got " + n); if (n === 2) process.exit(7); });
     console.log("ready"); setInterval(() => {}, 1000);`,
    ["SIGTERM", "SIGTERM"],
  );
  expect(handled.out).toBe("ready\ngot 1\ngot 2\n");
  expect({ code: handled.code, signal: handled.signal }).toEqual({ code: 7, signal: null });
});

test("an open BroadcastChannel keeps a Bun process alive; closed, it does not", async () => {
  const probe = (close: boolean) =>
    child(`const channel = new BroadcastChannel("probe"); channel.onmessage = () => {};
      ${close ? "channel.close();" : ""}
      setTimeout(() => { console.log("still alive"); process.exit(0); }, 50).unref();`);
  expect((await probe(false)).out).toBe("still alive\n");
  expect((await probe(true)).out).toBe("");
});
