// Step 04's tests. Run them with `npm start -- check 04` (or `bun test` in this folder).
//
// Everything goes over real HTTP, to a real server on port 0, whose workers run the fixture
// app (lib/testing/fixture-app.ts): the example routes plus `/echo`, `/throw`, `/thread`
// and `/gate/:token`, a handler that holds its worker until the test opens its gate.
// Concurrency is shown by order (this answered while that was still held), never by time.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BROKEN_APP, FIXTURE_APP, MISSING_APP } from "#lib/app-modules.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newGate, type Gate } from "#lib/testing/gate.ts";
import { get, getAll, type Answer } from "#lib/testing/http.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { startServer } from "./server.ts";

/** The shared server's pool size. Fixed, so that no test depends on this machine's core count. */
const WORKERS = 2;

/**
 * Time allowed to the tests that wait on gates or on a child process. Not a speed threshold:
 * on a correct server they take a fraction of a second. A wrong one only gets there once a
 * gate gives up (4 s each), and this lets it fail on an assertion that says why, not on a timeout.
 */
const SLOW_FAILURE_MS = 10_000;

let server: RunningServer;
const events = new EventLog();
beforeAll(async () => {
  server = await startServer({ appModule: FIXTURE_APP, port: 0, workers: WORKERS });
});
afterAll(async () => {
  await server?.stop();
  events.close();
});

/**
 * Sends one `/gate/:token` request per gate and waits until every handler has started, so
 * that each one holds a worker. `answered` lists the gates whose answer has come back, in
 * order: while the gates are closed it must stay empty. A server that cannot run them all at
 * once still gets there, slowly: a gate nobody opens gives up after 4 s with a 500.
 */
async function holdWorkers(base: URL, count: number) {
  const gates: Gate[] = Array.from({ length: count }, () => newGate());
  const answered: string[] = [];
  const answers = Promise.all(
    gates.map((gate) =>
      get(base, `/gate/${gate.token}`).then((answer) => {
        answered.push(gate.token);
        return answer;
      }),
    ),
  );
  answers.catch(() => {}); // a failed test may stop the server first: its errors are not this helper's to report
  await Promise.all(gates.map((gate) => events.waitForStart(gate.token)));
  return {
    answered,
    /** What each gated request must answer once released, in the order they were sent. */
    expected: gates.map((gate) => `released ${gate.token}`),
    /** Opens every gate and resolves with the gated requests' answers. */
    async release(): Promise<Answer[]> {
      // A gate that already gave up is not opened: nobody would ever take its file away.
      for (const gate of gates) if (!answered.includes(gate.token)) gate.open();
      return answers;
    },
  };
}

function fib(n: number): number {
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

describe("every request crosses to a worker and back", () => {
  test("GET /fibonacci/:n answers with the number, as JSON", async () => {
    const answer = await get(server.url, "/fibonacci/10");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toContain("application/json");
    expect(JSON.parse(answer.body)).toEqual({ n: 10, fibonacci: 55 });
  });

  test("many concurrent requests with different n each get their own answer", async () => {
    const ns = Array.from({ length: 25 }, (_, i) => i);
    const answers = await getAll(server.url, ns.map((n) => `/fibonacci/${n}`));
    expect(answers.map((a) => a.status)).toEqual(ns.map(() => 200));
    expect(answers.map((a) => JSON.parse(a.body))).toEqual(ns.map((n) => ({ n, fibonacci: fib(n) })));
  });

  test("the method, the query string and the headers reach the handler", async () => {
    const answer = await get(server.url, "/echo?name=ada&lang=ts", { method: "DELETE", headers: { "x-learner": "yes" } });
    const seen = JSON.parse(answer.body);
    expect(seen).toMatchObject({ method: "DELETE", path: "/echo", query: { name: "ada", lang: "ts" } });
    expect(seen.headers["x-learner"]).toBe("yes");
  });

  test("a POST body makes the round trip, and the handler's status and headers come back", async () => {
    const body = JSON.stringify({ text: "héllo wörld ".repeat(5_000) }); // ~60 kB, not ASCII only
    const answer = await get(server.url, "/echo", { method: "POST", body, headers: { "content-type": "application/json" } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-echo")).toBe("yes");
    expect(JSON.parse(answer.body)).toMatchObject({ method: "POST", body });
  });

  test("handlers run on worker threads, and never on more threads than `workers`", async () => {
    const answers = await getAll(server.url, Array.from({ length: 12 }, () => "/thread"));
    const threads = new Set(answers.map((a) => JSON.parse(a.body).threadId as number));
    expect(threads.has(0)).toBe(false); // 0 is the main thread
    expect(threads.size).toBeLessThanOrEqual(WORKERS);
  });
});

describe("bad requests get a clear answer, through the pool", () => {
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

  test("a handler that throws is a 500, and the workers keep serving", async () => {
    const broken = await get(server.url, "/throw");
    expect(broken.status).toBe(500);
    expect(broken.body).toContain("handler exploded on purpose");
    // Through the pool this time, not /health: the workers themselves must still answer.
    const after = await getAll(server.url, Array.from({ length: 2 * WORKERS }, () => "/fibonacci/12"));
    expect(after.map((a) => a.status)).toEqual(after.map(() => 200));
  });
});

describe("the lesson: the main thread stays free, every core computes", () => {
  test("/health answers while every worker is busy", async () => {
    const held = await holdWorkers(server.url, WORKERS);
    const health = await get(server.url, "/health");
    const answeredBeforeHealth = [...held.answered];
    const released = await held.release();
    expect(health).toMatchObject({ status: 200, body: "ok" });
    // Every worker was held at its gate, so no gated request could answer before /health did.
    expect(answeredBeforeHealth).toEqual([]);
    expect(released.map((a) => a.body)).toEqual(held.expected);
  }, SLOW_FAILURE_MS);

  test("`workers: N` runs N requests at the same time (N = cores + 1, more than the default)", async () => {
    const n = navigator.hardwareConcurrency + 1;
    const wide = await startServer({ appModule: FIXTURE_APP, port: 0, workers: n });
    try {
      // All N handlers have started and none has answered yet: N requests are running at once.
      const held = await holdWorkers(wide.url, n);
      const answeredWhileHeld = [...held.answered];
      const released = await held.release();
      expect(answeredWhileHeld).toEqual([]);
      expect(released.map((a) => a.body)).toEqual(held.expected);
    } finally {
      await wide.stop();
    }
  }, SLOW_FAILURE_MS);
});

describe("the server's life cycle", () => {
  test("port 0 gets a real port from the system", () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url.port).toBe(String(server.port));
  });

  test("an app module that cannot load makes startServer reject, with the reason", async () => {
    await expect(startServer({ appModule: BROKEN_APP, port: 0, workers: 1 })).rejects.toThrow("refuses to load");
    await expect(startServer({ appModule: MISSING_APP, port: 0, workers: 1 })).rejects.toThrow();
  });

  test("stop() closes the port", async () => {
    const other = await startServer({ appModule: FIXTURE_APP, port: 0, workers: 1 });
    expect((await get(other.url, "/fibonacci/5")).status).toBe(200);
    await other.stop();
    // Once stopped, nothing listens there: connecting must fail.
    await expect(get(other.url, "/health")).rejects.toThrow();
  });

  // A live Worker keeps a Bun process running, so "no worker was left behind" is checked
  // honestly in a process of its own: it runs `steps`, and must then exit by itself.
  test("stop() ends the workers too: nothing keeps the process alive", async () => {
    const run = await runAlone(`
      const server = await startServer({ appModule: ${JSON.stringify(FIXTURE_APP)}, port: 0, workers: 2 });
      const answer = await fetch(new URL("/fibonacci/7", server.url));
      console.log(answer.status, await answer.text());
      await server.stop();
    `);
    expect(run.out).toContain('200 {"n":7,"fibonacci":13}');
    expect(run.exit).toEqual(EXITED_BY_ITSELF);
  }, SLOW_FAILURE_MS);

  test("a busy port makes startServer reject, and leaves no worker behind", async () => {
    const run = await runAlone(`
      try {
        await startServer({ appModule: ${JSON.stringify(FIXTURE_APP)}, port: ${server.port}, workers: 2 });
        console.log("started on a busy port?");
      } catch {
        console.log("rejected");
      }
    `);
    expect(run.out).toContain("rejected");
    expect(run.exit).toEqual(EXITED_BY_ITSELF);
  }, SLOW_FAILURE_MS);
});

const EXITED_BY_ITSELF = { code: 0, signal: null, stderr: "" };

/**
 * Runs `steps` (code that may call this folder's `startServer`) in a Bun process of its own,
 * and reports what it printed and how it ended. Exit code 3 means that after `steps`,
 * something still kept the process alive, such as a worker left running.
 */
async function runAlone(steps: string) {
  const script = `
    const { startServer } = await import(${JSON.stringify(new URL("./server.ts", import.meta.url).href)});
    ${steps}
    // Not a speed limit: it only ends a process that would otherwise never end, so that none
    // outlives the test run. An unref'd timer does not itself keep a process alive.
    setTimeout(() => process.exit(3), 5_000).unref();
  `;
  // The same safety net, seen from this side, should the child hang before it reaches the timer.
  const child = Bun.spawn([process.execPath, "-e", script], { cwd: import.meta.dir, stdout: "pipe", stderr: "pipe", timeout: 9_000 });
  try {
    const [out, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
    const code = await child.exited;
    return { out, exit: { code, signal: child.signalCode, stderr: stderr.trim() } };
  } finally {
    child.kill();
  }
}
