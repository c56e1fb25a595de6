// Step 01's tests. Run them with `npm start -- check 01` (or `bun test` in this folder).
//
// Each test starts a server of its own on port 0, running the fixture app: the example
// routes (`/fibonacci/:n`, `/health`) plus a few built for testing (`/echo` answers with the
// request it received, `/throw` throws, `/busy/:label/:n` announces its start and computes);
// see lib/testing/fixture-app.ts. Every wait is bounded: a server that never answers fails
// the test within seconds, with a message saying what was awaited.

import { afterEach, describe, expect, test } from "bun:test";
import type { RunningServer } from "#lib/running-server.ts";
import { rejectionOf, within } from "#lib/testing/bounded.ts";
import { app } from "#lib/testing/fixture-app.ts";
import { serverThrew } from "#lib/testing/error-page.ts";
import { get, type Answer } from "#lib/testing/http.ts";
import { openKeepAlive, type KeepAlive } from "#lib/testing/keep-alive.ts";
import { lightAfterHeavyStarted } from "#lib/testing/probe.ts";
import { startServer } from "./server.ts";

const running: RunningServer[] = [];
const sockets: KeepAlive[] = [];
let stopHangs = false;

/** A server for this test only, on a free port (or on the options given), stopped after it. */
function serve(options: { port?: number } = { port: 0 }): RunningServer {
  const server = startServer({ app, ...options });
  running.push(server);
  return server;
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of running.splice(0)) {
    // A stop() that never settles is reported by its own test; here it only must not hang the others.
    if (stopHangs) void server.stop();
    else await within(server.stop(), "stop()").catch(() => (stopHangs = true));
  }
});

/** One request, bounded: a server that never answers fails the test instead of hanging it. */
function ask(server: RunningServer, path: string, init?: RequestInit): Promise<Answer> {
  const what = `${init?.method ?? "GET"} ${path}`;
  return within(
    get(server.url, path, init).then((answer) => {
      const threw = serverThrew(answer, what);
      if (threw) throw new Error(threw);
      return answer;
    }),
    what,
    "does handleOnThisThread return a Response for every request? (a promise that never resolves leaves the client waiting)",
  );
}

/** What /echo says it received. */
interface Echoed {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}
const echoed = (answer: Answer): Echoed => JSON.parse(answer.body) as Echoed;

describe("the app's answer reaches the client whole: status, headers and body", () => {
  test("GET /fibonacci/10 answers 200 with the number, as JSON", async () => {
    const answer = await ask(serve(), "/fibonacci/10");
    expect(answer.status, "status of GET /fibonacci/10").toBe(200);
    expect(answer.headers.get("content-type"), "content-type of GET /fibonacci/10").toContain("application/json");
    expect(JSON.parse(answer.body)).toEqual({ n: 10, fibonacci: 55 });
  });

  test("GET /health answers 200 ok, as text", async () => {
    const answer = await ask(serve(), "/health");
    expect(answer.status, "status of GET /health").toBe(200);
    expect(answer.body).toBe("ok");
    expect(answer.headers.get("content-type"), "content-type of GET /health").toContain("text/plain");
  });

  test("the handler's own headers come back to the client", async () => {
    const answer = await ask(serve(), "/echo");
    expect(answer.headers.get("x-echo"), "the x-echo header that /echo sets").toBe("yes");
    expect(answer.headers.get("content-type"), "the content-type that /echo sets").toContain("application/json");
  });

  for (const bad of ["abc", "-1", "41", "1.5"]) {
    test(`/fibonacci/${bad} is a 400 whose body says what is wrong with n`, async () => {
      const answer = await ask(serve(), `/fibonacci/${bad}`);
      expect(answer.status, `status of GET /fibonacci/${bad}`).toBe(400);
      expect(answer.body).toContain("n must be");
    });
  }

  test("/fibonacci/%zz (a path that cannot be decoded) is a 400, and the server keeps serving", async () => {
    const server = serve();
    const answer = await ask(server, "/fibonacci/%zz");
    expect(answer.status, "status of GET /fibonacci/%zz").toBe(400);
    expect(answer.body).toContain("malformed");
    expect((await ask(server, "/health")).status, "GET /health right after").toBe(200);
  });

  test("an unknown path is a 404", async () => {
    const answer = await ask(serve(), "/no/such/route");
    expect(answer.status, "status of GET /no/such/route").toBe(404);
    expect(answer.body).toContain("Not Found");
  });

  test("a known path with a method it does not take is a 405 whose Allow header lists the ones it does", async () => {
    const server = serve();
    const post = await ask(server, "/fibonacci/10", { method: "POST", body: "x" });
    expect(post.status, "status of POST /fibonacci/10").toBe(405);
    expect(post.headers.get("allow"), "Allow header of POST /fibonacci/10").toBe("GET");
    const del = await ask(server, "/health", { method: "DELETE" });
    expect(del.status, "status of DELETE /health").toBe(405);
  });
});

describe("the whole request reaches the handler: method, path, query, headers and body", () => {
  test("GET /echo: the method, the path and the decoded query reach the handler", async () => {
    const answer = await ask(serve(), "/echo?name=ada%20lovelace&lang=ts&empty=");
    expect(answer.status, "status of GET /echo").toBe(200);
    const seen = echoed(answer);
    expect(seen.method, "the method /echo received").toBe("GET");
    expect(seen.path, "the path /echo received (without the query)").toBe("/echo");
    expect(seen.query, "the query /echo received").toEqual({ name: "ada lovelace", lang: "ts", empty: "" });
    expect(seen.body, "the body of a GET").toBe("");
  });

  for (const method of ["POST", "PUT", "DELETE"]) {
    test(`${method} /echo: the method, the body and the query reach the handler`, async () => {
      const body = `the body of a ${method}, with UTF-8: héllo ✓`;
      const answer = await ask(serve(), "/echo?step=01", { method, body });
      expect(answer.status, `status of ${method} /echo`).toBe(200);
      const seen = echoed(answer);
      expect(seen.method, `the method /echo received for a ${method}`).toBe(method);
      expect(seen.body, `the body /echo received for a ${method}`).toBe(body);
      expect(seen.query, `the query /echo received for a ${method}`).toEqual({ step: "01" });
    });
  }

  test("a large body arrives whole", async () => {
    const body = "x".repeat(200_000);
    const seen = echoed(await ask(serve(), "/echo", { method: "PUT", body }));
    expect(seen.body.length, "length of the body /echo received").toBe(body.length);
  });

  test("the request's headers reach the handler, their names in lower case", async () => {
    const answer = await ask(serve(), "/echo", { headers: { "X-Tutorial-Step": "01", Accept: "application/json" } });
    const seen = echoed(answer);
    expect(seen.headers["x-tutorial-step"], "header x-tutorial-step as /echo received it").toBe("01");
    expect(seen.headers.accept, "header accept as /echo received it").toBe("application/json");
  });
});

describe("a handler that throws", () => {
  test("is a 500 that names the error, and the server keeps serving, time after time", async () => {
    const server = serve();
    for (let round = 1; round <= 3; round++) {
      const broken = await ask(server, "/throw");
      expect(broken.status, `status of GET /throw, round ${round}`).toBe(500);
      expect(broken.body).toContain("handler exploded on purpose");
      expect((await ask(server, "/fibonacci/5")).status, `GET /fibonacci/5 after /throw, round ${round}`).toBe(200);
    }
  });
});

describe("several clients at once", () => {
  test("ten requests sent at once each get their own answer", async () => {
    const server = serve();
    const labels = Array.from({ length: 10 }, (_, i) => `client-${i}`);
    const answers = await Promise.all(labels.map((label) => ask(server, `/echo?who=${label}`, { method: "POST", body: label })));
    expect(answers.map((a) => echoed(a).query.who), "whose query each answer echoes").toEqual(labels);
    expect(answers.map((a) => echoed(a).body), "whose body each answer echoes").toEqual(labels);
  });
});

describe("the lesson: one thread runs everything", () => {
  test("a /health sent while a heavy request runs is answered only after it", async () => {
    // The probe (a client on another thread) starts the heavy request, waits until the
    // handler announces it has started, then sends /health. On one thread, /health cannot
    // be served before the heavy handler returns, however fast this machine is.
    const server = serve();
    const report = await within(
      lightAfterHeavyStarted(server.url, { path: "/busy/heavy/27", label: "heavy" }, "/health"),
      "the probe's two requests (/busy/heavy/27, then /health)",
      "does the server answer both?",
    );
    expect(report.statuses, "statuses of the heavy request and of /health").toEqual({ "/busy/heavy/27": 200, "/health": 200 });
    expect(report.order, "the order the two answers arrived in").toEqual(["/busy/heavy/27", "/health"]);
  });
});

describe("the server's life cycle", () => {
  test("port 0 gets a real port from the system, and url names it", async () => {
    const server = serve({ port: 0 });
    expect(server.port, "the port startServer returned for port 0").toBeGreaterThan(0);
    expect(server.url.port, "the port in the url startServer returned").toBe(String(server.port));
    expect((await ask(server, "/health")).status, "GET /health at that url").toBe(200);
  });

  test("with no port given, each server still gets a free port of its own: two start side by side", async () => {
    const first = serve({});
    const second = serve({});
    expect(first.port, "the first server's port").toBeGreaterThan(0);
    expect(second.port, "the second server's port").not.toBe(first.port);
    expect((await ask(first, "/health")).status, "GET /health on the first").toBe(200);
    expect((await ask(second, "/health")).status, "GET /health on the second").toBe(200);
  });

  test("stop() closes the port: a new connection is refused", async () => {
    const server = serve();
    expect((await ask(server, "/health")).status).toBe(200);
    await within(server.stop(), "stop()", "does stop() return the promise of the server's stop?");
    const refused = await rejectionOf(
      get(server.url, "/health"),
      "GET /health after stop()",
      "the server still answers after stop(): does stop() stop Bun.serve?",
    );
    expect(refused, "what fetch says after stop()").toBeInstanceOf(Error);
  });

  test("stop() closes a connection a client kept open (keep-alive)", async () => {
    const server = serve();
    const socket = await openKeepAlive(server.url);
    sockets.push(socket);
    await within(server.stop(), "stop()", "does stop() return the promise of the server's stop?");
    await within(socket.closed, "the kept-alive connection closing after stop()", "does stop() stop Bun.serve?");
  });
});
