// A log of the messages between the main thread and its workers, kept on the main thread.
//
// Step 10 changes how many messages cross, not what the answers say: the tasks handed to one
// worker during one turn of the event loop must travel as ONE message (an array), and come back
// as one. No answer shows that, so while a log is open, every `new Worker(...)` in this process
// goes through a subclass that records each `postMessage` it is given, at the moment it is
// called (before the transfer list empties the buffers), and each message it receives, before
// the code under test's own listener sees it. Both directions land in one list, in the order
// the main thread saw them.
//
// Open it *before* the code under test creates its workers; `stop()` puts the real `Worker`
// back (the workers already recorded stay recorded). It chains with a worker census
// (./worker-census.ts): whichever opens last wraps the other.

import { kindOf, type ValueKind } from "./message-tap.ts";

/** One task's message (a request or an answer), or one message that is not about a task (init, ready). */
export interface PostedItem {
  /** The message's `type`: "request", "response", "init", "ready"… */
  type?: string;
  /** The task's id, for requests and answers. */
  id?: number;
  /** The request's path ("/start/a"); for an answer, the path of the request with its id on that worker. */
  label?: string;
  /** Each key of the message, and what its value holds. */
  shape: Record<string, ValueKind>;
}

export interface PostEntry {
  /** "to": the main thread posted it to the worker; "from": the worker posted it to the main thread. */
  direction: "to" | "from";
  /** Which worker: its index in `PostLog.workers`, in the order they were created. */
  worker: number;
  /** Whether the message was an array (a batch, from step 10 on). */
  array: boolean;
  /** The array's elements, or the message itself when it is not an array. */
  items: PostedItem[];
  /** "to": objects in the transfer list; "from": not visible here, always 0. */
  transferred: number;
}

export interface PostLog {
  /** Every message recorded so far, both directions, in the order the main thread saw them. */
  readonly entries: PostEntry[];
  /** Every worker created while the log was open, in order. */
  readonly workers: Worker[];
  /** The entries recorded from now on (a test's own, whatever earlier ones left arriving). */
  fromNow(): () => PostEntry[];
  /** Stops recording new workers: `globalThis.Worker` is the real one again. */
  stop(): void;
}

export function openPostLog(): PostLog {
  const entries: PostEntry[] = [];
  const workers: Worker[] = [];
  // Per worker, the path of each request id it was sent: an answer is named after its request.
  const paths: Array<Map<number, string>> = [];
  const Real = globalThis.Worker;

  const itemOf = (message: unknown, worker: number): PostedItem => {
    if (typeof message !== "object" || message === null) return { shape: {} };
    const fields = message as Record<string, unknown>;
    const shape = Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, kindOf(value)]));
    const type = typeof fields.type === "string" ? fields.type : undefined;
    const id = typeof fields.id === "number" ? fields.id : undefined;
    let label: string | undefined;
    if (typeof fields.url === "string") {
      label = pathOf(fields.url);
      if (id !== undefined) paths[worker]?.set(id, label);
    } else if (id !== undefined) label = paths[worker]?.get(id);
    return { type, id, label, shape };
  };
  const record = (direction: PostEntry["direction"], worker: number, message: unknown, transferred: number) => {
    const array = Array.isArray(message);
    const items = (array ? (message as unknown[]) : [message]).map((item) => itemOf(item, worker));
    entries.push({ direction, worker, array, items, transferred });
  };

  class LoggedWorker extends Real {
    constructor(...args: ConstructorParameters<typeof Worker>) {
      super(...args);
      const index = workers.push(this) - 1;
      paths.push(new Map());
      this.addEventListener("message", (event) => record("from", index, event.data, 0));
    }

    override postMessage(message: unknown, transfer?: Parameters<Worker["postMessage"]>[1] | Bun.Transferable[]): void {
      const list = Array.isArray(transfer) ? transfer : (transfer?.transfer ?? []);
      record("to", workers.indexOf(this), message, list.length);
      if (Array.isArray(transfer)) super.postMessage(message, transfer);
      else super.postMessage(message, transfer);
    }
  }
  globalThis.Worker = LoggedWorker;
  return {
    entries,
    workers,
    fromNow() {
      const from = entries.length;
      return () => entries.slice(from);
    },
    stop() {
      if (globalThis.Worker === LoggedWorker) globalThis.Worker = Real;
    },
  };
}

/** The messages of `entries` that carry requests to a worker: arrays, or single `request` messages. */
export function requestMessages(entries: PostEntry[]): PostEntry[] {
  return entries.filter((entry) => entry.direction === "to" && (entry.array || entry.items[0]?.type === "request"));
}

/** The messages of `entries` that carry answers from a worker: arrays, or single `response` messages. */
export function answerMessages(entries: PostEntry[]): PostEntry[] {
  return entries.filter((entry) => entry.direction === "from" && (entry.array || entry.items[0]?.type === "response"));
}

/** A message in one line, for a failure message: "to worker 0: [/start/a, /start/b]", "from worker 1: {ready}". */
export function describePost(entry: PostEntry): string {
  const item = (i: PostedItem) => i.label ?? `{${i.type ?? Object.keys(i.shape).join(",")}}`;
  const what = entry.array ? `[${entry.items.map(item).join(", ")}]` : entry.items.map(item).join("");
  return `${entry.direction} worker ${entry.worker}: ${what}`;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
