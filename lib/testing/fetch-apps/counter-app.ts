// An app with module-level state: a counter of the requests it has served. Each thread that
// imports the module runs its own copy of it, so in a pool each worker counts its own requests
// (lib/facts/fetch-across-threads.test.ts shows it; docs/08-your-own-app.md explains it).

import { threadId } from "node:worker_threads";

let served = 0;

export default {
  fetch(): Response {
    served += 1;
    return Response.json({ served, threadId });
  },
};
