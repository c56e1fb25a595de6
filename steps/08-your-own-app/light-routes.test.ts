// Step 08's tests, part 4: light routes, answered on the main thread by the app's own handler.
//
// Which thread answered is read from the app's answers themselves: the test apps have a
// `/thread` route (and `/whoami/:name` in the Hono one) that returns the `threadId` of the
// thread that ran it, 0 for the main thread. "Answered while every worker was busy" is shown
// by order: the workers are held at gates (lib/testing/hold.ts), and the light request's answer
// arrives while none of the held ones has.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { FIXTURE_APP } from "#lib/app-modules.ts";
import { rejectionOf, until, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { HONO_FIXTURE_APP, PLAIN_FETCH_APP, WORKER_ONLY_APP } from "#lib/testing/fetch-apps.ts";
import { holdWorkers } from "#lib/testing/hold.ts";
import { get, type Answer } from "#lib/testing/http.ts";
import { SetUps } from "#lib/testing/set-ups.ts";
import { openWorkerCensus } from "#lib/testing/worker-census.ts";
import { startServer, type PoolServer, type ServerOptions } from "./server.ts";

const WORKERS = 2;
const setUps = new SetUps("light-routes.test.ts");
const events = new EventLog();
const running: PoolServer[] = [];
const logged: string[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await within(server.stop({ force: true }), "stop()").catch(() => {});
  logged.length = 0;
});
afterAll(() => events.close());

const name = (appModule: string) => appModule.slice(appModule.lastIndexOf("/") + 1);

function serve(appModule: string, light: ServerOptions["light"]): Promise<PoolServer> {
  const described = Array.isArray(light) ? JSON.stringify(light) : typeof light;
  return setUps.start(
    `startServer({ appModule: ${name(appModule)}, light: ${described} })`,
    async () => {
      const server = await startServer({ appModule, port: 0, workers: WORKERS, light, log: (line) => logged.push(line) });
      running.push(server);
      return server;
    },
    { key: `start ${name(appModule)}`, hint: "does the pool start, and the main thread import the module?", release: (late) => late.stop({ force: true }) },
  );
}

function ask(server: PoolServer, path: string, init?: RequestInit): Promise<Answer> {
  return within(get(server.url, path, init), `${init?.method ?? "GET"} ${path}`, "every request gets an answer");
}

/** The thread that answered `path` (0 is the main thread), read from the app's own answer. */
async function threadOf(server: PoolServer, path: string, init?: RequestInit): Promise<number> {
  const answer = await ask(server, path, init);
  expect(answer.status, `GET ${path}: ${answer.body}`).toBe(200);
  return (JSON.parse(answer.body) as { threadId: number }).threadId;
}

describe("light routes are answered on the main thread", () => {
  test("a path pattern: the route it names is answered on the main thread, with a query string or without", async () => {
    const server = await serve(HONO_FIXTURE_APP, ["/thread", "/whoami/:name"]);
    expect(await threadOf(server, "/thread"), "the thread that answered the light /thread").toBe(0);
    expect(await threadOf(server, "/thread?cache=no&x=1"), "the thread that answered the light /thread?cache=no&x=1").toBe(0);
    const whoami = await ask(server, "/whoami/ada");
    expect(JSON.parse(whoami.body), "GET /whoami/ada, light by the pattern /whoami/:name").toEqual({ name: "ada", threadId: 0 });
  });

  test("every route no pattern names goes to a worker", async () => {
    const server = await serve(HONO_FIXTURE_APP, ["/thread"]);
    expect(await threadOf(server, "/whoami/ada"), "the thread that answered /whoami/ada (not light)").not.toBe(0);
    expect(await threadOf(server, "/thread"), "the thread that answered /thread (light)").toBe(0);
  });

  test("light routes answer while every worker is held; the held requests answer after", async () => {
    const server = await serve(HONO_FIXTURE_APP, ["/thread", "/health"]);
    const held = await holdWorkers(events, WORKERS, (path) => ask(server, path));
    try {
      const thread = await threadOf(server, "/thread");
      const health = await ask(server, "/health");
      const settledMeanwhile = [...held.settled];
      expect(thread, "the thread that answered the light /thread").toBe(0);
      expect({ status: health.status, body: health.body }, "the light /health, answered by the app").toEqual({ status: 200, body: '{"status":"ok"}' });
      expect(settledMeanwhile, "held requests answered before the light ones (their gates were closed)").toEqual([]);
    } finally {
      held.open();
    }
    expect((await held.release()).map((a) => a.body)).toEqual(held.expected);
  });

  test("a predicate: the requests it picks stay on the main thread, the others go to a worker", async () => {
    const server = await serve(HONO_FIXTURE_APP, (request) => request.headers.get("x-light") === "yes");
    expect(await threadOf(server, "/thread", { headers: { "x-light": "yes" } }), "/thread, picked by the predicate").toBe(0);
    expect(await threadOf(server, "/whoami/ada", { headers: { "x-light": "yes" } }), "/whoami/ada, picked by the predicate").toBe(0);
    expect(await threadOf(server, "/thread"), "/thread, not picked").not.toBe(0);
  });

  test("without `light`, everything goes to a worker", async () => {
    const server = await serve(HONO_FIXTURE_APP, undefined);
    for (const path of ["/thread", "/whoami/ada"]) expect(await threadOf(server, path), `the thread that answered ${path}`).not.toBe(0);
  });

  test("the tutorial's App and a plain `export default { fetch }` app have light routes too", async () => {
    for (const appModule of [FIXTURE_APP, PLAIN_FETCH_APP]) {
      const server = await serve(appModule, ["/thread"]);
      expect(await threadOf(server, "/thread"), `the light /thread of ${name(appModule)}`).toBe(0);
      await server.stop();
    }
  });

  test("a light route that throws or answers no Response is a 500, logged; the server keeps serving", async () => {
    const server = await serve(PLAIN_FETCH_APP, ["/throw", "/not-a-response", "/thread"]);
    for (const path of ["/throw", "/not-a-response", "/throw"]) {
      const answer = await ask(server, path);
      expect(answer.status, `the light GET ${path}: ${answer.body}`).toBe(500);
      expect(answer.body, `the body of GET ${path}: the client learns it failed, not how`).not.toContain("on purpose");
    }
    expect(logged.some((line) => line.includes("/throw") && line.includes("the plain handler threw on purpose")), `a log line for GET /throw; the log: ${JSON.stringify(logged)}`).toBe(true);
    expect(await threadOf(server, "/thread"), "the light /thread after the 500s").toBe(0);
  });
});

describe("the main thread imports the app only for light routes", () => {
  test("without light routes, a module that cannot load on the main thread is never imported there", async () => {
    const server = await serve(WORKER_ONLY_APP, undefined);
    const answer = await ask(server, "/anything");
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: "served by a worker" });
  });

  test("with light routes, such a module makes startServer reject with the reason, and leaves no worker running", async () => {
    const census = openWorkerCensus(); // counts the threads this start creates, and their ends
    try {
      const error = await rejectionOf(
        startServer({ appModule: WORKER_ONLY_APP, port: 0, workers: WORKERS, light: ["/health"], log: () => {} }).then((server) => {
          running.push(server);
          return server;
        }),
        "startServer({ appModule: worker-only-app.ts, light: [\"/health\"] })",
        "light routes need the app's handler on the main thread: import the module there too",
      );
      expect(error instanceof Error ? error.message : String(error), "the reason").toContain("refuses to load on the main thread");
      expect(census.started.length, "workers started (the pool loads the module fine)").toBe(WORKERS);
      await until(() => census.alive() === 0, "the end of the pool's workers after the refused start", () => `${census.alive()} still alive`);
    } finally {
      census.stop();
    }
  });
});
