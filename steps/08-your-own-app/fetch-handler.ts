// Step 08: what makes a module an app the pool can run, and calling it so that it cannot
// take a worker down.
//
// Most Bun apps are one function, `fetch(request) → Response`, reached through the module's
// default export: `export default app` for Hono and Elysia (the app object has a `fetch`),
// `export default { fetch }` for a plain Bun server, or the function itself. The tutorial's
// own App now has a `fetch` method too; its modules export it by name, `export const app`,
// which is where steps 02-07 looked, so that name is the fallback.
//
// A module that offers none of these is refused when it loads, with a reason that fits on one
// line: the worker answers `init-error`, and whoever started the pool hears why at once,
// rather than every request failing later.
//
// Once loaded, a handler is someone else's code. Hono and the tutorial's App turn their
// handlers' errors into 500s themselves; a plain `fetch` may throw, reject, or return
// something that is not a Response. Each of those becomes a 500 here, and the worker goes on.

import type { WireResponse } from "#lib/fetch-protocol.ts";

export type FetchHandler = (request: Request) => Response | Promise<Response>;

/**
 * The fetch handler `module` offers: its default export (a function, or an object with a
 * `fetch` method), else its `app` export (the same way). Throws an `Error` whose message says,
 * in one line, what the module offers instead and what it should export.
 */
export function fetchHandlerOf(module: Record<string, unknown>): FetchHandler {
  // TODO(step 08): find the module's fetch handler, default export first, then `app`: a
  // function is the handler itself; an object with a `fetch` method is called as
  // `object.fetch(request)`, on its object (a method may use `this`). None of these: throw an
  // Error whose message, one line, says what the module offers instead (no default export, a
  // default export without a fetch method…) and what it should export.
  void module;
  throw new Error("not implemented yet: see steps/08-your-own-app/README.md (fetchHandlerOf)");
}

/** Calls `handler`; resolves with its answer, which must be a `Response`, and rejects otherwise. */
export async function answerOf(handler: FetchHandler, request: Request): Promise<Response> {
  const response: unknown = await handler(request);
  if (!(response instanceof Response)) {
    throw new TypeError(`the fetch handler answered ${response === null ? "null" : typeof response}, not a Response`);
  }
  return response;
}

/** The 500 that stands in for a handler's answer when there is none: generic for the client, the details for the log. */
export function internalError(error: unknown): WireResponse {
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error ? error.stack : undefined;
  return {
    status: 500,
    statusText: "Internal Server Error",
    headers: [["content-type", "text/plain; charset=utf-8"]],
    body: new TextEncoder().encode("Internal Server Error").buffer as ArrayBuffer,
    error: { message, stack },
  };
}
