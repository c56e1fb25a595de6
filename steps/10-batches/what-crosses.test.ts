// Step 10's tests, part 6 (step 09's, kept): what must cross between the threads unchanged, and
// what happens when a handler fails. Step 10 puts several tasks in one message, and changes
// nothing of what crosses: a handler that fails is a 500 for its own request, not its batch's.
// The app is a plain Bun one (`export default { fetch }`, lib/testing/fetch-apps/plain-fetch-app.ts).
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

const WORKERS = 2;
const setUps = new SetUps("what-crosses.test.ts");
const logged: string[] = [];

let started: Promise<PoolServer> | undefined;
function server(): Promise<PoolServer> {
  started ??= setUps.start(
    `startServer({ appModule: PLAIN_FETCH_APP, workers: ${WORKERS} })`,
    async () => {
      const running = await startServer({ appModule: PLAIN_FETCH_APP, port: 0, workers: WORKERS, log: (line) => logged.push(line) });
      // One request through the server's own fetch, in this process, before any over HTTP: a pool
      // that throws instead of answering fails the set-up here, with its own error, rather than in
      // Bun.serve's handler, where the error escapes every test.
      try {
        await running.fetch(new Request(new URL("/plain-text", running.url).href));
      } catch (error) {
        await running.stop({ force: true }).catch(() => {});
        throw error;
      }
      return running;
    },
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

  test("handlers that fail beside others in the same batches: a 500 for their own requests only, every other request its own answer", async () => {
    const { url, fetch: serverFetch } = await server();
    // Handed to the server in one turn: they reach the pool in that turn, and its workers get them in batches.
    const paths = ["/plain-text", "/throw", "/cookies", "/reject", "/empty", "/not-a-response", "/plain-text"];
    const answers = await within(Promise.all(paths.map((path) => serverFetch(new Request(new URL(path, url).href)))), `${paths.length} requests handed to the server in one turn`);
    expect(answers.map((answer, i) => `${paths[i]} ${answer.status}`), "each request's status").toEqual([
      "/plain-text 200",
      "/throw 500",
      "/cookies 201",
      "/reject 500",
      "/empty 204",
      "/not-a-response 500",
      "/plain-text 200",
    ]);
    expect(answers[2]?.headers.getSetCookie(), "the set-cookie headers of /cookies, in the batch beside failures").toEqual(["a=1; Path=/", "b=2; Path=/; HttpOnly", "c=3, with a comma; Path=/"]);
    const [first, last] = [await answers[0]?.text(), await answers[6]?.text()];
    expect(last, "the two /plain-text answers, each its own").toBe(first);
    expect(logged.filter((line) => /crash/i.test(line)), "crashes in the log: a failing handler must not take its worker down").toEqual([]);
  });
});
