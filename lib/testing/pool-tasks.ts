// One test's tasks on a step-09 pool (WireRequest in, WireResponse out), each under a label.
//
// Step 09's pool tests send many tasks at once and then ask where each one went: was it
// answered, refused, with what, in which order? Each task is tracked under its label
// (./outcomes.ts), every wait is bounded, and the gates a test shuts are opened again in
// `cleanUp()`, whatever the test left behind. Tasks run on the fixture app (FIXTURE_APP):
//
//   - `labelled("b1")`: `/busy/b1/1`, which announces `b1` as it starts and answers at once;
//   - `hold("held 1", …)`: `/gate/<token>`, which keeps its worker until the test opens the gate;
//   - `run(label, path)`: any other path (`/crash/exit`, `/loop`, …).

import { expect } from "bun:test";
import type { WireRequest, WireResponse } from "../flat-protocol.ts";
import { within } from "./bounded.ts";
import type { EventLog } from "./events.ts";
import { newGate, type Gate } from "./gate.ts";
import { Outcomes } from "./outcomes.ts";
import { bodyText, wireRequest } from "./wire-tasks.ts";

/** What the tests use of a step-09 pool. */
export interface WirePool {
  run(request: WireRequest): Promise<WireResponse>;
  close(options?: { force?: boolean }): Promise<void>;
}

/** How long cleanup waits for a forced close: the reference needs milliseconds; a wrong pool has failed already. */
const CLEANUP_WAIT_MS = 500;

export class PoolTasks {
  /** Every task's outcome, and anything else the test tracks beside them (a `close()`). */
  readonly outcomes = new Outcomes<WireResponse | void>();
  readonly #gates = new Map<string, Gate>();

  constructor(
    readonly pool: WirePool,
    readonly events: EventLog,
  ) {}

  /** Sends `path` under `label`; its outcome is tracked, never left unhandled. */
  run(label: string, path: string, init?: Parameters<typeof wireRequest>[1]): void {
    this.outcomes.track(label, this.pool.run(wireRequest(path, init)));
  }

  /** Sends a task that announces `label` when it starts, and answers `{ label, … }` at once. */
  labelled(...labels: string[]): void {
    for (const label of labels) this.run(label, `/busy/${label}/1`);
  }

  /** A gate this test owns: opened in cleanUp() if the test did not. */
  gate(label: string): Gate {
    const gate = newGate();
    this.#gates.set(label, gate);
    return gate;
  }

  /** Sends one gated task per label and waits until each has started: that many workers are held. */
  async hold(labels: string[], hint = "is a worker idle for each of them?"): Promise<void> {
    const gates = labels.map((label) => {
      const gate = this.gate(label);
      this.run(label, `/gate/${gate.token}`);
      return gate;
    });
    await Promise.all(gates.map((gate, i) => this.#started(labels[i] as string, gate.token, hint)));
  }

  /** Sends a gated task under `label` without waiting for its start (it may be sent ahead). */
  holdLater(label: string): Gate {
    const gate = this.gate(label);
    this.run(label, `/gate/${gate.token}`);
    return gate;
  }

  /** Waits until the gated task `label` has started. */
  started(label: string, hint = ""): Promise<void> {
    const gate = this.#gates.get(label);
    if (!gate) throw new Error(`PoolTasks: no gated task "${label}"`);
    return this.#started(label, gate.token, hint);
  }

  #started(label: string, token: string, hint: string): Promise<void> {
    // A task answered before its handler even started never ran where it should have: say so at once.
    const answeredFirst = this.outcomes.of(label).then((outcome) => {
      throw new Error(`${label} was ${outcome.ok ? `answered (${describeOutcome(outcome)})` : `refused (${describeError(outcome.error)})`} before its handler started`);
    });
    return within(Promise.race([this.events.waitForStart(token).then(() => {}), answeredFirst]), `the start of ${label}`, hint);
  }

  /** Opens the gate of the held task `label`. */
  open(label: string): void {
    this.#gates.get(label)?.open();
  }

  /**
   * `label`'s outcome in one line: "200 <label>" for a labelled task, "200 released <label>" for a
   * held one, "<ErrorName> <status>" for a refusal ("WorkerCrashed 502").
   */
  async outcome(label: string, hint = ""): Promise<string> {
    let line = describeOutcome(await this.outcomes.of(label, hint));
    for (const [name, gate] of this.#gates) line = line.replaceAll(gate.token, name);
    return line;
  }

  /** The outcomes of `labels`, in that order, each in one line (bounded). */
  async outcomesOf(labels: string[], hint = ""): Promise<string[]> {
    const lines: string[] = [];
    for (const label of labels) lines.push(`${label}: ${await this.outcome(label, hint)}`);
    return lines;
  }

  /** Expects `label` to have been answered 200 with its own answer; `hint` says what it means if not. */
  async expectAnswered(label: string, hint = ""): Promise<void> {
    await this.outcomes.value(label, hint); // fails, saying how, if it was refused
    const expected = this.#gates.has(label) ? `200 released ${label}` : `200 ${label}`;
    expect(await this.outcome(label), `the answer to ${label}${hint ? ` (${hint})` : ""}`).toBe(expected);
  }

  /**
   * Fails, with the refusal's own message, if any of `labels` has been refused by now (after
   * the pending microtasks and one turn of the event loop): a test that reads the pool's state or
   * its messages says first that the task never got in, e.g. at a stub still to be written.
   */
  async expectNoneRefused(labels: string[], when: string): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    for (const label of labels) {
      const outcome = this.outcomes.peek(label);
      if (outcome && !outcome.ok) throw new Error(`${when}: ${label} was refused: ${describeError(outcome.error)}`);
    }
  }

  /** Labels in the order their tasks settled, only those among `labels`. */
  settledAmong(labels: string[]): string[] {
    return this.outcomes.settled.filter((label) => labels.includes(label));
  }

  /** Opens every gate and force-closes the pool (briefly bounded), whatever the test left behind. */
  async cleanUp(): Promise<void> {
    for (const gate of this.#gates.values()) gate.open();
    await within(this.pool.close({ force: true }), "cleanup: pool.close({ force: true })", "", CLEANUP_WAIT_MS).catch(() => {});
  }
}

/** The label a `/busy/<label>/n` task answers with, or the released gate's body, or the body itself. */
export function nameOf(response: WireResponse): string {
  const body = bodyText(response);
  try {
    const parsed = JSON.parse(body) as { label?: unknown };
    if (typeof parsed.label === "string") return parsed.label;
  } catch {
    // not JSON: the body is the name
  }
  return body;
}

export function describeOutcome(outcome: { ok: true; value: WireResponse | void } | { ok: false; error: unknown }): string {
  if (outcome.ok) return outcome.value ? `${outcome.value.status} ${nameOf(outcome.value)}` : "resolved";
  const error = outcome.error as { name?: string; status?: number };
  return `${error?.name ?? "Error"} ${error?.status ?? String(outcome.error)}`;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
