// The fixture app plus one route, for tests that must know which thread held a request.
//
// `/held/:token` is `/gate/:token` (see gate.ts) that also says where it ran: it announces its
// start, holds its thread until the test opens the gate, then answers `{ token, threadId }`.
// N such requests all started at once, then released, show N requests running at the same
// time *and* on N different threads. Its path, for a worker to import, is HELD_THREAD_APP.

import { threadId } from "node:worker_threads";
import { HttpError, json } from "../app.ts";
import { announce } from "./events.ts";
import { app } from "./fixture-app.ts";
import { waitAtGate } from "./gate.ts";

export { app };

/** This module's URL: give it as `appModule` to a worker, a pool or a server. */
export const HELD_THREAD_APP = import.meta.url;

app.get("/held/:token", ({ params }) => {
  const token = params.token ?? "";
  announce({ kind: "started", label: token });
  if (!waitAtGate(token)) throw new HttpError(500, `gate ${token} was never opened`);
  return json({ token, threadId });
});
