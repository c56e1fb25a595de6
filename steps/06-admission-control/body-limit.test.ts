// Step 06's tests, part 3: the request body limit. Run them with `npm start -- check 06`.
//
// A body can arrive two ways: announced by a `content-length` header, or `chunked`, in pieces
// whose total nobody announces up front. The limit must hold for both, on every method that
// carries a body. `fetch` always sends a string body with a content-length, so the chunked
// requests are written by hand on a socket (`rawRequest`), byte for byte.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FIXTURE_APP } from "#lib/app-modules.ts";
import { within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { holdWorkers } from "#lib/testing/hold.ts";
import { get } from "#lib/testing/http.ts";
import { rawRequest, type RawRequest } from "#lib/testing/raw-http.ts";
import { startServer, type PoolServer } from "./server.ts";

const LIMIT = 1024;
const METHODS = ["POST", "PUT", "PATCH", "DELETE"];
/** The fixture's /echo answers these methods; PATCH gets the app's own 405, which proves it got there. */
const ECHOED = new Set(["POST", "PUT", "DELETE"]);

const events = new EventLog();
let server: PoolServer;
beforeAll(async () => {
  server = await within(
    startServer({ appModule: FIXTURE_APP, port: 0, workers: 2, maxBodyBytes: LIMIT, log: () => {} }),
    "startServer() in body-limit.test.ts's beforeAll",
    "does startServer start the pool, then Bun.serve?",
  );
});
afterAll(async () => {
  events.close();
  await server?.stop();
});

/** Splits `body` into `count` chunks of about the same size. */
function chunksOf(body: string, count: number): string[] {
  const size = Math.ceil(body.length / count);
  return Array.from({ length: count }, (_, i) => body.slice(i * size, (i + 1) * size)).filter((chunk) => chunk !== "");
}

function send(request: RawRequest, what: string) {
  return within(rawRequest(server.url, request), what, "a body over the limit must be answered (413), however it is framed");
}

/** What reached the app, for the methods /echo answers; the 405 for the one it does not. */
function expectReachedApp(method: string, answer: { status: number; body: string }, body: string, what: string) {
  if (!ECHOED.has(method)) {
    expect(answer.status, `${what}: the app's own 405 (the request reached it; body: ${answer.body})`).toBe(405);
    return;
  }
  expect(answer.status, `${what}: status (body: ${answer.body.slice(0, 200)})`).toBe(200);
  const echoed = JSON.parse(answer.body) as { method: string; body: string };
  expect(echoed.method, `${what}: the method the app saw`).toBe(method);
  expect(echoed.body === body, `${what}: the app got the whole body, intact (${Buffer.byteLength(echoed.body)} bytes of ${Buffer.byteLength(body)})`).toBe(true);
}

describe("a body announced by content-length", () => {
  for (const method of METHODS) {
    test(`${method}: exactly maxBodyBytes reaches the app; one byte more is refused with 413`, async () => {
      const fits = "a".repeat(LIMIT);
      const atLimit = await within(get(server.url, "/echo", { method, body: fits }), `${method} /echo with ${LIMIT} bytes`);
      expectReachedApp(method, atLimit, fits, `${method} with exactly ${LIMIT} bytes`);
      const over = await within(get(server.url, "/echo", { method, body: `${fits}b` }), `${method} /echo with ${LIMIT + 1} bytes`);
      expect(over.status, `${method} with ${LIMIT + 1} bytes (maxBodyBytes ${LIMIT}): status`).toBe(413);
    });
  }
});

describe("a chunked body", () => {
  for (const method of METHODS) {
    test(`${method}: exactly maxBodyBytes in 4 chunks reaches the app; one byte more is refused with 413`, async () => {
      const fits = "c".repeat(LIMIT);
      const atLimit = await send({ method, path: "/echo", chunks: chunksOf(fits, 4) }, `${method} /echo, ${LIMIT} bytes chunked`);
      expectReachedApp(method, atLimit, fits, `${method} with exactly ${LIMIT} bytes, chunked`);
      const over = await send({ method, path: "/echo", chunks: [...chunksOf(fits, 4), "d"] }, `${method} /echo, ${LIMIT + 1} bytes chunked`);
      expect(over.status, `${method} with ${LIMIT + 1} bytes sent chunked, no content-length (maxBodyBytes ${LIMIT}): status`).toBe(413);
    });
  }
});

describe("what the limit counts, and where", () => {
  test("it counts bytes, not characters: 1024 bytes of é pass, 1200 bytes of é (600 characters) do not, in both framings", async () => {
    const fits = "é".repeat(LIMIT / 2); // 2 bytes each in UTF-8
    const tooBig = "é".repeat(600);
    const atLimit = await within(get(server.url, "/echo", { method: "POST", body: fits }), "POST /echo with 512 é (1024 bytes)");
    expectReachedApp("POST", atLimit, fits, "512 é (1024 bytes)");
    const chunkedAtLimit = await send({ method: "POST", path: "/echo", chunks: chunksOf(fits, 3) }, "512 é (1024 bytes), chunked");
    expectReachedApp("POST", chunkedAtLimit, fits, "512 é (1024 bytes), chunked");
    const over = await within(get(server.url, "/echo", { method: "POST", body: tooBig }), "POST /echo with 600 é (1200 bytes)");
    expect(over.status, "600 é: 600 characters but 1200 bytes, over the 1024-byte limit").toBe(413);
    const chunkedOver = await send({ method: "POST", path: "/echo", chunks: chunksOf(tooBig, 3) }, "600 é (1200 bytes), chunked");
    expect(chunkedOver.status, "600 é sent chunked: 1200 bytes, over the 1024-byte limit").toBe(413);
  });

  test("a body over the limit is refused at once while every worker is busy: it never waits for a worker", async () => {
    const held = await holdWorkers(events, 2, (path) => get(server.url, path));
    try {
      const big = "x".repeat(4 * LIMIT);
      const hint = "a body over the limit must be refused before the request goes to the pool";
      const announced = await within(get(server.url, "/echo", { method: "POST", body: big }), "POST of 4 kB (content-length) while both workers are held", hint);
      expect(announced.status, "4 kB with a content-length, both workers busy: status").toBe(413);
      const chunked = await within(rawRequest(server.url, { method: "PUT", path: "/echo", chunks: chunksOf(big, 4) }), "PUT of 4 kB (chunked) while both workers are held", hint);
      expect(chunked.status, "4 kB chunked, both workers busy: status").toBe(413);
      expect(held.settled, "held requests answered before the 413s (a refused body must not wait for a worker)").toEqual([]);
      expect(server.stats().queued, "requests waiting in the pool's queue").toBe(0);
      expect((await held.release()).map((a) => a.body)).toEqual(held.expected);
    } finally {
      held.open();
    }
  });

  test("after refusing bodies the server goes on serving, with the query and headers of the next request intact", async () => {
    await within(get(server.url, "/echo", { method: "POST", body: "x".repeat(LIMIT + 1) }), "a refused POST");
    const answer = await within(
      get(server.url, "/echo?page=2", { method: "PUT", body: "small", headers: { "x-request": "after-413" } }),
      "a PUT after the refusal",
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ method: "PUT", query: { page: "2" }, body: "small", headers: { "x-request": "after-413" } });
    expect(server.stats(), "stats() after the refusals").toMatchObject({ size: 2, idle: 2, busy: 0, queued: 0 });
  });

  test("the default limit is 1 MiB (maxBodyBytes left out): exactly 1 MiB passes, one byte more is refused, in both framings", async () => {
    const own = await within(startServer({ appModule: FIXTURE_APP, port: 0, workers: 2, log: () => {} }), "startServer() with maxBodyBytes left out");
    try {
      const MiB = 1024 * 1024;
      const fits = "m".repeat(MiB);
      const atLimit = await within(get(own.url, "/echo", { method: "POST", body: fits }), "POST of exactly 1 MiB");
      expectReachedApp("POST", atLimit, fits, "exactly 1 MiB, default limit");
      const over = await within(get(own.url, "/echo", { method: "POST", body: `${fits}n` }), "POST of 1 MiB + 1 byte");
      expect(over.status, "1 MiB + 1 byte with the default limit: status").toBe(413);
      const chunkedAtLimit = await within(rawRequest(own.url, { method: "PUT", path: "/echo", chunks: chunksOf(fits, 16) }), "PUT of exactly 1 MiB, chunked");
      expectReachedApp("PUT", chunkedAtLimit, fits, "exactly 1 MiB chunked, default limit");
      const chunkedOver = await within(rawRequest(own.url, { method: "PUT", path: "/echo", chunks: [...chunksOf(fits, 16), "n"] }), "PUT of 1 MiB + 1 byte, chunked");
      expect(chunkedOver.status, "1 MiB + 1 byte chunked with the default limit: status").toBe(413);
    } finally {
      await within(own.stop(), "server.stop()");
    }
  });
});
