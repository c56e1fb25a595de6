// What `postMessage` carries between threads, checked on the pinned Bun. Chapter 02 and the
// briefs of steps 01-02 rest on these claims; a Bun upgrade that changes one fails here first.
//
//   docs/02 "strings, numbers, plain objects and arrays survive": copied, not shared
//   docs/02 "functions, Request and Response do not": postMessage throws DataCloneError
//   docs/02 "a class instance arrives as a plain object, without its methods, silently"
//   docs/02 "the app cannot be sent": its routes live in private fields, which are left behind
//   docs/02 "an Error keeps message and stack, loses its subclass and own fields"
//   steps/02 "a promise cannot be posted": forgetting `await` before posting a response throws

import { afterAll, describe, expect, test } from "bun:test";
import { App, HttpError } from "../app.ts";
import { within } from "../testing/bounded.ts";

// A worker that describes whatever it receives, as plain data the test can read.
const describer = `self.onmessage = (e) => {
  const d = e.data;
  const isObject = typeof d === "object" && d !== null;
  postMessage({
    tag: Object.prototype.toString.call(d),
    ctor: isObject ? d.constructor?.name : undefined,
    plainPrototype: isObject && Object.getPrototypeOf(d) === Object.prototype,
    keys: isObject ? Object.keys(d) : [],
    value: isObject ? JSON.stringify(d) : String(d),
    methodType: isObject ? typeof d.describe : undefined,
    name: d?.name, message: d?.message, status: d?.status,
    stack: typeof d?.stack === "string" ? d.stack : undefined,
  });
};`;
const worker = new Worker(URL.createObjectURL(new Blob([describer], { type: "application/javascript" })));
afterAll(() => worker.terminate());

interface Seen {
  tag: string;
  ctor?: string;
  plainPrototype: boolean;
  keys: string[];
  value: string;
  methodType?: string;
  name?: string;
  message?: string;
  status?: number;
  stack?: string;
}

/** Posts `value` to the describing worker and returns what arrived there. */
function arrived(value: unknown): Promise<Seen> {
  const seen = new Promise<Seen>((resolve) =>
    worker.addEventListener("message", (e) => resolve(e.data as Seen), { once: true }),
  );
  worker.postMessage(value);
  return within(seen, "the describing worker's answer");
}

describe("what survives postMessage", () => {
  test("plain data (strings, numbers, plain objects, arrays) arrives equal", async () => {
    const data = { method: "POST", path: "/echo", query: { a: "1" }, list: [1, "two", { three: 3 }], n: 1.5 };
    const seen = await arrived(data);
    expect(seen.plainPrototype).toBe(true);
    expect(JSON.parse(seen.value)).toEqual(data);
  });

  test("it is a copy, made when posting: changing the original afterwards changes nothing there", async () => {
    const data = { count: 1 };
    const seen = arrived(data);
    data.count = 2;
    expect(JSON.parse((await seen).value)).toEqual({ count: 1 });
  });
});

describe("what postMessage refuses: it throws DataCloneError, at once, in the sender", () => {
  test.each([
    ["a function", () => 1],
    ["a Request", new Request("http://localhost/")],
    ["a Response", new Response("hi")],
    ["Headers", new Headers({ a: "1" })],
    ["a Promise (an answer posted without `await`)", Promise.resolve({ status: 200 })],
  ])("%s", (_, value) => {
    expect(() => worker.postMessage(value)).toThrow(expect.objectContaining({ name: "DataCloneError" }));
  });
});

describe("what postMessage strips without a word", () => {
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
    describe(): string {
      return `(${this.x}, ${this.y})`;
    }
  }

  test("a class instance does not throw: it arrives as a plain object with its fields and without its methods", async () => {
    const seen = await arrived(new Point(1, 2));
    expect(seen.tag).toBe("[object Object]");
    expect(seen.ctor).toBe("Object");
    expect(seen.plainPrototype).toBe(true);
    expect(JSON.parse(seen.value)).toEqual({ x: 1, y: 2 });
    expect(seen.methodType).toBe("undefined");
  });

  test("an App arrives as an empty plain object: its routes live in private fields, which are not copied", async () => {
    const seen = await arrived(new App().get("/x", () => "x"));
    expect(seen.ctor).toBe("Object");
    expect(seen.keys).toEqual([]);
  });

  test("an HttpError arrives as a plain Error: message and stack kept, subclass and `status` lost", async () => {
    const error = new HttpError(404, "Not Found: /nothing");
    const seen = await arrived(error);
    expect(seen.tag).toBe("[object Error]");
    expect(seen.name).toBe("Error");
    expect(seen.message).toBe("Not Found: /nothing");
    expect(seen.stack).toBe(error.stack);
    expect(seen.status).toBeUndefined();
  });

  test("a built-in error type survives: a TypeError stays a TypeError", async () => {
    const seen = await arrived(new TypeError("x is undefined"));
    expect(seen.name).toBe("TypeError");
    expect(seen.message).toBe("x is undefined");
  });
});
