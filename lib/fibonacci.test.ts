import { expect, test } from "bun:test";
import { FIBONACCI_MAX, fibonacci, parseFibonacciInput } from "./fibonacci.ts";

test("fibonacci", () => {
  expect([0, 1, 2, 3, 10, 20].map(fibonacci)).toEqual([0, 1, 1, 2, 55, 6765]);
});

test("accepts integers in range", () => {
  expect(parseFibonacciInput("0")).toBe(0);
  expect(parseFibonacciInput(String(FIBONACCI_MAX))).toBe(FIBONACCI_MAX);
});

test.each(["abc", "", "1.5", "1e3", " 3", "-1", String(FIBONACCI_MAX + 1), "99999999999999999999"])(
  "rejects %p with a message naming n",
  (raw) => {
    const result = parseFibonacciInput(raw);
    expect(typeof result).toBe("object");
    expect((result as { problem: string }).problem).toContain("n must be");
  },
);
