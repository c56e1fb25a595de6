// Bounded waits: no step test may hang on a wrong implementation.
//
// A correct implementation answers, resolves or rejects the promises a test awaits; a wrong
// one may leave them pending forever (a lost request, a handshake never answered, a close
// that never resolves). Bun's per-test timeout would end such a test after 10 s with a bare
// "timed out", and an `await expect(promise).rejects…` on a promise that never settles does
// not even reach it on Bun 1.4.5. So every await that a wrong implementation could leave
// pending goes through `within()`: it fails fast, and says what was awaited and what usually
// causes it, in the learner's words.

/**
 * How long a test waits for something a correct implementation does at once (a worker
 * answering, a pool settling a task). Not a speed threshold: the reference does each of these
 * in milliseconds, also beside a CPU hog on 2 cores; this only bounds a wrong implementation.
 */
export const SETTLE_LIMIT_MS = 3_000;

export class NotSettled extends Error {
  override name = "NotSettled";
}

/**
 * Resolves or rejects as `promise` does, or fails after `ms` with
 * "<what> did not settle within 3 s: <hint>".
 */
export function within<T>(promise: Promise<T>, what: string, hint = "", ms = SETTLE_LIMIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new NotSettled(`${what} did not settle within ${ms / 1000} s${hint ? `: ${hint}` : ""}`)),
      ms,
    );
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/**
 * The reason `promise` rejects with. Fails, with a message naming `what`, if it fulfils
 * instead or does not settle in time. Use it instead of `expect(promise).rejects`, which
 * can hang on a promise that never settles.
 */
export async function rejectionOf(promise: Promise<unknown>, what: string, hint = "", ms = SETTLE_LIMIT_MS): Promise<unknown> {
  const outcome = await within(
    promise.then(
      (value) => ({ fulfilled: true as const, value }),
      (reason: unknown) => ({ fulfilled: false as const, reason }),
    ),
    what,
    hint,
    ms,
  );
  if (outcome.fulfilled) {
    throw new Error(`${what} was expected to reject, but it resolved with ${describe(outcome.value)}${hint ? `: ${hint}` : ""}`);
  }
  return outcome.reason;
}

/**
 * Waits until `condition()` holds, checking after each turn of the event loop, for state that
 * changes without an event a test can await (a pool back at full size after a crash). Fails
 * after `ms` with "<what> never happened within 3 s", plus `detail()` if given.
 */
export async function until(
  condition: () => boolean,
  what: string,
  detail: () => string = () => "",
  ms = SETTLE_LIMIT_MS,
): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) {
      const more = detail();
      throw new NotSettled(`${what} never happened within ${ms / 1000} s${more ? `: ${more}` : ""}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function describe(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return String(value);
  }
}
