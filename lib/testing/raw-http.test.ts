// rawRequest is itself tested: a body-limit test that believed it sent a chunked body while it
// sent a content-length would pass for the wrong reason.
import { afterAll, expect, test } from "bun:test";
import { within } from "./bounded.ts";
import { rawBytes, rawRequest } from "./raw-http.ts";

const server = Bun.serve({
  port: 0,
  async fetch(request) {
    const body = await request.text();
    const framing = request.headers.get("transfer-encoding") ?? `content-length ${request.headers.get("content-length")}`;
    if (new URL(request.url).pathname === "/stream") {
      // An answer of unknown length: Bun sends it chunked.
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("part one, "));
          controller.enqueue(new TextEncoder().encode("part two"));
          controller.close();
        },
      });
      return new Response(stream, { status: 201 });
    }
    return Response.json({ method: request.method, framing, body, custom: request.headers.get("x-custom") }, { headers: { "x-answer": "yes" } });
  },
});
afterAll(() => server.stop(true));

test("chunks go out chunked, with no content-length, and arrive whole", async () => {
  const bytes = rawBytes(server.url, { method: "PUT", path: "/", chunks: ["ab", "cdé"] }).toString();
  expect(bytes).toContain("transfer-encoding: chunked\r\n");
  expect(bytes).not.toContain("content-length");
  expect(bytes.endsWith("2\r\nab\r\n4\r\ncdé\r\n0\r\n\r\n"), "chunk sizes count bytes (é is 2)").toBe(true);
  const answer = await within(rawRequest(server.url, { method: "PUT", path: "/", chunks: ["ab", "cdé"] }), "a chunked PUT");
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body)).toEqual({ method: "PUT", framing: "chunked", body: "abcdé", custom: null });
});

test("a body goes out with its content-length in bytes; headers both ways", async () => {
  const answer = await within(rawRequest(server.url, { method: "POST", path: "/", body: "é!", headers: { "x-custom": "1" } }), "a POST");
  expect(JSON.parse(answer.body)).toEqual({ method: "POST", framing: "content-length 3", body: "é!", custom: "1" });
  expect(answer.headers["x-answer"]).toBe("yes");
});

test("a chunked answer is put back together", async () => {
  const answer = await within(rawRequest(server.url, { path: "/stream" }), "GET /stream");
  expect(answer.status).toBe(201);
  expect(answer.body).toBe("part one, part two");
});

test("a connection that ends without an answer rejects, saying so", async () => {
  const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (socket) => void socket.end() } });
  try {
    const failure = await within(
      rawRequest(`http://127.0.0.1:${silent.port}/`, { path: "/" }).then(
        () => "answered",
        (error: Error) => error.message,
      ),
      "a request to a server that closes without answering",
    );
    expect(failure).toContain("the connection ended without an HTTP answer");
  } finally {
    silent.stop(true);
  }
});
