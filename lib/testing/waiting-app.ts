// An app whose handler can wait without holding its thread: `/wait/:token` announces its
// start, then awaits the async gate `token` (./async-gate.ts). While it waits, the worker
// serves other requests, so the answers come back in another order than the requests went.

import { App, HttpError, text } from "../app.ts";
import { exampleRoutes } from "../example-app.ts";
import { waitAtAsyncGate } from "./async-gate.ts";
import { announce } from "./events.ts";

export const app = exampleRoutes(new App()).get("/wait/:token", async ({ params }) => {
  const token = params.token ?? "";
  announce({ kind: "started", label: token });
  if (!(await waitAtAsyncGate(token))) throw new HttpError(500, `async gate ${token} was never opened`);
  return text(`released ${token}`);
});
