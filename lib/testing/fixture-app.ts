// The app the step tests run: the example routes, plus routes built to observe and to
// misbehave. Like any app module, it is imported by path inside workers (FIXTURE_APP).

import { threadId } from "node:worker_threads";
import { App, HttpError, json, text, type RequestData } from "../app.ts";
import { exampleRoutes } from "../example-app.ts";
import { fibonacci, parseFibonacciInput } from "../fibonacci.ts";
import { announce } from "./events.ts";
import { waitAtGate } from "./gate.ts";

export const app = exampleRoutes(new App());

// Heavy and finite: announces its start, then computes fib(n) on its thread.
app.get("/busy/:label/:n", ({ params }) => {
  const label = params.label ?? "";
  const n = parseFibonacciInput(params.n);
  if (typeof n !== "number") throw new HttpError(400, `Bad Request: ${n.problem}`);
  announce({ kind: "started", label });
  return json({ label, n, fibonacci: fibonacci(n) });
});

// Heavy until released: announces its start, then holds its thread until the test opens the gate.
app.get("/gate/:token", ({ params }) => {
  const token = params.token ?? "";
  announce({ kind: "started", label: token });
  if (!waitAtGate(token)) throw new HttpError(500, `gate ${token} was never opened`);
  return text(`released ${token}`);
});

// Like /gate/:token, and tells which thread holds it: announces `<token>@<threadId>` instead,
// so that a test can end that very thread from outside (lib/testing/worker-census.ts).
app.get("/gate-thread/:token", ({ params }) => {
  const token = params.token ?? "";
  announce({ kind: "started", label: `${token}@${threadId}` });
  if (!waitAtGate(token)) throw new HttpError(500, `gate ${token} was never opened`);
  return text(`released ${token}`);
});

// Echoes what reached the handler, to prove the whole request crossed intact.
const echo = (request: RequestData) =>
  json(
    { method: request.method, path: request.path, query: request.query, body: request.body, headers: request.headers },
    200,
    { "x-echo": "yes" },
  );
app.get("/echo", echo).post("/echo", echo).put("/echo", echo).delete("/echo", echo);

// A bug in a handler: must become a 500, and the server must keep serving.
app.get("/throw", () => {
  throw new Error("handler exploded on purpose");
});

// Which thread ran the handler (0 is the main thread).
app.get("/thread", () => json({ threadId }));

// Worker killers, for step 05's crash recovery. Each takes down the thread running it.
app.get("/crash/exit", () => {
  process.exit(1); // in a worker, this ends the worker's thread, not the process
});
app.get("/crash/uncaught", () => {
  // Thrown later, outside any handler: nothing catches it, so the worker dies of it.
  setTimeout(() => {
    throw new Error("uncaught error on purpose");
  }, 0);
  return "this answer is sent, then the worker dies";
});
app.get("/loop", () => {
  // A runaway handler: only terminating its thread stops it.
  for (;;) {}
});

// Step 05: deaths that leave the request unanswered, so only the pool can answer it.
app.get("/crash/pending", () => {
  // An uncaught error while the handler's answer is still pending: the worker dies first.
  setTimeout(() => {
    throw new Error("uncaught error while a request was pending, on purpose");
  }, 0);
  return new Promise<string>(() => {});
});
app.get("/crash/rejection", () => {
  // An unhandled rejection also kills a Bun worker, and its close event says code 0, "terminated
  // normally": the same as a terminate() we asked for. Only our own flag tells them apart.
  void Promise.reject(new Error("unhandled rejection on purpose"));
  return new Promise<string>(() => {});
});
app.get("/crash/named", () => {
  // Bun's report of an uncaught error gives its line as "<name>: <message>": "error: …" for a
  // plain Error, "TypeError: …", or here "PaymentDeclined: …". A summary that looks for a line
  // ending in "error:" misses this one.
  class PaymentDeclined extends Error {
    override name = "PaymentDeclined";
  }
  setTimeout(() => {
    throw new PaymentDeclined("an error with its own name, uncaught on purpose");
  }, 0);
  return new Promise<string>(() => {});
});
