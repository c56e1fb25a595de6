// Step 08's tests, part 2: which modules the pool runs, and which it refuses.
//
// Every kind of fetch handler runs in the same pool: a Hono app (`export default app`), a plain
// Bun one (`export default { fetch }`), a bare function (`export default function`), and the
// tutorial's own App, whose modules export it by name (`export const app`). A module with none
// of these is refused when the workers load it: `startServer` rejects, at once, with one line
// that names the module and says what is missing.
//
// "Spread over the workers" is shown by order, as in step 04: each gated handler announces
// its start and holds its thread. Two of them started and neither answered means two threads
// ran them at once; a gated handler on the main thread would freeze the test itself.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { BROKEN_APP, FIXTURE_APP, MISSING_APP } from "#lib/app-modules.ts";
import { rejectionOf, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { FUNCTION_APP, HONO_FIXTURE_APP, NO_DEFAULT_APP, NO_FETCH_APP, PLAIN_FETCH_APP } from "#lib/testing/fetch-apps.ts";
import { NOT_AN_APP } from "#lib/testing/handshake-apps.ts";
import { holdWorkers } from "#lib/testing/hold.ts";
import { get, type Answer } from "#lib/testing/http.ts";
import { SetUps } from "#lib/testing/set-ups.ts";
import { startServer, type PoolServer } from "./server.ts";

const WORKERS = 2;
const setUps = new SetUps("handler-kinds.test.ts");
const events = new EventLog();
const running: PoolServer[] = [];
const logged: string[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await within(server.stop({ force: true }), "stop()").catch(() => {});
  logged.length = 0;
});
afterAll(() => events.close());

const name = (appModule: string) => appModule.slice(appModule.lastIndexOf("/") + 1);

function serve(appModule: string): Promise<PoolServer> {
  return setUps.start(
    `startServer({ appModule: ${name(appModule)}, workers: ${WORKERS} })`,
    async () => {
      const server = await startServer({ appModule, port: 0, workers: WORKERS, log: (line) => logged.push(line) });
      running.push(server);
      return server;
    },
    { hint: "does the worker find the module's fetch handler and answer `ready`?", release: (late) => late.stop({ force: true }) },
  );
}

function ask(server: PoolServer, path: string, init?: RequestInit): Promise<Answer> {
  return within(get(server.url, path, init), `${init?.method ?? "GET"} ${path}`, "every request gets an answer");
}

const KINDS = [
  { kind: "a Hono app (`export default app`)", appModule: HONO_FIXTURE_APP },
  { kind: "a plain Bun app (`export default { fetch }`), whose fetch uses `this`", appModule: PLAIN_FETCH_APP },
  { kind: "the tutorial's App (`export const app`)", appModule: FIXTURE_APP },
];

describe("every kind of fetch handler runs in the pool", () => {
  for (const { kind, appModule } of KINDS) {
    test(`${kind}: its handlers run on worker threads, two at once on a pool of two`, async () => {
      const server = await serve(appModule);
      const thread = await ask(server, "/thread");
      expect(thread.status, `GET /thread: ${thread.body}`).toBe(200);
      expect(JSON.parse(thread.body).threadId, "the thread that answered /thread (0 is the main thread)").not.toBe(0);
      const held = await holdWorkers(events, WORKERS, (path) => ask(server, path), "are requests spread over the workers?");
      const answeredWhileHeld = [...held.settled];
      const released = await held.release();
      expect(answeredWhileHeld, "gated requests answered while every gate was still closed").toEqual([]);
      expect(released.map((a) => a.body)).toEqual(held.expected);
    });
  }

  test("the Hono app's own routes answer through the pool", async () => {
    const server = await serve(HONO_FIXTURE_APP);
    const answer = await ask(server, "/fibonacci/12");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ n: 12, fibonacci: 144 });
  });

  test("the tutorial's App keeps its 400, 404, 405 (with `allow`) and 500 through the pool", async () => {
    const server = await serve(FIXTURE_APP);
    expect((await ask(server, "/fibonacci/abc")).status, "GET /fibonacci/abc").toBe(400);
    expect((await ask(server, "/no/such/route")).status, "GET /no/such/route").toBe(404);
    const wrongMethod = await ask(server, "/fibonacci/10", { method: "POST" });
    expect(wrongMethod.status, "POST /fibonacci/10").toBe(405);
    expect(wrongMethod.headers.get("allow"), "the allow header of the 405").toBe("GET");
    expect((await ask(server, "/throw")).status, "GET /throw").toBe(500);
    const echo = await ask(server, "/echo?lang=ts", { method: "PUT", body: "héllo", headers: { "x-step": "08" } });
    expect(JSON.parse(echo.body)).toMatchObject({ method: "PUT", path: "/echo", query: { lang: "ts" }, body: "héllo" });
    expect(echo.headers.get("x-echo"), "the App's own header").toBe("yes");
  });

  test("a bare function as the default export: the request reaches it whole, and what it throws is a 500", async () => {
    const server = await serve(FUNCTION_APP);
    const answer = await ask(server, "/echo?x=1&x=2", { method: "POST", body: "sent to a function" });
    expect(answer.status, `POST /echo: ${answer.body}`).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ method: "POST", search: "?x=1&x=2", body: "sent to a function" });
    expect(answer.headers.get("x-kind")).toBe("function");
    expect(JSON.parse((await ask(server, "/thread")).body).threadId, "the thread that answered /thread").not.toBe(0);
    for (let i = 0; i < 2 * WORKERS; i++) expect((await ask(server, "/throw")).status, "GET /throw").toBe(500);
    expect((await ask(server, "/echo")).status, "GET /echo after the 500s: the workers keep serving").toBe(200);
  });
});

describe("a module without a fetch handler is refused at start, in one line that names it", () => {
  const REFUSED = [
    { what: "no default export (and no `app`)", appModule: NO_DEFAULT_APP, says: /no default export/i },
    { what: "a default export without a fetch method", appModule: NO_FETCH_APP, says: /not a fetch handler/i },
    { what: "an `app` export without a fetch method", appModule: NOT_AN_APP, says: /not a fetch handler/i },
    { what: "a module that throws while it loads", appModule: BROKEN_APP, says: /refuses to load/ },
    { what: "no module at that path", appModule: MISSING_APP, says: /./ },
  ];
  for (const { what, appModule, says } of REFUSED) {
    test(`${what}: startServer rejects with the reason`, async () => {
      const error = await rejectionOf(
        startServer({ appModule, port: 0, workers: WORKERS, log: () => {} }).then((server) => {
          running.push(server);
          return server;
        }),
        `startServer({ appModule: ${name(appModule)} })`,
        "a module without a usable fetch handler must make the worker answer `init-error`, and the start fail",
      );
      const message = error instanceof Error ? error.message : String(error);
      expect(message, "the reason names the module").toContain(name(appModule));
      const reason = message.replaceAll(appModule, "<module>"); // what it says, not where the module is
      expect(reason, "the reason").toMatch(says);
      expect(reason.split("\n")[0], "the reason fits on one line (the first line of the message)").toMatch(says);
    });
  }

  test("the refusal leaves no worker behind: a process that tried exits by itself", async () => {
    const script = `
      const { startServer } = await import(${JSON.stringify(new URL("./server.ts", import.meta.url).href)});
      setTimeout(() => process.exit(3), 4_000).unref();
      try {
        await startServer({ appModule: ${JSON.stringify(NO_DEFAULT_APP)}, port: 0, workers: 2, log: () => {} });
        console.log("started");
      } catch {
        console.log("refused");
      }
    `;
    const child = Bun.spawn([process.execPath, "-e", script], { cwd: import.meta.dir, stdout: "pipe", stderr: "pipe", timeout: 4_500 });
    try {
      const out = await new Response(child.stdout).text();
      const code = await child.exited;
      expect(out.trim(), "what the process printed").toBe("refused");
      expect(code, "its exit code (3: something still kept it alive, such as a worker)").toBe(0);
    } finally {
      child.kill();
    }
  });
});
