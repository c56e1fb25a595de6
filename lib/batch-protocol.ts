// The messages of step 10: step 09's flat messages, several to a message.
//
// A message between threads has a price of its own, whatever it carries: the post, on the
// receiving thread an event with its listener and its microtasks, and, if that thread slept,
// waking it. The copy, the only part that grows with the message, is the smaller part for flat
// messages (`npx bun bench/round-trip-parts.ts`: section 3 clones 10 flat requests one by one
// and in one array, section 4 times round trips to a worker that only echoes). So from step 10
// on, the tasks the pool hands a worker during one turn of the main thread's event loop go as
// one message, an array of step 09's request messages; and the worker answers all the tasks of
// a message in one message too, an array of response messages in the same order. An array
// leaves postMessage's fast path for flat objects, but its items are still flat.
//
//   main thread                                        worker
//   ───────────                                        ──────
//   { type: "init", appModule }                  ──▶   imports the module, finds its fetch handler
//                                                ◀──   { type: "ready" }  or  { type: "init-error", … }
//   [ { type: "request", id: 7, … },             ──▶   runs 7, then 8, then 9, one at a time,
//     { type: "request", id: 8, … },                   holding the answers until the last is done
//     { type: "request", id: 9, … } ]
//                                                ◀──   [ { type: "response", id: 7, … }, … 8 …, … 9 … ]

import type { InitErrorMessage, InitMessage, ReadyMessage, RequestMessage, ResponseMessage } from "./flat-protocol.ts";

export type { InitErrorMessage, InitMessage, ReadyMessage, RequestMessage, ResponseMessage, WireBody, WireRequest, WireResponse } from "./flat-protocol.ts";

/** The tasks of one message, in the order the worker is to run them. Never empty. */
export type RequestBatch = RequestMessage[];
/** Their answers, one per task, in the same order. */
export type ResponseBatch = ResponseMessage[];

export type ToWorker = InitMessage | RequestBatch;
export type FromWorker = ReadyMessage | InitErrorMessage | ResponseBatch;
