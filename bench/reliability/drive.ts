// Sending requests and keeping score. A request either gets an answer (any status, counted
// by status) or it does not: `hung` (no answer within HANG_MS, far longer than any deadline
// or queue limit the server has, so only a request the server lost gets there) or `failed`
// (the connection broke: the server dropped it without an answer).

/** Longer than the server's request deadline plus its queue limit: past this, nobody is coming. */
export const HANG_MS = 30_000;

export interface Tally {
  sent: number;
  byStatus: Map<number, number>;
  hung: number;
  failed: number;
  /** Answers whose status was not one this request may get, e.g. "/fibonacci/20 -> 500". */
  unexpected: Map<string, number>;
  retryAfterMissing: number;
}

export function newTally(): Tally {
  return { sent: 0, byStatus: new Map(), hung: 0, failed: 0, unexpected: new Map(), retryAfterMissing: 0 };
}

export function merge(into: Tally, from: Tally): void {
  into.sent += from.sent;
  into.hung += from.hung;
  into.failed += from.failed;
  into.retryAfterMissing += from.retryAfterMissing;
  for (const [status, n] of from.byStatus) into.byStatus.set(status, (into.byStatus.get(status) ?? 0) + n);
  for (const [what, n] of from.unexpected) into.unexpected.set(what, (into.unexpected.get(what) ?? 0) + n);
}

export interface Shot {
  path: string;
  /** Statuses this request may rightly get. */
  allowed: number[];
  init?: RequestInit;
}

export async function send(base: URL, shot: Shot, tally: Tally): Promise<void> {
  tally.sent++;
  try {
    const response = await fetch(new URL(shot.path, base), { ...shot.init, signal: AbortSignal.timeout(HANG_MS) });
    await response.arrayBuffer();
    tally.byStatus.set(response.status, (tally.byStatus.get(response.status) ?? 0) + 1);
    if (!shot.allowed.includes(response.status)) {
      const what = `${shot.path.replace(/[0-9a-f-]{36}/, ":id")} -> ${response.status}`;
      tally.unexpected.set(what, (tally.unexpected.get(what) ?? 0) + 1);
    }
    if (response.status === 503 && !response.headers.has("retry-after")) tally.retryAfterMissing++;
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") tally.hung++;
    else tally.failed++;
  }
}

/** Sends every shot, at most `concurrency` at a time, and resolves when all are settled. */
export async function sendAll(base: URL, shots: Shot[], concurrency: number, tally: Tally): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < shots.length) await send(base, shots[next++] as Shot, tally);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, shots.length) }, lane));
}

/** Keeps `concurrency` clients busy with shots from `pick` until `untilMs` (a Date.now() value). */
export async function soak(base: URL, pick: (i: number) => Shot, concurrency: number, untilMs: number, tally: Tally): Promise<void> {
  let i = 0;
  const lane = async () => {
    while (Date.now() < untilMs) await send(base, pick(i++), tally);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}
