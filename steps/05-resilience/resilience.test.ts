// Step 05's tests. Run them with `npm start -- check 05` (or `bun test` in this folder).
//
// Every test makes something go wrong on purpose (a worker that dies, a handler that never
// returns, more requests than the queue holds, a shutdown with work in flight) and checks
// that every request still gets its answer and that the pool ends as it began. Nothing is
// timed: the only time limits are the product's own (a 50 ms deadline for /loop, which never
// returns; a 50 ms queue wait while a gate holds the only worker), and order is shown with
// gates and start announcements, as in step 04.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BROKEN_APP, FIXTURE_APP } from "#lib/app-modules.ts";
import { requestData } from "#lib/http.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newGate, type Gate } from "#lib/testing/gate.ts";
import { get, getAll, type Answer } from "#lib/testing/http.ts";
import { PoolBroken, QueueFull, QueueTimeout, WorkerCrashed } from "./pool-errors.ts";
import { WorkerPool } from "./pool.ts";
import { startServer, type ResilientServer } from "./server.ts";

const WORKERS = 2;
/** Room for a wrong implementation to fail on an assertion (a gate gives up after 4 s), not on a timeout. */
const SLOW_FAILURE_MS = 10_000;
/** /loop never returns: this product limit is what ends it. Every other route gets a generous one. */
const deadlineMs = (request: { path: string }) => (request.path === "/loop" ? 50 : 60_000);

let server: ResilientServer;
const logged: string[] = [];
const events = new EventLog();
beforeAll(async () => {
  server = await startServer({
    appModule: FIXTURE_APP,
    port: 0,
    workers: WORKERS,
    deadlineMs,
    maxBodyBytes: 1024,
    log: (line) => logged.push(line),
  });
});
afterAll(async () => {
  // Forced: a wrong pool may have lost a worker, and a graceful stop would wait for it.
  await server?.stop({ force: true });
  events.close();
});

/** Sends one gated request per gate and resolves once every handler has started. */
async function hold(run: (path: string) => Promise<Answer | { body: string }>, count: number) {
  const gates: Gate[] = Array.from({ length: count }, () => newGate());
  const answered: string[] = [];
  const each = gates.map((gate) =>
    run(`/gate/${gate.token}`).then((answer) => {
      answered.push(gate.token);
      return answer;
    }),
  );
  const answers = Promise.all(each);
  answers.catch(() => {});
  // A gated request that is answered before its handler even started never reached a worker:
  // fail at once with that answer (it names what is missing) instead of waiting for a start.
  await Promise.all(
    gates.map((gate, i) =>
      Promise.race([
        events.waitForStart(gate.token),
        (each[i] as Promise<Answer | { body: string }>).then((answer) => {
          throw new Error(`/gate/${gate.token} was answered before its handler started: ${answer.body}`);
        }),
      ]),
    ),
  );
  return {
    answered,
    expected: gates.map((gate) => `released ${gate.token}`),
    open: () => gates.forEach((gate) => gate.open()),
    async release() {
      for (const gate of gates) gate.open();
      return (await answers).map((a) => a.body);
    },
  };
}

/** The pool is at full size: WORKERS gated requests all start at once, and no extra thread lives. */
async function expectFullPool(target: ResilientServer) {
  // Every death has been answered by now, so every replacement must at least be on its way.
  expect(target.stats().size + target.stats().starting).toBe(WORKERS);
  const held = await hold((path) => get(target.url, path), WORKERS);
  expect(await held.release()).toEqual(held.expected);
  expect(target.stats()).toMatchObject({ size: WORKERS, alive: WORKERS, starting: 0 });
}

describe("crash recovery", () => {
  // A server of their own: a pool that does not recover must fail these tests, not the others.
  let crashy: ResilientServer;
  beforeAll(async () => {
    crashy = await startServer({ appModule: FIXTURE_APP, port: 0, workers: WORKERS, log: (line) => logged.push(line) });
  });
  afterAll(() => crashy?.stop({ force: true }));

  test("a route that kills its worker, hit among normal requests: 502 each, 200 for the rest, pool back to full size", async () => {
    const paths = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? "/crash/exit" : `/fibonacci/${i}`));
    const answers = await getAll(crashy.url, paths);
    for (const [i, answer] of answers.entries()) {
      if (paths[i] === "/crash/exit") {
        expect(answer.status).toBe(502);
        expect(answer.body).toContain("the worker died while running this request");
      } else {
        expect(answer.status).toBe(200);
      }
    }
    await expectFullPool(crashy);
    expect(crashy.stats().replaced).toBeGreaterThanOrEqual(8);
  }, SLOW_FAILURE_MS);

  for (const path of ["/crash/pending", "/crash/rejection"]) {
    test(`${path}: the worker dies with the request pending, which gets a 502, and the death is logged`, async () => {
      const answer = await get(crashy.url, path);
      expect(answer.status).toBe(502);
      expect(logged.some((line) => line.startsWith(`GET ${path}:`))).toBe(true);
      await expectFullPool(crashy);
    }, SLOW_FAILURE_MS);
  }
});

describe("deadlines", () => {
  test("an endless loop gets a 504, its worker is replaced, and later requests are served", async () => {
    const before = server.stats().replaced;
    const answer = await get(server.url, "/loop");
    expect(answer.status).toBe(504);
    expect(answer.body).toContain("deadline");
    expect((await get(server.url, "/fibonacci/15")).body).toBe(JSON.stringify({ n: 15, fibonacci: 610 }));
    await expectFullPool(server);
    expect(server.stats().replaced).toBe(before + 1);
  }, SLOW_FAILURE_MS);

  test("time in the queue has its own limit: a task waiting too long is refused while the worker is still busy", async () => {
    const pool = await WorkerPool.create({ appModule: FIXTURE_APP, size: 1, queueWaitMs: 50 });
    try {
      const held = await hold((path) => pool.run(requestData(path)), 1);
      await expect(pool.run(requestData("/fibonacci/1"))).rejects.toBeInstanceOf(QueueTimeout);
      expect(held.answered).toEqual([]); // refused while the gate still held the worker
      expect(await held.release()).toEqual(held.expected);
    } finally {
      await pool.close({ force: true });
    }
  }, SLOW_FAILURE_MS);
});

describe("a bounded queue", () => {
  test("past the bound, run() refuses at once instead of queuing", async () => {
    const pool = await WorkerPool.create({ appModule: FIXTURE_APP, size: 1, maxQueue: 2 });
    const gates = [newGate(), newGate()];
    try {
      const held = await hold((path) => pool.run(requestData(path)), 1);
      const queued = gates.map((gate) => pool.run(requestData(`/gate/${gate.token}`)));
      for (const p of queued) p.catch(() => {}); // awaited below, unless an expectation fails first
      await expect(pool.run(requestData("/fibonacci/1"))).rejects.toBeInstanceOf(QueueFull);
      expect(held.answered).toEqual([]);
      expect(pool.stats().queued).toBe(2);
      for (const gate of gates) gate.open();
      expect(await held.release()).toEqual(held.expected);
      expect((await Promise.all(queued)).map((r) => r.body)).toEqual(gates.map((g) => `released ${g.token}`));
    } finally {
      for (const gate of gates) gate.open();
      await pool.close({ force: true });
    }
  }, SLOW_FAILURE_MS);

  test("over HTTP, overload is a 503 with Retry-After, answered while every worker is still busy", async () => {
    const small = await startServer({ appModule: FIXTURE_APP, port: 0, workers: 1, maxQueue: 0 });
    try {
      const held = await hold((path) => get(small.url, path), 1);
      const refused = await get(small.url, "/fibonacci/1");
      expect(held.answered).toEqual([]);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(await held.release()).toEqual(held.expected);
    } finally {
      await small.stop({ force: true });
    }
  }, SLOW_FAILURE_MS);
});

describe("graceful shutdown", () => {
  test("pool.close() answers every running and queued task before it resolves", async () => {
    const pool = await WorkerPool.create({ appModule: FIXTURE_APP, size: 2 });
    const order: string[] = [];
    const held = await hold((path) => pool.run(requestData(path)).finally(() => order.push("answered")), 2);
    const queuedGate = newGate();
    const queued = [
      pool.run(requestData(`/gate/${queuedGate.token}`)),
      pool.run(requestData("/fibonacci/20")),
    ].map((p) => p.finally(() => order.push("answered")));
    const closed = pool.close().then(() => order.push("closed"));
    for (const p of [...queued, closed]) p.catch(() => {}); // awaited below, unless an expectation fails first
    await expect(pool.run(requestData("/fibonacci/1"))).rejects.toThrow("shutting down");
    expect(order).toEqual([]); // nothing may be dropped, and close() must still be waiting
    queuedGate.open();
    expect(await held.release()).toEqual(held.expected);
    const results = await Promise.all(queued);
    await closed;
    expect(results.map((r) => r.body)).toEqual([`released ${queuedGate.token}`, JSON.stringify({ n: 20, fibonacci: 6765 })]);
    expect(order).toEqual(["answered", "answered", "answered", "answered", "closed"]);
    expect(pool.stats()).toMatchObject({ size: 0, alive: 0 });
  }, SLOW_FAILURE_MS);

  test("stop() lets requests in flight finish with their real answers, then ends every worker", async () => {
    const other = await startServer({ appModule: FIXTURE_APP, port: 0, workers: WORKERS });
    const held = await hold((path) => get(other.url, path), WORKERS);
    let stopped = false;
    const stopping = other.stop().then(() => (stopped = true));
    stopping.catch(() => {}); // awaited below, unless an expectation fails first
    expect(stopped).toBe(false);
    expect(await held.release()).toEqual(held.expected);
    await stopping;
    expect(other.stats()).toMatchObject({ size: 0, alive: 0 });
  }, SLOW_FAILURE_MS);

  test("SIGTERM: the process answers the request in flight, then exits by itself", async () => {
    // The server runs in a child process, so that the signal ends that process and not the
    // test's. Announcements do not cross processes: the child watches for the handler's start
    // itself and prints it. The gate, a file, works across processes.
    const gate = newGate();
    const script = `
      const { startServer } = await import(${JSON.stringify(new URL("./server.ts", import.meta.url).href)});
      const { stopOnSignals } = await import(${JSON.stringify(new URL("./shutdown.ts", import.meta.url).href)});
      const { EventLog } = await import(${JSON.stringify(import.meta.resolve("#lib/testing/events.ts"))});
      const events = new EventLog();
      const server = await startServer({ appModule: ${JSON.stringify(FIXTURE_APP)}, port: 0, workers: 1 });
      stopOnSignals(server, { log: (line) => console.log(line) });
      console.log("url " + server.url);
      await events.waitForStart(${JSON.stringify(gate.token)});
      events.close();
      console.log("started");
      // Should something keep the process alive after the shutdown, this ends it (code 3).
      setTimeout(() => process.exit(3), 10_000).unref();
    `;
    const child = Bun.spawn([process.execPath, "-e", script], { cwd: import.meta.dir, stdout: "pipe", stderr: "pipe", timeout: 9_000 });
    try {
      const lines = readLines(child.stdout);
      const url = (await lines.until((line) => line.startsWith("url "))).slice(4);
      const inFlight = get(url, `/gate/${gate.token}`);
      inFlight.catch(() => {}); // awaited below, unless an expectation fails first
      await lines.until((line) => line === "started");
      child.kill("SIGTERM");
      await lines.until((line) => line.startsWith("SIGTERM"));
      gate.open();
      const answer = await inFlight;
      expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: `released ${gate.token}` });
      expect(await child.exited).toBe(0);
    } finally {
      gate.open();
      child.kill();
    }
  }, SLOW_FAILURE_MS);
});

/** Reads a child's stdout line by line; `until` resolves with the first line that matches. */
function readLines(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  return {
    async until(matches: (line: string) => boolean): Promise<string> {
      for (;;) {
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        const found = lines.findIndex(matches);
        if (found >= 0) {
          buffered = [...lines.slice(found + 1), buffered].join("\n");
          return lines[found] ?? "";
        }
        const { value, done } = await reader.read();
        if (done) throw new Error(`the child's output ended before the expected line: ${lines.join(" / ")}`);
        buffered += decoder.decode(value, { stream: true });
      }
    },
  };
}

describe("a module that fails at start-up", () => {
  test("at creation, startServer rejects with the module's reason", async () => {
    await expect(startServer({ appModule: BROKEN_APP, port: 0, workers: 1 })).rejects.toThrow("refuses to load");
  });

  test("when replacements fail, the pool stops respawning after a few tries and says why", async () => {
    // An app that loads now and refuses to load once the flag file exists.
    const dir = join(tmpdir(), "bun-pool-tutorial-flaky", crypto.randomUUID());
    mkdirSync(dir, { recursive: true });
    const flag = join(dir, "broken");
    const label = `load ${dir}`;
    const module = join(dir, "flaky-app.ts");
    writeFileSync(
      module,
      `import { existsSync } from "node:fs";
       import { announce } from ${JSON.stringify(import.meta.resolve("#lib/testing/events.ts"))};
       announce({ kind: "started", label: ${JSON.stringify(label)} });
       if (existsSync(${JSON.stringify(flag)})) throw new Error("flaky-app refuses to load now (on purpose)");
       export { app } from ${JSON.stringify(FIXTURE_APP)};`,
    );
    const pool = await WorkerPool.create({ appModule: module, size: 1, maxStartFailures: 3 });
    try {
      writeFileSync(flag, "");
      await expect(pool.run(requestData("/crash/exit"))).rejects.toBeInstanceOf(WorkerCrashed);
      // Queued behind the replacements: it must get the reason, not wait for a worker that never comes.
      const waiting = pool.run(requestData("/fibonacci/1"));
      await expect(waiting).rejects.toBeInstanceOf(PoolBroken);
      await expect(waiting).rejects.toThrow("refuses to load now");
      expect(pool.stats()).toMatchObject({ size: 0, starting: 0 });
      expect(pool.stats().broken).toContain("3 replacement workers");
      // No storm: asking again starts no new worker, and is refused at once with the reason.
      await expect(pool.run(requestData("/fibonacci/1"))).rejects.toBeInstanceOf(PoolBroken);
      expect(pool.stats().starting).toBe(0);
      expect(events.started.filter((l) => l === label).length).toBeLessThanOrEqual(4);
    } finally {
      await pool.close({ force: true });
    }
  }, SLOW_FAILURE_MS);
});

describe("errors and bad input", () => {
  test("a handler's error is a 500 with its message; its stack, pointing into the app module, goes to the log only", async () => {
    const answer = await get(server.url, "/throw");
    expect(answer.status).toBe(500);
    expect(answer.body).toContain("handler exploded on purpose");
    expect(answer.body).not.toContain("fixture-app.ts");
    const line = logged.find((l) => l.startsWith("GET /throw:")) ?? "";
    expect(line).toContain("handler exploded on purpose");
    expect(line).toContain("fixture-app.ts");
  });

  for (const bad of ["abc", "-1", "41"]) {
    test(`/fibonacci/${bad} is a 400 that names n`, async () => {
      const answer = await get(server.url, `/fibonacci/${bad}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toContain("n must be");
    });
  }

  test("unknown route 404, wrong method 405", async () => {
    expect((await get(server.url, "/no/such/route")).status).toBe(404);
    expect((await get(server.url, "/fibonacci/3", { method: "DELETE" })).status).toBe(405);
  });

  test("a body over the limit is a 413; one under it goes through", async () => {
    const big = await get(server.url, "/echo", { method: "POST", body: "x".repeat(2048) });
    expect(big.status).toBe(413);
    expect(big.body).toContain("1024 bytes");
    expect((await get(server.url, "/echo", { method: "POST", body: "x".repeat(1000) })).status).toBe(200);
  });

  test("a path with broken percent-encoding is a 400, and costs no worker", async () => {
    const answer = await get(server.url, "/fibonacci/%zz");
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("percent-encoding");
    await expectFullPool(server);
  }, SLOW_FAILURE_MS);
});
