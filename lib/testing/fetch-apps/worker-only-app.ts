// A module that loads in a worker and refuses to load on the main thread: a server that has
// no light routes never imports it there, one that has some must say why it cannot start.

import { isMainThread } from "node:worker_threads";

if (isMainThread) throw new Error("worker-only-app refuses to load on the main thread (on purpose)");

export default { fetch: (): Response => new Response("served by a worker") };
