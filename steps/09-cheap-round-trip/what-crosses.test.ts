// Step 09's tests, part 7 (step 08's, kept): what must cross between the threads unchanged, and
// what happens when a handler fails. Step 09 changes the shapes they cross in, not what crosses.
// The app is a plain Bun one (`export default { fetch }`, lib/testing/fetch-apps/plain-fetch-app.ts);
// the last part tests wire.ts function by function.
//
// The status text is looked at in this process, through the server's own `fetch`: Bun.serve
// (1.4.5) writes its own reason phrase on the wire ("OK", "Created"…), whatever the Response says.

import { afterAll, describe, expect, test } from "bun:test";
import { within } from "#lib/testing/bounded.ts";
import { snapshot } from "#lib/testing/fetch-answers.ts";
import { PLAIN_FETCH_APP } from "#lib/testing/fetch-apps.ts";
import plainApp, { STREAM_CHUNKS } from "#lib/testing/fetch-apps/plain-fetch-app.ts";
import { SetUps } from "#lib/testing/set-ups.ts";
import { startServer, type PoolServer } from "./server.ts";
import { fromWireRequest, fromWireResponse, toWireRequest, toWireResponse } from "./wire.ts";

const WORKERS = 2;
const setUps = new SetUps("what-crosses.test.ts");
const logged: string[] = [];

let started: Promise<PoolServer> | undefined;
function server(): Promise<PoolServer> {
  started ??= setUps.start(
    `startServer({ appModule: PLAIN_FETCH_APP, workers: ${WORKERS} })`,
    () => startServer({ appModule: PLAIN_FETCH_APP, port: 0, workers: WORKERS, log: (line) => logged.push(line) }),
    { hint: "does the worker find the module's fetch handler and answer `ready`?", release: (late) => late.stop({ force: true }) },
  );
  return started;
}
afterAll(async () => {
  await (await started?.catch(() => undefined))?.stop({ force: true });
});

async function ask(path: string, init?: RequestInit): Promise<Response> {
  const { url } = await server();
  return within(fetch(new URL(path, url), init), `${init?.method ?? "GET"} ${path}`, "every request gets an answer");
}

const bytesOf = async (response: Response) => new Uint8Array(await response.arrayBuffer());
const binary = (length: number, seed = 0) => Uint8Array.from({ length }, (_, i) => (i * 131 + seed) % 256);
const concat = (chunks: Uint8Array[]) => Uint8Array.from(chunks.flatMap((chunk) => [...chunk]));

describe("what crosses through the pool, unchanged", () => {
  test("the status text comes back with the status", async () => {
    const { url, fetch: serverFetch } = await server();
    const answer = await within(serverFetch(new Request(new URL("/status-text", url).href)), "server.fetch(GET /status-text)");
    expect({ status: answer.status, statusText: answer.statusText }, "the Response the server's fetch gave").toEqual({ status: 299, statusText: "Fine, Thanks" });
    expect(await answer.text()).toBe("fine");
  });

  test("three `set-cookie` headers come back as three, one with a comma in its value", async () => {
    const answer = await ask("/cookies");
    expect(answer.status).toBe(201);
    expect(answer.headers.getSetCookie(), "the set-cookie headers, in order").toEqual(["a=1; Path=/", "b=2; Path=/; HttpOnly", "c=3, with a comma; Path=/"]);
  });

  for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
    test(`${method}: every byte of a binary body, the whole URL and the headers reach the handler`, async () => {
      const sent = binary(3000, method.length);
      const path = "/echo-bytes?x=1&x=2&note=two%20words";
      const answer = await ask(path, { method, body: sent, headers: { "x-client-header": `from ${method}` } });
      const { url } = await server();
      expect(answer.status).toBe(200);
      expect(answer.headers.get("x-method"), "the method the handler saw").toBe(method);
      expect(answer.headers.get("x-url"), "the URL the handler saw (host, port and query string)").toBe(new URL(path, url).href);
      expect(answer.headers.get("x-client-header"), "the request header the handler saw").toBe(`from ${method}`);
      expect(Buffer.from(await bytesOf(answer)).equals(Buffer.from(sent)), `the ${method} body came back byte for byte`).toBe(true);
    });
  }

  test("a large binary body crosses both ways, byte for byte", async () => {
    const sent = binary(512 * 1024, 7);
    const answer = await ask("/echo-bytes", { method: "POST", body: sent });
    const back = await bytesOf(answer);
    expect(back.length, "bytes that came back").toBe(sent.length);
    expect(Buffer.from(back).equals(Buffer.from(sent)), "the 512 KiB came back unchanged").toBe(true);
  });

  test("a streamed body is read to its end: every chunk, in order", async () => {
    const answer = await ask("/stream");
    expect(answer.status).toBe(200);
    const back = await bytesOf(answer);
    expect(back.length, "bytes of the streamed body").toBe(concat(STREAM_CHUNKS).length);
    expect(Buffer.from(back).equals(Buffer.from(concat(STREAM_CHUNKS))), "the chunks, in order").toBe(true);
  });

  test("the same answers as on the main thread: a string without a content-type, cookies, 204, a stream, bytes", async () => {
    const { url } = await server();
    const main = Bun.serve({ port: 0, fetch: (request) => plainApp.fetch(request) });
    try {
      const cases: Array<[string, () => RequestInit]> = [
        ["/plain-text", () => ({})],
        ["/cookies", () => ({})],
        ["/empty", () => ({})],
        ["/stream", () => ({})],
        ["/echo-bytes?k=v", () => ({ method: "PUT", body: binary(2048), headers: { "x-client-header": "same" } })],
      ];
      for (const [path, init] of cases) {
        const there = await snapshot(await within(fetch(new URL(path, main.url), init()), `${path} on the main thread`), main.url.host);
        const here = await snapshot(await within(fetch(new URL(path, url), init()), `${path} through the pool`), url.host);
        expect(here, `${path} through the pool (expected: the answer on the main thread)`).toEqual(there);
      }
    } finally {
      main.stop(true);
    }
  });
});

describe("a handler that fails is a 500, and the pool keeps serving", () => {
  const FAILURES = [
    ["/throw", "the plain handler threw on purpose"],
    ["/reject", "the plain handler rejected on purpose"],
    ["/not-a-response", "not a Response"],
    ["/stream-fails", "the stream failed half-way"],
  ];
  test("throws, rejects, answers something that is not a Response, or its stream fails: each a 500, the reason in the log", async () => {
    for (const [path, reason] of FAILURES) {
      for (let i = 0; i < WORKERS; i++) {
        const answer = await ask(path as string);
        const body = await answer.text();
        expect(answer.status, `GET ${path}: ${body}`).toBe(500);
        expect(body, `the body of GET ${path}: the client learns it failed, not how`).not.toContain("on purpose");
      }
      expect(logged.some((line) => line.includes(path as string) && line.includes(reason as string)), `a log line naming GET ${path} and "${reason}"; the log: ${JSON.stringify(logged)}`).toBe(true);
    }
    expect(logged.filter((line) => /crash/i.test(line)), "crashes in the log: a failing handler must not take its worker down").toEqual([]);
    const after = await within(Promise.all(Array.from({ length: 2 * WORKERS }, () => ask("/thread").then((r) => r.status))), "requests after the failures");
    expect(after, "statuses of the requests after the failures").toEqual(after.map(() => 200));
  });
});

describe("wire.ts, function by function", () => {
  test("toWireRequest → fromWireRequest: method, whole URL, every header, body bytes", async () => {
    const body = binary(1000, 3);
    const original = new Request("http://example.test:8080/upload?x=1&x=2", { method: "PATCH", headers: [["x-a", "1"], ["content-type", "application/octet-stream"]], body });
    const wire = await toWireRequest(original);
    expect(() => structuredClone(wire), "the wire request can be posted (plain data and ArrayBuffers only)").not.toThrow();
    const rebuilt = fromWireRequest(structuredClone(wire));
    expect(rebuilt).toBeInstanceOf(Request);
    expect({ method: rebuilt.method, url: rebuilt.url }).toEqual({ method: "PATCH", url: "http://example.test:8080/upload?x=1&x=2" });
    expect(rebuilt.headers.get("x-a")).toBe("1");
    expect(Buffer.from(await rebuilt.arrayBuffer()).equals(Buffer.from(body)), "the body's bytes").toBe(true);
  });

  test("a GET crosses without a body, and is rebuilt as a GET", async () => {
    const wire = await toWireRequest(new Request("http://example.test/a?b=c"));
    const rebuilt = fromWireRequest(structuredClone(wire));
    expect(rebuilt.method).toBe("GET");
    expect(await rebuilt.text()).toBe("");
  });

  test("toWireResponse → fromWireResponse: status, status text, every set-cookie, a streamed body read to its end", async () => {
    const headers = new Headers({ "content-type": "application/octet-stream" });
    headers.append("set-cookie", "a=1");
    headers.append("set-cookie", "b=2");
    const chunks = [binary(10, 1), binary(20, 2), binary(30, 3)];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
    const wire = await toWireResponse(new Response(body, { status: 203, statusText: "Partly Yours", headers }));
    expect(() => structuredClone(wire), "the wire response can be posted (plain data and ArrayBuffers only)").not.toThrow();
    const rebuilt = fromWireResponse(structuredClone(wire));
    expect(rebuilt).toBeInstanceOf(Response);
    expect({ status: rebuilt.status, statusText: rebuilt.statusText }).toEqual({ status: 203, statusText: "Partly Yours" });
    expect(rebuilt.headers.getSetCookie(), "every set-cookie").toEqual(["a=1", "b=2"]);
    expect(rebuilt.headers.get("content-type")).toBe("application/octet-stream");
    expect(Buffer.from(await rebuilt.arrayBuffer()).equals(Buffer.from(concat(chunks))), "the body, every chunk").toBe(true);
  });

  test("an answer without a body stays without one (204)", async () => {
    const wire = await toWireResponse(new Response(null, { status: 204, headers: { "x-empty": "yes" } }));
    const rebuilt = fromWireResponse(structuredClone(wire));
    expect(rebuilt.status).toBe(204);
    expect(rebuilt.headers.get("x-empty")).toBe("yes");
    expect((await rebuilt.arrayBuffer()).byteLength).toBe(0);
  });
});
