// How the next loads of the flaky app go (FLAKY_APP, ./flaky-app.ts): for testing a pool whose
// replacement workers fail to start although the first ones started fine, as after a bad
// deploy or a file gone missing.
//
// A test writes a plan; each worker that imports the flaky app takes the next step of it. The
// plan is a file named after this process: `process.pid` is the same on every thread of the
// process, and each `bun test` run is a process of its own, so runs side by side do not mix.
// (Neither a query string nor an environment variable would do: `import()` of `app.ts?x` and
// `app.ts?y` gives one module with one `import.meta.url`, and a worker does not see variables set
// in `process.env` after the process started; both checked in lib/facts/worker-exit.test.ts.)

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * One load of the flaky app:
 * - "load": it loads, like the fixture app;
 * - "throw": it throws while loading ("flaky-app refuses to load now (on purpose)");
 * - "exit": it calls `process.exit(3)` while loading, which ends its worker's thread;
 * - `{ hold }`: it announces `hold` as started, then waits at the gate of that token
 *   (lib/testing/gate.ts) before it loads: a worker that is still starting, for as long as
 *   the test wants.
 */
export type FlakyLoad = "load" | "throw" | "exit" | { hold: string };

export interface FlakyPlan {
  /** The next loads, one each, in order. */
  next?: FlakyLoad[];
  /** Every load after those. */
  then?: FlakyLoad;
}

const PLANS = join(tmpdir(), "bun-pool-tutorial-flaky");
const planFile = () => join(PLANS, `${process.pid}.json`);

/** Test side: from now on, the flaky app's loads follow this plan. */
export function planFlakyLoads(plan: FlakyPlan): void {
  mkdirSync(PLANS, { recursive: true });
  writeFileSync(planFile(), JSON.stringify({ next: plan.next ?? [], then: plan.then ?? "load" }));
}

/** Test side: every load succeeds again. Call it after each test that planned failures. */
export function resetFlakyLoads(): void {
  rmSync(planFile(), { force: true });
}

/** Worker side (flaky-app.ts): takes this load's step off the plan. */
export function takeFlakyLoad(): FlakyLoad {
  const file = planFile();
  if (!existsSync(file)) return "load";
  const plan = JSON.parse(readFileSync(file, "utf8")) as Required<FlakyPlan>;
  const step = plan.next.shift();
  if (step === undefined) return plan.then;
  writeFileSync(file, JSON.stringify(plan));
  return step;
}
