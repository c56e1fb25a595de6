// An app module that loads like the fixture app until a test says otherwise (./flaky-loads.ts):
// then the next workers that import it fail to start, by throwing or by exiting their thread,
// or take as long to start as the test wants. Imported by path inside workers (FLAKY_APP).

import { announce } from "./events.ts";
import { takeFlakyLoad } from "./flaky-loads.ts";
import { waitAtGate } from "./gate.ts";

const load = takeFlakyLoad();
if (load === "throw") throw new Error("flaky-app refuses to load now (on purpose)");
if (load === "exit") process.exit(3); // in a worker, this ends the worker's thread, not the process
if (typeof load === "object") {
  announce({ kind: "started", label: load.hold });
  waitAtGate(load.hold);
}

export { app } from "./fixture-app.ts";
