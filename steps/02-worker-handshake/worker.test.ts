// Step 02's tests of the worker itself, spoken in the raw protocol of lib/protocol.ts.
// Run them with `npm start -- check 02` (or `bun test` in this folder).
//
// No AppWorker here: the test plays the main thread's part by hand, so it can do what a
// careful main thread never would, like posting a request before the worker said `ready`.

import { afterEach, expect, test } from "bun:test";
import { FIXTURE_APP, BROKEN_APP, MISSING_APP } from "#lib/app-modules.ts";
import { requestData } from "#lib/http.ts";
import type { FromWorker, ResponseMessage, ToWorker } from "#lib/protocol.ts";

const WORKER_SCRIPT = new URL("./worker.ts", import.meta.url).href;

/** A worker thread, and everything it has said so far, read in order with `next()`. */
class Mailbox {
  readonly worker = new Worker(WORKER_SCRIPT);
  readonly #received: FromWorker[] = [];
  #read = 0;
  #died: Error | undefined;
  #wake: () => void = () => {};

  constructor() {
    this.worker.addEventListener("message", (event) => {
      this.#received.push(event.data as FromWorker);
      this.#wake();
    });
    // An exception that escapes the worker's code arrives here. The protocol has an answer
    // for every situation, so a worker that throws instead of answering has a bug.
    this.worker.addEventListener("error", (event) => {
      // Bun puts the source lines around the throw before the error itself: keep the error's line.
      const line = event.message.split("\n").find((l) => l.trim().startsWith("error:"));
      this.#died = new Error(`the worker threw instead of answering: ${line?.trim() ?? event.message}`);
      this.#wake();
    });
  }

  post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  /** The next message the worker sent (rejects if the worker threw instead). */
  async next(): Promise<FromWorker> {
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

  /** Reads messages up to the response to request `id`; returns every response read on the way. */
  async responsesUntil(id: number): Promise<ResponseMessage[]> {
    const responses: ResponseMessage[] = [];
    for (;;) {
      const message = await this.next();
      if (message.type !== "response") throw new Error(`expected responses only, got ${JSON.stringify(message)}`);
      if (message.id === 0) continue; // loadedWorker's request, not the test's
      responses.push(message);
      if (message.id === id) return responses;
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
 * A worker that has loaded the fixture app. A request rides right behind `init` (id 0, never
 * read back): a worker that never says `ready` then fails here at once, because the first
 * thing it sends is that request's answer, instead of leaving the test waiting.
 */
async function loadedWorker(): Promise<Mailbox> {
  const worker = startWorker();
  worker.post(init(FIXTURE_APP));
  worker.post(request(0, "/health"));
  expect(await worker.next()).toEqual({ type: "ready" });
  return worker;
}

const init = (appModule: string): ToWorker => ({ type: "init", appModule });
const request = (id: number, path: string): ToWorker => ({ type: "request", id, request: requestData(path) });
/** The `i` an /echo?i=… request carried, read back from the echoed body. */
const echoedI = (message: ResponseMessage): string => JSON.parse(message.response.body).query.i;

test("the worker answers init with ready, before it answers any request", async () => {
  const worker = startWorker();
  // The request goes right behind init: if the worker never said `ready`, the first thing we
  // would hear is this request's answer.
  worker.post(init(FIXTURE_APP));
  worker.post(request(1, "/echo?i=1"));
  expect(await worker.next()).toEqual({ type: "ready" });
});

test("requests sent before ready are not lost", async () => {
  const worker = startWorker();
  worker.post(init(FIXTURE_APP));
  worker.post(request(1, "/echo?i=1"));
  worker.post(request(2, "/echo?i=2"));
  expect(await worker.next()).toEqual({ type: "ready" });

  // Request 3 is sent after ready. Requests 1 and 2 reached the worker first and waited for the
  // app: they are served as soon as it is loaded, so their answers come before 3's.
  worker.post(request(3, "/echo?i=3"));
  const responses = await worker.responsesUntil(3);
  expect(responses.map((r) => r.id).sort()).toEqual([1, 2, 3]);
  for (const response of responses) expect(echoedI(response)).toBe(String(response.id));
});

test("each response carries the id of its request", async () => {
  const worker = await loadedWorker();

  // Ids are the caller's business: any number, in any order.
  const ids = [7, 3, 42];
  for (const id of ids) worker.post(request(id, `/echo?i=${id}`));
  const responses = await worker.responsesUntil(42);
  expect(responses.map((r) => r.id).sort()).toEqual([...ids].sort());
  for (const response of responses) {
    expect(response.response.status).toBe(200);
    expect(echoedI(response)).toBe(String(response.id));
  }
});

test("a handler that throws becomes a 500 response, and the worker keeps serving", async () => {
  const worker = await loadedWorker();

  worker.post(request(1, "/throw"));
  worker.post(request(2, "/fibonacci/10"));
  const [broken, fine] = await worker.responsesUntil(2);
  expect(broken?.id).toBe(1);
  expect(broken?.response.status).toBe(500);
  expect(broken?.response.body).toContain("handler exploded on purpose");
  expect(fine?.id).toBe(2);
  expect(fine?.response.status).toBe(200);
  expect(JSON.parse(fine?.response.body ?? "")).toEqual({ n: 10, fibonacci: 55 });
});

test("a missing app module is answered with init-error, naming the module and the reason", async () => {
  const worker = startWorker();
  worker.post(init(MISSING_APP));
  const answer = await worker.next();
  expect(answer).toMatchObject({ type: "init-error", appModule: MISSING_APP });
  if (answer.type !== "init-error") return;
  expect(answer.reason).toContain("no-such-app.ts");
});

test("a module that throws while loading is answered with init-error and its error", async () => {
  const worker = startWorker();
  worker.post(init(BROKEN_APP));
  const answer = await worker.next();
  expect(answer).toMatchObject({ type: "init-error", appModule: BROKEN_APP });
  if (answer.type !== "init-error") return;
  expect(answer.reason).toContain("broken-app refuses to load (on purpose)");
});

test("a module that exports no app is answered with init-error", async () => {
  const worker = startWorker();
  // A real module, but not an app one: it exports functions, and no `app`.
  const notAnApp = import.meta.resolve("#lib/fibonacci.ts");
  worker.post(init(notAnApp));
  // A request rides behind init: a worker that took this module for an app would try to
  // serve it, and fail loudly here rather than stay silent.
  worker.post(request(0, "/health"));
  const answer = await worker.next();
  expect(answer).toMatchObject({ type: "init-error", appModule: notAnApp });
  if (answer.type !== "init-error") return;
  expect(answer.reason).toContain("app");
});
