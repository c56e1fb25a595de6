// Gates: a handler that holds its thread until the test lets it go.
//
// A heavy request that finishes on its own (fib(35), say) makes order tests depend on speed:
// on a fast machine it may finish before the light request is even sent. A gated handler
// instead blocks its thread, like CPU work does, until the test opens the gate, so "the
// light request was answered while the heavy one was still running" holds on any machine.
//
// The gate is a file: the one signal a blocked thread can see without running its event
// loop. The handler checks for it every millisecond; `Bun.sleepSync` keeps the thread
// blocked (the point of the exercise) without burning a core that the test needs.

import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const GATES = join(tmpdir(), "bun-pool-tutorial-gates");

/**
 * How long a gated handler waits at most. Not a speed threshold: it only stops a wrong
 * implementation (one that runs handlers on the main thread, where the test can never open
 * the gate) from hanging the test run forever.
 */
export const GATE_LIMIT_MS = 4_000;

export interface Gate {
  /** Put this in the path: `/gate/${gate.token}`. */
  readonly token: string;
  open(): void;
}

export function newGate(): Gate {
  const token = crypto.randomUUID();
  return {
    token,
    open() {
      mkdirSync(GATES, { recursive: true });
      writeFileSync(join(GATES, token), "");
    },
  };
}

/** Handler side: blocks the calling thread until the gate opens. Returns false if it never did. */
export function waitAtGate(token: string, limitMs = GATE_LIMIT_MS): boolean {
  const file = join(GATES, token.replace(/[^\w-]/g, ""));
  const deadline = Date.now() + limitMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) return false;
    Bun.sleepSync(1);
  }
  rmSync(file, { force: true });
  return true;
}
