// Bounded set-ups, one per test, that fail under the test's own name.
//
// A shared `beforeAll` that fails (a worker that never says `ready`) turns every test behind
// it into one anonymous "(beforeAll)" failure, and bun drops them from the count. So each test
// starts what it needs itself, through `SetUps`: bounded like every other wait, and failing
// with a message that names the test file, what was awaited and the usual cause.
//
// A set-up that did not settle once will not settle the next time either: the first test
// waits out the bound, the ones after it fail at once with the same message, so that a worker
// that never answers costs 3 s, not 3 s per test. What is remembered is shared by every test
// file of the run (bun runs them in one process): a start() that never settled in one file
// is not awaited again in the next.

import { NotSettled, SETTLE_LIMIT_MS, within } from "./bounded.ts";

export interface SetUpOptions<T> {
  /** What usually keeps it from settling, in the learner's terms. */
  hint?: string;
  /**
   * Set-ups that share a key share their fate: once one did not settle, the others fail at
   * once, in this test file and in the files after it. Defaults to `what`.
   */
  key?: string;
  /** Called with a value that arrives after the bound (terminate the worker it started), so nothing is left running. */
  release?: (late: T) => unknown;
}

export class SetUps {
  readonly #file: string;
  readonly #ms: number;
  static readonly #stuck = new Map<string, string>();

  /** `file` names the test file in every message, e.g. "app-worker.test.ts". */
  constructor(file: string, ms = SETTLE_LIMIT_MS) {
    this.#file = file;
    this.#ms = ms;
  }

  /** Awaits `start()`, bounded; `what` names it, e.g. "AppWorker.start(FIXTURE_APP)". */
  async start<T>(what: string, start: () => Promise<T>, options: SetUpOptions<T> = {}): Promise<T> {
    const key = options.key ?? what;
    const earlier = SetUps.#stuck.get(key);
    if (earlier !== undefined) throw new NotSettled(`${earlier} (seen in an earlier test, not awaited again)`);
    const pending = Promise.resolve().then(start);
    try {
      return await within(pending, `${this.#file}: ${what}`, options.hint, this.#ms);
    } catch (error) {
      if (error instanceof NotSettled) {
        SetUps.#stuck.set(key, error.message);
        pending.then(options.release, () => {});
      }
      throw error;
    }
  }

  /**
   * The reason `start()` rejects with, bounded. Fails if it resolves instead (the value goes
   * to `release`), or if it does not settle (remembered under the key, like `start`).
   */
  async rejection<T>(what: string, start: () => Promise<T>, options: SetUpOptions<T> = {}): Promise<unknown> {
    const outcome = await this.start(
      what,
      () => start().then(
        (value) => ({ fulfilled: true as const, value }),
        (reason: unknown) => ({ fulfilled: false as const, reason }),
      ),
      { ...options, release: (late) => (late.fulfilled ? options.release?.(late.value) : undefined) },
    );
    if (!outcome.fulfilled) return outcome.reason;
    options.release?.(outcome.value);
    const hint = options.hint ? `: ${options.hint}` : "";
    throw new Error(`${this.#file}: ${what} was expected to reject, but it resolved${hint}`);
  }
}
