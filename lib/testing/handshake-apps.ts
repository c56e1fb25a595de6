// App modules for testing the init handshake and answers by id (step 02 on), as URLs a worker
// can `import()`, like the ones in ../app-modules.ts.

import { until } from "./bounded.ts";
import { openAsyncGate } from "./async-gate.ts";
import type { EventLog } from "./events.ts";

const here = (file: string) => new URL(file, import.meta.url).href;

/** The example routes plus `/wait/:token`, a handler that awaits an async gate (./async-gate.ts). */
export const WAITING_APP = here("./waiting-app.ts");

/** An app that announces `loading <token>`, then finishes loading only once the test opens that gate. */
export const SLOW_LOADING_APP = here("./slow-loading-app.ts");

/** A module whose loading never ends, and whose worker dies meanwhile of an uncaught error. */
export const DIES_WHILE_LOADING_APP = here("./dies-while-loading-app.ts");

/** A module that exports an `app` which is not an `App`. */
export const NOT_AN_APP = here("./not-an-app.ts");

/**
 * Keys for `SetUps` (./set-ups.ts) shared by every test that starts a worker, through
 * AppWorker.start() or a server that awaits it: once one such start() did not settle, the
 * others fail at once instead of each waiting out the bound again.
 */
export const STARTS = "AppWorker.start() of an app that loads";
export const FAILED_STARTS = "AppWorker.start() of a module that cannot be loaded";

/** The label SLOW_LOADING_APP announces, followed by its gate's token. */
export const LOADING = "loading ";

/**
 * Call before starting a worker on SLOW_LOADING_APP. Returns a wait for that app's `loading`
 * announcement (only one made after this call counts), which resolves with the function that
 * lets the app finish loading.
 */
export function watchSlowLoad(events: EventLog): (what: string, hint: string) => Promise<() => void> {
  const from = events.events.length;
  const announced = () => events.events.slice(from).find((e) => e.kind === "started" && e.label.startsWith(LOADING))?.label;
  return async (what, hint) => {
    await until(() => announced() !== undefined, what, () => hint);
    const token = (announced() ?? "").slice(LOADING.length);
    return () => openAsyncGate(token);
  };
}
