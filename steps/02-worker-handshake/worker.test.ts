// Step 02's tests of the worker itself, spoken in the raw protocol of lib/protocol.ts.
// Run them with `npm start -- check 02` (or `bun test` in this folder).
//
// No AppWorker here: the test plays the main thread's part by hand, so it can do what a
// careful main thread never does, like posting requests before the worker said `ready`.
// Every wait is bounded: a worker that stays silent fails the test within seconds, with a
// message saying which answer never came.

import { afterAll, afterEach, expect, test } from "bun:test";
import { BROKEN_APP, FIXTURE_APP, MISSING_APP } from "#lib/app-modules.ts";
import { requestData } from "#lib/http.ts";
import type { RequestData } from "#lib/http-types.ts";
import type { FromWorker, InitErrorMessage, ResponseMessage, ToWorker } from "#lib/protocol.ts";
import { within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newAsyncGate } from "#lib/testing/async-gate.ts";
import { NOT_AN_APP, SLOW_LOADING_APP, WAITING_APP, watchSlowLoad } from "#lib/testing/handshake-apps.ts";
import { SetUps } from "#lib/testing/set-ups.ts";

const WORKER_SCRIPT = new URL("./worker.ts", import.meta.url).href;
const setUps = new SetUps("worker.test.ts");
const events = new EventLog();
afterAll(() => events.close());

/** Set-ups that share a fate: a worker that never answered init once is not waited for again. */
const READY = "worker.ts answers init with ready";
const INIT_ERROR = "worker.ts answers init with init-error";
/** The id of the probe request `loadedWorker` sends right behind init; its answer is skipped. */
const PROBE = -1;

const READY_HINT = "does worker.ts answer `init` with { type: \"ready\" } once the app module is loaded?";
const INIT_ERROR_HINT =
  "does worker.ts catch what goes wrong while loading the app and answer with { type: \"init-error\", appModule, reason }?";

/** A worker thread, and everything it has said so far, read in order with `next()`. */
class Mailbox {
  readonly worker = new Worker(WORKER_SCRIPT);
  readonly #received: FromWorker[] = [];
  #read = 0;
  #died: Error | undefined;
  #wake: () => void = () => {};
  #onDeath: (error: Error) => void = () => {};
  /** Rejects as soon as the worker throws instead of answering; never resolves. */
  readonly death = new Promise<never>((_, reject) => (this.#onDeath = reject));

  constructor() {
    this.death.catch(() => {}); // only a test that races it needs to hear of it
    this.worker.addEventListener("message", (event) => {
      this.#received.push(event.data as FromWorker);
      this.#wake();
    });
    // An exception that escapes the worker's code arrives here. The protocol has an answer
    // for every situation, so a worker that throws instead of answering has a bug.
    this.worker.addEventListener("error", (event) => {
      // Bun puts the source lines around the throw before the error itself ("error: …", or
      // "TypeError: …"), and the stack after it: keep the error's line, the one before the stack.
      const lines = event.message.split("\n");
      const stack = lines.findIndex((l) => l.trim().startsWith("at "));
      const line = stack > 0 ? lines[stack - 1]?.trim() : undefined;
      this.#died = new Error(`the worker threw instead of answering: ${line || event.message}`);
      this.#onDeath(this.#died);
      this.#wake();
    });
  }

  /** What the worker has said so far, read or not. */
  get said(): FromWorker[] {
    return [...this.#received];
  }

  post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  /** The next message the worker sends, waited for at most 3 s (rejects if the worker threw instead). */
  next(what: string, hint = ""): Promise<FromWorker> {
    return within(this.#next(), what, hint);
  }

  /** The next `count` messages, which must all be responses. */
  async responses(count: number, what: string): Promise<ResponseMessage[]> {
    const responses: ResponseMessage[] = [];
    while (responses.length < count) {
      const message = await this.next(
        `${what} (${responses.length} of ${count} answered so far)`,
        "is every request answered with { type: \"response\", id, response }?",
      );
      if (message.type !== "response") throw new Error(`${what}: expected a response, got ${JSON.stringify(message)}`);
      if (message.id !== PROBE) responses.push(message);
    }
    return responses;
  }

  async #next(): Promise<FromWorker> {
    for (;;) {
      const message = this.#received[this.#read];
      if (message) {
        this.#read++;
        return message;
      }
      if (this.#died) throw this.#died;
      await new Promise<void>((wake) => (this.#wake = wake));
    }
  }
}

const started: Mailbox[] = [];
function startWorker(): Mailbox {
  const mailbox = new Mailbox();
  started.push(mailbox);
  return mailbox;
}
afterEach(() => {
  for (const mailbox of started.splice(0)) mailbox.worker.terminate();
});

/**
 * A worker that has loaded `appModule` and said `ready`. A probe request rides right behind
 * `init`: a worker that never says `ready` but serves requests fails here at once, because the
 * first thing it sends is the probe's answer.
 */
function loadedWorker(appModule: string, name: string): Promise<Mailbox> {
  return setUps.start(
    `the worker's answer to init(${name})`,
    async () => {
      const worker = startWorker();
      worker.post(init(appModule));
      worker.post(request(PROBE, "/health"));
      const first = await worker.next(`the answer to init(${name})`);
      expectReady(first, `the worker's first message after init(${name}), with a request right behind`);
      return worker;
    },
    { hint: READY_HINT, key: READY },
  );
}

/** Posts init for a module that cannot be loaded and returns the worker's answer, which must be an init-error. */
async function initError(appModule: string, name: string): Promise<InitErrorMessage> {
  const worker = startWorker();
  worker.post(init(appModule));
  const answer = await setUps.start(`the worker's answer to init(${name})`, () => worker.next(`the answer to init(${name})`), {
    hint: INIT_ERROR_HINT,
    key: INIT_ERROR,
  });
  expect(answer, `the worker's answer to init(${name})`).toMatchObject({ type: "init-error", appModule });
  const error = answer as InitErrorMessage;
  expect(typeof error.reason, "the type of init-error's reason").toBe("string");
  return error;
}

/** Fails, saying what came instead, unless `message` is `ready`. */
function expectReady(message: FromWorker, what: string): void {
  if (message.type === "ready") return;
  const instead =
    message.type === "response"
      ? `the answer to request ${message.id}: the worker must say ready before it answers any request (does it ever post ready?)`
      : `init-error (${message.reason})`;
  throw new Error(`${what} should be { type: "ready" }, but it was ${instead}`);
}

const init = (appModule: string): ToWorker => ({ type: "init", appModule });
const request = (id: number, path: string, init: Partial<Omit<RequestData, "path">> = {}): ToWorker => ({
  type: "request",
  id,
  request: requestData(path, init),
});
const body = (message: ResponseMessage) => JSON.parse(message.response.body);

test("the worker answers init with ready, before it answers any request", async () => {
  const worker = startWorker();
  // The request goes right behind init: if the worker never said `ready`, the first thing we
  // would hear is this request's answer.
  worker.post(init(FIXTURE_APP));
  worker.post(request(1, "/echo?i=1"));
  const first = await setUps.start("the worker's answer to init(FIXTURE_APP)", () => worker.next("the answer to init(FIXTURE_APP)"), {
    hint: READY_HINT,
    key: READY,
  });
  expectReady(first, "the worker's first message after init, with a request right behind");
});

test("requests that arrive while the app is loading are answered after ready, in the order they arrived, before any sent later", async () => {
  // The slow-loading app announces that it is loading, then waits for the test: the four
  // requests certainly reach the worker before the app is there.
  const loading = watchSlowLoad(events);
  const worker = startWorker();
  worker.post(init(SLOW_LOADING_APP));
  for (const n of [1, 2, 3, 4]) worker.post(request(n, `/fibonacci/${n}`));
  const letGo = await Promise.race([
    loading("the slow app starting to load", "does worker.ts import the module named in `init`?"),
    worker.death,
  ]);
  expect(worker.said, "what the worker said while its app was still loading (it cannot be ready yet)").toEqual([]);
  letGo();
  const first = await setUps.start("the worker's answer to init(SLOW_LOADING_APP)", () => worker.next("the answer to init(SLOW_LOADING_APP)"), {
    hint: READY_HINT,
    key: READY,
  });
  expectReady(first, "the worker's first message after init (requests were already waiting)");
  worker.post(request(5, "/fibonacci/5"));
  // Read one answer at a time, so that one out of place is named at once.
  for (const expected of [1, 2, 3, 4, 5]) {
    const [answer] = await worker.responses(1, `the answer to request ${expected} (requests 1-4 were sent while the app was loading, 5 after ready)`);
    if (answer?.id !== expected) {
      const kept = expected < 5 ? `; requests ${expected} to 4 arrived before the app was loaded: were they kept, and served in order?` : "";
      throw new Error(`expected the answer to request ${expected}, got the answer to request ${answer?.id}${kept}`);
    }
    expect(body(answer).n, `the n answered to request ${answer.id}`).toBe(answer.id);
  }
});

test("each response carries the id of its request: any number, in any order", async () => {
  const worker = await loadedWorker(FIXTURE_APP, "FIXTURE_APP");
  // Ids are the caller's business: any number, in any order.
  const ids = [7, 3, 42, 0, 1_000_000];
  for (const id of ids) worker.post(request(id, `/echo?i=${id}`));
  const answers = await worker.responses(ids.length, "the answers to requests 7, 3, 42, 0 and 1000000");
  expect(answers.map((a) => a.id).sort(), "the ids the answers carry").toEqual([...ids].sort());
  for (const answer of answers) {
    expect(answer.response.status, `the status of the answer to request ${answer.id}`).toBe(200);
    expect(body(answer).query.i, `which request the answer with id ${answer.id} is really for`).toBe(String(answer.id));
  }
});

test("the whole request crosses: every method with a body, the query and the headers reach the handler", async () => {
  const worker = await loadedWorker(FIXTURE_APP, "FIXTURE_APP");
  const methods = ["GET", "POST", "PUT", "DELETE"];
  methods.forEach((method, i) =>
    worker.post(
      request(i + 1, "/echo?lang=ts&name=ada%20lovelace", {
        method,
        headers: { "x-tutorial-step": "02" },
        body: method === "GET" ? "" : `the body of a ${method}`,
      }),
    ),
  );
  const answers = await worker.responses(methods.length, "the answers to GET, POST, PUT and DELETE /echo");
  for (const answer of answers) {
    const method = methods[answer.id - 1] ?? "?";
    const seen = body(answer);
    expect(answer.response.status, `the status of ${method} /echo`).toBe(200);
    expect(answer.response.headers["x-echo"], `the x-echo header of ${method} /echo's answer`).toBe("yes");
    expect(seen.method, `the method /echo received for a ${method}`).toBe(method);
    expect(seen.body, `the body /echo received for a ${method}`).toBe(method === "GET" ? "" : `the body of a ${method}`);
    expect(seen.query, `the query /echo received for a ${method}`).toEqual({ lang: "ts", name: "ada lovelace" });
    expect(seen.headers["x-tutorial-step"], `the header /echo received for a ${method}`).toBe("02");
  }
});

test("many requests at once: each is answered once, with its own answer", async () => {
  const worker = await loadedWorker(FIXTURE_APP, "FIXTURE_APP");
  const ids = Array.from({ length: 20 }, (_, i) => i + 1);
  for (const id of ids) worker.post(request(id, `/echo?i=${id}`));
  const answers = await worker.responses(ids.length, "the answers to 20 requests sent at once");
  expect(answers.map((a) => a.id).sort((a, b) => a - b), "the ids of the 20 answers").toEqual(ids);
  for (const answer of answers) expect(body(answer).query.i, `which request answer ${answer.id} is for`).toBe(String(answer.id));
});

test("a handler that throws becomes a 500 response, and the worker keeps serving, time after time", async () => {
  const worker = await loadedWorker(FIXTURE_APP, "FIXTURE_APP");
  for (let round = 1; round <= 3; round++) {
    worker.post(request(2 * round - 1, "/throw"));
    worker.post(request(2 * round, "/fibonacci/10"));
  }
  const answers = await worker.responses(6, "the answers to /throw and /fibonacci/10, three times over");
  for (const answer of answers) {
    if (answer.id % 2 === 1) {
      expect(answer.response.status, `the status of /throw (request ${answer.id})`).toBe(500);
      expect(answer.response.body).toContain("handler exploded on purpose");
    } else {
      expect(answer.response.status, `the status of /fibonacci/10 after a throw (request ${answer.id})`).toBe(200);
      expect(body(answer)).toEqual({ n: 10, fibonacci: 55 });
    }
  }
});

test("a handler that awaits does not hold the worker: a request sent after it is answered first", async () => {
  // /wait/:token awaits a gate the test opens, as a handler awaits a database: the worker's
  // event loop is free meanwhile, and the answers come back in another order than the requests.
  const worker = await loadedWorker(WAITING_APP, "WAITING_APP");
  const gate = newAsyncGate();
  worker.post(request(1, `/wait/${gate.token}`));
  await within(events.waitForStart(gate.token), "the waiting handler starting (request 1)", "does the worker serve requests once it is ready?");
  worker.post(request(2, "/fibonacci/5"));
  const [first] = await worker.responses(1, "the answer to request 2, sent while request 1 awaits");
  expect(first?.id, "the id of the first answer (request 1 is still waiting at its gate)").toBe(2);
  gate.open();
  const [second] = await worker.responses(1, "the answer to request 1, once its gate opened");
  expect(second?.id, "the id of the second answer").toBe(1);
  expect(second?.response.body).toBe(`released ${gate.token}`);
});

test("a missing app module is answered with init-error, naming the module and the reason", async () => {
  const answer = await initError(MISSING_APP, "MISSING_APP");
  expect(answer.reason, "init-error's reason for a module that does not exist").toContain("no-such-app.ts");
});

test("a module that throws while loading is answered with init-error and its error", async () => {
  const answer = await initError(BROKEN_APP, "BROKEN_APP");
  expect(answer.reason, "init-error's reason for a module that throws").toContain("broken-app refuses to load (on purpose)");
});

test("a module that exports no app is answered with init-error", async () => {
  // A real module, but not an app one: it exports functions, and no `app`.
  const answer = await initError(import.meta.resolve("#lib/fibonacci.ts"), "lib/fibonacci.ts");
  expect(answer.reason, "init-error's reason for a module without an `app` export").toContain("app");
});

test("a module whose app export is not an App is answered with init-error", async () => {
  // `app` exists, but it is a plain object: a worker that only checks that `app` is there would
  // take it, and fail at the first request instead of at init.
  const answer = await initError(NOT_AN_APP, "NOT_AN_APP");
  expect(answer.reason, "init-error's reason for an `app` that is not an App").toContain("app");
});
