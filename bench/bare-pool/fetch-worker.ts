// The bare pool's other worker: the example app behind its fetch handler, `Request` in,
// `Response` out, the way steps 08 and 09 call any app. Building those two objects on this
// thread is the price of running any fetch handler, not the pool's: so steps 08 and 09 are
// measured against this worker, and steps 02-07, which call `app.handle()`, against worker.ts.
// It takes the same shortcuts as worker.ts: repeated headers merged, the body as text.

import { app } from "#lib/example-app.ts";
import type { BareAnswer, BareTask } from "./pool.ts";

declare const self: Worker;

self.onmessage = async (event: MessageEvent) => {
  const { id, method, url, headers, body } = event.data as BareTask;
  const response = await app.fetch(new Request(url, { method, headers, body: body === "" ? null : body }));
  const answer: BareAnswer = { id, status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
  self.postMessage(answer);
};
