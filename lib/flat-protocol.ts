// The messages of step 09: step 08's, made cheap to copy.
//
// Step 08's messages carry everything a fetch handler needs, in the shapes that are easiest to
// read: the request nested in the message, the headers as a list of pairs, every body as an
// `ArrayBuffer`. Each of those shapes costs. `postMessage` copies its message with the
// structured clone algorithm, and on Bun 1.4.5 that has a fast path for a flat object whose
// values are all strings, numbers, booleans or null: a nested object, an array or an
// ArrayBuffer anywhere in the message sends the whole message down the general path, three to
// four times slower (`npx bun bench/round-trip-parts.ts` measures both). So here:
//
//   - the message is one flat object: the request's fields sit beside `type` and `id`;
//   - the headers are one string, `name: value` lines joined by CRLF, the way HTTP/1.1 itself
//     writes them (a name may repeat: every `set-cookie` keeps its own line);
//   - a small body is a byte string: one character per byte, codes 0 to 255 ("latin1"), which
//     holds any bytes exactly and is still a string. A large one stays an `ArrayBuffer`, handed
//     over in the transfer list: there the copy, not the message's shape, is what costs.
//
//   main thread                                        worker
//   ───────────                                        ──────
//   { type: "init", appModule }                  ──▶   imports the module, finds its fetch handler
//                                                ◀──   { type: "ready" }  or  { type: "init-error", … }
//   { type: "request", id, method, url, … }      ──▶   new Request(…) → handler → the whole answer
//                                                ◀──   { type: "response", id, status, … }

import type { InitErrorMessage, InitMessage, ReadyMessage } from "./protocol.ts";

export type { InitErrorMessage, InitMessage, ReadyMessage } from "./protocol.ts";

/**
 * Bytes, as they cross: `null` for none; a byte string (each character's code is one byte,
 * 0-255) for a small body; an `ArrayBuffer`, transferred, for a large one.
 */
export type WireBody = string | ArrayBuffer | null;

/** A `Request`, reduced to a flat object of strings (and, for a large body, one buffer). */
export interface WireRequest {
  method: string;
  /** The whole URL, as the client asked for it: scheme, host, port, path and query string. */
  url: string;
  /** `name: value` lines joined by `\r\n`; `""` when there are none. */
  headers: string;
  body: WireBody;
}

/** A `Response`, reduced the same way; a streamed body arrives read to its end. */
export interface WireResponse {
  status: number;
  statusText: string;
  headers: string;
  body: WireBody;
  /**
   * When the handler threw (or answered something that is not a `Response`) and this 500
   * stands in for its answer: what went wrong, for the server's log. Never sent to the client.
   * Only a failed request carries it, so only a failed request leaves the fast path.
   */
  error?: { message: string; stack?: string };
}

export type RequestMessage = { type: "request"; id: number } & WireRequest;
export type ResponseMessage = { type: "response"; id: number } & WireResponse;

export type ToWorker = InitMessage | RequestMessage;
export type FromWorker = ReadyMessage | InitErrorMessage | ResponseMessage;
