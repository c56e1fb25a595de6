// A tap on the messages between the main thread and a worker, read from inside the worker.
//
// Step 09 changes what crosses, not what it means: the message must be one flat object of
// strings and numbers, a large body must go in the transfer list, and the worker must start a
// task only once the one before has posted its answer. None of that shows in the answers a
// test gets back, so the app the worker runs (TAPPED_APP, ./tapped-app.ts) reports it. At load,
// on a worker thread, it wraps the thread's `postMessage` and listens to its `message` events;
// from then on, every message in and out of that worker is described here (its keys, the kind
// of value each holds, what went in the transfer list), and so is every handler's start, all on
// one channel and so in the order they happened on that thread.
//
// The app's listener is added after worker.ts set `self.onmessage` (the app is imported while
// worker.ts handles `init`), so it runs after it: when a message's "in" entry arrives, worker.ts
// has handled that message already. A handler it started there would have said so first.

import { within } from "./bounded.ts";

const CHANNEL = "bun-pool-tutorial:message-tap";

/** The URL of the tapped app, for a worker to import. */
export const TAPPED_APP = new URL("./tapped-app.ts", import.meta.url).href;

/** What a message's value holds, described so that a test can compare it. */
export type ValueKind = "string" | "number" | "boolean" | "null" | "undefined" | "ArrayBuffer" | "array" | "object" | "other";

export interface TapEntry {
  /** "in": a message the worker received; "out": one it posted; "started": a handler began. */
  kind: "in" | "out" | "started";
  /** The worker thread it happened on. */
  threadId: number;
  /** in/out: the message's `type`. */
  type?: string;
  /** in/out: the message's `id`, if it has one. */
  id?: number;
  /** in: the path of the request it carries (found nested too); started: the handler's label. */
  label?: string;
  /** in/out: each key of the message, and what its value holds. */
  shape?: Record<string, ValueKind>;
  /** out: how many objects went in the transfer list. */
  transferred?: number;
}

export function kindOf(value: unknown): ValueKind {
  if (value === null) return "null";
  if (value instanceof ArrayBuffer) return "ArrayBuffer";
  if (Array.isArray(value)) return "array";
  const type = typeof value;
  if (type === "string" || type === "number" || type === "boolean" || type === "undefined" || type === "object") return type;
  return "other";
}

/** in/out: the fields of an entry that describe `message`. */
export function describeMessage(message: unknown): Pick<TapEntry, "type" | "id" | "label" | "shape"> {
  if (typeof message !== "object" || message === null) return { shape: {} };
  const fields = message as Record<string, unknown>;
  const shape = Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, kindOf(value)]));
  const nested = fields.request as Record<string, unknown> | undefined;
  const url = typeof fields.url === "string" ? fields.url : typeof nested?.url === "string" ? nested.url : undefined;
  return {
    type: typeof fields.type === "string" ? fields.type : undefined,
    id: typeof fields.id === "number" ? fields.id : undefined,
    label: url === undefined ? undefined : new URL(url).pathname,
    shape,
  };
}

/** Worker side (the tapped app): reports one entry. Opens, posts and closes, as events.ts does. */
export function report(entry: TapEntry): void {
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage(entry);
  channel.close();
}

/** Test side: every entry reported since it opened, in order. Call `close()` when done. */
export class TapLog {
  readonly entries: TapEntry[] = [];
  readonly #channel = new BroadcastChannel(CHANNEL);
  readonly #wakers: Array<() => void> = [];

  constructor() {
    this.#channel.onmessage = (message) => {
      this.entries.push(message.data as TapEntry);
      for (const wake of this.#wakers.splice(0)) wake();
    };
  }

  /** The entries reported from now on (a test's own, whatever earlier tests left arriving). */
  fromNow(): () => TapEntry[] {
    const from = this.entries.length;
    return () => this.entries.slice(from);
  }

  /** Resolves with the first entry of `among()` that matches, once it has arrived (bounded, 3 s). */
  waitFor(among: () => TapEntry[], matches: (entry: TapEntry) => boolean, what: string, hint = ""): Promise<TapEntry> {
    const found = async (): Promise<TapEntry> => {
      for (;;) {
        const entry = among().find(matches);
        if (entry) return entry;
        await new Promise<void>((wake) => this.#wakers.push(wake));
      }
    };
    return within(found(), what, hint);
  }

  close(): void {
    this.#channel.close();
  }
}

/** An entry in one line, for a failure message: "in request #3 /wait/a", "started b", "out response #3". */
export function describeEntry(entry: TapEntry): string {
  if (entry.kind === "started") return `started ${entry.label}`;
  return [entry.kind, entry.type, entry.id === undefined ? undefined : `#${entry.id}`, entry.label].filter((x) => x !== undefined).join(" ");
}
