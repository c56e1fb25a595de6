// An app that reports what crosses its worker's thread boundary (./message-tap.ts), for step 09.
//
// On a worker thread, loading it wraps the thread's `postMessage` and listens to its `message`
// events: every message in and out is reported to the test, and so is every handler's start.
// Imported on the main thread (a light route), it taps nothing. It is a plain Bun app,
// `export default { fetch }`:
//
//   /start/:label     reports its start, answers `label` at once
//   /wait/:label      reports its start, then awaits the async gate `label` (./async-gate.ts):
//                     its thread stays free meanwhile, as it would for I/O
//   /bytes/:n         n bytes, every byte value in turn, as application/octet-stream
//   /echo             the request's body bytes, unchanged
//   /throw            throws: the worker answers the 500 that carries `error`

import { isMainThread, threadId } from "node:worker_threads";
import { waitAtAsyncGate } from "./async-gate.ts";
import { describeMessage, report } from "./message-tap.ts";

interface WorkerScope {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}

if (!isMainThread) {
  const scope = globalThis as unknown as WorkerScope;
  const post = scope.postMessage.bind(scope);
  scope.postMessage = (message, transfer = []) => {
    report({ kind: "out", threadId, ...describeMessage(message), transferred: transfer.length });
    post(message, transfer);
  };
  scope.addEventListener("message", (event) => report({ kind: "in", threadId, ...describeMessage(event.data) }));
}

const started = (label: string) => report({ kind: "started", threadId, label });

export default {
  async fetch(request: Request): Promise<Response> {
    const [, route = "", param = ""] = new URL(request.url).pathname.split("/");
    switch (route) {
      case "start":
        started(param);
        return new Response(param);
      case "wait":
        started(param);
        if (!(await waitAtAsyncGate(param))) return new Response(`async gate ${param} was never opened`, { status: 500 });
        return new Response(param);
      case "bytes": {
        const bytes = Uint8Array.from({ length: Number(param) }, (_, i) => i % 256);
        return new Response(bytes, { headers: { "content-type": "application/octet-stream" } });
      }
      case "echo":
        return new Response(await request.arrayBuffer(), { headers: { "content-type": "application/octet-stream" } });
      case "throw":
        throw new Error("the tapped app threw on purpose");
      default:
        return new Response(`Not Found: ${route}`, { status: 404 });
    }
  },
};
