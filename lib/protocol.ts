// The messages the main thread and a worker exchange. Plumbing shared by every step.
//
//   main thread                         worker
//   ───────────                         ──────
//   { type: "init", appModule }   ──▶   imports the app module
//                                 ◀──   { type: "ready" }  or  { type: "init-error", … }
//   { type: "request", id, … }    ──▶   app.handle(request)
//                                 ◀──   { type: "response", id, response }
//
// Every request carries an `id` and its response carries the same one back: several
// requests can be on their way to a worker at once, and the id is what pairs each answer
// with the caller waiting for it.

import type { AppResponse, RequestData } from "./http-types.ts";

export interface InitMessage {
  type: "init";
  /** A URL or absolute path the worker can pass to `import()`. */
  appModule: string;
}

export interface RequestMessage {
  type: "request";
  id: number;
  request: RequestData;
}

export type ToWorker = InitMessage | RequestMessage;

export interface ReadyMessage {
  type: "ready";
}

export interface InitErrorMessage {
  type: "init-error";
  appModule: string;
  /** Why the import failed, e.g. "Cannot find module …" or the error the module threw. */
  reason: string;
}

export interface ResponseMessage {
  type: "response";
  id: number;
  response: AppResponse;
}

export type FromWorker = ReadyMessage | InitErrorMessage | ResponseMessage;
