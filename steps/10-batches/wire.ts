// Step 08: a request and its answer across the thread boundary, whatever app made them.
//
// A `Request` or a `Response` cannot be posted (DataCloneError), so each crosses as plain
// data and is rebuilt on the other side. An app written for Bun or Hono sees the `Request`
// itself, so everything in it must cross unchanged: the whole URL, every header (each
// `set-cookie` on its own), the status text, and the body as bytes, never as text.
//
// Step 09: the same data, in the shapes `postMessage` copies fastest (lib/flat-protocol.ts):
// headers as one string of `name: value` lines, a small body as a byte string. Measured with
// `npx bun bench/round-trip-parts.ts` on Bun 1.4.5: a response message with its headers as
// pairs and its body as an ArrayBuffer took 5 to 6 µs to clone, the flat one 1.2 to 1.3 µs,
// and that is paid on both threads, for the request and for the answer.

import type { WireBody, WireRequest, WireResponse } from "#lib/flat-protocol.ts";

/**
 * From this many bytes on, a body crosses as an `ArrayBuffer` in the transfer list: its memory
 * changes thread, nothing is copied, and the sender's buffer is left empty. Below it, copying
 * a few bytes costs less than the transfer, and a byte string keeps the message flat. Measured
 * with `npx bun bench/transfer-threshold.ts` (docs/08-your-own-app.md shows the table).
 */
export const TRANSFER_THRESHOLD_BYTES = 8 * 1024;

/** What to put in `postMessage`'s transfer list for a message carrying `body`. */
export function transferList(body: WireBody): ArrayBuffer[] {
  return body instanceof ArrayBuffer ? [body] : [];
}

/** Main thread: the request as data a worker can rebuild it from. Reads the body to its end. */
export async function toWireRequest(request: Request): Promise<WireRequest> {
  // A GET or HEAD has no body: nothing is read. (Nor is `request.body` asked: on Bun 1.4.5 that
  // getter builds a ReadableStream, which costs about a microsecond, for bytes read anyway.)
  const body = request.method === "GET" || request.method === "HEAD" ? null : toWireBody(await request.arrayBuffer());
  return { method: request.method, url: request.url, headers: toHeaderLines(request.headers), body };
}

/** Worker: the `Request` the handler gets, equal to the one the server received. */
export function fromWireRequest({ method, url, headers, body }: WireRequest): Request {
  return new Request(url, { method, headers: fromHeaderLines(headers), body: fromWireBody(body) });
}

/** Worker: the handler's answer as data, its body read to the end, however it was made. */
export async function toWireResponse(response: Response): Promise<WireResponse> {
  let headers = toHeaderLines(response.headers);
  let bytes: ArrayBuffer;
  // Straight to bytes, a stream read to its end; no body at all reads as 0 bytes, which cross as
  // null. `response.body` is never asked: on Bun 1.4.5 that getter builds a ReadableStream, about
  // a microsecond, and the read after it is slower too (npx bun bench/round-trip-parts.ts, section 2).
  if (response.headers.has("content-type")) bytes = await response.arrayBuffer();
  else {
    // `new Response("text")` is sent as `text/plain;charset=utf-8`, yet on Bun 1.4.5 that type is
    // not in `headers`: Bun adds it as it writes the answer. Rebuilt from bytes on the main thread
    // it would go out as `application/octet-stream`, so the type Bun gives the body goes along.
    // Only a body without a content-type pays for the extra Blob that tells it.
    const blob = await response.blob();
    if (blob.type !== "") headers += `${headers === "" ? "" : "\r\n"}content-type: ${blob.type}`;
    bytes = await blob.arrayBuffer();
  }
  return { status: response.status, statusText: response.statusText, headers, body: toWireBody(bytes) };
}

/** Main thread: the `Response` for the client, as the handler made it. */
export function fromWireResponse({ status, statusText, headers, body }: WireResponse): Response {
  return new Response(fromWireBody(body), { status, statusText, headers: fromHeaderLines(headers) });
}

// Iterating `Headers` gives each `set-cookie` as a pair of its own (and joins other repeats),
// so each line below is one header as it goes on the wire. A header value cannot contain CR or
// LF, nor a name a colon: `Headers` refuses them, so the lines split back without ambiguity.
export function toHeaderLines(headers: Headers): string {
  let lines = "";
  for (const [name, value] of headers) lines += `${lines === "" ? "" : "\r\n"}${name}: ${value}`;
  return lines;
}

export function fromHeaderLines(lines: string): Array<[string, string]> {
  if (lines === "") return [];
  return lines.split("\r\n").map((line) => {
    const colon = line.indexOf(": ");
    return [line.slice(0, colon), line.slice(colon + 2)];
  });
}

// A byte string: each byte becomes the character with the same code (0-255), so any bytes, not
// only valid UTF-8, come back exactly. Node's "latin1" encoding is that mapping. (The web's
// `new TextDecoder("latin1")` is not: it decodes windows-1252, which changes bytes 0x80-0x9F.)
export function toWireBody(bytes: ArrayBuffer): WireBody {
  if (bytes.byteLength === 0) return null;
  return bytes.byteLength >= TRANSFER_THRESHOLD_BYTES ? bytes : Buffer.from(bytes).toString("latin1");
}

export function fromWireBody(body: WireBody): Uint8Array | ArrayBuffer | null {
  return typeof body === "string" ? Buffer.from(body, "latin1") : body;
}
