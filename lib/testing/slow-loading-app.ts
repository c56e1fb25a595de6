// An app module that takes its time to load. It announces `loading <token>`, then waits (a
// top-level `await`) until the test opens the async gate `token`. Until then the worker that
// imports it cannot be ready: the test sees what the worker and its caller do meanwhile.

import { App } from "../app.ts";
import { exampleRoutes } from "../example-app.ts";
import { waitAtAsyncGate } from "./async-gate.ts";
import { announce } from "./events.ts";
import { LOADING } from "./handshake-apps.ts";

const token = crypto.randomUUID();
announce({ kind: "started", label: `${LOADING}${token}` });
if (!(await waitAtAsyncGate(token))) throw new Error(`slow-loading-app: the test never let it finish loading (gate ${token})`);

export const app = exampleRoutes(new App());
