// Step 05's tests of the server: every request gets an answer, even when its worker dies under
// it, and what went wrong goes to the log, not to the client. Run them with
// `npm start -- check 05`.
//
// Over real HTTP, on port 0, with the fixture app, whose `/crash/*` routes kill the worker
// running them. Threads are counted at the source (lib/testing/worker-census.ts), which also
// lets a test end a worker's thread from outside. Every wait is bounded: a request that never
// gets its answer fails the test within seconds, saying which request it was.

import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { FIXTURE_APP, FLAKY_APP } from "#lib/app-modules.ts";
import { until, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { planFlakyLoads, resetFlakyLoads } from "#lib/testing/flaky-loads.ts";
import { newGate } from "#lib/testing/gate.ts";
import { get, type Answer } from "#lib/testing/http.ts";
import { openWorkerCensus, type WorkerCensus } from "#lib/testing/worker-census.ts";
import { startServer, type PoolServer } from "./server.ts";

/** The shared server's pool size. Fixed, so that no test depends on this machine's core count. */
const WORKERS = 2;

let server: PoolServer;
let census: WorkerCensus;
const logged: string[] = [];
const events = new EventLog();
beforeAll(async () => {
  census = openWorkerCensus();
  server = await within(
    startServer({ appModule: FIXTURE_APP, port: 0, workers: WORKERS, log: (line) => logged.push(line) }),
    `startServer() in ${import.meta.file}'s beforeAll`,
    "does the pool start? (WorkerPool.create)",
  );
});
// A crash an earlier test did not recover from would leave every later test waiting for a worker:
// say so at once instead.
beforeEach(() => {
  if (!server) return;
  const { size, starting } = server.stats();
  expect(size + starting, "the shared server's workers, ready or starting, before this test (an earlier crash left it short)").toBe(WORKERS);
});
afterAll(async () => {
  await server?.stop();
  census?.stop();
  events.close();
  resetFlakyLoads();
});

/** One request, bounded: a request left without an answer fails the test, naming it. */
function request(target: PoolServer, path: string, init?: RequestInit): Promise<Answer> {
  return within(
    get(target.url, path, init),
    `the answer to ${init?.method ?? "GET"} ${path}`,
    "every request must be answered, also when its worker dies (a 502 at once)",
  );
}

/**
 * How long an answer may take once the event it must follow was seen: a crashed request is
 * answered within milliseconds of its thread's end. Generous on a loaded machine; it only keeps
 * a server that never answers from costing every test the full bound.
 */
const AT_ONCE_MS = 1_000;

const endedThreads = () => census.started.filter((worker) => census.ended(worker)).length;

/** A request whose worker dies under it: once the thread has ended, its answer must come at once. */
async function crashRequest(target: PoolServer, path: string, kill?: () => Promise<void>): Promise<Answer> {
  const before = endedThreads();
  const answer = get(target.url, path);
  answer.catch(() => {}); // read below
  await kill?.();
  await until(() => endedThreads() > before, `the end of the thread running ${path}`);
  return within(answer, `the answer to GET ${path}`, "a request whose worker died is answered as soon as the thread has ended (502)", AT_ONCE_MS);
}

/** What a settled pool of `size` workers reports. */
const full = (size: number) => ({ size, idle: size, busy: 0, queued: 0, starting: 0, broken: undefined });

/** Waits until the server's pool is settled at full size, then proves it: `size` requests run at once. */
async function expectBackToFullSize(target: PoolServer, size = WORKERS) {
  const { size: ready, starting } = target.stats();
  expect(ready + starting, "workers ready or starting, once every crash was answered (stats().size + stats().starting)").toBe(size);
  await until(
    () => target.stats().starting === 0 && target.stats().idle === size,
    `the pool back to ${size} idle workers`,
    () => `stats() is ${JSON.stringify(target.stats())}`,
  );
  expect(target.stats(), "stats() once the pool has settled").toEqual(full(size));
  const held = await hold(target, size);
  expect(await held.release()).toEqual(held.expected);
}

/** Sends gated requests and waits until each has started on a worker. */
async function hold(target: PoolServer, count: number) {
  const gates = Array.from({ length: count }, () => newGate());
  const answered: string[] = [];
  const answers = gates.map((gate, i) => request(target, `/gate/${gate.token}`).finally(() => answered.push(`gated request ${i + 1}`)));
  for (const answer of answers) answer.catch(() => {}); // read through `release`
  await within(Promise.all(gates.map((gate) => events.waitForStart(gate.token))), `the start of ${count} gated request(s)`);
  return {
    answered,
    async release(): Promise<string[]> {
      for (const gate of gates) gate.open();
      return (await Promise.all(answers)).map((a) => `${a.status} ${a.body}`);
    },
    expected: gates.map((gate) => `200 released ${gate.token}`),
  };
}

/** Ends, from outside, the thread running `/gate-thread/<token>`; resolves with that request's answer. */
function terminateFromOutside(target: PoolServer): Promise<Answer> {
  const gate = newGate(); // never opened: the thread is ended while it holds the request
  return crashRequest(target, `/gate-thread/${gate.token}`, async () => {
    let label: string | undefined;
    await until(() => (label = events.started.find((l) => l.startsWith(`${gate.token}@`))) !== undefined, "the gated handler's start");
    const thread = census.byThreadId(Number(label?.split("@")[1]));
    if (!thread) throw new Error(`no recorded worker runs thread ${label}`);
    thread.terminate();
  });
}

function expectCrashAnswer(answer: Answer, what: string) {
  expect(answer.status, `status of ${what} (body: ${answer.body.slice(0, 200)})`).toBe(502);
  expect(answer.headers.get("content-type"), `content-type of ${what}`).toContain("text/plain");
  expect(answer.body, `the body of ${what} says what happened`).toContain("the worker crashed while running this request");
  expect(answer.body.trim().includes("\n"), `the body of ${what} is one line: ${JSON.stringify(answer.body)}`).toBe(false);
  expect(answer.body, `the body of ${what} shows no code and no stack`).not.toContain("fixture-app.ts");
  expect(answer.body, `the body of ${what} shows no line of source ("12 | …")`).not.toMatch(/\d+ \| /);
}

describe("a request whose worker dies gets a 502 at once, whose body names the crash", () => {
  const deaths: Array<[string, (target: PoolServer) => Promise<Answer>, string]> = [
    ["process.exit in a handler", (t) => crashRequest(t, "/crash/exit"), "code 1"],
    ["an uncaught error outside the handler's promise", (t) => crashRequest(t, "/crash/pending"), "uncaught error while a request was pending, on purpose"],
    ["an unhandled rejection", (t) => crashRequest(t, "/crash/rejection"), "unhandled rejection on purpose"],
    ["its thread terminated from outside", (t) => terminateFromOutside(t), "code"],
  ];
  for (const [how, kill, why] of deaths) {
    test(`${how}: 502, a one-line body that says why, and the pool back to full size`, async () => {
      const answer = await kill(server);
      expectCrashAnswer(answer, `the request whose worker died of ${how}`);
      expect(answer.body, "the body gives the crash's reason, in one line").toContain(why);
      await expectBackToFullSize(server);
    });
  }

  test("an error with its own name (PaymentDeclined: …) still gives a one-line body, with no code in it", async () => {
    // Bun's report for a crash is: source lines, a caret, "<Name>: <message>", the stack.
    const answer = await crashRequest(server, "/crash/named");
    expectCrashAnswer(answer, "/crash/named");
    expect(answer.body, "the body gives the error's own line").toContain("PaymentDeclined: an error with its own name, uncaught on purpose");
    await expectBackToFullSize(server);
  });
});

describe("crashes are logged, with the whole report; handler errors too", () => {
  test("each crash is logged once, as `METHOD /path: …`, with the error's message and its stack", async () => {
    const before = logged.length;
    expect((await crashRequest(server, "/crash/pending")).status).toBe(502);
    const lines = logged.slice(before).filter((line) => line.startsWith("GET /crash/pending:"));
    expect(lines.length, `log lines for GET /crash/pending (log: ${JSON.stringify(logged.slice(before))})`).toBe(1);
    expect(lines[0], "the log line holds the error's message").toContain("uncaught error while a request was pending, on purpose");
    expect(lines[0], "the log line holds the stack, which points into the app").toContain("fixture-app.ts");
    await expectBackToFullSize(server);
  });

  test("a crash without an error event (process.exit) is logged with its exit code", async () => {
    const before = logged.length;
    expect((await crashRequest(server, "/crash/exit?from=log-test")).status).toBe(502);
    const line = logged.slice(before).find((l) => l.startsWith("GET /crash/exit:")) ?? "";
    expect(line, `the log line for GET /crash/exit (log: ${JSON.stringify(logged.slice(before))})`).toContain("code 1");
    await expectBackToFullSize(server);
  });

  test("a handler's error is a 500 with its message only; its stack, pointing into the app, goes to the log", async () => {
    const before = logged.length;
    const answer = await request(server, "/throw");
    expect(answer.status).toBe(500);
    expect(answer.body).toBe("Internal Server Error: handler exploded on purpose");
    const line = logged.slice(before).find((l) => l.startsWith("GET /throw:")) ?? "";
    expect(line, `the log line for GET /throw (log: ${JSON.stringify(logged.slice(before))})`).toContain("handler exploded on purpose");
    expect(line, "the log line holds the stack, which points into the app").toContain("fixture-app.ts");
  });

  test("answers that are not errors are not logged", async () => {
    const before = logged.length;
    const answers = await Promise.all(["/fibonacci/10", "/fibonacci/abc", "/no/such/route"].map((path) => request(server, path)));
    expect(answers.map((a) => a.status)).toEqual([200, 400, 404]);
    expect(logged.slice(before), "log lines for a 200, a 400 and a 404").toEqual([]);
  });

  test("with `log` left out, crashes and handler errors go to console.error", async () => {
    const original = console.error;
    const lines: string[] = [];
    console.error = (...args: unknown[]) => lines.push(args.map(String).join(" "));
    let own: PoolServer | undefined;
    try {
      own = await within(startServer({ appModule: FIXTURE_APP, port: 0, workers: 1 }), "startServer() without `log`");
      expect((await crashRequest(own, "/crash/exit")).status).toBe(502);
      expect((await request(own, "/throw")).status).toBe(500);
    } finally {
      console.error = original;
      await own?.stop();
    }
    expect(lines.some((l) => l.startsWith("GET /crash/exit:")), `console.error got the crash: ${JSON.stringify(lines)}`).toBe(true);
    expect(lines.some((l) => l.startsWith("GET /throw:")), `console.error got the handler's error: ${JSON.stringify(lines)}`).toBe(true);
  });
});

describe("the server keeps serving through crashes", () => {
  test("six crashes in a row in a pool of 2: each a 502, the request in flight on the other worker undisturbed", async () => {
    const startedBefore = census.started.length;
    const held = await hold(server, 1);
    const paths = ["/crash/exit", "/crash/pending", "/crash/rejection", "/crash/exit", "/crash/pending", "/crash/rejection"];
    for (const [i, path] of paths.entries()) {
      expectCrashAnswer(await crashRequest(server, path), `crash ${i + 1} of 6 (${path})`);
      expect(held.answered, `answers of the request held on the other worker, after crash ${i + 1}`).toEqual([]);
    }
    expect(await held.release()).toEqual(held.expected);
    await expectBackToFullSize(server);
    expect(census.started.length - startedBefore, "threads started: one replacement per crash").toBe(6);
    expect(census.alive(), "threads alive at the end (counted at the source)").toBe(WORKERS);
  });

  test("crashes among concurrent requests: a 502 for each crash, a 200 for every other request", async () => {
    const paths = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? "/crash/exit" : `/fibonacci/${i}`));
    const answers = await Promise.all(paths.map((path) => request(server, path)));
    const statuses = answers.map((a, i) => `${paths[i]} ${a.status}`);
    expect(statuses).toEqual(paths.map((path) => `${path} ${path === "/crash/exit" ? 502 : 200}`));
    await expectBackToFullSize(server);
  });

  test("after crashes, every method carries its body, query and headers through the pool", async () => {
    expect((await crashRequest(server, "/crash/exit")).status).toBe(502);
    for (const method of ["POST", "PUT", "DELETE"]) {
      const body = JSON.stringify({ method, text: "héllo" });
      const answer = await request(server, `/echo?after=crash&m=${method}`, { method, body, headers: { "x-learner": "yes" } });
      const seen = JSON.parse(answer.body);
      expect(seen).toMatchObject({ method, body, query: { after: "crash", m: method } });
      expect(seen.headers["x-learner"]).toBe("yes");
    }
    const answers = await Promise.all(["/fibonacci/41", "/nope"].map((path) => request(server, path)));
    expect(answers.map((a) => a.status)).toEqual([400, 404]);
    expect((await request(server, "/fibonacci/3", { method: "DELETE" })).status).toBe(405);
  });
});

describe("a module that keeps failing at start-up", () => {
  test("once no worker is left, requests get a 503 that says why, at once, never a hang; stats().broken says it too", async () => {
    const startedBefore = census.started.length;
    const flaky = await within(startServer({ appModule: FLAKY_APP, port: 0, workers: 1, log: () => {} }), "startServer() on the flaky app");
    try {
      planFlakyLoads({ then: "throw" });
      expectCrashAnswer(await crashRequest(flaky, "/crash/exit"), "/crash/exit");
      for (const path of ["/fibonacci/1", "/echo", "/fibonacci/2"]) {
        const answer = await request(flaky, path);
        expect(answer.status, `status of ${path} once no worker is left (body: ${answer.body.slice(0, 200)})`).toBe(503);
        expect(answer.body, `the body of ${path} says why`).toContain("flaky-app refuses to load now");
      }
      expect(flaky.stats().broken, "stats().broken").toContain("flaky-app refuses to load now");
      expect(flaky.stats()).toMatchObject({ size: 0, starting: 0, queued: 0 });
      expect(census.started.length - startedBefore, "threads started: 1 at first, then 3 failed replacements").toBe(4);
    } finally {
      resetFlakyLoads();
      await flaky.stop();
    }
  });
});

describe("stop()", () => {
  test("stop() after crashes ends every thread, replacements included, and starts none", async () => {
    const before = census.started.length;
    const own = await within(startServer({ appModule: FIXTURE_APP, port: 0, workers: 2, log: () => {} }), "startServer()");
    const mine = () => census.started.slice(before);
    try {
      for (let i = 0; i < 3; i++) expect((await crashRequest(own, "/crash/exit")).status).toBe(502);
      await until(() => own.stats().starting === 0 && own.stats().idle === 2, "the pool back to 2 idle workers", () => JSON.stringify(own.stats()));
    } finally {
      await own.stop();
    }
    expect(mine().length, "threads started: 2 at first, 3 replacements").toBe(5);
    await until(() => mine().every((worker) => census.ended(worker)), "the end of every thread of the stopped server", () =>
      `${mine().filter((w) => !census.ended(w)).length} still alive`,
    );
    expect(census.started.length - before, "threads started after stop()").toBe(5);
  });
});
