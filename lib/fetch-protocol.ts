// The messages of step 08, where the worker runs any web-standard fetch handler.
//
// Steps 02-07 sent `RequestData` (lib/http-types.ts): strings only, the query as an object,
// the body as text. That fits the tutorial's own `App`, and loses what other apps rely on:
// a binary body becomes text (and its bytes change), a repeated query key keeps one value,
// several `set-cookie` headers become one. A `Request` or a `Response` cannot be posted
// (DataCloneError), so these shapes carry exactly what a handler sees and what it answers:
//
//   main thread                               worker
//   ───────────                               ──────
//   { type: "init", appModule }         ──▶   imports the module, finds its fetch handler
//                                       ◀──   { type: "ready" }  or  { type: "init-error", … }
//   { type: "request", id, request }    ──▶   new Request(…) → handler → the whole answer
//                                       ◀──   { type: "response", id, response }
//
// Bodies travel as bytes (`ArrayBuffer`), never as text, and headers as a list of pairs, in
// which a name may appear more than once.

import type { InitErrorMessage, InitMessage, ReadyMessage } from "./protocol.ts";

export type { InitErrorMessage, InitMessage, ReadyMessage } from "./protocol.ts";

/** Header names and values, in order; a name repeats as often as the message repeats it. */
export type HeaderList = Array<[name: string, value: string]>;

/** A `Request`, reduced to what can be posted. */
export interface WireRequest {
  method: string;
  /** The whole URL, as the client asked for it: scheme, host, port, path and query string. */
  url: string;
  headers: HeaderList;
  /** The body's bytes; `null` when there are none. */
  body: ArrayBuffer | null;
}

/** A `Response`, reduced to what can be posted; a streamed body arrives read to its end. */
export interface WireResponse {
  status: number;
  statusText: string;
  headers: HeaderList;
  /** The body's bytes; `null` when there are none. */
  body: ArrayBuffer | null;
  /**
   * When the handler threw (or answered something that is not a `Response`) and this 500
   * stands in for its answer: what went wrong, for the server's log. Never sent to the client.
   */
  error?: { message: string; stack?: string };
}

export interface RequestMessage {
  type: "request";
  id: number;
  request: WireRequest;
}

export interface ResponseMessage {
  type: "response";
  id: number;
  response: WireResponse;
}

export type ToWorker = InitMessage | RequestMessage;
export type FromWorker = ReadyMessage | InitErrorMessage | ResponseMessage;
