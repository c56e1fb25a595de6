// HTTP/1.1 written by hand on a TCP socket, for the requests `fetch` will not send.
//
// `fetch` decides a request's framing itself (a string body always goes with a
// content-length), and Bun's `fetch` keeps at most 256 requests in flight at once, queuing the
// rest on the client side. A test of a body limit must send a real chunked body, whose length
// nobody announces up front; a test of a queue of 256 must have more than 256 requests waiting
// at the server at once. A socket does both: the test writes the exact bytes, one connection
// per request.

import { connect } from "node:net";

export interface RawRequest {
  method?: string;
  /** Path and query, e.g. `/echo?x=1`. */
  path: string;
  headers?: Record<string, string>;
  /** Sent with a `content-length`. */
  body?: string;
  /** Sent with `transfer-encoding: chunked`, one chunk per string, then the terminating chunk. */
  chunks?: string[];
}

export interface RawAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/** The bytes of `request` on the wire. Always `connection: close`: one request per connection. */
export function rawBytes(url: URL | string, request: RawRequest): Buffer {
  const { host } = new URL(url);
  const lines = [`${request.method ?? "GET"} ${request.path} HTTP/1.1`, `host: ${host}`, "connection: close"];
  for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`${name}: ${value}`);
  let payload = Buffer.alloc(0);
  if (request.chunks !== undefined) {
    lines.push("transfer-encoding: chunked");
    const parts = request.chunks.map((chunk) => {
      const bytes = Buffer.from(chunk);
      return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]);
    });
    payload = Buffer.concat([...parts, Buffer.from("0\r\n\r\n")]);
  } else if (request.body !== undefined) {
    payload = Buffer.from(request.body);
    lines.push(`content-length: ${payload.length}`);
  }
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`), payload]);
}

/**
 * Sends one request on its own connection and resolves with the answer once the server closes
 * it. A server may answer before it has read the whole body (a 413) and close: the answer
 * still counts, though writing the rest of the body then fails. Rejects only when the
 * connection ends without a status line.
 */
export function rawRequest(url: URL | string, request: RawRequest): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise<RawAnswer>((resolve, reject) => {
    const received: Buffer[] = [];
    let settled = false;
    const finish = (problem?: Error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const text = Buffer.concat(received);
      const answer = parseAnswer(text);
      if (answer) resolve(answer);
      else reject(new Error(`${request.method ?? "GET"} ${request.path}: the connection ended without an HTTP answer${problem ? ` (${problem.message})` : ""}`));
    };
    const socket = connect({ host: hostname === "localhost" ? "127.0.0.1" : hostname, port: Number(port) }, () => {
      socket.write(rawBytes(url, request));
    });
    socket.on("data", (data: Buffer) => received.push(data));
    socket.on("end", () => finish());
    socket.on("close", () => finish());
    socket.on("error", (error) => finish(error));
  });
}

function parseAnswer(bytes: Buffer): RawAnswer | undefined {
  const end = bytes.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const [statusLine = "", ...headerLines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  if (!status) return undefined;
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = bytes.subarray(end + 4);
  if (headers["transfer-encoding"]?.toLowerCase() === "chunked") body = unchunk(body);
  else if (headers["content-length"] !== undefined) body = body.subarray(0, Number(headers["content-length"]));
  return { status: Number(status), headers, body: body.toString("utf8") };
}

function unchunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
