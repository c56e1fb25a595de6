// Step 10's tests, part 1: one message for many tasks, on the main thread. Run them with
// `npm start -- check 10`.
//
// From this step on, `AppWorker.request()` no longer posts: it adds the request to the worker's
// outgoing batch, and `send()` posts the whole batch as ONE message, an array of step 09's flat
// request messages (lib/batch-protocol.ts). The pool calls `send()` once at the end of each turn
// of the event loop, for every worker it handed tasks to during that turn: the tasks of one turn
// for one worker travel together, those of a later turn in a later message.
//
// Answers look the same either way, so these tests read what crossed from a log kept on the
// main thread (lib/testing/post-log.ts): every message posted to a worker and every message
// received from one, in order, with its requests named by path ("/busy/a/1").

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { FIXTURE_APP } from "#lib/app-modules.ts";
import { within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { TAPPED_APP, TapLog, type ValueKind } from "#lib/testing/message-tap.ts";
import { PoolTasks } from "#lib/testing/pool-tasks.ts";
import { answerMessages, describePost, openPostLog, requestMessages, type PostEntry, type PostLog } from "#lib/testing/post-log.ts";
import { bodyText, wireRequest } from "#lib/testing/wire-tasks.ts";
import { AppWorker } from "./app-worker.ts";
import { WorkerPool, type PoolOptions } from "./pool.ts";

const events = new EventLog();
const tap = new TapLog();
afterAll(() => {
  events.close();
  tap.close();
});

let log: PostLog | undefined;
let current: PoolTasks | undefined;
const workers: AppWorker[] = [];
afterEach(async () => {
  log?.stop();
  log = undefined;
  for (const worker of workers.splice(0)) worker.terminate();
  await current?.cleanUp();
  current = undefined;
});

/** Opens the log of messages: before the workers it is to see are created. */
function openLog(): PostLog {
  log = openPostLog();
  return log;
}

async function startWorker(appModule: string, name: string): Promise<AppWorker> {
  const worker = await within(AppWorker.start(appModule), `AppWorker.start(${name})`, "does the worker answer `init` with `ready`, as in step 09?");
  workers.push(worker);
  return worker;
}

/** A pool on the fixture app, created within the bound, and the book of this test's tasks on it. */
async function newTasks(options: Omit<PoolOptions, "appModule">): Promise<{ tasks: PoolTasks; pool: WorkerPool }> {
  const pool = await within(
    WorkerPool.create({ appModule: FIXTURE_APP, ...options }),
    `WorkerPool.create(${JSON.stringify(options)})`,
    "does every worker answer `init`, as in step 09?",
  );
  current = new PoolTasks(pool, events);
  return { tasks: current, pool };
}

const labels = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);

/** The next turn of the event loop: whatever the pool scheduled for the end of this one has run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The labels of `/busy/<label>/1` requests (else the path) in each message that carried requests to a worker. */
function sentBatches(entries: PostEntry[]): string[][] {
  return requestMessages(entries).map((entry) => entry.items.map((item) => busyLabel(item.label)));
}
const busyLabel = (path = "?") => /^\/busy\/([^/]+)\/1$/.exec(path)?.[1] ?? path;

/** Every message with requests, in one line each, for a failure message. */
const posted = (entries: PostEntry[]) => requestMessages(entries).map(describePost).join("; ") || "none";

/** Fails unless every message that carried requests was an array (step 10's only shape for them). */
function expectOnlyArrays(entries: PostEntry[], what: string): void {
  const single = requestMessages(entries).filter((entry) => !entry.array);
  expect(single.map(describePost), `${what}: messages that carried a single request, not an array of them (from step 10 on, every message with tasks is an array, even of one)`).toEqual([]);
}

describe("AppWorker: request() adds to the batch, send() posts it", () => {
  test("request() posts nothing; send() posts every request given since, as ONE message in order; the worker answers with one; each caller gets its own answer", async () => {
    const mine = openLog().fromNow();
    const worker = await startWorker(TAPPED_APP, "TAPPED_APP");
    const answers = ["a", "b", "c", "d"].map((label) => worker.request(wireRequest(`/start/${label}`)));
    for (const answer of answers) answer.catch(() => {});
    expect(requestMessages(mine()).map(describePost), "messages posted by 4 calls of request(), before send(): request() only adds to the batch").toEqual([]);
    worker.send();
    expect(
      requestMessages(mine()).map((entry) => [entry.array, entry.items.map((item) => item.label)]),
      "what send() posted after 4 requests: ONE message, an array of the 4 requests in the order given",
    ).toEqual([[true, ["/start/a", "/start/b", "/start/c", "/start/d"]]]);
    const bodies = await within(Promise.all(answers), "the answers to the 4 requests", "each answer reaches its caller by its id");
    expect(bodies.map(bodyText), "each caller's answer").toEqual(["a", "b", "c", "d"]);
    const back = answerMessages(mine());
    expect(back.map((entry) => [entry.array, entry.items.map((item) => item.label)]), "the messages the worker answered with: ONE array of 4 answers, in order").toEqual([
      [true, ["/start/a", "/start/b", "/start/c", "/start/d"]],
    ]);
    const ids = requestMessages(mine())[0]?.items.map((item) => item.id);
    expect(new Set(ids).size, `the ids of the 4 requests (${JSON.stringify(ids)}): each its own`).toBe(4);
  });

  test("send() with nothing given posts nothing; a second send() does not post the same requests again; the next batch holds only the new ones", async () => {
    const mine = openLog().fromNow();
    const worker = await startWorker(TAPPED_APP, "TAPPED_APP");
    worker.send();
    expect(posted(mine()), "messages posted by send() with no request given").toBe("none");
    const first = [worker.request(wireRequest("/start/a")), worker.request(wireRequest("/start/b"))];
    for (const answer of first) answer.catch(() => {}); // awaited below, unless the test fails first
    worker.send();
    worker.send();
    const firstAnswers = await within(Promise.all(first), "the answers to a and b");
    expect(firstAnswers.map(bodyText), "the answers to a and b").toEqual(["a", "b"]);
    const third = worker.request(wireRequest("/start/c"));
    third.catch(() => {});
    worker.send();
    expect(bodyText(await within(third, "the answer to c")), "the answer to c").toBe("c");
    worker.send();
    expect(
      sentBatches(mine()),
      "the messages posted: send() posts the batch and starts a fresh one (a batch kept after send() is posted again, and its tasks run twice)",
    ).toEqual([["/start/a", "/start/b"], ["/start/c"]]);
  });

  test("large bodies in a batch (64 and 8 KiB) go as ArrayBuffers, all in the one transfer list, and leave the callers' buffers empty; small ones as byte strings", async () => {
    const mine = openLog().fromNow();
    const worker = await startWorker(TAPPED_APP, "TAPPED_APP");
    const binary = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 131 + seed) % 256);
    const large = binary(64 * 1024, 1);
    const eight = binary(8 * 1024, 2);
    const [largeBody, eightBody] = [large.slice().buffer as ArrayBuffer, eight.slice().buffer as ArrayBuffer];
    const small = "small body \u00ff\u0000";
    const answers = [
      worker.request(wireRequest("/echo", { method: "POST", body: largeBody })),
      worker.request(wireRequest("/echo", { method: "POST", body: small })),
      worker.request(wireRequest("/echo", { method: "PUT", body: eightBody })),
    ];
    for (const answer of answers) answer.catch(() => {}); // awaited below, unless the test fails first
    worker.send();
    const [message] = requestMessages(mine());
    expect(message?.items.map((item) => item.shape.body), "the bodies in the message send() posted").toEqual(["ArrayBuffer", "string", "ArrayBuffer"]);
    expect(message?.transferred, "objects in the transfer list of that one message (every large body's ArrayBuffer: handed over, not copied)").toBe(2);
    expect([largeBody.detached, eightBody.detached], "the callers' ArrayBuffers once sent (transferred: left empty)").toEqual([true, true]);
    const [backLarge, backSmall, backEight] = await within(Promise.all(answers), "the answers to the 3 POST /echo");
    const bytes = (body: unknown) => (body instanceof ArrayBuffer ? new Uint8Array(body) : Buffer.from(String(body), "latin1"));
    expect(Buffer.from(bytes(backLarge?.body)).equals(Buffer.from(large)), "the 64 KiB echoed back").toBe(true);
    expect(backSmall?.body, "the small body echoed back").toBe(small);
    expect(Buffer.from(bytes(backEight?.body)).equals(Buffer.from(eight)), "the 8 KiB echoed back").toBe(true);
  });
});

describe("the pool posts the tasks a worker gets during one turn as one message", () => {
  test("5 tasks handed to one idle worker in one turn reach it as ONE message, in order, and come back as one", async () => {
    const mine = openLog().fromNow();
    const { tasks } = await newTasks({ size: 1 });
    const sent = labels("t", 5);
    tasks.labelled(...sent);
    await tasks.outcomesOf(sent);
    await tasks.expectNoneRefused(sent, "5 tasks handed to one idle worker");
    expect(sentBatches(mine()), `the messages carrying tasks to the worker (the 5 tasks handed out in one turn should reach it as ONE message, got ${requestMessages(mine()).length})`).toEqual([sent]);
    expect(
      answerMessages(mine()).map((entry) => entry.items.map((item) => busyLabel(item.label))),
      "the messages the worker answered with: one, holding the 5 answers in order",
    ).toEqual([sent]);
    expectOnlyArrays(mine(), "the messages to the worker");
    expect(tasks.settledAmong(sent), "the order the callers heard their answers in").toEqual(sent);
  });

  test("a pool of 2, 6 tasks in one turn: each worker gets ONE message, with its 3 tasks in the order they came", async () => {
    const mine = openLog().fromNow();
    const { tasks } = await newTasks({ size: 2 });
    const sent = labels("t", 6);
    tasks.labelled(...sent);
    await tasks.outcomesOf(sent);
    await tasks.expectNoneRefused(sent, "6 tasks handed to a pool of 2");
    const messages = requestMessages(mine());
    expect(messages.map((entry) => entry.worker).sort(), `which worker each message with tasks went to (${posted(mine())}): one message for each of the 2 workers`).toEqual([0, 1]);
    const batches = sentBatches(mine());
    expect(batches.map((batch) => batch.length), `how many tasks each message carried (${posted(mine())}): 3 each, an idle worker first, then the one holding the fewest`).toEqual([3, 3]);
    for (const batch of batches) expect(batch, "a message's tasks: in the order they were handed out").toEqual([...batch].sort());
    expect(batches.flat().sort(), "every task, in exactly one message").toEqual(sent);
  });

  test("tasks added after an `await` of an already-settled promise, in the same turn, still join the same message", async () => {
    const mine = openLog().fromNow();
    const { tasks } = await newTasks({ size: 1 });
    tasks.labelled("a");
    await Promise.resolve();
    tasks.labelled("b");
    await (async () => {})();
    await Promise.all([Promise.resolve(1), Promise.resolve(2)]);
    tasks.labelled("c", "d");
    await tasks.outcomesOf(["a", "b", "c", "d"]);
    await tasks.expectNoneRefused(["a", "b", "c", "d"], "a, b, c and d, handed out in one turn");
    expect(
      sentBatches(mine()),
      `the messages carrying a, b, c and d, all handed out in one turn of the event loop (awaiting a settled promise only yields to the microtasks of the same turn): one message, posted at the end of the turn, not one per microtask (setImmediate, not queueMicrotask). Posted: ${posted(mine())}`,
    ).toEqual([["a", "b", "c", "d"]]);
  });

  test("tasks of a later turn go in a later message: three turns, three messages, each with its own tasks", async () => {
    const mine = openLog().fromNow();
    const { tasks } = await newTasks({ size: 1 });
    tasks.labelled("a1", "a2", "a3");
    await nextTurn();
    tasks.labelled("b1", "b2");
    await nextTurn();
    tasks.labelled("c1");
    await tasks.outcomesOf(["a1", "a2", "a3", "b1", "b2", "c1"]);
    await tasks.expectNoneRefused(["a1", "a2", "a3", "b1", "b2", "c1"], "the tasks of three turns");
    expect(sentBatches(mine()), "the messages carrying the tasks of three turns, in the order posted").toEqual([["a1", "a2", "a3"], ["b1", "b2"], ["c1"]]);
    expectOnlyArrays(mine(), "the messages to the worker");
    expect(tasks.settledAmong(["a1", "a2", "a3", "b1", "b2", "c1"]), "the order the callers heard their answers in").toEqual(["a1", "a2", "a3", "b1", "b2", "c1"]);
  });

  test("a task queued while every worker holds tasksPerWorker is posted in a message of its own turn once it leaves the queue", async () => {
    const mine = openLog().fromNow();
    const { tasks } = await newTasks({ size: 1, tasksPerWorker: 2 });
    tasks.holdLater("held");
    tasks.labelled("a", "q1", "q2");
    await tasks.started("held");
    expect(sentBatches(mine()).map((batch) => batch.length), `the messages posted while held runs (held and a together, tasksPerWorker 2: q1 and q2 wait in the pool's queue). Posted: ${posted(mine())}`).toEqual([2]);
    tasks.open("held");
    await tasks.outcomesOf(["held", "a", "q1", "q2"]);
    // Once [held, a] is answered the worker is free: the queued q1 and q2 go to it in that turn, together.
    expect(sentBatches(mine()).slice(1), `the messages posted once held was released. Posted: ${posted(mine())}`).toEqual([["q1", "q2"]]);
  });
});

describe("what a message carries, through the pool", () => {
  test("a request crosses as flat messages inside an array: type, id, method, url, headers and body side by side, each a string, a number or null (or a large body's ArrayBuffer)", async () => {
    const mine = openLog().fromNow();
    const pool = await within(WorkerPool.create({ appModule: TAPPED_APP, size: 1 }), "WorkerPool.create({ appModule: TAPPED_APP, size: 1 })");
    try {
      const answers = [
        pool.run(wireRequest("/start/flat-get?x=1&x=2", { headers: "x-a: 1\r\nx-note: a: b" })),
        pool.run(wireRequest("/echo", { method: "POST", body: "a small body" })),
        pool.run(wireRequest("/throw")),
      ];
      const [get, echo, thrown] = await within(Promise.all(answers), "the answers to GET /start/flat-get, POST /echo and GET /throw");
      expect([get?.status, echo?.status, thrown?.status], "their statuses").toEqual([200, 200, 500]);
      const requests = requestMessages(mine());
      expect(requests.map((entry) => entry.array), `the messages that carried them (${posted(mine())}): ONE array`).toEqual([true]);
      const shapes = requests[0]?.items.map((item) => item.shape);
      const flat: Record<string, ValueKind> = { type: "string", id: "number", method: "string", url: "string", headers: "string" };
      expect(shapes, "the keys of each request in the array, and what each holds (step 09's flat request message)").toEqual([
        { ...flat, body: "null" },
        { ...flat, body: "string" },
        { ...flat, body: "null" },
      ]);
      const back = answerMessages(mine());
      const answerFlat: Record<string, ValueKind> = { type: "string", id: "number", status: "number", statusText: "string", headers: "string", body: "string" };
      expect(back.map((entry) => entry.array), "the messages that carried the answers back: ONE array").toEqual([true]);
      expect(back[0]?.items.map((item) => item.shape), "the keys of each answer in the array: step 09's flat answer; `error` only on the failed handler's 500").toEqual([
        answerFlat,
        answerFlat,
        { ...answerFlat, error: "object" },
      ]);
    } finally {
      await within(pool.close({ force: true }), "pool.close({ force: true })").catch(() => {});
    }
  });

  test("a body that cannot cross (one ArrayBuffer given twice in one turn): only the task that repeats it fails, with a DataCloneError; the rest of its batch is answered, and the pool goes on", async () => {
    const pool = await within(WorkerPool.create({ appModule: TAPPED_APP, size: 1 }), "WorkerPool.create({ appModule: TAPPED_APP, size: 1 })");
    try {
      const shared = new Uint8Array(16 * 1024).fill(7).buffer as ArrayBuffer; // large: transferred, not copied
      const runs = [
        pool.run(wireRequest("/echo", { method: "POST", body: "before" })),
        pool.run(wireRequest("/echo", { method: "POST", body: shared })),
        pool.run(wireRequest("/echo", { method: "POST", body: shared })), // the same buffer again: it cannot be handed over twice
        pool.run(wireRequest("/echo", { method: "POST", body: "after" })),
      ];
      const settled = await within(Promise.allSettled(runs), "the 4 tasks of the batch, one of them with a body that cannot cross", "does a message postMessage refuses leave its tasks waiting?");
      for (const r of settled) {
        // Anything but the DataCloneError (a stub still to write, say) is said as it is.
        if (r.status === "rejected" && (r.reason as Error).name !== "DataCloneError") throw new Error(`a task was refused: ${(r.reason as Error).message}`);
      }
      const seen = settled.map((r) => (r.status === "fulfilled" ? `${r.value.status} ${r.value.body instanceof ArrayBuffer ? `${r.value.body.byteLength} B` : bodyText(r.value)}` : `refused: ${(r.reason as Error).name}`));
      expect(seen, "each task's outcome: postMessage refuses a whole message for one body that cannot cross; sent one by one, the others do").toEqual([
        "200 before",
        `200 ${16 * 1024} B`,
        "refused: DataCloneError",
        "200 after",
      ]);
      const next = await within(pool.run(wireRequest("/echo", { method: "POST", body: "next turn" })), "a task of the next turn");
      expect(bodyText(next), "the pool goes on").toBe("next turn");
      expect(pool.stats(), "stats() once all is answered").toMatchObject({ idle: 1, busy: 0, ahead: 0, queued: 0 });
    } finally {
      await within(pool.close({ force: true }), "pool.close({ force: true })").catch(() => {});
    }
  });

  test("pool.run() with 64 KiB bodies: the worker gets every byte, the callers' ArrayBuffers are left empty (transferred), and the large answers come back in the worker's one transfer list", async () => {
    const mine = tap.fromNow();
    const pool = await within(WorkerPool.create({ appModule: TAPPED_APP, size: 1 }), "WorkerPool.create({ appModule: TAPPED_APP, size: 1 })");
    try {
      const binary = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 131 + seed) % 256);
      const sent = [binary(64 * 1024, 11), binary(64 * 1024, 12)];
      const bodies = sent.map((bytes) => bytes.slice().buffer as ArrayBuffer);
      const answers = await within(Promise.all(bodies.map((body) => pool.run(wireRequest("/echo", { method: "POST", body })))), "pool.run(POST /echo with 64 KiB), twice in one turn");
      answers.forEach((answer, i) => {
        const back = answer.body;
        expect(back instanceof ArrayBuffer && Buffer.from(new Uint8Array(back)).equals(Buffer.from(sent[i] ?? [])), `the 64 KiB body ${i + 1} the worker sent back, as an ArrayBuffer`).toBe(true);
      });
      expect(
        bodies.map((body) => ({ byteLength: body.byteLength, detached: body.detached })),
        "the callers' ArrayBuffers once sent: AppWorker must put each in the batch's transfer list, which hands the memory over and leaves it empty",
      ).toEqual([{ byteLength: 0, detached: true }, { byteLength: 0, detached: true }]);
      const out = await tap.waitFor(mine, (e) => e.kind === "out" && e.type === undefined, "the tap's report of the worker's message of answers");
      expect({ answers: Object.keys(out.shape ?? {}).length, transferred: out.transferred }, "the worker's message of answers: both answers, both large bodies in its transfer list").toEqual({
        answers: 2,
        transferred: 2,
      });
    } finally {
      await within(pool.close({ force: true }), "pool.close({ force: true })").catch(() => {});
    }
  });
});
