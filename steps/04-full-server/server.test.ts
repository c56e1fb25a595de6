// Step 04's tests. Run them with `npm start -- check 04` (or `bun test` in this folder).
//
// `handleInPool` is tried on its own first, with a pool of this folder (./pool.ts). Then
// everything goes over real HTTP, to real servers on port 0 whose workers run the fixture app
// (lib/testing/fixture-app.ts: the example routes plus `/echo`, `/throw`, `/thread`,
// `/gate/:token`) and `/held/:token` (lib/testing/held-thread-app.ts). A gated or held handler
// announces that it has started, then keeps its worker until the test opens its gate, so
// "at the same time" is shown by order (this answered while that was still held), never by time.
//
// Nothing can hang: every wait that a wrong server could leave pending is bounded
// (#lib/testing/bounded.ts) and says what was awaited; a gate nobody opens gives up after 4 s.

import { afterAll, afterEach, describe, expect, spyOn, test } from "bun:test";
import { connect } from "node:net";
import { BROKEN_APP, FIXTURE_APP, MISSING_APP } from "#lib/app-modules.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { rejectionOf, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newGate, type Gate } from "#lib/testing/gate.ts";
import { HELD_THREAD_APP } from "#lib/testing/held-thread-app.ts";
import { get, type Answer } from "#lib/testing/http.ts";
import { WorkerPool } from "./pool.ts";
import { handleInPool, startServer, type ServerOptions } from "./server.ts";

/** The shared server's pool size. Fixed, so that no test depends on this machine's core count. */
const WORKERS = 2;

const events = new EventLog();

/**
 * Every `Worker` started while this file runs is one of these: it remembers being terminated,
 * so a test can check at once that stop() ended every thread, instead of waiting to see
 * whether the process would exit. Installed for the whole file, removed after it.
 */
class RecordedWorker extends Worker {
  static readonly all: RecordedWorker[] = [];
  terminated = false;
  constructor(...args: ConstructorParameters<typeof Worker>) {
    super(...args);
    RecordedWorker.all.push(this);
  }
  override terminate(): void {
    this.terminated = true;
    super.terminate();
  }
}
const OriginalWorker = globalThis.Worker;
globalThis.Worker = RecordedWorker;

/** Servers and pools a test started: stopped after it, whatever happened. */
const servers: RunningServer[] = [];
const pools: WorkerPool[] = [];
afterEach(async () => {
  for (const running of servers.splice(0)) {
    await within(Promise.resolve().then(() => running.stop()), "stop() after the test", "", 1_000).catch(() => {});
  }
  for (const pool of pools.splice(0)) await within(pool.close(), "pool.close() after the test", "", 1_000).catch(() => {});
});

/** Starts a server with the held-thread fixture app; returns it with the worker threads it started. */
async function start(options: Partial<ServerOptions> = {}, what = "startServer()"): Promise<{ server: RunningServer; threads: RecordedWorker[] }> {
  const from = RecordedWorker.all.length;
  const server = await within(
    Promise.resolve().then(() => startServer({ appModule: HELD_THREAD_APP, port: 0, ...options })),
    what,
    "does it resolve once the pool is ready and Bun.serve listens?",
  );
  servers.push(server);
  return { server, threads: RecordedWorker.all.slice(from) };
}

/**
 * The server most tests share: started by the first test that needs it, once. (Not in a
 * `beforeAll`: if it cannot start, each test that needs it fails saying why, and the tests of
 * `handleInPool` alone still run.)
 */
let sharedStart: Promise<{ server: RunningServer; threads: RecordedWorker[] }> | undefined;
function sharedServer(): Promise<{ server: RunningServer; threads: RecordedWorker[] }> {
  sharedStart ??= (async () => {
    const from = RecordedWorker.all.length;
    const server = await within(
      Promise.resolve().then(() => startServer({ appModule: HELD_THREAD_APP, port: 0, workers: WORKERS })),
      `startServer({ workers: ${WORKERS} }), the server most tests share`,
      "does it resolve once the pool is ready and Bun.serve listens?",
    );
    return { server, threads: RecordedWorker.all.slice(from) };
  })();
  return sharedStart;
}
async function shared(): Promise<RunningServer> {
  return (await sharedServer()).server;
}
afterAll(async () => {
  const started = await sharedStart?.catch(() => undefined);
  if (started) await within(Promise.resolve().then(() => started.server.stop()), "the shared server's stop()", "", 1_000).catch(() => {});
  for (const worker of RecordedWorker.all) if (!worker.terminated) worker.terminate(); // whatever a wrong stop() left
  globalThis.Worker = OriginalWorker;
  events.close();
});

/** One request, bounded: a wrong server may never answer. */
function ask(base: URL, path: string, init?: RequestInit, why = ""): Promise<Answer> {
  return within(get(base, path, init), `the answer to ${init?.method ?? "GET"} ${path.length > 60 ? `${path.slice(0, 60)}…` : path}`, why);
}

function parsed(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return `not JSON: ${body.slice(0, 200)}`;
  }
}

/** A gated request of a test, named for messages: "request 2". */
interface Held {
  label: string;
  gate: Gate;
  /** Its answer, once it came (a request still held has none). */
  answer?: Answer;
  /** Resolves with the answer, or with a description of the network error; never rejects. */
  settled: Promise<Answer | string>;
}

/**
 * Sends `count` requests to `/<route>/:token` and waits until every handler has started, so
 * that each holds a worker. Fails at once if one is answered before it even started (refused,
 * or not found), and within the bound if one never starts.
 */
async function holdWorkers(base: URL, count: number, route: "gate" | "held", hint: string): Promise<Held[]> {
  const held: Held[] = Array.from({ length: count }, (_, i) => {
    const gate = newGate();
    const request: Held = { label: `request ${i + 1}`, gate, settled: Promise.resolve("") };
    request.settled = get(base, `/${route}/${gate.token}`).then(
      (answer) => (request.answer = answer),
      (error: unknown) => `network error: ${(error as { code?: string }).code ?? String(error)}`,
    );
    return request;
  });
  try {
    for (const request of held) {
      const early = await within(
        Promise.race([events.waitForStart(request.gate.token).then(() => undefined), request.settled]),
        `${request.label} of ${count} to start (each holds a worker until released)`,
        hint,
      );
      if (early !== undefined) {
        const what = typeof early === "string" ? early : `${early.status} ${early.body.slice(0, 200)}`;
        throw new Error(`${request.label} of ${count} was answered before it ever started: ${what}`);
      }
    }
  } catch (error) {
    for (const request of held) request.gate.open(); // free the workers for the tests that follow
    throw error;
  }
  return held;
}

/** Opens every gate; resolves with each held request's answer body (or network error). */
async function release(held: Held[]): Promise<string[]> {
  for (const request of held) request.gate.open();
  const outcomes = await within(Promise.all(held.map((r) => r.settled)), "the answers to the released requests", "");
  return outcomes.map((o) => (typeof o === "string" ? o : o.body));
}

/** Which of these requests have been answered so far. */
function answeredSoFar(held: Held[]): string[] {
  return held.filter((r) => r.answer !== undefined).map((r) => r.label);
}

function fib(n: number): number {
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

describe("handleInPool(pool, request), on its own", () => {
  async function pool(): Promise<WorkerPool> {
    const created = await within(WorkerPool.create({ appModule: FIXTURE_APP, size: 1 }), "WorkerPool.create({ size: 1 })");
    pools.push(created);
    return created;
  }

  test('GET /health is answered "ok" right here: the pool is not asked (other methods go to the app)', async () => {
    const workers = await pool();
    const run = spyOn(workers, "run");
    const response = await within(
      Promise.resolve().then(() => handleInPool(workers, new Request("http://localhost/health"))),
      "handleInPool(pool, GET /health)",
    );
    expect(response.status, "the status of GET /health").toBe(200);
    expect(await response.text(), "the body of GET /health").toBe("ok");
    expect(run, "pool.run() calls for GET /health").not.toHaveBeenCalled();
    // Only GET: any other method on /health is an app request like the others (the app says 405).
    const post = await within(
      Promise.resolve().then(() => handleInPool(workers, new Request("http://localhost/health", { method: "POST", body: "x" }))),
      "handleInPool(pool, POST /health)",
    );
    expect(post.status, "the status of POST /health (the app's 405: /health is GET only)").toBe(405);
    expect(run, "pool.run() calls for POST /health").toHaveBeenCalledTimes(1);
  });

  test("any other request goes to the pool, and the handler's status, headers and body come back", async () => {
    const workers = await pool();
    const run = spyOn(workers, "run");
    const answer = async (method: string, path: string) => {
      const response = await within(
        Promise.resolve().then(() => handleInPool(workers, new Request(`http://localhost${path}`, { method }))),
        `handleInPool(pool, ${method} ${path})`,
        "does it await the pool's answer?",
      );
      return { status: response.status, type: response.headers.get("content-type"), allow: response.headers.get("allow"), body: await response.text() };
    };
    expect(await answer("GET", "/fibonacci/10"), "GET /fibonacci/10").toEqual({
      status: 200,
      type: "application/json; charset=utf-8",
      allow: null,
      body: '{"n":10,"fibonacci":55}',
    });
    expect(await answer("GET", "/fibonacci/abc"), "GET /fibonacci/abc").toMatchObject({ status: 400, type: "text/plain; charset=utf-8" });
    expect(await answer("PUT", "/fibonacci/1"), "PUT /fibonacci/1").toMatchObject({ status: 405, allow: "GET" });
    expect(run, "pool.run() calls for those three requests").toHaveBeenCalledTimes(3);
  });

  test("the whole request reaches the handler: method, path, query, headers and body", async () => {
    const workers = await pool();
    const request = new Request("http://localhost/echo?name=ada&lang=ts", {
      method: "PUT",
      headers: { "x-learner": "yes" },
      body: "héllo wörld",
    });
    const response = await within(Promise.resolve().then(() => handleInPool(workers, request)), "handleInPool(pool, PUT /echo)");
    const seen = parsed(await response.text()) as { method?: string; path?: string; query?: unknown; body?: string; headers?: Record<string, string> };
    expect(seen.method, "the method the handler saw").toBe("PUT");
    expect(seen.path, "the path the handler saw").toBe("/echo");
    expect(seen.query, "the query the handler saw").toEqual({ name: "ada", lang: "ts" });
    expect(seen.body, "the body the handler saw").toBe("héllo wörld");
    expect(seen.headers?.["x-learner"], "the x-learner header the handler saw").toBe("yes");
  });
});

describe("every request crosses to a worker and back", () => {
  test("GET /fibonacci/:n answers with the number, as JSON", async () => {
    const { url: base } = await shared();
    const answer = await ask(base, "/fibonacci/10");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toContain("application/json");
    expect(parsed(answer.body)).toEqual({ n: 10, fibonacci: 55 });
  });

  test("25 concurrent requests with different n each get their own answer", async () => {
    const { url: base } = await shared();
    const ns = Array.from({ length: 25 }, (_, i) => i);
    const answers = await within(Promise.all(ns.map((n) => get(base, `/fibonacci/${n}`))), "the answers to 25 concurrent requests");
    expect(
      answers.map((a) => parsed(a.body)),
      "what each request got back, /fibonacci/0 first (each must get its own n)",
    ).toEqual(ns.map((n) => ({ n, fibonacci: fib(n) })));
  });

  const query = "?name=ada&lang=js&lang=ts&who=J%C3%BCrgen&what=a+b";
  const decoded = { name: "ada", lang: "ts", who: "Jürgen", what: "a b" }; // a repeated key keeps its last value
  for (const method of ["POST", "PUT", "DELETE"]) {
    test(`a ${method} with a body, a query string and headers makes the whole round trip`, async () => {
      const { url: base } = await shared();
      const body = JSON.stringify({ text: "héllo wörld ".repeat(5_000) }); // ~60 kB, not ASCII only
      const answer = await ask(base, `/echo${query}`, { method, body, headers: { "content-type": "application/json", "x-learner": "yes" } });
      expect(answer.status, `the status of ${method} /echo (${answer.body.slice(0, 120)})`).toBe(200);
      expect(answer.headers.get("x-echo"), "the handler's own response header x-echo").toBe("yes");
      const seen = parsed(answer.body) as { method?: string; path?: string; query?: unknown; body?: string; headers?: Record<string, string> };
      expect(seen.method, "the method the handler saw").toBe(method);
      expect(seen.path, "the path the handler saw").toBe("/echo");
      expect(seen.query, "the query the handler saw").toEqual(decoded);
      expect(seen.body?.length, "the length of the body the handler saw").toBe(body.length);
      expect(seen.body === body, "the body the handler saw is the one sent").toBe(true);
      expect(seen.headers?.["x-learner"], "the x-learner header the handler saw").toBe("yes");
      expect(seen.headers?.["content-type"], "the content-type the handler saw").toBe("application/json");
    });
  }

  test("a GET's query string and headers reach the handler", async () => {
    const { url: base } = await shared();
    const answer = await ask(base, `/echo${query}`, { headers: { "x-learner": "yes", "accept-language": "fr" } });
    const seen = parsed(answer.body) as { method?: string; query?: unknown; body?: string; headers?: Record<string, string> };
    expect(seen.method, "the method the handler saw").toBe("GET");
    expect(seen.query, "the query the handler saw").toEqual(decoded);
    expect(seen.body, "the body of a GET, as the handler saw it").toBe("");
    expect(seen.headers?.["x-learner"], "the x-learner header the handler saw").toBe("yes");
    expect(seen.headers?.["accept-language"], "the accept-language header the handler saw").toBe("fr");
  });
});

describe("bad requests get the app's own answer, through the pool", () => {
  for (const bad of ["abc", "-1", "41", "1.5"]) {
    test(`/fibonacci/${bad} is a 400 that names n`, async () => {
      const { url: base } = await shared();
      const answer = await ask(base, `/fibonacci/${bad}`);
      expect(answer.status, `the status of /fibonacci/${bad}`).toBe(400);
      expect(answer.body).toContain("n must be");
      expect(answer.headers.get("content-type"), "the content-type of the 400").toContain("text/plain");
    });
  }

  test("an unknown route is a 404", async () => {
    const { url: base } = await shared();
    const answer = await ask(base, "/no/such/route");
    expect(answer.status, "the status of GET /no/such/route").toBe(404);
    expect(answer.body).toContain("no route for /no/such/route");
  });

  test("a known path with the wrong method is a 405 that lists the allowed ones", async () => {
    const { url: base } = await shared();
    const answer = await ask(base, "/fibonacci/10", { method: "POST" });
    expect(answer.status, "the status of POST /fibonacci/10").toBe(405);
    expect(answer.headers.get("allow"), "the allow header of the 405").toBe("GET");
  });

  test("a handler that throws is a 500, again and again, and the workers keep serving", async () => {
    const { url: base } = await shared();
    const paths = Array.from({ length: 4 * WORKERS + 2 }, (_, i) => (i % 2 === 0 ? "/throw" : `/fibonacci/${i}`));
    const answers = await within(Promise.all(paths.map((path) => get(base, path))), `the answers to ${paths.length} concurrent requests`);
    expect(
      answers.map((a, i) => `${paths[i]}: ${a.status} ${a.body.slice(0, 60)}`),
      "what each request got back",
    ).toEqual(
      paths.map((path, i) =>
        path === "/throw" ? "/throw: 500 Internal Server Error: handler exploded on purpose" : `${path}: 200 ${JSON.stringify({ n: i, fibonacci: fib(i) })}`,
      ),
    );
    // Through the pool this time, not /health: the workers themselves must still answer.
    const after = await within(Promise.all(Array.from({ length: 2 * WORKERS }, () => get(base, "/fibonacci/12"))), "the answers after the failures");
    expect(after.map((a) => a.status), "the statuses of requests sent after the failures").toEqual(after.map(() => 200));
  });
});

describe("the lesson: the main thread stays free, every core computes", () => {
  test("/health answers while every worker is held and more requests wait", async () => {
    const { url: base } = await shared();
    const held = await holdWorkers(base, WORKERS, "gate", "a request must start as soon as a worker is free");
    const waiting = [newGate(), newGate()].map((gate) => ({ gate, settled: get(base, `/gate/${gate.token}`).catch(() => undefined) }));
    try {
      const health = await ask(base, "/health", undefined, "GET /health must be answered on the main thread, without waiting for a worker");
      const answeredBeforeHealth = answeredSoFar(held);
      expect({ status: health.status, body: health.body }, "GET /health while every worker was held").toEqual({ status: 200, body: "ok" });
      expect(answeredBeforeHealth, "held requests answered before /health (none can be: every gate was closed)").toEqual([]);
    } finally {
      for (const { gate } of waiting) gate.open();
      const bodies = await release(held);
      expect(bodies, "the held requests' answers, once released").toEqual(held.map((r) => `released ${r.gate.token}`));
      await within(Promise.all(waiting.map((w) => w.settled)), "the answers to the queued requests");
    }
  });

  test("`workers: N` runs N requests at the same time, each on its own thread (N = cores + 1, more than the default)", async () => {
    const n = navigator.hardwareConcurrency + 1;
    const { server, threads } = await start({ workers: n }, `startServer({ workers: ${n} })`);
    expect(threads.length, `worker threads started by startServer({ workers: ${n} })`).toBe(n);
    const held = await holdWorkers(server.url, n, "held", `with workers: ${n}, ${n} requests must run at once`);
    const answeredWhileHeld = answeredSoFar(held);
    const bodies = await release(held);
    expect(answeredWhileHeld, "requests answered while all were held").toEqual([]);
    const ran = bodies.map((b) => (parsed(b) as { threadId?: number }).threadId);
    expect(ran.includes(0), "a held request ran on thread 0, the main thread").toBe(false);
    expect(new Set(ran).size, `distinct threads that ran the ${n} held requests`).toBe(n);
  });

  test("while one worker is held, another answers: requests are spread over the workers", async () => {
    const { url: base } = await shared();
    const [held] = await holdWorkers(base, 1, "held", "a request must start as soon as a worker is free");
    const answeredBy = new Set<number>();
    try {
      for (let i = 0; i < 2 * WORKERS; i++) {
        const answer = await ask(base, "/thread", undefined, "a request must go to a free worker, not queue behind the held one");
        answeredBy.add((parsed(answer.body) as { threadId?: number }).threadId ?? -1);
      }
    } finally {
      await release(held ? [held] : []);
    }
    const heldOn = (parsed(held?.answer?.body ?? "") as { threadId?: number }).threadId;
    expect(answeredBy.has(0), "a /thread request was answered on thread 0, the main thread").toBe(false);
    expect(heldOn === undefined || !answeredBy.has(heldOn), `the held request's thread (${heldOn}) answered /thread while held`).toBe(true);
  });

  test("handlers run on worker threads, never on more threads than `workers`", async () => {
    const { url: base } = await shared();
    const { threads: sharedThreads } = await sharedServer();
    expect(sharedThreads.length, `worker threads started by startServer({ workers: ${WORKERS} })`).toBe(WORKERS);
    const answers = await within(Promise.all(Array.from({ length: 12 }, () => get(base, "/thread"))), "the answers to 12 concurrent /thread requests");
    const threads = new Set(answers.map((a) => (parsed(a.body) as { threadId?: number }).threadId));
    expect(threads.has(0), "a /thread request was answered on thread 0, the main thread").toBe(false);
    expect(threads.size, `distinct threads that answered 12 requests (workers: ${WORKERS})`).toBeLessThanOrEqual(WORKERS);
  });

  test("with `workers` left out, the server runs one worker per core, all computing at once", async () => {
    const cores = navigator.hardwareConcurrency;
    const { server, threads } = await start({}, "startServer() with no `workers`");
    expect(threads.length, `worker threads started with no \`workers\` (navigator.hardwareConcurrency is ${cores})`).toBe(cores);
    const held = await holdWorkers(server.url, cores, "held", `with one worker per core, ${cores} requests must run at once`);
    const ran = (await release(held)).map((b) => (parsed(b) as { threadId?: number }).threadId);
    expect(new Set(ran).size, `distinct threads that ran ${cores} held requests`).toBe(cores);
  });
});

/** "accepted" or "refused": what a TCP connection to `port` gets now. */
function connection(port: number): Promise<string> {
  return within(
    new Promise<string>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve("accepted");
      });
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED" ? "refused" : `error ${error.code}`));
    }),
    `a TCP connection to port ${port}`,
  );
}

/** startServer's rejection; fails if it resolved instead, after stopping what it started. */
async function refusal(options: ServerOptions, what: string, hint: string): Promise<unknown> {
  const outcome = await within(
    Promise.resolve()
      .then(() => startServer(options))
      .then(
        (server) => ({ server }),
        (error: unknown) => ({ error }),
      ),
    what,
    hint,
  );
  if ("server" in outcome) {
    servers.push(outcome.server);
    throw new Error(`${what} was expected to reject, but it resolved (listening on ${outcome.server.url}): ${hint}`);
  }
  return outcome.error;
}

describe("the server's life cycle", () => {
  test("port 0 gets a real port from the system, and url names it", async () => {
    const { url: base, port: sharedPort } = await shared();
    expect(sharedPort, "the port of a server started with port: 0").toBeGreaterThan(0);
    expect(base.port, "the port in its url").toBe(String(sharedPort));
  });

  test("the `port` option is the port it listens on", async () => {
    const probe = Bun.serve({ port: 0, fetch: () => new Response("") });
    const port = probe.port ?? 0;
    await probe.stop(true); // the port is free again: ask the server for it
    const { server } = await start({ port, workers: 1 }, `startServer({ port: ${port} })`);
    expect(server.port, "the port it reports").toBe(port);
    expect((await ask(new URL(`http://localhost:${port}/`), "/fibonacci/6")).body).toBe('{"n":6,"fibonacci":8}');
  });

  test("an app module that cannot load makes startServer reject with the reason, and leaves no worker running", async () => {
    for (const [appModule, reason] of [
      [BROKEN_APP, "refuses to load"],
      [MISSING_APP, "no-such-app.ts"],
    ] as const) {
      const from = RecordedWorker.all.length;
      const name = appModule.slice(appModule.lastIndexOf("/") + 1);
      const error = await refusal(
        { appModule, port: 0, workers: 2 },
        `startServer() of ${name}`,
        "it must reject when the pool cannot start: the port opens only once every worker has loaded the app",
      );
      if (String(error).includes(STUB)) throw error; // the starter: say so, not "wrong reason"
      expect(String(error), `the error of startServer() of ${name}`).toContain(reason);
      const left = RecordedWorker.all.slice(from).filter((w) => !w.terminated).length;
      expect(left, `worker threads left running after startServer() of ${name} failed`).toBe(0);
    }
  });

  test("a busy port makes startServer reject with a clear error, and leaves no worker running", async () => {
    const { port: sharedPort } = await shared();
    const from = RecordedWorker.all.length;
    const error = await refusal(
      { appModule: FIXTURE_APP, port: sharedPort, workers: 2 },
      `startServer() on port ${sharedPort}, already in use`,
      "Bun.serve throws when the port is taken: startServer must reject",
    );
    const said = `${String(error)} (code ${(error as { code?: string }).code})`;
    expect(said, "the error of startServer() on a busy port (it must say the port is in use)").toMatch(/in use|EADDRINUSE/i);
    const started = RecordedWorker.all.slice(from);
    expect(started.filter((w) => !w.terminated).length, `of ${started.length} worker threads started, still running after the failure`).toBe(0);
  });

  test("stop() closes the port and terminates every worker", async () => {
    const { server, threads } = await start({ workers: 2 }, "startServer({ workers: 2 })");
    expect((await ask(server.url, "/fibonacci/5")).status, "a request before stop()").toBe(200);
    await within(Promise.resolve().then(() => server.stop()), "stop()", "does it await the server's and the pool's shutdown?");
    expect(threads.map((w) => w.terminated), "terminated, for each worker thread the server started").toEqual(threads.map(() => true));
    expect(await connection(server.port), "a connection to the port after stop()").toBe("refused");
  });

  test("stop() stops the server before it closes the pool", async () => {
    // The pool's close() is watched: when it is called, the port must already refuse
    // connections, or a request could still arrive and meet a closed pool.
    const { server } = await start({ workers: 1 }, "startServer({ workers: 1 })");
    const close = WorkerPool.prototype.close;
    let portWhenPoolClosed: string | undefined;
    WorkerPool.prototype.close = async function (this: WorkerPool) {
      portWhenPoolClosed ??= await connection(server.port);
      return close.call(this);
    };
    try {
      await within(Promise.resolve().then(() => server.stop()), "stop()");
    } finally {
      WorkerPool.prototype.close = close;
    }
    expect(portWhenPoolClosed, "a connection to the port at the moment the pool's close() was called").toBe("refused");
  });

  // A live worker keeps a Bun process running, so the honest check runs in a process of its
  // own: it must exit by itself once the server is stopped, or once startServer failed.
  test("a process that starts and stops a server then exits by itself", async () => {
    const run = await runAlone(`
      const server = await startServer({ appModule: ${JSON.stringify(FIXTURE_APP)}, port: 0, workers: 2 });
      const answer = await fetch(new URL("/fibonacci/7", server.url));
      console.log(answer.status, await answer.text());
      await server.stop();
    `);
    expect(run.out, "what the child process printed").toContain('200 {"n":7,"fibonacci":13}');
    expect(run.exit, "how the child process ended (code 3: something kept it alive after stop())").toEqual(EXITED_BY_ITSELF);
  });

  test("a process whose startServer met a busy port exits by itself", async () => {
    const { port: sharedPort } = await shared();
    const run = await runAlone(`
      try {
        await startServer({ appModule: ${JSON.stringify(FIXTURE_APP)}, port: ${sharedPort}, workers: 2 });
        console.log("started on a busy port?");
      } catch {
        console.log("rejected");
      }
    `);
    expect(run.out, "what the child process printed").toContain("rejected");
    expect(run.exit, "how the child process ended (code 3: something kept it alive after the failure)").toEqual(EXITED_BY_ITSELF);
  });
});

const EXITED_BY_ITSELF = { code: 0, signal: null, stderr: "" };

/** What every TODO stub of this step throws. */
const STUB = "not implemented yet: see steps/04-full-server/README.md";

/**
 * Runs `steps` (code that may call this folder's `startServer`) in a Bun process of its own,
 * and reports what it printed and how it ended. Exit code 3 means that after `steps`,
 * something still kept the process alive, such as a worker left running.
 */
async function runAlone(steps: string) {
  const script = `
    const { startServer } = await import(${JSON.stringify(new URL("./server.ts", import.meta.url).href)});
    ${steps}
    // Not a speed limit: it only ends a process that would otherwise never end. An unref'd
    // timer does not itself keep a process alive (lib/facts/pool-and-serve.test.ts).
    setTimeout(() => process.exit(3), 1_500).unref();
  `;
  const child = Bun.spawn([process.execPath, "-e", script], { cwd: import.meta.dir, stdout: "pipe", stderr: "pipe", timeout: 8_000 });
  try {
    const [out, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
    const code = await child.exited;
    // A stub still in startServer() throws in the child: report it as the stub it is.
    const stub = stderr.split("\n").find((line) => line.includes(STUB));
    if (stub) throw new Error(stub.trim());
    return { out, exit: { code, signal: child.signalCode, stderr: stderr.trim() } };
  } finally {
    child.kill();
  }
}
