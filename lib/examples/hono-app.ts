// An app written for Bun with Hono (https://hono.dev), the way it would be written without
// this tutorial: no App, no worker, no pool in sight. It stands for your own app. Step 08's
// server runs it unchanged, in a pool of workers:
//
//   npm run serve -- --app lib/examples/hono-app.ts --light / --light /health
//
// One route is heavy: `/fibonacci/:n` computes on its thread, which is what the pool is for.
// The others cost less than the trip to a worker and back; `--light` tells the server it may
// answer them on the main thread. The rest shows what an app expects of the `Request` it gets
// and the `Response` it gives: methods, headers, query strings, cookies, bytes, streams, errors.

import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { stream } from "hono/streaming";
import { fibonacci, parseFibonacciInput } from "../fibonacci.ts";

const app = new Hono();

// Light.
app.get("/", (c) => c.text("Hello from Hono\n"));
app.get("/health", (c) => c.json({ status: "ok" }));

// Heavy: fib(35) keeps a core busy for a while, and whatever else runs on that thread waits.
app.get("/fibonacci/:n", (c) => {
  const n = parseFibonacciInput(c.req.param("n"));
  if (typeof n !== "number") return c.json({ error: n.problem }, 400);
  return c.json({ n, fibonacci: fibonacci(n) });
});

// What the handler was given: the method, the whole URL, the query string (a key may repeat),
// the headers and the body.
app.on(["GET", "POST", "PUT", "PATCH", "DELETE"], "/echo", async (c) =>
  c.json(
    { method: c.req.method, url: c.req.url, query: c.req.queries(), headers: c.req.header(), body: await c.req.text() },
    200,
    { "x-echo": "hono" },
  ),
);

// Signing in sets two cookies, each in a `set-cookie` header of its own; signing out clears both.
app.post("/session", async (c) => {
  const { user } = await c.req.json<{ user?: unknown }>().catch(() => ({ user: undefined }));
  if (typeof user !== "string" || user === "") return c.json({ error: 'send JSON like {"user": "ada"}' }, 422);
  setCookie(c, "session", `s-${user}`, { path: "/", httpOnly: true, sameSite: "Lax" });
  setCookie(c, "theme", "dark", { path: "/", maxAge: 3600 });
  return c.json({ user }, 201);
});
app.get("/session", (c) => {
  const session = getCookie(c, "session");
  if (!session) return c.json({ error: "not signed in" }, 401);
  return c.json({ session, theme: getCookie(c, "theme") ?? null });
});
app.delete("/session", (c) => {
  deleteCookie(c, "session", { path: "/" });
  deleteCookie(c, "theme", { path: "/" });
  return c.body(null, 204);
});

// Bytes, not text: `count` bytes of every value from 0 to 255 (most of them not valid UTF-8),
// and the request body's bytes in reverse order.
app.get("/bytes/:count", (c) => {
  const count = Number(c.req.param("count"));
  if (!Number.isInteger(count) || count < 0 || count > 16 * 1024 * 1024) return c.json({ error: "count must be 0 to 16 MiB" }, 400);
  const bytes = new Uint8Array(count).map((_, i) => (i * 7 + 1) % 256);
  return c.body(bytes, 200, { "content-type": "application/octet-stream" });
});
app.post("/reverse", async (c) => {
  const bytes = new Uint8Array(await c.req.arrayBuffer()).reverse();
  return c.body(bytes, 200, { "content-type": "application/octet-stream" });
});

// A streamed answer: written a line at a time, the way a report or a feed is sent.
app.get("/countdown/:from", (c) => {
  const from = Math.min(Math.max(Number(c.req.param("from")) || 0, 0), 1000);
  c.header("content-type", "text/plain; charset=utf-8");
  return stream(c, async (out) => {
    for (let i = from; i >= 0; i--) {
      await out.write(`${i}${i === 0 ? " liftoff" : ""}\n`);
      await out.sleep(0); // the next line comes later, in another turn of the event loop
    }
  });
});

// Moved: a redirect is an answer like any other, status and `location` header.
app.get("/home", (c) => c.redirect("/", 301));

// A bug in a handler. Hono turns what a handler throws into the answer `onError` gives.
app.get("/boom", () => {
  throw new Error("something broke in a handler");
});
app.onError((error, c) => c.json({ error: "Internal Server Error", detail: error.message }, 500));

export default app;
