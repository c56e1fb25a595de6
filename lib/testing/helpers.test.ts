// The test helpers are themselves tested: a helper that could never see an event would
// make every order test pass or hang for the wrong reason.
import { afterAll, expect, test } from "bun:test";
import { announce, EventLog } from "./events.ts";
import { newGate, waitAtGate } from "./gate.ts";

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
