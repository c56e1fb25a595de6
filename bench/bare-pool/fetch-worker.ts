// The bare pool's other worker: the example app behind its fetch handler, `Request` in,
// `Response` out, the way steps 08 and 09 call any app. Building those two objects on this
// thread is the price of running any fetch handler, not the pool's: so steps 08 and 09 are
// measured against this worker, and steps 02-07, which call `app.handle()`, against worker.ts.
// It still takes every shortcut worker.ts takes: no headers, the body as text.

import { app } from "#lib/example-app.ts";
import type { BareAnswer, BareTask } from "./pool.ts";

declare const self: Worker;

self.onmessage = async (event: MessageEvent) => {
  const { id, method, url, body } = event.data as BareTask;
  const request = new Request(new URL(url, "http://localhost").href, { method, body: body === "" ? null : body });
  const response = await app.fetch(request);
  const answer: BareAnswer = { id, status: response.status, contentType: response.headers.get("content-type") ?? "", body: await response.text() };
  self.postMessage(answer);
};
