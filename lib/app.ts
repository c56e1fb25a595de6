// The framework: a tiny Express-like `App`.
//
// It is plumbing, not the lesson, so it lives here once and every step imports it.
// Two choices in it matter for the rest of the tutorial:
//
// 1. A handler is a plain function of plain data (`HandlerRequest` in, `AppResponse` out).
//    Nothing in it is a `Request`, a socket or a closure over the server. That is what
//    lets step 02 move the very same handlers into a Worker: only data that survives
//    `postMessage` (structured clone) can cross between threads.
//
// 2. `handle()` never throws. A bad parameter becomes a 400, an unknown path a 404, a
//    known path with the wrong method a 405, and any other error a 500. A server, or a
//    worker, can call it in a loop and keep serving whatever one handler does.
//
// 3. Routing costs next to nothing. Routes are `/literal/:name` paths, split into segments once
//    when they are added and compared segment by segment. (It used to be URLPattern, the web
//    standard: on Bun 1.4.5 one `exec` took 4 to 7 µs, and `handle()` ran one per route, which
//    made routing the dearest part of a trivial request: `npx bun bench/round-trip-parts.ts`.)
//
// 4. `fetch()` is the same app behind the web-standard signature, `Request` in, `Response`
//    out, which is what Hono, Elysia and `Bun.serve` itself use. Step 08's pool runs any
//    module that offers such a handler, and this method makes the tutorial's App one of them.

import { toRequestData, toResponse } from "./http.ts";
import type { AppResponse, RequestData } from "./http-types.ts";

export type { AppResponse, RequestData } from "./http-types.ts";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

/** What a handler sees: the request plus the parameters its route pattern captured. */
export interface HandlerRequest extends RequestData {
  params: Record<string, string>;
}

/** A handler returns text (sent as 200 text/plain) or a full response (see `json`, `text`). */
export type HandlerResult = string | AppResponse;
export type Handler = (request: HandlerRequest) => HandlerResult | Promise<HandlerResult>;

/** Throw this from a handler to answer with a status other than 500. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export function text(body: string, status = 200, headers: Record<string, string> = {}): AppResponse {
  return { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers }, body };
}

export function json(value: unknown, status = 200, headers: Record<string, string> = {}): AppResponse {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: JSON.stringify(value),
  };
}

interface Route {
  method: Method;
  path: string;
  segments: Segment[];
  handler: Handler;
}

/** One `/`-separated part of a route's path: text to match as it is, or a `:name` that captures a part. */
type Segment = { literal: string } | { param: string };

export class App {
  readonly #routes: Route[] = [];

  get(path: string, handler: Handler): this {
    return this.#add("GET", path, handler);
  }
  post(path: string, handler: Handler): this {
    return this.#add("POST", path, handler);
  }
  put(path: string, handler: Handler): this {
    return this.#add("PUT", path, handler);
  }
  delete(path: string, handler: Handler): this {
    return this.#add("DELETE", path, handler);
  }

  /** Route one request and run its handler. Never throws: every failure is a response. */
  async handle(request: RequestData): Promise<AppResponse> {
    // The first route whose path and method both match runs. A path that matches only
    // routes of other methods is a 405 naming them; one that matches nothing is a 404.
    const allowed: Method[] = [];
    for (const route of this.#routes) {
      const captured = capture(route.segments, request.path);
      if (captured === undefined) continue;
      if (route.method === request.method) return run(route, request, captured);
      if (!allowed.includes(route.method)) allowed.push(route.method);
    }
    if (allowed.length === 0) return text(`Not Found: no route for ${request.path}`, 404);
    const allow = allowed.join(", ");
    return text(`Method Not Allowed: ${request.method} ${request.path} (allowed: ${allow})`, 405, { allow });
  }

  /**
   * The web-standard entry point: `handle()` behind `Request` in, `Response` out, so a
   * handler's error is a 500 here too. A method (it reads the routes through `this`): call it
   * on the app, `app.fetch(request)`, as step 08's worker does; a bare `const f = app.fetch`
   * loses them.
   */
  async fetch(request: Request): Promise<Response> {
    return toResponse(await this.handle(await toRequestData(request)));
  }

  #add(method: Method, path: string, handler: Handler): this {
    if (!path.startsWith("/") || /[*?(){}]/.test(path)) {
      throw new Error(`route "${path}": a route is a path of literal parts and :name parameters, like /items/:id`);
    }
    const segments = path.split("/").map((part): Segment => (part.startsWith(":") ? { param: part.slice(1) } : { literal: part }));
    this.#routes.push({ method, path, segments, handler });
    return this;
  }
}

/**
 * The parameters `path` gives the route, still percent-encoded; `undefined` when it does not
 * match. A parameter takes one whole, non-empty part: `/items/:id` matches `/items/42`, not
 * `/items/` nor `/items/42/x`.
 */
function capture(segments: Segment[], path: string): Record<string, string> | undefined {
  const parts = path.split("/");
  if (parts.length !== segments.length) return undefined;
  const captured: Record<string, string> = {};
  for (const [i, segment] of segments.entries()) {
    const part = parts[i] as string;
    if ("literal" in segment) {
      if (part !== segment.literal) return undefined;
    } else if (part === "") return undefined;
    else captured[segment.param] = part;
  }
  return captured;
}

async function run(route: Route, request: RequestData, captured: Record<string, string>): Promise<AppResponse> {
  try {
    // Decoded inside the `try`: a path like `/fibonacci/%zz` cannot be decoded, and that is
    // the client's mistake (a 400), not a reason for `handle` to throw and take a worker down.
    const params: Record<string, string> = {};
    for (const [name, value] of Object.entries(captured)) params[name] = decodeURIComponent(value);
    const result = await route.handler({ ...request, params });
    return typeof result === "string" ? text(result) : result;
  } catch (error) {
    if (error instanceof HttpError) return text(error.message, error.status);
    if (error instanceof URIError) return text(`Bad Request: malformed percent-encoding in ${request.path}`, 400);
    const message = error instanceof Error ? error.message : String(error);
    const stack = error instanceof Error ? error.stack : undefined;
    return { ...text(`Internal Server Error: ${message}`, 500), error: { message, stack } };
  }
}
