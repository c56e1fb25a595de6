// The test helpers are themselves tested: a helper that could never see an event would
// make every order test pass or hang for the wrong reason.
import { afterAll, expect, test } from "bun:test";
import { announce, EventLog } from "./events.ts";
import { newGate, waitAtGate } from "./gate.ts";
import { rejectionOf, until, within } from "./bounded.ts";

const events = new EventLog();
afterAll(() => events.close());

test("an announcement reaches the EventLog, even one made before waiting", async () => {
  announce({ kind: "started", label: "early" });
  await events.waitForStart("early");
  expect(events.started).toContain("early");
});

test("an announcement from another thread arrives while that thread is still blocked", async () => {
  // The worker announces, then blocks at a gate: the event must arrive anyway.
  const gate = newGate();
  const source = `
    import { announce } from ${JSON.stringify(new URL("./events.ts", import.meta.url).href)};
    import { waitAtGate } from ${JSON.stringify(new URL("./gate.ts", import.meta.url).href)};
    announce({ kind: "started", label: ${JSON.stringify(gate.token)} });
    postMessage(waitAtGate(${JSON.stringify(gate.token)}));
  `;
  const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "application/typescript" })));
  try {
    const released = new Promise((resolve) => (worker.onmessage = (e) => resolve(e.data)));
    await events.waitForStart(gate.token);
    gate.open();
    expect(await released).toBe(true);
  } finally {
    worker.terminate();
  }
});

test("a gate nobody opens gives up instead of hanging", () => {
  expect(waitAtGate(newGate().token, 5)).toBe(false);
});

test("within() fails fast on a promise that never settles, naming what was awaited", async () => {
  const never = new Promise<void>(() => {});
  const error = await within(never, "the thing under test", "is it ever answered?", 20).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toBe("the thing under test did not settle within 0.02 s: is it ever answered?");
});

test("within() passes a value or a rejection straight through", async () => {
  expect(await within(Promise.resolve(7), "seven")).toBe(7);
  expect(await rejectionOf(Promise.reject(new Error("no")), "a refusal")).toBeInstanceOf(Error);
});

test("rejectionOf() fails when the promise resolves instead", async () => {
  const error = await rejectionOf(Promise.resolve({ status: 200 }), "run() on a closed pool").then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((error as Error).message).toContain('run() on a closed pool was expected to reject, but it resolved with {"status":200}');
});

test("until() waits for a condition and fails with the detail when it never holds", async () => {
  let ready = false;
  setTimeout(() => (ready = true), 5);
  await until(() => ready, "ready");
  const error = await until(() => false, "the pool back at 2 workers", () => "size is 1", 20).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((error as Error).message).toBe("the pool back at 2 workers never happened within 0.02 s: size is 1");
});
