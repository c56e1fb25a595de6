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

import type { WireResponse } from "#lib/flat-protocol.ts";

export type FetchHandler = (request: Request) => Response | Promise<Response>;

/**
 * The fetch handler `module` offers: its default export (a function, or an object with a
 * `fetch` method), else its `app` export (the same way). Throws an `Error` whose message says,
 * in one line, what the module offers instead and what it should export.
 */
export function fetchHandlerOf(module: Record<string, unknown>): FetchHandler {
  const handler = asFetchHandler(module.default) ?? asFetchHandler(module.app);
  if (handler) return handler;
  throw new Error(
    `${describeExports(module)}: export a fetch handler, \`export default app\` (Hono, Elysia, an App) or \`export default { fetch(request) { … } }\``,
  );
}

function asFetchHandler(value: unknown): FetchHandler | undefined {
  if (typeof value === "function") return value as FetchHandler;
  if (typeof value === "object" && value !== null && typeof (value as { fetch?: unknown }).fetch === "function") {
    const app = value as { fetch: FetchHandler };
    // Called on its object, as a method: the tutorial's App reads its routes through `this`.
    // (Hono's `fetch` is an arrow function and would survive being detached; a class method does not.)
    return (request) => app.fetch(request);
  }
  return undefined;
}

function describeExports(module: Record<string, unknown>): string {
  if (!("default" in module) && !("app" in module)) {
    const names = Object.keys(module);
    return `it has no default export${names.length > 0 ? ` (it exports ${names.join(", ")})` : ""}`;
  }
  const [name, value] = "default" in module ? ["default export", module.default] : ["`app` export", module.app];
  const kind = value === null ? "null" : typeof value === "object" ? "an object without a fetch method" : `a ${typeof value}`;
  return `its ${name} is ${kind}, not a fetch handler`;
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
    headers: "content-type: text/plain; charset=utf-8",
    body: "Internal Server Error", // ASCII: its byte string is the text itself
    error: { message, stack },
  };
}
