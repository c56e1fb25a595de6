// The per-test set-up helper and the async gate are tested like the other helpers: a helper
// that failed silently would make step tests pass, or hang, for the wrong reason.
import { afterAll, expect, test } from "bun:test";
import { newAsyncGate, waitAtAsyncGate } from "./async-gate.ts";
import { EventLog } from "./events.ts";
import { SLOW_LOADING_APP, WAITING_APP, watchSlowLoad } from "./handshake-apps.ts";
import { SetUps } from "./set-ups.ts";

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as Error);

test("SetUps.start() passes a value or a rejection through", async () => {
  const setUps = new SetUps("demo.test.ts");
  expect(await setUps.start("seven", async () => 7)).toBe(7);
  expect((await failure(setUps.start("a refusal", async () => Promise.reject(new Error("no")))))?.message).toBe("no");
  // A start() that throws before returning a promise fails the same way.
  const stub = () => {
    throw new Error("not implemented yet");
  };
  expect((await failure(setUps.start("a stub", stub)))?.message).toBe("not implemented yet");
});

test("SetUps.start() names the file and what was awaited, then fails at once on the same set-up", async () => {
  const setUps = new SetUps("demo.test.ts", 20);
  let released: unknown;
  let late = (_: string) => {};
  const first = setUps.start("the worker's ready", () => new Promise<string>((resolve) => (late = resolve)), {
    hint: "does it answer init?",
    release: (v) => (released = v),
  });
  const error = await failure(first);
  expect(error?.message).toBe("demo.test.ts: the worker's ready did not settle within 0.02 s: does it answer init?");
  const again = await failure(setUps.start("the worker's ready", async () => "never asked"));
  expect(again?.message).toBe(
    "demo.test.ts: the worker's ready did not settle within 0.02 s: does it answer init? (seen in an earlier test, not awaited again)",
  );
  late("a worker");
  await Promise.resolve();
  await Promise.resolve();
  expect(released, "the late value, handed to release()").toBe("a worker");
});

const events = new EventLog();
afterAll(() => events.close());

test("SetUps.rejection() returns the reason, and fails, releasing the value, when the promise resolves", async () => {
  const setUps = new SetUps("demo.test.ts", 20);
  expect(await setUps.rejection("a refusal", async () => Promise.reject(new Error("no")))).toEqual(new Error("no"));
  let released: unknown;
  const resolved = await failure(setUps.rejection("start(MISSING)", async () => "a worker", { hint: "is init-error handled?", release: (v) => (released = v) }));
  expect(resolved?.message).toBe("demo.test.ts: start(MISSING) was expected to reject, but it resolved: is init-error handled?");
  expect(released).toBe("a worker");
  const never = await failure(setUps.rejection("start(BROKEN)", () => new Promise(() => {}), { key: "bad modules" }));
  expect(never?.message).toBe("demo.test.ts: start(BROKEN) did not settle within 0.02 s");
  const shared = await failure(setUps.rejection("start(NO_APP)", async () => "never asked", { key: "bad modules" }));
  expect(shared?.message).toContain("start(BROKEN) did not settle within 0.02 s (seen in an earlier test");
});

test("an async gate holds an awaiting handler, without its thread, until the test opens it", async () => {
  const gate = newAsyncGate();
  let done = false;
  const waiting = waitAtAsyncGate(gate.token).then((opened) => ((done = true), opened));
  await new Promise((resolve) => setTimeout(resolve, 5));
  expect(done, "the waiter, before the gate opened").toBe(false);
  gate.open();
  expect(await waiting).toBe(true);
  expect(await waitAtAsyncGate(newAsyncGate().token, 5), "a gate nobody opens gives up").toBe(false);
});

test("a slow-loading app announces its loading, and loads once let go", async () => {
  const worker = new Worker(URL.createObjectURL(new Blob([`self.onmessage = async (e) => postMessage(Object.keys(await import(e.data)))`], { type: "application/javascript" })));
  try {
    const loaded = new Promise((resolve) => (worker.onmessage = (e) => resolve(e.data)));
    const loading = watchSlowLoad(events);
    worker.postMessage(SLOW_LOADING_APP);
    const letGo = await loading("the slow app's announcement", "");
    letGo();
    expect(await loaded).toEqual(["app"]);
  } finally {
    worker.terminate();
  }
  expect(WAITING_APP).toEndWith("waiting-app.ts");
});
