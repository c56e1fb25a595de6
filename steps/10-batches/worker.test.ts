// Step 10's tests, part 2: the worker takes its tasks several to a message, and answers them the
// same way. Run them with `npm start -- check 10`.
//
// A message from the main thread is now an array of step 09's flat request messages (a batch,
// lib/batch-protocol.ts). The worker runs its messages in the order they came, and the tasks of
// each one at a time, in order: a task's handler starts only once the one before it has its
// answer, even when that handler awaits. It keeps the answers until the last task of the
// message is done, then posts them all as ONE message: an array of flat answers, one per task,
// in the same order, their large bodies in the one transfer list.
//
// No pool and no AppWorker here: the test plays the main thread's part by hand. What happens
// inside the worker is read from the tapped app (lib/testing/message-tap.ts): every handler's
// start and every message in and out of the worker, in the order they happened on its thread.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import type { FromWorker, RequestBatch, RequestMessage, ResponseMessage, ToWorker } from "#lib/batch-protocol.ts";
import { newAsyncGate } from "#lib/testing/async-gate.ts";
import { within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import type { Gate } from "#lib/testing/gate.ts";
import { SLOW_LOADING_APP, watchSlowLoad } from "#lib/testing/handshake-apps.ts";
import { TAPPED_APP, TapLog, type TapEntry } from "#lib/testing/message-tap.ts";
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

const READY_HINT = "does worker.ts answer `init` with { type: \"ready\" } once the app module is loaded (as in step 09)?";
const BATCH_HINT = "does worker.ts answer each message (an array of requests) with ONE message: an array of { type: \"response\", id, … }, one per task, in order?";

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

  /** The next message, which must be the answers to a batch of `count` tasks: one array of `count`. */
  async answers(count: number, what: string): Promise<ResponseMessage[]> {
    const message = await this.next(what, BATCH_HINT);
    if (!Array.isArray(message)) {
      throw new Error(`${what}: expected ONE message holding the ${count} answers (an array), got a single message ${show(message)}`);
    }
    if (message.length !== count) {
      throw new Error(`${what}: expected ONE message holding all ${count} answers, got one with ${message.length}: ${message.map((m) => `#${m.id}`).join(", ")} (the worker posts a message's answers together, once its last task is done)`);
    }
    return message;
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

/**
 * Expects the handlers started so far to be `expected`. When they are not, a worker that threw
 * (at a stub still to be written, say) is given a moment to say so: its error is the failure
 * then, the clearer one.
 */
async function expectStarted(worker: Mailbox, actual: string[], expected: string[], message: string): Promise<void> {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    await Promise.race([worker.death, new Promise((resolve) => setTimeout(resolve, 1000))]);
  }
  expect(actual, message).toEqual(expected);
}

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
      if (Array.isArray(first) || first.type !== "ready") throw new Error(`the worker's first message after init(${name}) was ${show(first)}, not { type: "ready" }`);
      return mailbox;
    },
    { hint: READY_HINT, key: "worker.ts answers init with ready" },
  );
}

/** A flat request message, as the main thread puts it in a batch. */
function request(id: number, path: string, init: Parameters<typeof wireRequest>[1] = {}): RequestMessage {
  return { type: "request", id, ...wireRequest(path, init) };
}

/** "#<id> <body>" for each answer: what came back, and for whom. */
const lines = (answers: ResponseMessage[]) => answers.map((answer) => `#${answer.id} ${bodyText(answer)}`);

function show(message: unknown): string {
  const text = JSON.stringify(message, (_, value: unknown) => (value instanceof ArrayBuffer ? `<ArrayBuffer ${value.byteLength}>` : value));
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

/** Whether a tap entry is the arrival of a batch (an array) of `count` tasks. */
const batchArrived = (count: number) => (entry: TapEntry) => entry.kind === "in" && entry.type === undefined && Object.keys(entry.shape ?? {}).length === count;

/**
 * The tap's entries of one worker's thread, each in one line, gates' tokens replaced by their
 * names: "started b", "posted 3 answers" (one message holding 3), "posted answer #2" (a single
 * one): what the worker did, in the order it did it.
 */
function story(entries: TapEntry[], names: Record<string, string>): string[] {
  const rename = (label = "") => Object.entries(names).reduce((line, [token, name]) => line.replaceAll(token, name), label);
  const told: string[] = [];
  for (const entry of entries) {
    if (entry.kind === "started") told.push(`started ${rename(entry.label)}`);
    else if (entry.kind === "out" && entry.type === "response") told.push(`posted answer #${entry.id}`);
    else if (entry.kind === "out" && entry.type === undefined) told.push(`posted ${Object.keys(entry.shape ?? {}).length} answers`);
  }
  return told;
}

describe("one message of answers for each message of tasks", () => {
  test("a batch of 3 is answered with ONE message: an array of 3 answers in the order of the tasks, each with its task's id; the next batch gets its own", async () => {
    const worker = await loadedWorker(TAPPED_APP, "TAPPED_APP");
    const batch: RequestBatch = [request(7, "/start/a"), request(8, "/start/b"), request(9, "/start/c")];
    worker.post(batch);
    worker.post([request(10, "/start/d"), request(11, "/start/e")]);
    const first = await worker.answers(3, "the answer to the batch [a, b, c]");
    expect(lines(first), "the answers to [a, b, c], in the order posted").toEqual(["#7 a", "#8 b", "#9 c"]);
    for (const answer of first) expect(answer.type, `the type of answer #${answer.id}`).toBe("response");
    const second = await worker.answers(2, "the answer to the batch [d, e], sent after [a, b, c]");
    expect(lines(second), "the answers to [d, e]").toEqual(["#10 d", "#11 e"]);
  });

  test("the tasks of a batch run one at a time, in order: a handler that awaits holds back the next task's start", async () => {
    const worker = await loadedWorker(TAPPED_APP, "TAPPED_APP");
    const mine = tap.fromNow();
    const a = asyncGate();
    const b = asyncGate();
    b.open(); // b would be done long before a, if both ran at once
    const names = { [a.token]: "a", [b.token]: "b" };
    // a awaits its gate: the worker's event loop is free meanwhile, which is when a worker
    // that starts every task of its message at once would run b and c.
    worker.post([request(1, `/wait/${a.token}`), request(2, `/wait/${b.token}`), request(3, "/start/c")]);
    worker.post([request(4, "/start/d")]);
    // The tap reports a message's arrival after worker.ts's own onmessage has handled it: once
    // the second message has arrived, a handler started on the first one's arrival has said so.
    await Promise.race([tap.waitFor(mine, batchArrived(1), "the arrival of the second message in the worker", "does the worker receive its messages at all?"), worker.death]);
    await expectStarted(
      worker,
      story(mine(), names).filter((line) => line.startsWith("started")),
      ["started a"],
      "handlers started while task a (the first of its batch) still awaits its gate: worker.ts must run a batch's tasks one at a time, awaiting each one's answer before it starts the next",
    );
    a.open();
    const answers = await worker.answers(3, "the answers to [a, b, c]");
    expect(lines(answers), "the answers to [a, b, c]: in the order of the tasks, not the order they finished in").toEqual([`#1 ${a.token}`, `#2 ${b.token}`, "#3 c"]);
    expect(lines(await worker.answers(1, "the answer to [d]")), "the answer to the second message").toEqual(["#4 d"]);
    await tap.waitFor(mine, (e) => e.kind === "out" && Object.keys(e.shape ?? {}).length === 1, "the tap's report of the last answer message"); // it comes on a channel of its own
    expect(story(mine(), names), "what the worker did, in order: each task after the one before, the answers of a message posted together after its last task").toEqual([
      "started a",
      "started b",
      "started c",
      "posted 3 answers",
      "started d",
      "posted 1 answers",
    ]);
  });

  test("messages run in the order they came, one at a time: a later message's tasks start only once the earlier one's answers are posted", async () => {
    const worker = await loadedWorker(TAPPED_APP, "TAPPED_APP");
    const mine = tap.fromNow();
    const a = asyncGate();
    const names = { [a.token]: "a" };
    worker.post([request(1, `/wait/${a.token}`)]);
    worker.post([request(2, "/start/b"), request(3, "/start/c")]);
    worker.post([request(4, "/start/d")]);
    // [a] and [d] are the messages of one task: once both have arrived, so has [b, c], between them.
    const arrivals = () => mine().filter(batchArrived(1));
    await Promise.race([tap.waitFor(arrivals, (e) => e === arrivals()[1], "the arrival of the third message in the worker"), worker.death]);
    await expectStarted(
      worker,
      story(mine(), names).filter((line) => line.startsWith("started")),
      ["started a"],
      "handlers started while a, alone in the first message, still awaits its gate: the next message waits until the first one's answers are posted",
    );
    a.open();
    expect(lines(await worker.answers(1, "the answer to [a]")), "the first message's answers").toEqual([`#1 ${a.token}`]);
    expect(lines(await worker.answers(2, "the answers to [b, c]")), "the second message's answers").toEqual(["#2 b", "#3 c"]);
    expect(lines(await worker.answers(1, "the answer to [d]")), "the third message's answers").toEqual(["#4 d"]);
    const posts = () => mine().filter((e) => e.kind === "out");
    await tap.waitFor(posts, (e) => e === posts()[2], "the tap's report of the third answer message"); // it comes on a channel of its own
    expect(story(mine(), names), "what the worker did, message after message").toEqual([
      "started a",
      "posted 1 answers",
      "started b",
      "started c",
      "posted 2 answers",
      "started d",
      "posted 1 answers",
    ]);
  });

  test("thirty tasks in five messages, some awaiting: one message of answers per message, in order, each task starting after the one before", async () => {
    const worker = await loadedWorker(TAPPED_APP, "TAPPED_APP");
    const mine = tap.fromNow();
    const names: Record<string, string> = {};
    const expected: string[][] = [];
    const order: string[] = [];
    for (let first = 1; first <= 30; first += 6) {
      const batch: RequestBatch = [];
      const answers: string[] = [];
      for (let id = first; id < first + 6; id++) {
        // Every third task awaits an async gate, opened at once: it yields to the event loop first.
        if (id % 3 === 0) {
          const gate = asyncGate();
          names[gate.token] = `t${id}`;
          gate.open();
          batch.push(request(id, `/wait/${gate.token}`));
          answers.push(`#${id} ${gate.token}`);
        } else {
          batch.push(request(id, `/start/t${id}`));
          answers.push(`#${id} t${id}`);
        }
        order.push(`started t${id}`);
      }
      order.push("posted 6 answers");
      expected.push(answers);
      worker.post(batch);
    }
    for (const [i, answers] of expected.entries()) {
      expect(lines(await worker.answers(6, `the answers to message ${i + 1} of 5`)), `the answers to message ${i + 1}`).toEqual(answers);
    }
    const posts = () => mine().filter((e) => e.kind === "out");
    await tap.waitFor(posts, (e) => e === posts()[4], "the tap's report of the fifth answer message"); // it comes on a channel of its own
    expect(story(mine(), names), "what the worker did: one task at a time, in the order they came, a message of answers after each message's last task").toEqual(order);
  });

  test("messages that arrive before `ready` wait, then run after it, in the order they came", async () => {
    const mailbox = new Mailbox();
    started.push(mailbox);
    const loading = watchSlowLoad(events);
    mailbox.post({ type: "init", appModule: SLOW_LOADING_APP });
    const ns = [20, 3, 15, 0, 9];
    mailbox.post([request(1, `/fibonacci/${ns[0]}`), request(2, `/fibonacci/${ns[1]}`)]);
    mailbox.post([request(3, `/fibonacci/${ns[2]}`), request(4, `/fibonacci/${ns[3]}`), request(5, `/fibonacci/${ns[4]}`)]);
    const finishLoading = await loading("the slow app announcing that it is loading", "does worker.ts import the app module when `init` arrives?");
    finishLoading();
    const first = await mailbox.next("the worker's first message once the app has loaded", READY_HINT);
    expect(Array.isArray(first) ? "an array of answers" : first.type, "the worker's first message: `ready` comes before any answer").toBe("ready");
    const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));
    const body = (n: number | undefined) => JSON.stringify({ n, fibonacci: fib(n ?? 0) });
    expect(lines(await mailbox.answers(2, "the answers to the first message sent before `ready`")), "the first message's answers").toEqual([`#1 ${body(20)}`, `#2 ${body(3)}`]);
    expect(lines(await mailbox.answers(3, "the answers to the second message sent before `ready`")), "the second message's answers").toEqual([
      `#3 ${body(15)}`,
      `#4 ${body(0)}`,
      `#5 ${body(9)}`,
    ]);
  });

  test("a handler that throws is a 500 carrying `error` in its place; the rest of its batch still runs", async () => {
    const worker = await loadedWorker(TAPPED_APP, "TAPPED_APP");
    worker.post([request(1, "/start/before"), request(2, "/throw"), request(3, "/start/after"), request(4, "/throw")]);
    const answers = await worker.answers(4, "the answers to [before, /throw, after, /throw]");
    expect(answers.map((answer) => `#${answer.id} ${answer.status}`), "each answer's id and status, in order").toEqual(["#1 200", "#2 500", "#3 200", "#4 500"]);
    const [before, failed, after] = answers as [ResponseMessage, ResponseMessage, ResponseMessage];
    expect(failed.error?.message, "the failed answer's `error`: what went wrong, for the server's log").toContain("on purpose");
    expect(bodyText(failed), "the body the client gets: that it failed, not how").not.toContain("on purpose");
    expect([bodyText(before), bodyText(after)], "the bodies of the tasks around the failure").toEqual(["before", "after"]);
    expect(["error" in before, "error" in after], "whether the answers that succeeded carry an `error` (they must not)").toEqual([false, false]);
  });
});

describe("each answer in the batch is still a flat message", () => {
  test("it rebuilds each request of a batch from its flat message: method, URL, header lines, a byte-string body of every byte value", async () => {
    const worker = await loadedWorker(TAPPED_APP, "TAPPED_APP");
    const bytes = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => 255 - i));
    const others = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    worker.post([
      request(1, "/echo?x=1", { method: "PUT", headers: "content-type: application/octet-stream\r\nx-note: a: b", body: bytes }),
      request(2, "/echo", { method: "POST", body: others }),
    ]);
    const [first, second] = (await worker.answers(2, "the answers to PUT /echo and POST /echo")) as [ResponseMessage, ResponseMessage];
    expect([first.status, second.status], `the statuses: ${bodyText(first)} / ${bodyText(second)}`).toEqual([200, 200]);
    expect([typeof first.body, typeof second.body], "the bodies of small answers: byte strings").toEqual(["string", "string"]);
    expect(first.body, "the 256 bytes PUT echoed back, as a byte string").toBe(bytes);
    expect(second.body, "the 256 bytes POST echoed back, as a byte string").toBe(others);
    expect(typeof first.headers, "an answer's headers: one string of lines").toBe("string");
  });

  test("large answers in a batch (64 and 16 KiB) go back as ArrayBuffers, all in the one transfer list; a small one as a byte string", async () => {
    const worker = await loadedWorker(TAPPED_APP, "TAPPED_APP");
    const mine = tap.fromNow();
    worker.post([request(1, `/bytes/${64 * 1024}`), request(2, "/bytes/100"), request(3, `/bytes/${16 * 1024}`)]);
    const [large, small, medium] = (await worker.answers(3, "the answers to /bytes/65536, /bytes/100 and /bytes/16384")) as [ResponseMessage, ResponseMessage, ResponseMessage];
    const what = (answer: ResponseMessage) => (answer.body instanceof ArrayBuffer ? `ArrayBuffer ${answer.body.byteLength}` : typeof answer.body);
    expect([what(large), what(small), what(medium)], "the bodies of the three answers").toEqual([`ArrayBuffer ${64 * 1024}`, "string", `ArrayBuffer ${16 * 1024}`]);
    const posted = await tap.waitFor(mine, (e) => e.kind === "out" && e.type === undefined, "the tap's report of the answers' message");
    expect(
      posted.transferred,
      "objects in the transfer list of the message holding the 3 answers (worker.ts must post it with the transferList of every answer's body: the 2 large ones handed over, not copied)",
    ).toBe(2);
  });
});
