// Holding workers: "every worker is busy" as a state a test can set up, on any machine.
//
// Each held task is a `/gate/<token>` request: its handler announces that it has started, then
// keeps its worker's thread until the test opens the gate. Once all of them have started, the
// test knows that that many workers are busy, and stay busy for as long as it wants: a queue
// behind them fills, a limit on waiting can pass, and none of it depends on speed.

import { within } from "./bounded.ts";
import type { EventLog } from "./events.ts";
import { newGate, type Gate } from "./gate.ts";

export interface Held<T> {
  /** The held tasks that have settled so far, by name ("held task 2"): none until released. */
  readonly settled: string[];
  /** The body each held task answers with once released, in order. */
  readonly expected: string[];
  /** Opens every gate. Safe to call again (in a `finally`, say). */
  open(): void;
  /** Opens every gate and resolves with each held task's outcome, in order (bounded). */
  release(): Promise<T[]>;
}

/**
 * Sends `count` gated tasks through `run` and resolves once every one of their handlers has
 * started. Fails (within the 3 s bound) if they do not all start at once, saying `hint`, and
 * fails at once if a held task is answered before its handler even started.
 */
export async function holdWorkers<T>(
  events: EventLog,
  count: number,
  run: (path: string) => Promise<T>,
  hint = "are there that many workers, each free to take a task?",
): Promise<Held<T>> {
  const gates: Gate[] = Array.from({ length: count }, () => newGate());
  const names = gates.map((_, i) => `held task ${i + 1}`);
  const settled: string[] = [];
  const outcomes = gates.map((gate, i) =>
    run(`/gate/${gate.token}`).finally(() => {
      settled.push(names[i] as string);
    }),
  );
  const all = Promise.all(outcomes);
  all.catch(() => {}); // awaited by release(), unless the test fails first
  const open = () => {
    for (const gate of gates) gate.open();
  };
  const started = gates.map((gate, i) =>
    Promise.race([
      events.waitForStart(gate.token),
      (outcomes[i] as Promise<T>).then(
        (value) => {
          throw new Error(`${names[i]} was answered before its handler started: ${JSON.stringify(value)}`);
        },
        (error: unknown) => {
          throw new Error(`${names[i]} failed before its handler started: ${error instanceof Error ? error.message : String(error)}`);
        },
      ),
    ]),
  );
  try {
    await within(Promise.all(started), `${count} held tasks all starting at once`, hint);
  } catch (error) {
    open(); // let whatever did start go, so nothing is left blocked behind the failure
    throw error;
  }
  return {
    settled,
    expected: gates.map((gate) => `released ${gate.token}`),
    open,
    release() {
      open();
      return within(all, `the ${count} held tasks, once their gates were opened`, "does the pool answer every task it ran?");
    },
  };
}
