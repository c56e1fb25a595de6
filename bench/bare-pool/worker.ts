// The bare pool's worker: the example app, behind the smallest message that can reach it.
//
// It runs the very same app and router as every step's worker, so the handler's own work is
// equal on both sides of the comparison: what differs is only the trip to the worker and back.

import { app } from "#lib/example-app.ts";
import { requestData } from "#lib/http.ts";
import type { BareAnswer, BareTask } from "./pool.ts";

declare const self: Worker;

self.onmessage = async (event: MessageEvent) => {
  const { id, method, url, headers, body } = event.data as BareTask;
  const response = await app.handle(requestData(url, { method, headers, body }));
  const answer: BareAnswer = { id, status: response.status, headers: response.headers, body: response.body };
  self.postMessage(answer);
};
