// Converting between the web's `Request`/`Response` and the plain data the app works on.
//
// Every server in the tutorial does this at its edge: `Bun.serve` gives a `Request`, the app
// wants `RequestData`, and the app's `AppResponse` must become a `Response` again. From step 02
// on, the data in between crosses a thread boundary, which is why it has to be plain.

import type { AppResponse, RequestData } from "./http-types.ts";

export async function toRequestData(request: Request): Promise<RequestData> {
  const url = new URL(request.url);
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  return {
    method: request.method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: Object.fromEntries(request.headers),
    body: hasBody ? await request.text() : "",
  };
}

export function toResponse(response: AppResponse): Response {
  return new Response(response.body, { status: response.status, headers: response.headers });
}

/** A `RequestData` built by hand, for tests and benchmarks that talk to a worker or a pool directly. */
export function requestData(path: string, init: Partial<Omit<RequestData, "path">> = {}): RequestData {
  const url = new URL(path, "http://localhost");
  return {
    method: init.method ?? "GET",
    path: url.pathname,
    query: init.query ?? Object.fromEntries(url.searchParams),
    headers: init.headers ?? {},
    body: init.body ?? "",
  };
}
