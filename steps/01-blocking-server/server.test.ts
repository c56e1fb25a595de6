// Step 01's tests. Run them with `npm start -- check 01` (or `bun test` in this folder).
//
// The server runs the fixture app: the example routes (`/fibonacci/:n`, `/health`) plus a
// few built for testing (`/echo`, `/throw`, `/busy/:label/:n`); see lib/testing/fixture-app.ts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { app } from "#lib/testing/fixture-app.ts";
import { get } from "#lib/testing/http.ts";
import { lightAfterHeavyStarted } from "#lib/testing/probe.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { startServer } from "./server.ts";

let server: RunningServer;
beforeAll(() => {
  server = startServer({ app, port: 0 });
});
afterAll(async () => {
  await server?.stop();
});

describe("routing", () => {
  test("GET /fibonacci/:n answers with the number, as JSON", async () => {
    const answer = await get(server.url, "/fibonacci/10");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toContain("application/json");
    expect(JSON.parse(answer.body)).toEqual({ n: 10, fibonacci: 55 });
  });

  test("GET /health answers ok", async () => {
    const answer = await get(server.url, "/health");
    expect(answer).toMatchObject({ status: 200, body: "ok" });
  });

  test("the query string reaches the handler", async () => {
    const answer = await get(server.url, "/echo?name=ada&lang=ts");
    expect(JSON.parse(answer.body).query).toEqual({ name: "ada", lang: "ts" });
  });

  test("a POST body reaches the handler, and the handler's headers come back", async () => {
    const answer = await get(server.url, "/echo", { method: "POST", body: "hello" });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ method: "POST", body: "hello" });
    expect(answer.headers.get("x-echo")).toBe("yes");
  });
});

describe("bad requests get a clear answer", () => {
  for (const bad of ["abc", "-1", "41", "1.5"]) {
    test(`/fibonacci/${bad} is a 400 that names n`, async () => {
      const answer = await get(server.url, `/fibonacci/${bad}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toContain("n must be");
    });
  }

  test("an unknown route is a 404", async () => {
    expect((await get(server.url, "/no/such/route")).status).toBe(404);
  });

  test("a known path with the wrong method is a 405 that lists the allowed ones", async () => {
    const answer = await get(server.url, "/fibonacci/10", { method: "POST" });
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe("GET");
  });

  test("a handler that throws is a 500, and the server keeps serving", async () => {
    const broken = await get(server.url, "/throw");
    expect(broken.status).toBe(500);
    expect(broken.body).toContain("handler exploded on purpose");
    expect((await get(server.url, "/health")).status).toBe(200);
  });
});

describe("the lesson: one thread runs everything", () => {
  test("a /health sent while a heavy request runs is answered only after it", async () => {
    // The probe (a client on another thread) starts the heavy request, waits until the
    // handler announces it has started, then sends /health. On one thread, /health cannot
    // be served before the heavy handler returns, however fast this machine is.
    const report = await lightAfterHeavyStarted(server.url, { path: "/busy/heavy/27", label: "heavy" }, "/health");
    expect(report.statuses).toEqual({ "/busy/heavy/27": 200, "/health": 200 });
    expect(report.order).toEqual(["/busy/heavy/27", "/health"]);
  });
});

describe("the server's life cycle", () => {
  test("port 0 gets a real port from the system", () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url.port).toBe(String(server.port));
  });

  test("stop() closes the port", async () => {
    const other = startServer({ app, port: 0 });
    expect((await get(other.url, "/health")).status).toBe(200);
    await other.stop();
    // Once stopped, nothing listens there: connecting must fail.
    await expect(get(other.url, "/health")).rejects.toThrow();
  });
});
