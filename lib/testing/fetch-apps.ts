// App modules for step 08, whose worker runs any module with a fetch handler: the Hono example,
// a Hono app and a plain Bun one built for the tests, and modules that offer no handler at all.
// URLs a worker can `import()`, like the ones in ../app-modules.ts.

const here = (file: string) => new URL(file, import.meta.url).href;

/** The example app written with Hono (lib/examples/hono-app.ts), as a learner's own app would be. */
export const HONO_EXAMPLE_APP = new URL("../examples/hono-app.ts", import.meta.url).href;

/** The Hono example's routes plus `/thread` and `/gate/:token`, to see which thread answers. */
export const HONO_FIXTURE_APP = here("./fetch-apps/hono-fixture-app.ts");

/** `export default { fetch }`, the plain Bun way: routes that test what crosses and what fails. */
export const PLAIN_FETCH_APP = here("./fetch-apps/plain-fetch-app.ts");

/** `export default function (request) { … }`: the handler is the default export itself. */
export const FUNCTION_APP = here("./fetch-apps/function-app.ts");

/** A module with exports, but no default export and no `app`. */
export const NO_DEFAULT_APP = here("./fetch-apps/no-default-app.ts");

/** A module whose default export is an object without a `fetch` method. */
export const NO_FETCH_APP = here("./fetch-apps/no-fetch-app.ts");

/** A module that loads in a worker and throws when the main thread imports it. */
export const WORKER_ONLY_APP = here("./fetch-apps/worker-only-app.ts");

/** An app that counts, in a module-level variable, the requests it has served. */
export const COUNTER_APP = here("./fetch-apps/counter-app.ts");
