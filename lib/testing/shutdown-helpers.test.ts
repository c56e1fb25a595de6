// The helpers step 07's tests lean on are tested too: an Outcomes that lost a label, or a
// start-up control that did not hold, would make a drain test pass or fail for the wrong reason.
import { afterAll, expect, test } from "bun:test";
import { within } from "./bounded.ts";
import { EventLog } from "./events.ts";
import { Outcomes } from "./outcomes.ts";
import { controlledStart } from "./start-control.ts";

const events = new EventLog();
afterAll(() => events.close());

test("Outcomes records each label in the order it settled, a rejection included", async () => {
  const outcomes = new Outcomes<number>();
  let resolveFirst = (_: number) => {};
  outcomes.track("first", new Promise<number>((resolve) => (resolveFirst = resolve)));
  outcomes.track("second", Promise.reject(new Error("no")));
  expect(await outcomes.error("second")).toBeInstanceOf(Error);
  resolveFirst(1);
  expect(await outcomes.value("first")).toBe(1);
  expect(outcomes.settled).toEqual(["second", "first"]);
});

test("Outcomes says what it got when a label settled the other way, or settled too early", async () => {
  const outcomes = new Outcomes<{ status: number }>();
  outcomes.track("refused", Promise.reject(new Error("the server is shutting down")));
  outcomes.track("answered", Promise.resolve({ status: 200 }));
  const failed = await outcomes.value("refused").then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(failed?.message).toBe("refused was expected to succeed, but it failed with Error: the server is shutting down");
  const resolved = await outcomes.error("answered", "is the pool closed?").then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(resolved?.message).toBe('answered was expected to fail, but it resolved with {"status":200}: is the pool closed?');
  expect(() => outcomes.expectNoneSettled("After close()")).toThrow(
    'After close(), nothing should have settled yet, but:\n  refused failed with Error: the server is shutting down\n  answered resolved with {"status":200}',
  );
});

/** Loads `appModule` in a worker of its own, as the pool's workers do; says how it went. */
function load(appModule: string): Promise<string> {
  const source = `import(${JSON.stringify(appModule)}).then((m) => postMessage(typeof m.app), (e) => postMessage("failed: " + e.message));`;
  const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "application/javascript" })));
  return within(new Promise<string>((resolve) => (worker.onmessage = (e) => resolve(e.data as string))), "a worker loading the controlled app").finally(
    () => worker.terminate(),
  );
}

test("controlledStart: loads normally, then holds a start at its gate, then fails it", async () => {
  const start = controlledStart();
  try {
    expect(await load(start.appModule)).toBe("object");
    const held = start.hold();
    let settled = false;
    const loading = load(start.appModule).finally(() => (settled = true));
    await within(events.waitForStart(held.loading), "the held start's announcement");
    expect(settled, "the start settled while held at its gate").toBe(false);
    held.gate.open();
    expect(await loading).toBe("object");
    start.fail(); // a start that is held and told to fail waits at the gate first, then fails
    held.gate.open();
    expect(await load(start.appModule)).toBe("failed: the app refuses to start now (on purpose)");
  } finally {
    start.dispose();
  }
}, 10_000);
