// Outcomes: what became of many calls in flight at once, each named by a label, and in which
// order they settled. A shutdown test sends a handful of requests, stops the server, and then
// asks: had any of them been answered before the gates opened? did each get its own answer?
// did `stop()` resolve after the last one? Labels make the failures readable ("queued 2 was
// rejected with …"), and every wait is bounded (./bounded.ts), so a lost request fails the
// test instead of hanging it.

import { within } from "./bounded.ts";

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export class Outcomes<T> {
  /** Labels in the order their promise settled. */
  readonly settled: string[] = [];
  readonly #outcomes = new Map<string, Promise<Outcome<T>>>();
  readonly #results = new Map<string, Outcome<T>>();

  /** Watches `promise` under `label` (which must be new). Its rejection is recorded, never left unhandled. */
  track<U extends T>(label: string, promise: Promise<U>): void {
    if (this.#outcomes.has(label)) throw new Error(`Outcomes: "${label}" is tracked already`);
    this.#outcomes.set(
      label,
      promise.then(
        (value): Outcome<T> => this.#record(label, { ok: true, value }),
        (error: unknown): Outcome<T> => this.#record(label, { ok: false, error }),
      ),
    );
  }

  /** How `label` settled, if it has by now; undefined while it waits (no waiting here). */
  peek(label: string): Outcome<T> | undefined {
    return this.#results.get(label);
  }

  #record(label: string, outcome: Outcome<T>): Outcome<T> {
    this.settled.push(label);
    this.#results.set(label, outcome);
    return outcome;
  }

  /**
   * Fails unless nothing tracked has settled yet, naming what had and how ("stop() failed
   * with Error: …"): a test checks this while everything should still be waiting.
   */
  expectNoneSettled(when: string): void {
    if (this.settled.length === 0) return;
    const what = this.settled.map((label) => {
      const outcome = this.#results.get(label) as Outcome<T>;
      return `${label} ${outcome.ok ? `resolved with ${describe(outcome.value)}` : `failed with ${describe(outcome.error)}`}`;
    });
    throw new Error(`${when}, nothing should have settled yet, but:\n  ${what.join("\n  ")}`);
  }

  /** How `label` settled, once it has (3 s at most, then a failure naming it and `hint`). */
  of(label: string, hint = ""): Promise<Outcome<T>> {
    const outcome = this.#outcomes.get(label);
    if (!outcome) throw new Error(`Outcomes: nothing tracked as "${label}"`);
    return within(outcome, label, hint);
  }

  /** The value `label` resolved with; fails, saying what it got instead, if it rejected. */
  async value(label: string, hint = ""): Promise<T> {
    const outcome = await this.of(label, hint);
    if (outcome.ok) return outcome.value;
    throw new Error(`${label} was expected to succeed, but it failed with ${describe(outcome.error)}${hint ? `: ${hint}` : ""}`);
  }

  /** The reason `label` rejected with; fails, saying what it got instead, if it resolved. */
  async error(label: string, hint = ""): Promise<unknown> {
    const outcome = await this.of(label, hint);
    if (!outcome.ok) return outcome.error;
    throw new Error(`${label} was expected to fail, but it resolved with ${describe(outcome.value)}${hint ? `: ${hint}` : ""}`);
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return String(value);
  }
}
