// The tutorial's CPU-bound work: the naive, exponential Fibonacci.
//
// It is slow on purpose. fib(n) makes about 1.6^n calls, so each +1 on `n` costs ~1.6x more
// CPU, and nothing in it ever waits: while it runs, the thread running it can do nothing else.
// That is exactly what an image resize, a big JSON parse or a password hash does to a server.

export const FIBONACCI_MIN = 0;
/** fib(40) takes about a second on a desktop core; past that one request could hold a thread for minutes. */
export const FIBONACCI_MAX = 40;

export function fibonacci(n: number): number {
  return n <= 1 ? n : fibonacci(n - 1) + fibonacci(n - 2);
}

/**
 * Reads the route parameter `n` and explains what is wrong with it when it is not usable.
 * The message names the parameter and the range, so a 400 tells the client how to fix it.
 */
export function parseFibonacciInput(raw: string | undefined): number | { problem: string } {
  if (raw === undefined || !/^-?\d+$/.test(raw)) {
    return { problem: `n must be an integer from ${FIBONACCI_MIN} to ${FIBONACCI_MAX}, got "${raw ?? ""}"` };
  }
  const n = Number(raw);
  if (n < FIBONACCI_MIN || n > FIBONACCI_MAX) {
    return { problem: `n must be from ${FIBONACCI_MIN} to ${FIBONACCI_MAX}, got ${raw}` };
  }
  return n;
}
