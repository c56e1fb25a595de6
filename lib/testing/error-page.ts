// When a `Bun.serve` fetch handler throws or rejects, Bun answers 500 with its own HTML error
// page (outside production). The app never answers in HTML, so a test that sees that page has
// found an error in the server's code, not a 500 from a handler: this says so, and quotes the
// starter's "not implemented yet" when a TODO is still there.

import type { Answer } from "./http.ts";

/** Why the server answered with Bun's error page, or undefined if it did not. */
export function serverThrew(answer: Answer, what: string): string | undefined {
  if (answer.status !== 500 || !answer.headers.get("content-type")?.includes("text/html")) return undefined;
  const stub = /not implemented yet: see [^\s"<\\]+ \([^)"<\\]*\)/.exec(answer.body)?.[0];
  return stub
    ? `${what} was answered with Bun's error page, because ${stub}`
    : `${what} was answered with Bun's error page: the server's fetch handler threw or rejected instead of answering`;
}
