// Step 09's tests, part 3: what `postMessage` really carries, between the server's pool and its
// workers. Run them with `npm start -- check 09`.
//
// Structured clone copies a flat object of strings and numbers on a fast path; one nested
// object, array or ArrayBuffer anywhere in the message sends the whole message down the slow
// path (lib/flat-protocol.ts). Answers look the same either way, so the app the workers run
// here, the tapped app (lib/testing/message-tap.ts), reports every message its worker receives
// and posts: each key, what its value holds, and what went in the transfer list.

import { afterAll, describe, expect, test } from "bun:test";
import { within } from "#lib/testing/bounded.ts";
import { TAPPED_APP, TapLog, type TapEntry, type ValueKind } from "#lib/testing/message-tap.ts";
import { SetUps } from "#lib/testing/set-ups.ts";
import { bodyText, wireRequest } from "#lib/testing/wire-tasks.ts";
import { WorkerPool } from "./pool.ts";
import { startServer, type PoolServer } from "./server.ts";

const WORKERS = 2;
const setUps = new SetUps("messages.test.ts");
const tap = new TapLog();
const logged: string[] = [];

let started: Promise<PoolServer> | undefined;
function server(): Promise<PoolServer> {
  started ??= setUps.start(
    `startServer({ appModule: TAPPED_APP, workers: ${WORKERS} })`,
    () => startServer({ appModule: TAPPED_APP, port: 0, workers: WORKERS, log: (line) => logged.push(line) }),
    { hint: "does the worker find the module's fetch handler and answer `ready`?", release: (late) => late.stop({ force: true }) },
  );
  return started;
}
afterAll(async () => {
  tap.close();
  await (await started?.catch(() => undefined))?.stop({ force: true });
});

async function ask(path: string, init?: RequestInit): Promise<Response> {
  const { url } = await server();
  return within(fetch(new URL(path, url), init), `${init?.method ?? "GET"} ${path}`, "every request gets an answer");
}

/** The request message that reached a worker for `path`, and the answer message that worker posted for it. */
async function messagesOf(among: () => TapEntry[], path: string): Promise<{ request: TapEntry; answer: TapEntry }> {
  const request = await tap.waitFor(among, (e) => e.kind === "in" && e.type === "request" && e.label === path, `the request message for ${path}, as its worker received it`);
  const answer = await tap.waitFor(
    among,
    (e) => e.kind === "out" && e.type === "response" && e.threadId === request.threadId && e.id === request.id,
    `the answer message for ${path}, as its worker posted it`,
    "does the answer carry the request's id?",
  );
  return { request, answer };
}

const binary = (length: number, seed = 0) => Uint8Array.from({ length }, (_, i) => (i * 131 + seed) % 256);
const same = (a: ArrayBuffer, b: Uint8Array) => Buffer.from(new Uint8Array(a)).equals(Buffer.from(b));

const FLAT_REQUEST: Record<string, ValueKind> = { type: "string", id: "number", method: "string", url: "string", headers: "string" };
const FLAT_ANSWER: Record<string, ValueKind> = { type: "string", id: "number", status: "number", statusText: "string", headers: "string" };

describe("one flat message each way", () => {
  test("a request crosses to its worker as one flat message: type, id, method, url, headers and body side by side, each a string, a number or null", async () => {
    const mine = tap.fromNow();
    const answer = await ask("/start/flat-get?x=1&x=2", { headers: { "x-a": "1", "x-note": "a: b" } });
    expect(await answer.text(), "GET /start/flat-get").toBe("flat-get");
    const get = await messagesOf(mine, "/start/flat-get");
    expect(get.request.shape, "the keys of the message for GET /start/flat-get, and what each holds (the request's fields beside type and id, not nested in a `request`)").toEqual({
      ...FLAT_REQUEST,
      body: "null",
    });
    const echoed = await ask("/echo", { method: "POST", body: binary(300), headers: { "content-type": "application/octet-stream" } });
    expect(same(await echoed.arrayBuffer(), binary(300)), "the 300 bytes POST /echo sent back").toBe(true);
    const post = await messagesOf(mine, "/echo");
    expect(post.request.shape, "the keys of the message for a 300-byte POST, and what each holds (a small body is a byte string)").toEqual({ ...FLAT_REQUEST, body: "string" });
  });

  test("an answer comes back as one flat message: type, id, status, statusText, headers and body side by side; `error` only on a failed handler's 500", async () => {
    const mine = tap.fromNow();
    await (await ask("/start/flat-answer")).text();
    const { answer } = await messagesOf(mine, "/start/flat-answer");
    expect(answer.shape, "the keys of the answer message for /start/flat-answer, and what each holds (the answer's fields beside type and id, not nested in a `response`)").toEqual({
      ...FLAT_ANSWER,
      body: "string",
    });
    const failed = await ask("/throw");
    expect(failed.status, "GET /throw").toBe(500);
    const thrown = await messagesOf(mine, "/throw");
    expect(thrown.answer.shape, "the keys of the answer message for a handler that threw: `error` says what went wrong, for the log").toEqual({
      ...FLAT_ANSWER,
      body: "string",
      error: "object",
    });
    expect(logged.some((line) => line.includes("/throw") && line.includes("on purpose")), "a log line naming GET /throw and its error").toBe(true);
  });

  test("a large body (64 KiB) crosses as an ArrayBuffer both ways, and the worker hands its answer back in the transfer list", async () => {
    const mine = tap.fromNow();
    const sent = binary(64 * 1024, 3);
    const answer = await ask("/echo", { method: "PUT", body: sent });
    expect(answer.status).toBe(200);
    expect(same(await answer.arrayBuffer(), sent), "the 64 KiB PUT /echo sent back, byte for byte").toBe(true);
    const { request, answer: posted } = await messagesOf(mine, "/echo");
    expect(request.shape?.body, "the body of the request message for a 64 KiB PUT").toBe("ArrayBuffer");
    expect(posted.shape?.body, "the body of the answer message for 64 KiB").toBe("ArrayBuffer");
    expect(posted.transferred, "objects in the transfer list of the 64 KiB answer (handed over, not copied)").toBe(1);
  });
});

describe("a large request body is handed over, not copied", () => {
  test("pool.run() with a 64 KiB body: the worker gets every byte, and the caller's ArrayBuffer is left empty (transferred)", async () => {
    const pool = await within(WorkerPool.create({ appModule: TAPPED_APP, size: 1 }), "WorkerPool.create({ appModule: TAPPED_APP, size: 1 })");
    try {
      const sent = binary(64 * 1024, 11);
      const body = sent.slice().buffer as ArrayBuffer;
      const answer = await within(pool.run(wireRequest("/echo", { method: "POST", body })), "pool.run(POST /echo with 64 KiB)");
      expect(answer.status, `POST /echo: ${bodyText(answer)}`).toBe(200);
      const back = answer.body;
      expect(back instanceof ArrayBuffer && same(back, sent), "the 64 KiB the worker sent back, as an ArrayBuffer").toBe(true);
      expect(
        { byteLength: body.byteLength, detached: body.detached },
        "the caller's ArrayBuffer once sent: AppWorker must post it in the transfer list (transferList(body)), which hands the memory over and leaves it empty",
      ).toEqual({ byteLength: 0, detached: true });
    } finally {
      await within(pool.close({ force: true }), "pool.close({ force: true })").catch(() => {});
    }
  });
});
