// The example app: the "business logic" the whole tutorial serves.
//
// It knows nothing about servers, threads or pools. Step 01 runs it on the main thread;
// from step 02 on, a worker imports this module by path (see `EXAMPLE_APP`) and runs the
// same handlers on its own thread. Its path, for a worker to import, is `EXAMPLE_APP`
// in ./app-modules.ts.

import { App, HttpError, json } from "./app.ts";
import { fibonacci, parseFibonacciInput } from "./fibonacci.ts";

/** Adds the example routes to an app (the test fixture app reuses them). */
export function exampleRoutes(app: App): App {
  return app
    .get("/fibonacci/:n", ({ params }) => {
      const n = parseFibonacciInput(params.n);
      if (typeof n !== "number") throw new HttpError(400, `Bad Request: ${n.problem}`);
      return json({ n, fibonacci: fibonacci(n) });
    })
    .get("/health", () => "ok");
}

/** The module's export that every server and worker looks for: a module named as an app exports `app`. */
export const app = exampleRoutes(new App());
