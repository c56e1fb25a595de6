// Where the app modules are, as URLs a worker can `import()`.
//
// A worker is a separate JavaScript world: it cannot receive the `app` object itself (a
// class instance full of functions does not survive `postMessage`), so it is told *where*
// the app module is and imports its own copy. These constants keep that path in one place.

/** The tutorial's example app: `GET /fibonacci/:n` and `GET /health`. */
export const EXAMPLE_APP = new URL("./example-app.ts", import.meta.url).href;

/** The app the step tests use: the example routes plus routes that misbehave on purpose. */
export const FIXTURE_APP = new URL("./testing/fixture-app.ts", import.meta.url).href;

/** An app module that throws while loading, for testing the init handshake's error path. */
export const BROKEN_APP = new URL("./testing/broken-app.ts", import.meta.url).href;

/** A path where no module exists. */
export const MISSING_APP = new URL("./testing/no-such-app.ts", import.meta.url).href;
