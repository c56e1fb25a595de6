// Step 09's tests, part 1: wire.ts, function by function. Run them with `npm start -- check 09`.
//
// The messages of step 08 carried everything; these carry the same, in the shapes structured
// clone copies fastest (lib/flat-protocol.ts): the headers as one string of `name: value` lines
// joined by CRLF, a small body as a byte string (one character per byte, codes 0 to 255), a
// large one as an ArrayBuffer for the transfer list, and no body as `null`. "Flat" is checked
// as the brief defines it: an object whose every value is a string, a number or null.

import { describe, expect, test } from "bun:test";
import {
  TRANSFER_THRESHOLD_BYTES,
  fromHeaderLines,
  fromWireBody,
  fromWireRequest,
  fromWireResponse,
  toHeaderLines,
  toWireBody,
  toWireRequest,
  toWireResponse,
  transferList,
} from "./wire.ts";

/** Every byte value, 0 to 255, then the same backwards: 512 bytes, most of them not UTF-8 text. */
const EVERY_BYTE = Uint8Array.from([...Array.from({ length: 256 }, (_, i) => i), ...Array.from({ length: 256 }, (_, i) => 255 - i)]);
const binary = (length: number, seed = 0) => Uint8Array.from({ length }, (_, i) => (i * 131 + seed) % 256);
const bufferOf = (bytes: Uint8Array) => bytes.slice().buffer as ArrayBuffer;
const same = (a: ArrayBuffer | Uint8Array, b: Uint8Array) => Buffer.from(a instanceof ArrayBuffer ? new Uint8Array(a) : a).equals(Buffer.from(b));

/** The keys of `value` whose values are not a string, a number, a boolean or null, with what they hold. */
function notPrimitive(value: object): string[] {
  return Object.entries(value)
    .filter(([, v]) => v !== null && typeof v === "object")
    .map(([key, v]) => `${key} (${v instanceof ArrayBuffer ? "an ArrayBuffer" : Array.isArray(v) ? "an array" : "an object"})`);
}

/** The character codes of a byte string, one per character. */
const codesOf = (text: string) => Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));

describe("headers cross as one string of `name: value` lines", () => {
  test("toHeaderLines: one `name: value` line per header, joined by CRLF, none at the end; no headers is \"\"", () => {
    expect(toHeaderLines(new Headers([["x-a", "1"], ["x-b", "two words"]])), "toHeaderLines of x-a: 1 and x-b: two words").toBe("x-a: 1\r\nx-b: two words");
    expect(toHeaderLines(new Headers({ "content-type": "text/plain" })), "toHeaderLines of one header: no CRLF after the last line").toBe("content-type: text/plain");
    expect(toHeaderLines(new Headers()), "toHeaderLines of no header at all").toBe("");
  });

  test("toHeaderLines: each `set-cookie` keeps a line of its own, even twice and with a comma in it", () => {
    const headers = new Headers({ "content-type": "text/html" });
    headers.append("set-cookie", "a=1; Path=/");
    headers.append("set-cookie", "b=2, with a comma; HttpOnly");
    const lines = toHeaderLines(headers).split("\r\n");
    expect(lines.filter((line) => line.startsWith("set-cookie")), "the set-cookie lines (joining them into one breaks every cookie after the first)").toEqual([
      "set-cookie: a=1; Path=/",
      "set-cookie: b=2, with a comma; HttpOnly",
    ]);
    expect(lines, "every line of toHeaderLines").toContain("content-type: text/html");
  });

  test("fromHeaderLines: only the first \": \" separates a name from its value (a value may hold \": \", \":\" and URLs); an empty value survives", () => {
    const lines = [
      "x-note: a: b: c",
      "location: http://example.test:8080/a?b=c:d",
      "x-time: 12:30:05",
      "x-empty: ",
      "set-cookie: a=1",
      "set-cookie: b=2",
    ].join("\r\n");
    expect(fromHeaderLines(lines), "fromHeaderLines: each line split at its first \": \" only").toEqual([
      ["x-note", "a: b: c"],
      ["location", "http://example.test:8080/a?b=c:d"],
      ["x-time", "12:30:05"],
      ["x-empty", ""],
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
    ]);
  });

  test("fromHeaderLines(\"\") is no header at all, not one empty one", () => {
    expect(fromHeaderLines(""), "fromHeaderLines of \"\" (a response without headers)").toEqual([]);
    expect(() => new Headers(fromHeaderLines("")), "new Headers(fromHeaderLines(\"\"))").not.toThrow();
  });

  test("Headers → lines → Headers gives the same headers back: set-cookie twice, a value with \": \", an empty value", () => {
    const headers = new Headers([
      ["x-note", "ratio: 1:2"],
      ["link", "<http://example.test:8080/next>; rel=\"next\""],
      ["x-empty", ""],
    ]);
    headers.append("set-cookie", "session=s-1; Path=/");
    headers.append("set-cookie", "theme=dark; Max-Age=3600");
    const back = new Headers(fromHeaderLines(toHeaderLines(headers)));
    expect([...back], "the headers after a round trip through toHeaderLines and fromHeaderLines").toEqual([...headers]);
    expect(back.getSetCookie(), "the set-cookie headers after the round trip").toEqual(["session=s-1; Path=/", "theme=dark; Max-Age=3600"]);
  });
});

describe("bodies cross as null, a byte string, or an ArrayBuffer to transfer", () => {
  test("the threshold is 8 KiB: below it a byte string, one character per byte; from it on the ArrayBuffer; no bytes is null", () => {
    expect(TRANSFER_THRESHOLD_BYTES, "TRANSFER_THRESHOLD_BYTES").toBe(8 * 1024);
    expect(toWireBody(new ArrayBuffer(0)), "toWireBody of 0 bytes").toBeNull();
    for (const size of [1, 100, TRANSFER_THRESHOLD_BYTES - 1]) {
      const body = toWireBody(bufferOf(binary(size)));
      expect(typeof body, `toWireBody of ${size} bytes: a byte string keeps the message flat`).toBe("string");
      expect((body as string).length, `the length of the byte string for ${size} bytes (one character per byte)`).toBe(size);
    }
    for (const size of [TRANSFER_THRESHOLD_BYTES, TRANSFER_THRESHOLD_BYTES + 1, 600 * 1024]) {
      const body = toWireBody(bufferOf(binary(size)));
      expect(body instanceof ArrayBuffer, `toWireBody of ${size} bytes is an ArrayBuffer (at and above the threshold, the buffer is transferred)`).toBe(true);
      expect((body as ArrayBuffer).byteLength, `the byteLength of toWireBody's ArrayBuffer for ${size} bytes`).toBe(size);
    }
  });

  test("every byte value 0-255 comes back exactly: the byte string's character codes are the bytes (not TextDecoder(\"latin1\"), which is windows-1252; not UTF-8)", () => {
    const body = toWireBody(bufferOf(EVERY_BYTE));
    expect(typeof body, "toWireBody of 512 bytes").toBe("string");
    const codes = codesOf(body as string);
    const changed = codes.flatMap((code, i) => (code === EVERY_BYTE[i] ? [] : [`byte 0x${(EVERY_BYTE[i] as number).toString(16)} became character ${code}`]));
    expect(changed.slice(0, 8), "bytes whose character in the byte string has another code (0x80-0x9F change under windows-1252, 0x80-0xFF under UTF-8)").toEqual([]);
    const back = fromWireBody(body);
    expect(back === null, "fromWireBody of a byte string").toBe(false);
    expect(same(back as Uint8Array | ArrayBuffer, EVERY_BYTE), "fromWireBody(toWireBody(every byte)): the same 512 bytes").toBe(true);
  });

  test("fromWireBody undoes toWireBody: none, a byte string of every byte value, an ArrayBuffer", () => {
    expect(fromWireBody(null), "fromWireBody(null)").toBeNull();
    const large = binary(64 * 1024, 9);
    const back = fromWireBody(toWireBody(bufferOf(large)));
    expect(back === null ? -1 : back.byteLength, "bytes fromWireBody gives back for 64 KiB").toBe(large.length);
    expect(same(back as Uint8Array | ArrayBuffer, large), "the 64 KiB, unchanged").toBe(true);
    const codes = String.fromCharCode(...EVERY_BYTE);
    expect(same(fromWireBody(codes) as Uint8Array | ArrayBuffer, EVERY_BYTE), "fromWireBody of a byte string written by hand: each character's code is one byte").toBe(true);
  });

  test("transferList: the ArrayBuffer of a large body; nothing for a byte string or for none", () => {
    const buffer = bufferOf(binary(TRANSFER_THRESHOLD_BYTES));
    expect(transferList(buffer), "transferList of an ArrayBuffer body").toEqual([buffer]);
    expect(transferList(buffer)[0], "transferList gives the body's own buffer").toBe(buffer);
    expect(transferList("abc"), "transferList of a byte string").toEqual([]);
    expect(transferList(null), "transferList of no body").toEqual([]);
  });
});

describe("requests and answers are flat objects", () => {
  test("toWireRequest of a GET: method, whole URL, headers as lines, body null; every value a string", async () => {
    const wire = await toWireRequest(new Request("http://example.test:8080/a/b?x=1&x=2&q=two%20words", { headers: { "x-a": "1", accept: "text/html, */*" } }));
    expect(Object.keys(wire).sort(), "the keys of toWireRequest's result").toEqual(["body", "headers", "method", "url"]);
    expect(notPrimitive(wire), "values of toWireRequest's result that are not a string, a number or null").toEqual([]);
    expect(wire).toEqual({ method: "GET", url: "http://example.test:8080/a/b?x=1&x=2&q=two%20words", headers: "accept: text/html, */*\r\nx-a: 1", body: null });
  });

  test("toWireRequest of a small POST (every byte value): flat, the body a byte string; fromWireRequest rebuilds it byte for byte", async () => {
    const original = new Request("http://example.test/upload?x=1", { method: "POST", headers: { "content-type": "application/octet-stream", "x-note": "a: b" }, body: EVERY_BYTE });
    const wire = await toWireRequest(original);
    expect(notPrimitive(wire), "values of toWireRequest's result for 512 bytes that are not a string, a number or null (a small body is a byte string)").toEqual([]);
    expect(typeof wire.body, "the body of a small POST").toBe("string");
    const rebuilt = fromWireRequest(structuredClone(wire));
    expect(rebuilt).toBeInstanceOf(Request);
    expect({ method: rebuilt.method, url: rebuilt.url }).toEqual({ method: "POST", url: "http://example.test/upload?x=1" });
    expect(rebuilt.headers.get("x-note"), "a header whose value holds \": \"").toBe("a: b");
    expect(rebuilt.headers.get("content-type")).toBe("application/octet-stream");
    expect(same(await rebuilt.arrayBuffer(), EVERY_BYTE), "the body the worker's Request gives: every byte value, unchanged").toBe(true);
  });

  test("a POST with an empty body crosses with body null, and is rebuilt with no bytes", async () => {
    const wire = await toWireRequest(new Request("http://example.test/empty", { method: "POST", body: "" }));
    expect(wire.body, "the body of a POST with 0 bytes").toBeNull();
    const rebuilt = fromWireRequest(wire);
    expect(rebuilt.method).toBe("POST");
    expect((await rebuilt.arrayBuffer()).byteLength, "bytes of the rebuilt POST's body").toBe(0);
  });

  test("a large request body (64 KiB) crosses as an ArrayBuffer, byte for byte", async () => {
    const sent = binary(64 * 1024, 5);
    const wire = await toWireRequest(new Request("http://example.test/big", { method: "PUT", body: sent }));
    expect(wire.body instanceof ArrayBuffer, "the body of a 64 KiB PUT (large: an ArrayBuffer, for the transfer list)").toBe(true);
    expect(transferList(wire.body), "the transfer list of that request").toEqual([wire.body as ArrayBuffer]);
    const rebuilt = fromWireRequest(structuredClone(wire));
    expect(same(await rebuilt.arrayBuffer(), sent), "the rebuilt PUT's 64 KiB").toBe(true);
  });

  test("toWireResponse of a small answer: flat; status, status text, every header (set-cookie twice) and the bytes come back", async () => {
    const headers = new Headers({ "content-type": "application/octet-stream", location: "http://example.test:8080/next" });
    headers.append("set-cookie", "a=1; Path=/");
    headers.append("set-cookie", "b=2; HttpOnly");
    const wire = await toWireResponse(new Response(EVERY_BYTE, { status: 203, statusText: "Partly Yours", headers }));
    expect(notPrimitive(wire), "values of toWireResponse's result for 512 bytes that are not a string, a number or null").toEqual([]);
    expect("error" in wire, "toWireResponse of an answer has no `error` (only the 500 that stands in for a failed handler has one)").toBe(false);
    const rebuilt = fromWireResponse(structuredClone(wire));
    expect(rebuilt).toBeInstanceOf(Response);
    expect({ status: rebuilt.status, statusText: rebuilt.statusText }).toEqual({ status: 203, statusText: "Partly Yours" });
    expect(rebuilt.headers.getSetCookie(), "every set-cookie, in order").toEqual(["a=1; Path=/", "b=2; HttpOnly"]);
    expect(rebuilt.headers.get("location"), "a header whose value is a URL with a port").toBe("http://example.test:8080/next");
    expect(same(await rebuilt.arrayBuffer(), EVERY_BYTE), "the answer's 512 bytes").toBe(true);
  });

  test("toWireResponse reads a streamed body to its end; a large one (64 KiB) is an ArrayBuffer", async () => {
    const chunks = [binary(32 * 1024, 1), binary(32 * 1024, 2)];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
    const wire = await toWireResponse(new Response(body, { headers: { "content-type": "application/octet-stream" } }));
    expect(wire.body instanceof ArrayBuffer, "the body of a 64 KiB answer").toBe(true);
    const rebuilt = fromWireResponse(structuredClone(wire));
    const all = Uint8Array.from([...(chunks[0] as Uint8Array), ...(chunks[1] as Uint8Array)]);
    expect(same(await rebuilt.arrayBuffer(), all), "both chunks, in order").toBe(true);
  });

  test("a string body keeps the content-type Bun gives it (text/plain;charset=utf-8), and its text", async () => {
    const wire = await toWireResponse(new Response("héllo wörld ✓"));
    expect(notPrimitive(wire), "values of toWireResponse's result for a string body").toEqual([]);
    const rebuilt = fromWireResponse(structuredClone(wire));
    expect(rebuilt.headers.get("content-type"), "the content-type of `new Response(\"text\")`, rebuilt").toBe("text/plain;charset=utf-8");
    expect(await rebuilt.text(), "the text, through a byte string of its UTF-8 bytes").toBe("héllo wörld ✓");
  });

  test("an answer without a body or headers stays without them: 204, body null, headers \"\"", async () => {
    const wire = await toWireResponse(new Response(null, { status: 204 }));
    expect(wire, "toWireResponse of a bare 204").toEqual({ status: 204, statusText: "", headers: "", body: null });
    const rebuilt = fromWireResponse(wire);
    expect(rebuilt.status).toBe(204);
    expect([...rebuilt.headers], "headers of the rebuilt 204").toEqual([]);
    expect((await rebuilt.arrayBuffer()).byteLength).toBe(0);
  });
});
