// An app module whose start-up the test controls, for what a pool does while a replacement
// worker is still starting (step 07's drain must wait for it, or end it if it fails).
//
// A worker loads its app module on its own thread, so the test cannot reach into it; it
// leaves files instead, which the module reads while it loads, as gates do. Each call writes
// a module of its own (in the temp dir), so tests never share one. Workers that load it
// before `hold()` or `fail()` start normally: a pool can be created from it as from the fixture app.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newGate, type Gate } from "./gate.ts";

export interface ControlledStart {
  /** The module to give the pool: the fixture app, behind the start-up controls below. */
  readonly appModule: string;
  /**
   * From now on, a worker loading the module announces `loading` (a `started` event, as a
   * handler's start is) and then waits at `gate` before the app is ready (4 s at most).
   */
  hold(): { loading: string; gate: Gate };
  /**
   * From now on, a worker loading the module throws, so its start fails (`init-error`); one
   * held at the gate throws once released.
   */
  fail(): void;
  /** Removes the module's folder. */
  dispose(): void;
}

const here = (file: string) => JSON.stringify(new URL(file, import.meta.url).href);

export function controlledStart(): ControlledStart {
  const dir = join(tmpdir(), "bun-pool-tutorial-starts", crypto.randomUUID());
  mkdirSync(dir, { recursive: true });
  const gate = newGate();
  const loading = `a worker loading ${dir}`;
  const holdFile = join(dir, "hold");
  const failFile = join(dir, "fail");
  const appModule = join(dir, "controlled-app.ts");
  writeFileSync(
    appModule,
    `import { existsSync } from "node:fs";
import { announce } from ${here("./events.ts")};
import { waitAtGate } from ${here("./gate.ts")};
if (existsSync(${JSON.stringify(holdFile)})) {
  announce({ kind: "started", label: ${JSON.stringify(loading)} });
  waitAtGate(${JSON.stringify(gate.token)});
}
if (existsSync(${JSON.stringify(failFile)})) throw new Error("the app refuses to start now (on purpose)");
export { app } from ${here("./fixture-app.ts")};
`,
  );
  return {
    appModule,
    hold() {
      writeFileSync(holdFile, "");
      return { loading, gate };
    },
    fail() {
      writeFileSync(failFile, "");
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
