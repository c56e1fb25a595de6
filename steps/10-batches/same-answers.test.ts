// Step 10's tests, part 5 (step 09's, kept): an app written for Bun with Hono
// (lib/examples/hono-app.ts) answers exactly the same through the pool as it does on the main
// thread. Step 10 changes how many requests and answers travel in one message, so everything
// step 09 guaranteed is checked again, through step 10's server: answers are byte for byte the
// same whether a request travels alone or beside others in a batch.
//
// Every request goes twice: to `Bun.serve({ fetch: app.fetch })` in this process, the app as
// its author runs it, and to your `startServer` with the app module in 2 workers. The answers
// must be equal: status, every header the app set (each `set-cookie` its own), body bytes.
// Left out: the headers the HTTP server writes itself (`date`, `content-length`,
// `transfer-encoding`) and the port in the texts, since the two servers listen on different ports.

import { afterAll, describe, expect, test } from "bun:test";
import example from "#lib/examples/hono-app.ts";
import { within } from "#lib/testing/bounded.ts";
import { snapshot, type Snapshot } from "#lib/testing/fetch-answers.ts";
import { HONO_EXAMPLE_APP } from "#lib/testing/fetch-apps.ts";
import { SetUps } from "#lib/testing/set-ups.ts";
import { startServer, type PoolServer } from "./server.ts";

const WORKERS = 2;
const setUps = new SetUps("same-answers.test.ts");
const logged: string[] = [];

interface Servers {
  main: ReturnType<typeof Bun.serve>;
  pool: PoolServer;
}
let started: Promise<Servers> | undefined;
function servers(): Promise<Servers> {
  started ??= setUps.start(
    `startServer({ appModule: HONO_EXAMPLE_APP, workers: ${WORKERS} })`,
    async () => {
      const pool = await startServer({ appModule: HONO_EXAMPLE_APP, port: 0, workers: WORKERS, log: (line) => logged.push(line) });
      await firstAnswer(pool);
      return { pool, main: Bun.serve({ port: 0, fetch: example.fetch }) };
    },
    {
      hint: "does the worker find the module's fetch handler (its default export) and answer `ready`?",
      release: (late) => {
        late.main.stop(true);
        return late.pool.stop({ force: true });
      },
    },
  );
  return started;
}

/**
 * One request through the server's own `fetch`, in this process, before any over HTTP: a pool
 * that throws instead of answering fails the set-up here, with its own error, rather than in
 * Bun.serve's handler, where the error escapes every test.
 */
async function firstAnswer(server: PoolServer): Promise<void> {
  try {
    await server.fetch(new Request(new URL("/", server.url).href));
  } catch (error) {
    await server.stop({ force: true }).catch(() => {});
    throw error;
  }
}

afterAll(async () => {
  const running = await started?.catch(() => undefined);
  running?.main.stop(true);
  await running?.pool.stop({ force: true });
});

/** The same request to both servers; a fresh `init` for each, since a body can be sent once. */
async function both(path: string, init: () => RequestInit = () => ({})): Promise<{ main: Snapshot; pool: Snapshot }> {
  const { main, pool } = await servers();
  const what = `${init().method ?? "GET"} ${path}`;
  const ask = async (server: { url: URL }, where: string) =>
    snapshot(
      await within(fetch(new URL(path, server.url), { redirect: "manual", ...init() }), `${what} ${where}`, "every request gets an answer"),
      server.url.host,
    );
  return { main: await ask(main, "on the main thread"), pool: await ask(pool, "through the pool") };
}

async function expectSame(path: string, init: () => RequestInit = () => ({})): Promise<Snapshot> {
  const { main, pool } = await both(path, init);
  expect(pool, `${init().method ?? "GET"} ${path}: the answer through the pool (expected: the one on the main thread)`).toEqual(main);
  return pool;
}

/** Bytes that are not text: every byte value, in an order that repeats only every 256 × 7 bytes. */
function binary(length: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length }, (_, i) => (i * 251 + (i >> 8) * 7) % 256);
}

describe("the same answer on the main thread and through the pool", () => {
  test("light routes: text and JSON", async () => {
    expect((await expectSame("/")).body).toBe("Hello from Hono\n");
    expect((await expectSame("/health")).body).toBe('{"status":"ok"}');
  });

  test("the heavy route, and its 400 for a bad n", async () => {
    expect((await expectSame("/fibonacci/25")).body).toBe('{"n":25,"fibonacci":75025}');
    expect((await expectSame("/fibonacci/abc")).status).toBe(400);
    expect((await expectSame("/fibonacci/41")).status).toBe(400);
  });

  test("an unknown route is the app's own 404", async () => {
    expect((await expectSame("/no/such/route")).status).toBe(404);
  });

  test("the query string reaches the handler whole: a repeated key keeps every value", async () => {
    const answer = await expectSame("/echo?tag=a&tag=b&q=two%20words&empty=");
    expect(JSON.parse(answer.body).query).toEqual({ tag: ["a", "b"], q: ["two words"], empty: [""] });
  });

  test("the request's headers reach the handler, and the handler's own headers come back", async () => {
    const answer = await expectSame("/echo", () => ({ headers: { "x-request-id": "r-42", "accept-language": "fr-CH, fr;q=0.9" } }));
    const seen = JSON.parse(answer.body);
    expect(seen.headers["x-request-id"], "x-request-id as the handler saw it").toBe("r-42");
    expect(seen.headers["accept-language"]).toBe("fr-CH, fr;q=0.9");
    expect(seen.url, "the URL the handler saw: the client's, host and port included").toBe("http://<host>/echo");
    expect(answer.headers, "the app's own header").toContain("x-echo: hono");
  });

  for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
    test(`${method} with a body: the method and the body's text reach the handler`, async () => {
      const body = `a ${method} body, not only ASCII: héllo wörld ✓ 🚀`;
      const answer = await expectSame("/echo?via=body", () => ({ method, body, headers: { "content-type": "text/plain; charset=utf-8" } }));
      expect(JSON.parse(answer.body)).toMatchObject({ method, body });
    });
  }

  test("a POST without a body, and a GET, reach the handler with an empty body", async () => {
    expect(JSON.parse((await expectSame("/echo", () => ({ method: "POST" }))).body)).toMatchObject({ method: "POST", body: "" });
    expect(JSON.parse((await expectSame("/echo")).body)).toMatchObject({ method: "GET", body: "" });
  });

  test("HEAD answers the GET's status and headers, without a body", async () => {
    const answer = await expectSame("/", () => ({ method: "HEAD" }));
    expect(answer).toMatchObject({ status: 200, bytes: 0 });
  });

  test("JSON in, JSON out, with the status the app chose (201, 422)", async () => {
    const created = await expectSame("/session", () => ({ method: "POST", body: JSON.stringify({ user: "ada" }), headers: { "content-type": "application/json" } }));
    expect(created.status).toBe(201);
    expect(created.body).toBe('{"user":"ada"}');
    expect((await expectSame("/session", () => ({ method: "POST", body: "{not json" }))).status).toBe(422);
  });

  test("several cookies: each `set-cookie` header comes back on its own, in order", async () => {
    const answer = await expectSame("/session", () => ({ method: "POST", body: JSON.stringify({ user: "grace" }) }));
    expect(answer.headers.filter((h) => h.startsWith("set-cookie: ")), "the set-cookie headers through the pool").toEqual([
      "set-cookie: session=s-grace; Path=/; HttpOnly; SameSite=Lax",
      "set-cookie: theme=dark; Max-Age=3600; Path=/",
    ]);
  });

  test("a cookie the client sends reaches the handler (200); without it, 401", async () => {
    const answer = await expectSame("/session", () => ({ headers: { cookie: "session=s-ada; theme=light" } }));
    expect(JSON.parse(answer.body)).toEqual({ session: "s-ada", theme: "light" });
    expect((await expectSame("/session")).status).toBe(401);
  });

  test("204: no body, and both cookies cleared", async () => {
    const answer = await expectSame("/session", () => ({ method: "DELETE" }));
    expect(answer).toMatchObject({ status: 204, bytes: 0 });
    expect(answer.headers.filter((h) => h.startsWith("set-cookie: ")).length, "set-cookie headers of the 204").toBe(2);
  });

  test("a redirect: its status and `location` come back as the app set them", async () => {
    const answer = await expectSame("/home");
    expect(answer.status).toBe(301);
    expect(answer.headers).toContain("location: /");
  });

  test("binary bodies come back byte for byte: every byte value, an empty body, a large one", async () => {
    expect(await expectSame("/bytes/1000")).toMatchObject({ status: 200, bytes: 1000 });
    expect(await expectSame("/bytes/0")).toMatchObject({ status: 200, bytes: 0 });
    expect(await expectSame(`/bytes/${600 * 1024}`)).toMatchObject({ status: 200, bytes: 600 * 1024 });
  });

  test("binary request bodies reach the handler byte for byte, small and large", async () => {
    for (const size of [256, 5_000, 700 * 1024]) {
      const sent = binary(size);
      const answer = await expectSame("/reverse", () => ({ method: "POST", body: sent, headers: { "content-type": "application/octet-stream" } }));
      expect(answer.body, `POST /reverse with ${size} bytes: the body through the pool, reversed`).toBe(Buffer.from(sent.slice().reverse()).toString("base64"));
    }
  });

  test("a streamed body is read to its end", async () => {
    const answer = await expectSame("/countdown/40");
    const lines = answer.body.trim().split("\n");
    expect(lines.length, "lines of /countdown/40").toBe(41);
    expect(lines.at(-1)).toBe("0 liftoff");
  });

  test("a handler that throws: the app's own 500, and the workers keep serving", async () => {
    for (let i = 0; i < 2 * WORKERS; i++) {
      const answer = await expectSame("/boom");
      expect(answer.status).toBe(500);
    }
    const { pool } = await servers();
    const after = await within(
      Promise.all(Array.from({ length: 2 * WORKERS }, (_, i) => fetch(new URL(`/fibonacci/${10 + i}`, pool.url)).then((r) => r.status))),
      "the requests after the 500s",
    );
    expect(after, "statuses of the requests after the 500s").toEqual(after.map(() => 200));
    expect(logged.filter((line) => /crash/i.test(line)), "crashes in the log").toEqual([]);
  });

  test("many concurrent requests each get their own answer", async () => {
    const { pool } = await servers();
    const ns = Array.from({ length: 16 }, (_, i) => i + 5);
    const answers = await within(
      Promise.all(ns.map((n) => fetch(new URL(`/fibonacci/${n}`, pool.url)).then((r) => r.json()))),
      "16 concurrent requests",
    );
    expect(answers.map((a) => (a as { n: number }).n)).toEqual(ns);
  });
});
