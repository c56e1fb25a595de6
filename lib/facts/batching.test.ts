// What step 10's batching rests on, checked on the pinned Bun (docs/10-batches.md). No sleeps:
// where a thread must be shown busy while others act, it blocks on `Atomics.wait` until they
// say they are done, so every order below is certain.
//
//   docs/10 messages already waiting are delivered one event each, the microtasks of each
//           listener before the next message, and a setImmediate after all of them
//   docs/10 code after an `await` of a settled promise runs before a setImmediate of the same turn
//   docs/10 Bun.serve: requests that arrive together are handed to `fetch` in one turn, the
//           microtasks of each call before the next call, a setImmediate after all of them

import { describe, expect, test } from "bun:test";
import { within } from "../testing/bounded.ts";
import { inlineWorkers, nextMessage } from "./inline-worker.ts";

const workerFrom = inlineWorkers();

/** Blocks this thread until `flag[0]` is no longer 0 (another thread sets it), 3 s at most. */
function blockUntilSet(flag: Int32Array, what: string): void {
  if (Atomics.wait(flag, 0, 0, 3000) === "timed-out") throw new Error(`${what} did not happen within 3 s`);
}

describe("a message has a delivery of its own", () => {
  test("four messages waiting together: four events, each listener's microtasks before the next, setImmediate after all", async () => {
    const worker = workerFrom(`
      self.onmessage = (event) => {
        const flag = new Int32Array(event.data);
        for (let i = 1; i <= 4; i++) postMessage(i);
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
      };
    `);
    const log: string[] = [];
    let last: () => void = () => {};
    const done = new Promise<void>((resolve) => (last = resolve));
    worker.onmessage = (event: MessageEvent) => {
      const n = event.data as number;
      log.push(`message ${n}`);
      queueMicrotask(() => log.push(`micro ${n}`));
      setImmediate(() => {
        log.push(`immediate ${n}`);
        if (n === 4) last();
      });
    };
    const flag = new Int32Array(new SharedArrayBuffer(4));
    worker.postMessage(flag.buffer);
    // This thread is busy until the worker has posted all four: they wait, together, for it.
    blockUntilSet(flag, "the worker's four posts");
    await within(done, "the fourth message's setImmediate");
    expect(log).toEqual([
      "message 1",
      "micro 1",
      "message 2",
      "micro 2",
      "message 3",
      "micro 3",
      "message 4",
      "micro 4",
      "immediate 1",
      "immediate 2",
      "immediate 3",
      "immediate 4",
    ]);
  });

  test("code after an `await` of a settled promise runs before a setImmediate queued in the same turn", async () => {
    const log: string[] = [];
    const immediate = new Promise<void>((resolve) =>
      setImmediate(() => {
        log.push("immediate");
        resolve();
      }),
    );
    log.push("task 1");
    await Promise.resolve();
    log.push("task 2");
    await (async () => {})();
    log.push("task 3");
    await immediate;
    expect(log).toEqual(["task 1", "task 2", "task 3", "immediate"]);
  });
});

describe("Bun.serve hands over the requests of a turn one after the other", () => {
  test("eight requests that arrive together: eight fetch calls, each one's microtasks before the next call, every setImmediate after the last", async () => {
    const log: string[] = [];
    let answered = 0;
    const server = Bun.serve({
      port: 0,
      fetch(request) {
        const n = new URL(request.url).searchParams.get("n");
        log.push(`fetch ${n}`);
        queueMicrotask(() => log.push(`micro ${n}`));
        return new Promise<Response>((resolve) =>
          setImmediate(() => {
            log.push(`immediate ${n}`);
            answered++;
            resolve(new Response(String(n)));
          }),
        );
      },
    });
    // A client on another thread: it opens 8 connections, then, while this thread is blocked,
    // writes a request on each, and says so. When this thread is free again, all 8 are waiting.
    const client = workerFrom(`
      const sockets = [];
      let flag;
      self.onmessage = async (event) => {
        if (event.data.connect) {
          for (let i = 1; i <= 8; i++) {
            sockets.push(await Bun.connect({ hostname: "127.0.0.1", port: event.data.connect, socket: { data() {} } }));
          }
          postMessage("connected");
        } else {
          flag = new Int32Array(event.data.flag);
          sockets.forEach((socket, i) => socket.write("GET /?n=" + (i + 1) + " HTTP/1.1\\r\\nhost: x\\r\\n\\r\\n"));
          Atomics.store(flag, 0, 1);
          Atomics.notify(flag, 0);
        }
      };
    `);
    try {
      const connected = nextMessage<string>(client, "the client's 8 connections");
      client.postMessage({ connect: server.port });
      await connected;
      const flag = new Int32Array(new SharedArrayBuffer(4));
      client.postMessage({ flag: flag.buffer });
      blockUntilSet(flag, "the client's 8 requests");
      await within(
        (async () => {
          while (answered < 8) await new Promise((resolve) => setImmediate(resolve));
        })(),
        "the 8 answers",
      );
      const fetches = log.filter((line) => line.startsWith("fetch"));
      expect(fetches, "every request reached fetch").toHaveLength(8);
      const firstImmediate = log.findIndex((line) => line.startsWith("immediate"));
      const lastFetch = log.findLastIndex((line) => line.startsWith("fetch"));
      expect(lastFetch, `every fetch call came before the first setImmediate: ${log.join(", ")}`).toBeLessThan(firstImmediate);
      for (const line of fetches) {
        const n = line.slice("fetch ".length);
        expect(log[log.indexOf(line) + 1], `the microtask of fetch ${n} ran before the next fetch call: ${log.join(", ")}`).toBe(`micro ${n}`);
      }
    } finally {
      client.terminate();
      await server.stop(true);
    }
  });
});
