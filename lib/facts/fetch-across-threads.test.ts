// What step 08 relies on about `Request`, `Response`, `Headers` and `Bun.serve`, checked on the
// pinned Bun. The brief and chapter of step 08 and the comments in its reference rest on these.
//
//   docs/08 "iterating Headers gives each set-cookie as a pair of its own"
//   docs/08 "Object.fromEntries(headers) keeps the last set-cookie only; get() joins them with ', '"
//   docs/08 "decoding bytes as text changes any byte sequence that is not UTF-8"
//   docs/08 "Bun.serve writes its own reason phrase: a Response's statusText never reaches the client"
//   wire.ts  "new Response('text') is sent as text/plain;charset=utf-8, but headers has no content-type;
//             blob().type has it"; "bytes without a type go out as application/octet-stream, though
//             blob().type says text/plain";
//             "a stream without a type goes out with none"
//   fetch-handler.ts "a class method taken off its object loses `this`; Hono's fetch survives it"
//   pool-endpoints.test.ts "once stop() is called, Bun.serve accepts no new connection"
//   docs/08 "Bun's second fetch argument is the server (server.upgrade(), server.requestIP())"
//   docs/08 "module-level state is per thread: each worker runs its own copy of the module"

import { afterAll, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { App } from "../app.ts";
import { until, within } from "../testing/bounded.ts";
import { COUNTER_APP } from "../testing/fetch-apps.ts";

describe("Headers and set-cookie", () => {
  const headers = new Headers();
  headers.append("set-cookie", "a=1; Path=/");
  headers.append("set-cookie", "b=2; Path=/");
  headers.append("x-tag", "one");
  headers.append("x-tag", "two");

  test("iterating Headers gives each set-cookie as a pair of its own (other repeats are joined)", () => {
    const pairs = [...headers];
    expect(pairs.filter(([name]) => name === "set-cookie")).toEqual([
      ["set-cookie", "a=1; Path=/"],
      ["set-cookie", "b=2; Path=/"],
    ]);
    expect(pairs.filter(([name]) => name === "x-tag")).toEqual([["x-tag", "one, two"]]);
  });

  test("Object.fromEntries keeps the last set-cookie only; get() joins them with a comma", () => {
    expect(Object.fromEntries(headers)["set-cookie"]).toBe("b=2; Path=/");
    expect(headers.get("set-cookie")).toBe("a=1; Path=/, b=2; Path=/");
    expect(headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/"]);
  });
});

test("decoding bytes as text and encoding them again changes any sequence that is not UTF-8 (into U+FFFD)", () => {
  expect(new TextDecoder().decode(Uint8Array.of(0x61, 0xff, 0x62))).toBe("a\uFFFDb");
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const roundTrip = new TextEncoder().encode(new TextDecoder().decode(bytes));
  expect(roundTrip.length).not.toBe(bytes.length);
  expect(Buffer.from(roundTrip).equals(Buffer.from(bytes))).toBe(false);
});

describe("Bun.serve and a Response's headers", () => {
  const server = Bun.serve({
    port: 0,
    fetch(request) {
      switch (new URL(request.url).pathname) {
        case "/status-200":
          return new Response("x", { status: 200, statusText: "Everything Fine" });
        case "/status-299":
          return new Response("x", { status: 299, statusText: "Fine, Thanks" });
        case "/string":
          return new Response("some text");
        case "/bytes":
          return new Response(new Uint8Array([1, 2, 3]));
        case "/stream":
          return new Response(new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array([1])), c.close()) }));
        default:
          return new Response(null, { status: 404 });
      }
    },
  });
  afterAll(() => server.stop(true));
  const ask = (path: string) => within(fetch(new URL(path, server.url)), `GET ${path}`);

  test("the client never sees a Response's statusText: Bun.serve writes its own reason phrase", async () => {
    expect((await ask("/status-200")).statusText).toBe("OK");
    const odd = await ask("/status-299");
    expect(odd.status).toBe(299);
    expect(odd.statusText).not.toBe("Fine, Thanks");
  });

  test("new Response('text'): no content-type in its headers, blob().type has it, and it is sent", async () => {
    expect(new Response("some text").headers.get("content-type")).toBeNull();
    expect((await new Response("some text").blob()).type).toBe("text/plain;charset=utf-8");
    expect((await ask("/string")).headers.get("content-type")).toBe("text/plain;charset=utf-8");
  });

  test("bytes without a type go out as application/octet-stream (blob().type says text/plain), a stream without one with none", async () => {
    expect((await ask("/bytes")).headers.get("content-type")).toBe("application/octet-stream");
    expect((await new Response(new Uint8Array([1, 2, 3])).blob()).type).toBe("text/plain;charset=utf-8");
    expect((await ask("/stream")).headers.get("content-type")).toBeNull();
  });

  test("Bun.serve calls fetch with the server as its second argument (server.upgrade, server.requestIP)", async () => {
    const other = Bun.serve({ port: 0, fetch: (_request, server) => Response.json([typeof server.upgrade, typeof server.requestIP]) });
    try {
      expect(await (await within(fetch(other.url), "GET /")).json()).toEqual(["function", "function"]);
    } finally {
      other.stop(true);
    }
  });

  test("once stop() is called, a new connection is refused, while the request in flight is answered", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const other = Bun.serve({ port: 0, fetch: async () => (await held, new Response("answered")) });
    const inFlight = fetch(other.url);
    await until(() => other.pendingRequests > 0, "the held request reaching the server");
    const stopped = other.stop();
    const refused = await within(fetch(other.url).then(() => "answered", () => "refused"), "a request after stop()");
    release();
    expect(refused).toBe("refused");
    expect(await (await within(inFlight, "the request in flight")).text()).toBe("answered");
    await within(stopped, "stop()");
  });
});

describe("a fetch method taken off its object", () => {
  const request = () => new Request("http://localhost/x");

  test("the tutorial's App: a class method, `this` is lost, and it fails", async () => {
    const app = new App().get("/x", () => "x");
    const detached = app.fetch;
    expect(() => detached(request())).toThrow(TypeError);
    expect(await (await app.fetch(request())).text()).toBe("x");
  });

  test("Hono: an arrow function in a field, it works detached too", async () => {
    const hono = new Hono().get("/x", (c) => c.text("x"));
    const detached = hono.fetch;
    expect(await (await detached(request())).text()).toBe("x");
  });
});

test("module-level state is per thread: each worker runs its own copy of the module", async () => {
  const source = `self.onmessage = async () => {
    const { default: app } = await import(${JSON.stringify(COUNTER_APP)});
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await app.fetch().json());
    self.postMessage(answers.map((a) => a.served));
  };`;
  const url = URL.createObjectURL(new Blob([source], { type: "application/javascript" }));
  const workers = [new Worker(url), new Worker(url)];
  try {
    const counts = await within(
      Promise.all(
        workers.map(
          (worker) =>
            new Promise<number[]>((resolve) => {
              worker.onmessage = (e) => resolve(e.data as number[]);
              worker.postMessage("go");
            }),
        ),
      ),
      "both workers' counts",
    );
    expect(counts).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    const { default: onMain } = (await import(COUNTER_APP)) as { default: { fetch(): Response } };
    expect(((await onMain.fetch().json()) as { served: number }).served, "the main thread's own copy").toBe(1);
  } finally {
    for (const worker of workers) worker.terminate();
  }
});
