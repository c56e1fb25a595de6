// Step 08: a request and its answer across the thread boundary, whatever app made them.
//
// A `Request` or a `Response` cannot be posted (DataCloneError), so each crosses as plain
// data (lib/fetch-protocol.ts) and is rebuilt on the other side. Steps 02-07 reduced a request
// to the strings the tutorial's App wants; an app written for Bun or Hono sees the `Request`
// itself, so everything in it must cross unchanged:
//
//   - the whole URL, host and query string included (`c.req.url`, repeated query keys);
//   - the headers as a list of pairs: a response may set several cookies, and each
//     `set-cookie` must stay a header of its own (`Object.fromEntries` keeps only the last);
//   - the status text along with the status;
//   - the body as bytes: an image, a zip or a protobuf read as text comes out changed. A body
//     the handler streams is read to its end first, since a stream cannot cross either.
//
// Bytes are copied by `postMessage` unless they are listed in its transfer list: then the
// buffer's memory changes thread, and the sender's `ArrayBuffer` is left empty (byteLength 0).
// Nothing reads a body twice here, so handing it over costs nothing but the transfer itself,
// which for a small body costs more than the copy it saves.

import type { HeaderList, WireRequest, WireResponse } from "#lib/fetch-protocol.ts";

/**
 * From this many bytes on, a body is handed over in the transfer list instead of copied.
 * Measured with `npx bun bench/transfer-threshold.ts` on Bun 1.4.5, 2 cores: up to 1 KiB the
 * two cost the same within the noise; from 8 KiB on the transfer was at least 1.5 times faster
 * in every run, and several times faster from 64 KiB (docs/08-your-own-app.md shows the table).
 */
export const TRANSFER_THRESHOLD_BYTES = 8 * 1024;

/** What to put in `postMessage`'s transfer list for a message carrying `body`. */
export function transferList(body: ArrayBuffer | null): ArrayBuffer[] {
  return body !== null && body.byteLength >= TRANSFER_THRESHOLD_BYTES ? [body] : [];
}

/** Main thread: the request as data a worker can rebuild it from. Reads the body to its end. */
export async function toWireRequest(request: Request): Promise<WireRequest> {
  return { method: request.method, url: request.url, headers: [...request.headers], body: await bytesOf(request) };
}

/** Worker: the `Request` the handler gets, equal to the one the server received. */
export function fromWireRequest({ method, url, headers, body }: WireRequest): Request {
  return new Request(url, { method, headers, body });
}

/** Worker: the handler's answer as data, its body read to the end, however it was made. */
export async function toWireResponse(response: Response): Promise<WireResponse> {
  // Iterating Headers gives each `set-cookie` as a pair of its own (and joins other repeats).
  const headers: HeaderList = [...response.headers];
  const body = response.body === null ? null : await response.blob(); // a stream, read to its end
  // `new Response("text")` is sent as `text/plain;charset=utf-8`, yet on Bun 1.4.5 that type is
  // not in `headers`: Bun adds it only as it writes the answer. Rebuilt from bytes on the main
  // thread, it would go out as `application/octet-stream`. So unless the handler set a type, the
  // one Bun gives the body (`blob().type`) goes along.
  if (body !== null && body.type !== "" && !response.headers.has("content-type")) headers.push(["content-type", body.type]);
  return { status: response.status, statusText: response.statusText, headers, body: await bytesOf(body) };
}

/** Main thread: the `Response` for the client, as the handler made it. */
export function fromWireResponse({ status, statusText, headers, body }: WireResponse): Response {
  return new Response(body, { status, statusText, headers });
}

// The bytes, never `text()`: decoding as UTF-8 replaces every byte sequence that is not valid
// UTF-8, so binary bodies would arrive changed. `arrayBuffer()` and `blob()` read a stream to its end.
async function bytesOf(body: Request | Blob | null): Promise<ArrayBuffer | null> {
  if (body === null || (body instanceof Request && body.body === null)) return null;
  const bytes = await body.arrayBuffer();
  return bytes.byteLength > 0 ? bytes : null;
}
