// Async gates: something that waits for the test without holding its thread.
//
// A gate from gate.ts holds its handler's thread, as CPU work does. An async gate is waited
// for with `await`, as I/O is: the worker's event loop stays free meanwhile, so other requests
// start and finish while this one waits, and answers come back in another order than the
// requests went out. The same gate can hold an app module half-way through loading (a
// top-level `await`), so that a test sees what a worker and its caller do before `ready`.
//
// Like gate.ts, a gate is a file: the test creates it, the waiting side looks for it once
// per millisecond, with an `await` in between.

import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GATE_LIMIT_MS, type Gate } from "./gate.ts";

const GATES = join(tmpdir(), "bun-pool-tutorial-async-gates");

const fileOf = (token: string) => join(GATES, token.replace(/[^\w-]/g, ""));

export function newAsyncGate(): Gate {
  const token = crypto.randomUUID();
  return { token, open: () => openAsyncGate(token) };
}

/** Opens the gate named `token` (for a token the test learned from an announcement). */
export function openAsyncGate(token: string): void {
  mkdirSync(GATES, { recursive: true });
  writeFileSync(fileOf(token), "");
}

/**
 * Waiting side: resolves true once the gate opens, or false after `limitMs` (4 s), so that a
 * test that fails before opening it leaves nothing waiting for long.
 */
export async function waitAtAsyncGate(token: string, limitMs = GATE_LIMIT_MS): Promise<boolean> {
  const file = fileOf(token);
  const deadline = Date.now() + limitMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(1);
  }
  rmSync(file, { force: true });
  return true;
}
