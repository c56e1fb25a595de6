// A client that keeps its connection open after an answer (HTTP/1.1 keep-alive), as browsers
// and load balancers do. A server's `stop()` must close such a connection too: a test ends,
// or a process exits, only once nothing is left open.

import { connect } from "node:net";
import { within } from "./bounded.ts";

export interface KeepAlive {
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<void>;
  /** Closes it from the client's side (clean-up). */
  destroy(): void;
}

/** Opens a connection to `url`, sends `GET /health` on it, waits for the answer, and keeps it open. */
export async function openKeepAlive(url: URL): Promise<KeepAlive> {
  const socket = connect(Number(url.port), url.hostname === "localhost" ? "127.0.0.1" : url.hostname);
  socket.on("error", () => {}); // a reset is one way of being closed
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  try {
    await within(new Promise<void>((resolve) => socket.once("connect", () => resolve())), `a connection to ${url.host}`);
    socket.write(`GET /health HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\n\r\n`);
    await within(new Promise<void>((resolve) => socket.once("data", () => resolve())), `GET /health on a kept-alive connection to ${url.host}`);
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return { closed, destroy: () => socket.destroy() };
}
