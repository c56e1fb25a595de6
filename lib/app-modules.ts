// Where the app modules are, as URLs a worker can `import()`.
//
// A worker is a separate JavaScript world, and the `app` object cannot be sent to it:
// `postMessage(app)` does not even throw, the worker just receives an empty plain object
// (structured clone copies own fields, and the routes live in private fields and methods,
// which it leaves behind without a word; see lib/facts/structured-clone.test.ts). So the
// worker is told *where* the app module is and imports its own copy. These constants keep
// that path in one place.

/** The tutorial's example app: `GET /fibonacci/:n` and `GET /health`. */
export const EXAMPLE_APP = new URL("./example-app.ts", import.meta.url).href;

/** The app the step tests use: the example routes plus routes that misbehave on purpose. */
export const FIXTURE_APP = new URL("./testing/fixture-app.ts", import.meta.url).href;

/** An app module that throws while loading, for testing the init handshake's error path. */
export const BROKEN_APP = new URL("./testing/broken-app.ts", import.meta.url).href;

/** A path where no module exists. */
export const MISSING_APP = new URL("./testing/no-such-app.ts", import.meta.url).href;

/** An app module whose next loads a test can make fail or wait (lib/testing/flaky-loads.ts). */
export const FLAKY_APP = new URL("./testing/flaky-app.ts", import.meta.url).href;
