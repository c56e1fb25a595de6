// The claims that lib/'s own comments make about Bun, checked on the pinned Bun.
// (Each step's facts live beside these, in files named for their topic.)
//
//   lib/app-modules.ts  posting the `app` does not throw: the worker receives an empty object
//   lib/http-types.ts   a Request, a Response or a function cannot be posted at all
//   lib/http-types.ts   an Error keeps message and stack, loses its subclass and own fields

import { afterAll, expect, test } from "bun:test";
import { App, HttpError } from "../app.ts";
import { within } from "../testing/bounded.ts";

// A worker that describes whatever it receives.
const source = `self.onmessage = (e) => {
  const d = e.data;
  postMessage({ tag: Object.prototype.toString.call(d), ctor: d?.constructor?.name, keys: Object.keys(d ?? {}),
    name: d?.name, message: d?.message, status: d?.status, hasStack: typeof d?.stack === "string" && d.stack.length > 0 });
};`;
const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "application/javascript" })));
afterAll(() => worker.terminate());

interface Seen {
  tag: string;
  ctor?: string;
  keys: string[];
  name?: string;
  message?: string;
  status?: number;
  hasStack: boolean;
}

function roundTrip(value: unknown): Promise<Seen> {
  const seen = new Promise<Seen>((resolve) => worker.addEventListener("message", (e) => resolve(e.data as Seen), { once: true }));
  worker.postMessage(value);
  return within(seen, "the describing worker's answer");
}

test("posting an App does not throw: the worker receives an empty plain object", async () => {
  const app = new App().get("/x", () => "x");
  const seen = await roundTrip(app);
  expect(seen.ctor).toBe("Object");
  expect(seen.keys).toEqual([]);
});

test("a Request, a Response, Headers or a function cannot be posted: DataCloneError", () => {
  for (const value of [new Request("http://localhost/"), new Response("hi"), new Headers({ a: "1" }), () => 1]) {
    expect(() => worker.postMessage(value)).toThrow(expect.objectContaining({ name: "DataCloneError" }));
  }
});

test("an HttpError arrives as a plain Error: message and stack kept, subclass and status lost", async () => {
  const seen = await roundTrip(new HttpError(400, "Bad Request: n"));
  expect(seen.tag).toBe("[object Error]");
  expect(seen.name).toBe("Error");
  expect(seen.message).toBe("Bad Request: n");
  expect(seen.hasStack).toBe(true);
  expect(seen.status).toBeUndefined();
});
