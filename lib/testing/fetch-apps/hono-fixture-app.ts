// The Hono example app, mounted whole, plus routes for the tests: which thread answers
// (`/thread`, `/whoami/:name`), and a handler that holds its thread until the test opens its
// gate (../gate.ts), whose answer says in a header which thread it held.

import { Hono } from "hono";
import { threadId } from "node:worker_threads";
import example from "../../examples/hono-app.ts";
import { announce } from "../events.ts";
import { waitAtGate } from "../gate.ts";

const app = new Hono();

app.get("/thread", (c) => c.json({ threadId }));
app.get("/whoami/:name", (c) => c.json({ name: c.req.param("name"), threadId }));
app.get("/gate/:token", (c) => {
  const token = c.req.param("token");
  announce({ kind: "started", label: token });
  if (!waitAtGate(token)) return c.text(`gate ${token} was never opened`, 500);
  return c.text(`released ${token}`, 200, { "x-thread-id": String(threadId) });
});
app.route("/", example);

export default app;
