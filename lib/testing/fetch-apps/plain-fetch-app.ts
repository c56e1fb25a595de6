// An app the plain Bun way, `export default { fetch }`, with routes that test what must cross
// between threads unchanged (status text, every set-cookie, bytes, a streamed body) and what
// a handler may do wrong (throw, reject, answer something that is not a Response).
//
// Its `fetch` calls `this.route(…)`: it works only when called on its object, as
// `app.fetch(request)`, the way `Bun.serve` and the pool's worker call it.

import { threadId } from "node:worker_threads";
import { announce } from "../events.ts";
import { waitAtGate } from "../gate.ts";

/** The bytes `/stream` sends, chunk by chunk: every byte value, most of them not valid UTF-8. */
export const STREAM_CHUNKS = [0, 1, 2, 3, 4].map((chunk) => Uint8Array.from({ length: 300 }, (_, i) => (i * 11 + chunk * 50) % 256));

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export default {
  fetch(request: Request): Promise<Response> {
    return this.route(new URL(request.url), request);
  },

  async route(url: URL, request: Request): Promise<Response> {
    const [, first = "", second = ""] = url.pathname.split("/");
    switch (first) {
      case "thread":
        return Response.json({ threadId });
      case "gate": {
        announce({ kind: "started", label: second });
        if (!waitAtGate(second)) return new Response(`gate ${second} was never opened`, { status: 500 });
        return new Response(`released ${second}`, { headers: { "x-thread-id": String(threadId) } });
      }
      case "plain-text":
        return new Response("a string body, no content-type set");
      case "status-text":
        return new Response("fine", { status: 299, statusText: "Fine, Thanks" });
      case "cookies": {
        const headers = new Headers({ "content-type": "text/plain" });
        headers.append("set-cookie", "a=1; Path=/");
        headers.append("set-cookie", "b=2; Path=/; HttpOnly");
        headers.append("set-cookie", "c=3, with a comma; Path=/");
        return new Response("three cookies", { status: 201, headers });
      }
      case "echo-bytes":
        // The request body's bytes, unchanged, and what else arrived, in headers.
        return new Response(await request.arrayBuffer(), {
          headers: {
            "content-type": "application/octet-stream",
            "x-method": request.method,
            "x-url": request.url,
            "x-had-body": String(request.body !== null),
            "x-client-header": request.headers.get("x-client-header") ?? "(none)",
          },
        });
      case "empty":
        return new Response(null, { status: 204, headers: { "x-empty": "yes" } });
      case "stream": {
        let next = 0;
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            await nextTurn(); // each chunk comes later than the one before
            const chunk = STREAM_CHUNKS[next++];
            if (chunk) controller.enqueue(chunk);
            else controller.close();
          },
        });
        return new Response(body, { headers: { "content-type": "application/octet-stream" } });
      }
      case "stream-fails": {
        let sent = false;
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            await nextTurn();
            if (sent) return controller.error(new Error("the stream failed half-way, on purpose"));
            sent = true;
            controller.enqueue(new TextEncoder().encode("the first half"));
          },
        });
        return new Response(body);
      }
      case "throw":
        throw new Error("the plain handler threw on purpose");
      case "reject":
        await nextTurn();
        throw new Error("the plain handler rejected on purpose");
      case "not-a-response":
        return "a string is not a Response" as unknown as Response;
      default:
        return new Response(`Not Found: ${url.pathname}`, { status: 404 });
    }
  },
};
