// Tasks for step 09's pool, in its own terms: a WireRequest (lib/flat-protocol.ts) goes in, a
// WireResponse comes out. Built and read here, with Buffer's "latin1" (one character per byte),
// rather than with the step's own wire.ts: a pool test must not fail because of a wire.ts bug,
// and must not pass because a wire.ts bug and its mirror image cancel out.

import type { WireRequest, WireResponse } from "../flat-protocol.ts";

/** The origin of every URL built here: no server listens there, the worker only parses it. */
export const ORIGIN = "http://pool.test";

/** A flat request for `path` (and query), GET with no header and no body unless told. */
export function wireRequest(path: string, { method = "GET", headers = "", body = null }: Partial<Omit<WireRequest, "url">> = {}): WireRequest {
  return { method, url: new URL(path, ORIGIN).href, headers, body };
}

/** The answer's body as UTF-8 text, whichever way it crossed (byte string or ArrayBuffer). */
export function bodyText(response: WireResponse): string {
  const { body } = response;
  if (body === null || body === undefined) return "";
  return new TextDecoder().decode(typeof body === "string" ? Buffer.from(body, "latin1") : new Uint8Array(body));
}

/** "<status> <body>": an answer described in one line, for comparing lists of them. */
export function summary(response: WireResponse): string {
  return `${response.status} ${bodyText(response)}`;
}
