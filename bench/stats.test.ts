import { describe, expect, test } from "bun:test";
import { addedMicrosPerRequest, droppedArrivals, efficiency, median, percentile, relativeSpread, speedup, timesYardstick } from "./stats.ts";

describe("percentile (nearest rank)", () => {
  const samples = [15, 20, 35, 40, 50];
  test("p50 is the middle sample, p100 the largest, p0 the smallest", () => {
    expect(percentile(samples, 50)).toBe(35);
    expect(percentile(samples, 100)).toBe(50);
    expect(percentile(samples, 0)).toBe(15);
  });
  test("p99 of 100 ordered samples is the 99th, whatever the input order", () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(hundred, 99)).toBe(99);
  });
  test("no samples gives NaN, an out-of-range p throws", () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile(samples, 101)).toThrow(RangeError);
  });
});

describe("median and spread", () => {
  test("median of even and odd counts", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  test("spread is (max - min) / median, NaN for a single round", () => {
    expect(relativeSpread([90, 100, 110])).toBeCloseTo(0.2);
    expect(relativeSpread([100])).toBeNaN();
  });
});

describe("ratios", () => {
  test("speedup and efficiency", () => {
    expect(speedup(50, 25)).toBe(2);
    expect(efficiency(1.9, 2)).toBeCloseTo(0.95);
    expect(speedup(10, 0)).toBeNaN();
  });
  test("microseconds added per request from two saturated throughputs", () => {
    // 10 000 req/s is 100 µs a request, 20 000 req/s is 50 µs: the slower path adds 50 µs.
    expect(addedMicrosPerRequest(10_000, 20_000)).toBeCloseTo(50);
  });
  test("dropped arrivals never go negative", () => {
    expect(droppedArrivals(40, 5, 150)).toBe(50);
    expect(droppedArrivals(40, 5, 230)).toBe(0);
  });
});

describe("times the yardstick", () => {
  test("a round trip over the bare pool's", () => {
    expect(timesYardstick(45, 30)).toBeCloseTo(1.5);
    expect(timesYardstick(30, 30)).toBe(1);
  });
  test("no ratio when either side came out at 0 µs or below (noise), or is missing", () => {
    expect(timesYardstick(-3, 30)).toBeNaN();
    expect(timesYardstick(45, 0)).toBeNaN();
    expect(timesYardstick(45, -2)).toBeNaN();
    expect(timesYardstick(Number.NaN, 30)).toBeNaN();
    expect(timesYardstick(45, Number.POSITIVE_INFINITY)).toBeNaN();
  });
});
