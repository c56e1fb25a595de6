// Step 09's tests, part 2: the worker runs its tasks one at a time, in the order they came.
// Run them with `npm start -- check 09`.
//
// From this step on the pool may send a worker its next tasks while it still runs one. The
// worker must not start them at once: the pool counts a task's deadline from its start, and
// moves the tasks that never started elsewhere if the worker dies, so "started" must mean
// "every task sent before it has its answer". A handler that awaits leaves its thread's event
// loop free, which is when a worker that calls each handler as its message arrives runs two.
//
// No pool and no AppWorker here: the test plays the main thread's part by hand, in the flat
// messages of lib/flat-protocol.ts. What happens inside the worker is read from the tapped app
// (lib/testing/message-tap.ts): every message in and out of the worker, and every handler's
// start, in the order they happened on its thread.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import type { FromWorker, RequestMessage, ResponseMessage, ToWorker } from "#lib/flat-protocol.ts";
import { within } from "#lib/testing/bounded.ts";
import { newAsyncGate } from "#lib/testing/async-gate.ts";
import { EventLog } from "#lib/testing/events.ts";
import type { Gate } from "#lib/testing/gate.ts";
import { SLOW_LOADING_APP, watchSlowLoad } from "#lib/testing/handshake-apps.ts";
import { describeEntry, TAPPED_APP, TapLog, type TapEntry } from "#lib/testing/message-tap.ts";
import { SetUps } from "#lib/testing/set-ups.ts";
import { bodyText, wireRequest } from "#lib/testing/wire-tasks.ts";

const WORKER_SCRIPT = new URL("./worker.ts", import.meta.url).href;
const setUps = new SetUps("worker.test.ts");
const events = new EventLog();
const tap = new TapLog();
afterAll(() => {
  events.close();
  tap.close();
});

const READY_HINT = "does worker.ts answer `init` with { type: \"ready\" } once the app module is loaded (as in step 08)?";

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
    // An exception that escapes worker.ts arrives here: the protocol has an answer for
    // everything, so a worker that throws instead of answering has a bug.
    this.worker.addEventListener("error", (event) => {
      this.#died = new Error(`the worker threw instead of answering: ${event.message.split("\n").find((l) => /error/i.test(l))?.trim() ?? event.message}`);
      this.#onDeath(this.#died);
      this.#wake();
    });
  }

  post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  /** The next message the worker sends, waited for at most 3 s. */
  next(what: string, hint = ""): Promise<FromWorker> {
    return within(this.#next(), what, hint);
  }

  /** The next `count` messages, which must all be answers. */
  async responses(count: number, what: string): Promise<ResponseMessage[]> {
    const responses: ResponseMessage[] = [];
    while (responses.length < count) {
      const message = await this.next(`${what} (${responses.length} of ${count} answered so far)`, "is every task answered with { type: \"response\", id, … }?");
      if (message.type !== "response") throw new Error(`${what}: expected an answer, got ${JSON.stringify(message)}`);
      responses.push(message);
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
const gates: Gate[] = [];
afterEach(() => {
  for (const gate of gates.splice(0)) gate.open(); // a handler a failed test left awaiting its gate may end
  for (const mailbox of started.splice(0)) mailbox.worker.terminate();
});

function asyncGate(): Gate {
  const gate = newAsyncGate();
  gates.push(gate);
  return gate;
}

/** A worker that has loaded `appModule` and said `ready`. */
function loadedWorker(appModule: string, name: string): Promise<Mailbox> {
  return setUps.start(
    `the worker's answer to init(${name})`,
    async () => {
      const mailbox = new Mailbox();
      started.push(mailbox);
      mailbox.post({ type: "init", appModule });
      const first = await mailbox.next(`the answer to init(${name})`, READY_HINT);
      if (first.type !== "ready") throw new Error(`the worker's first message after init(${name}) was ${JSON.stringify(first)}, not { type: "ready" }`);
      return mailbox;
    },
    { hint: READY_HINT, key: "worker.ts answers init with ready" },
  );
}

/** A flat request message, as the main thread sends it. */
function request(id: number, path: string, init: Parameters<typeof wireRequest>[1] = {}): RequestMessage {
  return { type: "request", id, ...wireRequest(path, init) };
}

/**
 * The tap's entries of one worker's thread, each in one line ("started b", "out response #2"),
 * gates' tokens replaced by their names: what the worker did, in the order it did it.
 */
function story(entries: TapEntry[], names: Record<string, string>, kinds: Array<TapEntry["kind"]> = ["started", "out"]): string[] {
  return entries
    .filter((entry) => kinds.includes(entry.kind) && !(entry.kind === "out" && entry.type !== "response"))
    .map((entry) => Object.entries(names).reduce((line, [token, name]) => line.replaceAll(token, name), describeEntry(entry)));
}

describe("the worker runs its tasks one at a time, in the order they came", () => {
  test("a task sent while one awaits does not start until the one before has posted its answer", async () => {
    const worker = await loadedWorker(TAPPED_APP, "TAPPED_APP");
    const mine = tap.fromNow();
    const a = asyncGate();
    const names = { [a.token]: "a" };
    worker.post(request(1, `/wait/${a.token}`)); // awaits its gate: the worker's event loop is free meanwhile
    worker.post(request(2, "/start/b"));
    worker.post(request(3, "/start/c"));
    // The tap reports a message's arrival after worker.ts's own onmessage has handled it: once
    // the third has arrived, a handler worker.ts started on arrival has said so already.
    await Promise.race([tap.waitFor(mine, (e) => e.kind === "in" && e.id === 3, "the arrival of task 3 in the worker", "does the worker receive the tasks at all?"), worker.death]);
    const startedMeanwhile = story(mine(), names, ["started"]);
    expect(
      startedMeanwhile,
      "handlers started once tasks 2 and 3 had arrived, while task a still awaits its gate (worker.ts must run one task at a time: awaiting the handler's answer, then posting it, before it starts the next)",
    ).toEqual(["started a"]);
    a.open();
    const answers = await worker.responses(3, "the answers to tasks a, b and c");
    expect(answers.map((answer) => `#${answer.id} ${bodyText(answer)}`), "the answers, in the order posted").toEqual([`#1 ${a.token}`, "#2 b", "#3 c"]);
    await tap.waitFor(mine, (e) => e.kind === "out" && e.id === 3, "the tap's report of the last answer"); // it comes on a channel of its own
    expect(story(mine(), names), "what the worker did, in order: each task starts after the one before has posted its answer").toEqual([
      "started a",
      "out response #1",
      "started b",
      "out response #2",
      "started c",
      "out response #3",
    ]);
  });

  test("thirty tasks sent at once, some awaiting: each starts after the one before answered, in order, each with its own answer", async () => {
    const worker = await loadedWorker(TAPPED_APP, "TAPPED_APP");
    const mine = tap.fromNow();
    const names: Record<string, string> = {};
    const expected: string[] = [];
    const order: string[] = [];
    for (let id = 1; id <= 30; id++) {
      // Every third task awaits an async gate, opened at once: it yields to the event loop first.
      if (id % 3 === 0) {
        const gate = asyncGate();
        names[gate.token] = `t${id}`;
        gate.open();
        worker.post(request(id, `/wait/${gate.token}`));
        expected.push(`#${id} ${gate.token}`);
      } else {
        worker.post(request(id, `/start/t${id}`));
        expected.push(`#${id} t${id}`);
      }
      order.push(`started t${id}`, `out response #${id}`);
    }
    const answers = await worker.responses(30, "the answers to thirty tasks");
    expect(answers.map((answer) => `#${answer.id} ${bodyText(answer)}`), "the thirty answers, in the order posted").toEqual(expected);
    await tap.waitFor(mine, (e) => e.kind === "out" && e.id === 30, "the tap's report of the last answer");
    expect(story(mine(), names), "what the worker did: one task at a time, in the order they came").toEqual(order);
  });

  test("tasks that arrive before `ready` wait, then run after it, in the order they came", async () => {
    const mailbox = new Mailbox();
    started.push(mailbox);
    const loading = watchSlowLoad(events);
    mailbox.post({ type: "init", appModule: SLOW_LOADING_APP });
    const ns = [20, 3, 15, 0, 9];
    ns.forEach((n, i) => mailbox.post(request(i + 1, `/fibonacci/${n}`)));
    const finishLoading = await loading("the slow app announcing that it is loading", "does worker.ts import the app module when `init` arrives?");
    finishLoading();
    const first = await mailbox.next("the worker's first message once the app has loaded", READY_HINT);
    expect(first.type, "the worker's first message: `ready` comes before any answer").toBe("ready");
    const answers = await mailbox.responses(ns.length, "the answers to the tasks sent before `ready`");
    expect(answers.map((answer) => answer.id), "the ids of the answers, in the order posted").toEqual([1, 2, 3, 4, 5]);
    const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));
    expect(answers.map((answer) => bodyText(answer)), "the answers' bodies").toEqual(ns.map((n) => JSON.stringify({ n, fibonacci: fib(n) })));
  });

  test("a handler that throws is a 500 carrying `error`; the task behind it still runs", async () => {
    const worker = await loadedWorker(TAPPED_APP, "TAPPED_APP");
    worker.post(request(1, "/throw"));
    worker.post(request(2, "/start/after"));
    const [failed, after] = (await worker.responses(2, "the answers to /throw and the task behind it")) as [ResponseMessage, ResponseMessage];
    expect({ id: failed.id, status: failed.status }, "the answer to /throw").toEqual({ id: 1, status: 500 });
    expect(failed.error?.message, "the failed answer's `error`: what went wrong, for the server's log").toContain("on purpose");
    expect(bodyText(failed), "the body the client gets: that it failed, not how").not.toContain("on purpose");
    expect({ id: after.id, status: after.status, body: bodyText(after) }, "the task behind the failure").toEqual({ id: 2, status: 200, body: "after" });
    expect("error" in after, "an answer that succeeded carries no `error`").toBe(false);
  });
});

describe("the worker speaks in flat messages", () => {
  test("it rebuilds the request from a flat message: method, URL, header lines, a byte-string body of every byte value", async () => {
    const worker = await loadedWorker(TAPPED_APP, "TAPPED_APP");
    const bytes = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => 255 - i));
    worker.post(request(1, "/echo?x=1", { method: "PUT", headers: "content-type: application/octet-stream\r\nx-note: a: b", body: bytes }));
    const [answer] = (await worker.responses(1, "the answer to PUT /echo")) as [ResponseMessage];
    expect(answer.status, `PUT /echo: ${bodyText(answer)}`).toBe(200);
    expect(typeof answer.body, "the body of a small answer: a byte string").toBe("string");
    expect(answer.body, "the 256 bytes echoed back, as a byte string").toBe(bytes);
    expect(typeof answer.headers, "the answer's headers: one string of lines").toBe("string");
  });

  test("a large answer (64 KiB) goes back as an ArrayBuffer in the transfer list; a small one as a byte string, nothing transferred", async () => {
    const worker = await loadedWorker(TAPPED_APP, "TAPPED_APP");
    const mine = tap.fromNow();
    worker.post(request(1, `/bytes/${64 * 1024}`));
    worker.post(request(2, "/bytes/100"));
    const [large, small] = (await worker.responses(2, "the answers to /bytes/65536 and /bytes/100")) as [ResponseMessage, ResponseMessage];
    expect(large.body instanceof ArrayBuffer ? large.body.byteLength : typeof large.body, "the body of the 64 KiB answer").toBe(64 * 1024);
    expect(typeof small.body, "the body of the 100-byte answer").toBe("string");
    const posted = await tap.waitFor(mine, (e) => e.kind === "out" && e.id === 1, "the tap's report of the 64 KiB answer");
    expect(posted.transferred, "objects in the transfer list of the 64 KiB answer (worker.ts must post it with transferList(body): handed over, not copied)").toBe(1);
    const smallPosted = await tap.waitFor(mine, (e) => e.kind === "out" && e.id === 2, "the tap's report of the 100-byte answer");
    expect(smallPosted.transferred, "objects in the transfer list of the 100-byte answer").toBe(0);
  });
});
