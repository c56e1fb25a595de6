// Test events: how a handler tells a test "I have started", from any thread.
//
// Tests in this tutorial never sleep and never compare durations. To show that a light
// request is answered *while* a heavy one runs, the test must know that the heavy one has
// really started. The handler announces it on a BroadcastChannel, which reaches every
// thread of the process, even while the announcing thread goes on to block.

const CHANNEL = "bun-pool-tutorial:test-events";

export interface TestEvent {
  kind: "started";
  label: string;
}

/** Called by fixture handlers. Opens, posts and closes, so nothing is left holding the process. */
export function announce(event: TestEvent): void {
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage(event);
  channel.close();
}

/** Test side: records every event and lets a test wait for one. Call `close()` when done. */
export class EventLog {
  readonly events: TestEvent[] = [];
  readonly #channel = new BroadcastChannel(CHANNEL);
  readonly #waiters: Array<{ matches: (e: TestEvent) => boolean; resolve: (e: TestEvent) => void }> = [];

  constructor() {
    this.#channel.onmessage = (message) => {
      const event = message.data as TestEvent;
      this.events.push(event);
      for (const waiter of [...this.#waiters]) {
        if (waiter.matches(event)) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    };
  }

  /** Labels of the `started` events seen so far, in arrival order. */
  get started(): string[] {
    return this.events.filter((e) => e.kind === "started").map((e) => e.label);
  }

  /** Resolves when the handler labelled `label` has started (at once if it already has). */
  waitForStart(label: string): Promise<TestEvent> {
    const matches = (e: TestEvent) => e.kind === "started" && e.label === label;
    const seen = this.events.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ matches, resolve }));
  }

  close(): void {
    this.#channel.close();
  }
}
