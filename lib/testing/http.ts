// HTTP helpers for the step tests: small, so that each test reads as the behaviour it checks.

export interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

/** One request; resolves with status, body and headers (a network error rejects). */
export async function get(base: URL | string, path: string, init?: RequestInit): Promise<Answer> {
  const response = await fetch(new URL(path, base), init);
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/** Many requests at once; answers in the order of `paths`, whatever order they completed in. */
export function getAll(base: URL | string, paths: string[]): Promise<Answer[]> {
  return Promise.all(paths.map((path) => get(base, path)));
}

/**
 * Sends all requests at once and records the order in which they *completed*.
 * Returns the paths, first answered first.
 */
export async function completionOrder(base: URL | string, paths: string[]): Promise<string[]> {
  const order: string[] = [];
  await Promise.all(paths.map((path) => get(base, path).then(() => order.push(path))));
  return order;
}
