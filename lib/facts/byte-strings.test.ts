// Step 09 sends small bodies as byte strings and headers as `name: value` lines. These are the
// facts about Bun 1.4.5 that the encoding rests on; a Bun upgrade that changes one fails here.
//
//   docs/09 "Node's latin1 maps each byte to the character with the same code, and back"
//   docs/09 "new TextDecoder('latin1') is windows-1252: it changes bytes 0x80-0x9F"
//   docs/09 "UTF-8 text cannot carry any bytes: invalid sequences come back changed"
//   docs/09 "a header value cannot hold CR or LF, nor a name a colon: the lines split back unambiguously"
//   docs/09 "a byte string is a string: a message of byte strings stays a flat object of primitives"

import { describe, expect, test } from "bun:test";

const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);

describe("byte strings", () => {
  test("Buffer's latin1 turns each byte into the character with the same code, and back, for all 256", () => {
    const text = Buffer.from(everyByte).toString("latin1");
    expect(text.length).toBe(256);
    expect([...text].every((char, i) => char.charCodeAt(0) === i)).toBe(true);
    expect([...Buffer.from(text, "latin1")]).toEqual([...everyByte]);
  });

  test('new TextDecoder("latin1") decodes windows-1252: bytes 0x80-0x9F come back as other characters', () => {
    const decoded = new TextDecoder("latin1").decode(everyByte);
    expect(new TextDecoder("latin1").encoding).toBe("windows-1252");
    expect(decoded.charCodeAt(0x80)).toBe(0x20ac); // €, not U+0080
    expect(decoded.charCodeAt(0x41)).toBe(0x41);
  });

  test("UTF-8 text is not a carrier for bytes: an invalid sequence comes back changed", () => {
    const bytes = Uint8Array.of(0x68, 0xff, 0x69);
    const roundTrip = new TextEncoder().encode(new TextDecoder().decode(bytes));
    expect([...roundTrip]).not.toEqual([...bytes]);
  });

  test("a byte string survives structured clone unchanged", () => {
    const text = Buffer.from(everyByte).toString("latin1");
    expect(structuredClone({ body: text }).body).toBe(text);
  });
});

describe("header lines", () => {
  test("Headers refuses a value with CR or LF, and a name with a colon", () => {
    expect(() => new Headers({ "x-a": "one\r\ntwo" })).toThrow();
    expect(() => new Headers({ "x-a": "one\ntwo" })).toThrow();
    expect(() => new Headers({ "x:a": "one" })).toThrow();
  });

  test("iterating Headers gives each set-cookie on its own, and a value may hold ': '", () => {
    const headers = new Headers([
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
      ["x-url", "http://example.com: 8080"],
    ]);
    const pairs = [...headers];
    expect(pairs.filter(([name]) => name === "set-cookie")).toEqual([
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
    ]);
    expect(pairs).toContainEqual(["x-url", "http://example.com: 8080"]);
  });
});
