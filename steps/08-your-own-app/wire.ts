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
  // TODO(step 08): the request as a WireRequest (lib/fetch-protocol.ts): its method, its whole
  // URL (host, port and query string), every header as a [name, value] pair, and the body's
  // bytes read to the end (`null` when there are none). Plain data only: it is posted.
  void request;
  throw new Error("not implemented yet: see steps/08-your-own-app/README.md (toWireRequest)");
}

/** Worker: the `Request` the handler gets, equal to the one the server received. */
export function fromWireRequest({ method, url, headers, body }: WireRequest): Request {
  // TODO(step 08): a standard `Request` equal to the one the server received: same method,
  // URL, headers and body bytes. The handler cannot tell it ever crossed a thread.
  void [method, url, headers, body];
  throw new Error("not implemented yet: see steps/08-your-own-app/README.md (fromWireRequest)");
}

/** Worker: the handler's answer as data, its body read to the end, however it was made. */
export async function toWireResponse(response: Response): Promise<WireResponse> {
  // TODO(step 08): the handler's answer as a WireResponse: status, status text, every header as
  // a pair (several `set-cookie` stay several), and the body's bytes, a streamed body read to
  // its end (`null` when there are none). Bytes, never text: a binary body must arrive unchanged.
  // One Bun detail (see the brief): a string body's `text/plain;charset=utf-8` is not in
  // `response.headers` on Bun 1.4.5; when the handler set no content-type, send the type
  // `response.blob()` reports, so that text does not go out as `application/octet-stream`.
  void response;
  throw new Error("not implemented yet: see steps/08-your-own-app/README.md (toWireResponse)");
}

/** Main thread: the `Response` for the client, as the handler made it. */
export function fromWireResponse({ status, statusText, headers, body }: WireResponse): Response {
  // TODO(step 08): the `Response` the handler made: same status, status text, headers (each
  // `set-cookie` its own) and body bytes.
  void [status, statusText, headers, body];
  throw new Error("not implemented yet: see steps/08-your-own-app/README.md (fromWireResponse)");
}
