// What step 06 (admission control) says about Bun.serve, timers and fetch, checked on the
// pinned Bun. Each server listens on port 0 and is stopped; each child process is killed.
//
//   docs/06, steps/06, solutions/06 server.ts: `maxRequestBodySize` refuses a body over the limit
//           with 413, whatever its framing, on every method that carries a body:
//     - announced by content-length: answered from the headers, the fetch handler never runs;
//     - chunked: the handler runs (the headers came first), reading the body rejects once the
//       bytes pass the limit, and Bun answers 413 itself, before the body has ended;
//     - exactly the limit passes, one byte more does not; it counts bytes, not characters;
//     - the 413 has an empty body and closes the connection
//   docs/06, solutions/06 server.ts: `idleTimeout` closes the connection of a request still waiting
//           for its answer, with no answer at all (the client sees a reset); it takes whole
//           seconds, at most 255. Slow, so they run with FACTS_SLOW=1: it is counted on a
//           4-second tick shared by the whole server, so a connection may close up to 4 s before
//           idleTimeout has passed; left out, it is 10 s
//   docs/06, steps/06 tests: a pending timer keeps a process alive until it fires;
//           clearTimeout lets the process exit at once
//   steps/06 tests, lib/testing/raw-http.ts: Bun's fetch keeps at most 256 requests in flight;
//           the rest wait on the client side
// (That terminate() ends a worker stuck in an endless loop is in ./pool-and-serve.test.ts.)

import { afterAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { until, within } from "../testing/bounded.ts";
import { rawRequest } from "../testing/raw-http.ts";

const LIMIT = 1024;
const METHODS = ["POST", "PUT", "PATCH", "DELETE"];

/** A server with a 1024-byte body limit that records what its handler saw. */
const seen: string[] = [];
const server = Bun.serve({
  port: 0,
  maxRequestBodySize: LIMIT,
  async fetch(request) {
    seen.push(`${request.method} called`);
    try {
      const body = await request.text();
      seen.push(`${request.method} read ${Buffer.byteLength(body)} bytes`);
      return new Response(`got ${Buffer.byteLength(body)} bytes`);
    } catch (error) {
      seen.push(`${request.method} read failed: ${(error as Error).message}`);
      throw error; // what the step's handler does: toRequestData rejects, handleInPool with it
    }
  },
});
afterAll(() => server.stop(true));

describe("maxRequestBodySize", () => {
  for (const method of METHODS) {
    test(`${method} with a content-length: the limit passes, one byte more is a 413 before the handler runs`, async () => {
      seen.length = 0;
      const fits = await within(fetch(server.url, { method, body: "a".repeat(LIMIT) }), `${method} of ${LIMIT} bytes`);
      expect(await fits.text()).toBe(`got ${LIMIT} bytes`);
      seen.length = 0;
      const over = await within(fetch(server.url, { method, body: "a".repeat(LIMIT + 1) }), `${method} of ${LIMIT + 1} bytes`);
      expect(over.status).toBe(413);
      expect(await over.text(), "the 413's body").toBe("");
      expect(over.headers.get("connection")).toBe("close");
      expect(seen, "what the handler saw of the refused request").toEqual([]);
    });

    test(`${method} chunked: the limit passes, one byte more is a 413; the handler runs and its read of the body rejects`, async () => {
      const fits = await within(rawRequest(server.url, { method, path: "/", chunks: ["a".repeat(1000), "a".repeat(LIMIT - 1000)] }), `${method} of ${LIMIT} bytes, chunked`);
      expect(fits.body).toBe(`got ${LIMIT} bytes`);
      seen.length = 0;
      const over = await within(rawRequest(server.url, { method, path: "/", chunks: ["a".repeat(1000), "a".repeat(LIMIT + 1 - 1000)] }), `${method} of ${LIMIT + 1} bytes, chunked`);
      expect(over.status).toBe(413);
      expect(over.body, "the 413's body").toBe("");
      expect(seen, "what the handler saw of the refused request").toEqual([`${method} called`, `${method} read failed: Request body exceeded maxRequestBodySize`]);
    });
  }

  test("chunked: the 413 comes as soon as the bytes pass the limit, before the body has ended", async () => {
    // One chunk over the limit and no terminating chunk: the body never ends, the answer comes anyway.
    const { hostname, port } = server.url;
    const answer = await within(
      new Promise<string>((resolve, reject) => {
        const head = `POST / HTTP/1.1\r\nhost: ${hostname}\r\ntransfer-encoding: chunked\r\n\r\n`;
        const chunk = "a".repeat(2 * LIMIT);
        const socket = connect({ host: "127.0.0.1", port: Number(port) }, () => {
          socket.write(`${head}${chunk.length.toString(16)}\r\n${chunk}\r\n`);
        });
        let received = "";
        socket.on("data", (data: Buffer) => (received += data.toString()));
        socket.on("close", () => resolve(received));
        socket.on("error", reject);
      }),
      "the answer to a chunked body that never ends",
    );
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 413 Payload Too Large");
    expect(answer.toLowerCase(), "the 413's headers (and the socket closed: the promise above resolved on close)").toContain("connection: close");
  });

  test("it counts bytes, not characters: 600 × é (1200 bytes) is refused in both framings", async () => {
    const body = "é".repeat(600);
    expect((await within(fetch(server.url, { method: "POST", body }), "POST of 600 é")).status).toBe(413);
    expect((await within(rawRequest(server.url, { method: "POST", path: "/", chunks: [body] }), "POST of 600 é, chunked")).status).toBe(413);
  });
});

describe("idleTimeout", () => {
  test("it takes whole seconds, at most 255", () => {
    const serve = (idleTimeout: number) => () => Bun.serve({ port: 0, idleTimeout, fetch: () => new Response("") }).stop(true);
    expect(serve(255)).not.toThrow();
    expect(serve(256)).toThrow("Bun.serve expects idleTimeout to be 255 or less");
    expect(serve(1.5)).toThrow("Bun.serve expects idleTimeout to be an integer");
  });

  test.concurrent("a request still waiting for its answer when idleTimeout strikes loses its connection, with no answer", async () => {
    const waiting = Bun.serve({ port: 0, idleTimeout: 1, fetch: () => new Promise<Response>(() => {}) });
    try {
      const outcome = await within(
        fetch(waiting.url).then(
          (response) => `answered ${response.status}`,
          (error: { code?: string }) => `failed: ${error.code}`,
        ),
        "a request whose handler never answers, under idleTimeout: 1",
        "",
        9_000,
      );
      expect(outcome, "what the client got").toBe("failed: ECONNRESET");
    } finally {
      waiting.stop(true);
    }
  }, 10_000);

  test.concurrent.skipIf(!process.env.FACTS_SLOW)("it counts on a 4-second tick: under idleTimeout 5, requests sent 0.8 s apart lose their connections after 4 to 8 s, one before 5 s (FACTS_SLOW=1; takes 11 s)", async () => {
    const waiting = Bun.serve({ port: 0, idleTimeout: 5, fetch: () => new Promise<Response>(() => {}) });
    try {
      const elapsed = await within(
        Promise.all(
          [0, 800, 1600, 2400, 3200].map(async (offset) => {
            await Bun.sleep(offset); // a fact about a timer: the offsets are the point
            const sent = performance.now();
            await fetch(waiting.url).catch(() => {});
            return (performance.now() - sent) / 1000;
          }),
        ),
        "five requests whose handler never answers, under idleTimeout: 5",
        "",
        15_000,
      );
      for (const seconds of elapsed) {
        expect(seconds, "seconds until the connection was closed").toBeGreaterThan(3.9);
        expect(seconds, "seconds until the connection was closed").toBeLessThan(8.5);
      }
      expect(Math.min(...elapsed), "the earliest close, in seconds: before idleTimeout (5 s)").toBeLessThan(5);
    } finally {
      waiting.stop(true);
    }
  }, 20_000);

  test.concurrent.skipIf(!process.env.FACTS_SLOW)("left out, it is 10 s: Bun says so when it drops the connection (FACTS_SLOW=1; takes 12 s)", async () => {
    const child = Bun.spawn(
      [process.execPath, "-e", `const s = Bun.serve({ port: 0, fetch: () => new Promise(() => {}) });
        await fetch(s.url).catch((e) => console.log("client: " + e.code)); s.stop(true);`],
      { stdout: "pipe", stderr: "pipe" },
    );
    try {
      const [out, err] = await within(Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]), "the child", "", 20_000);
      expect(out.trim()).toBe("client: ECONNRESET");
      expect(err).toContain("Bun.serve() timed out a request after 10 seconds. Pass `idleTimeout` to configure.");
    } finally {
      child.kill();
    }
  }, 25_000);
});

describe("timers and a process's life", () => {
  /** Runs `source` in a Bun process of its own; how it ended and what it printed. */
  async function runAlone(source: string): Promise<{ code: number | null; out: string }> {
    const child = Bun.spawn([process.execPath, "-e", source], { stdout: "pipe", stderr: "pipe" });
    try {
      const out = await within(new Response(child.stdout).text(), "the child process's output");
      return { code: await within(child.exited, "the child process's exit"), out: out.trim() };
    } finally {
      child.kill();
    }
  }

  test.concurrent("a pending timer keeps the process alive until it fires", async () => {
    expect(await runAlone(`setTimeout(() => console.log("fired"), 300);`)).toEqual({ code: 0, out: "fired" });
  });

  test.concurrent("a cleared timer lets the process exit at once", async () => {
    const started = performance.now();
    expect(await runAlone(`const timer = setTimeout(() => console.log("fired"), 20_000); clearTimeout(timer);`)).toEqual({ code: 0, out: "" });
    expect(performance.now() - started, "milliseconds the process lived (far below the timer's 20 s)").toBeLessThan(10_000);
  });
});

describe("fetch", () => {
  test("Bun's fetch keeps at most 256 requests in flight: the 257th leaves only when one is answered", async () => {
    let arrived = 0;
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const holding = Bun.serve({
      port: 0,
      async fetch(request) {
        if (new URL(request.url).pathname === "/raw") return new Response("raw");
        arrived++;
        await released;
        return new Response("ok");
      },
    });
    try {
      const all = Array.from({ length: 300 }, () => fetch(holding.url).then((r) => r.status));
      all.forEach((p) => p.catch(() => {}));
      await until(() => arrived >= 256, "256 fetches arriving at the server");
      // A request sent afterwards on a socket of its own arrives and is answered: the fetches
      // beyond 256, sent before it, would have arrived too, had fetch let them go.
      expect((await within(rawRequest(holding.url, { path: "/raw" }), "a raw request after the fetches")).body).toBe("raw");
      expect(arrived, "fetches that reached the server while none was answered").toBe(256);
      release();
      const statuses = await within(Promise.all(all), "the 300 fetches, once released");
      expect(statuses.filter((s) => s === 200).length).toBe(300);
    } finally {
      release();
      holding.stop(true);
    }
  });
});
