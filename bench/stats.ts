// The little arithmetic the bench needs, kept pure so that it can be tested without a load run.
//
// Why medians and spreads rather than one number: on a shared 2-core machine two runs of the
// same code differ by several percent. Reporting the median of the rounds and how far apart the
// rounds were tells the reader which differences between steps are real and which are noise.

/** The p-th percentile (0..100) of some samples, by the nearest-rank method; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`a percentile is between 0 and 100, got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  // Nearest rank: the smallest sample with at least p% of the samples at or below it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * How far apart repeated measurements are, relative to their median: (max - min) / median.
 * 0.05 reads "the rounds were within 5% of each other". NaN with fewer than two rounds:
 * one run says nothing about its own noise.
 */
export function relativeSpread(samples: readonly number[]): number {
  if (samples.length < 2) return Number.NaN;
  const mid = median(samples);
  if (mid === 0) return Number.NaN;
  return (Math.max(...samples) - Math.min(...samples)) / Math.abs(mid);
}

/** Speedup of a step over the baseline as a ratio (2 = twice the requests per second). */
export function speedup(rps: number, baselineRps: number): number {
  return baselineRps > 0 ? rps / baselineRps : Number.NaN;
}

/**
 * Parallel efficiency: the speedup divided by the cores that could have contributed.
 * 1.0 means every core was fully used; on 2 cores a 1.9x speedup is 95% efficient.
 */
export function efficiency(speedupRatio: number, cores: number): number {
  return cores > 0 ? speedupRatio / cores : Number.NaN;
}

/**
 * What one request costs on top of the cheapest path, in microseconds, from two throughputs
 * measured at the same high concurrency. At saturation a server completes one request every
 * 1/rps seconds, so the difference of those intervals is the cost the extra path adds
 * (for the pool: copying the request to a worker and the answer back, and two thread wake-ups).
 */
export function addedMicrosPerRequest(slowRps: number, fastRps: number): number {
  if (slowRps <= 0 || fastRps <= 0) return Number.NaN;
  return 1e6 / slowRps - 1e6 / fastRps;
}

/**
 * How many times a yardstick's cost a figure is: a step's round trip over the bare pool's
 * (1.5 = half again the minimal pool's cost). NaN unless both are above zero: a round trip
 * measured at or below 0 µs is noise (two saturated throughputs within their error), and a
 * ratio over it would say nothing.
 */
export function timesYardstick(micros: number, yardstickMicros: number): number {
  if (!(micros > 0) || !(yardstickMicros > 0) || !Number.isFinite(micros) || !Number.isFinite(yardstickMicros)) return Number.NaN;
  return micros / yardstickMicros;
}

/**
 * Arrivals an open-model run scheduled but did not complete in its window. The point of a fixed
 * arrival rate is that a slow server cannot slow the clients down: what it cannot serve shows
 * up here (k6 calls them dropped iterations) instead of quietly lowering the request rate.
 */
export function droppedArrivals(ratePerSec: number, durationSec: number, completed: number): number {
  return Math.max(0, Math.round(ratePerSec * durationSec) - completed);
}
