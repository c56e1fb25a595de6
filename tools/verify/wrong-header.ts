// A known-wrong variant says, in its first two lines, what mistake it makes and which test
// must catch it:
//
//   // WRONG: takes the newest queued task first (a stack, not a queue)
//   // CAUGHT BY: tasks start in the order they were queued | another test's name
//
// The verifier holds the variant to it: a test whose name contains one of those strings
// must fail, and fail fast. A suite that rejects a variant only by accident (another test
// failing for another reason) is not testing that mistake.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface WrongHeader {
  mistake: string;
  caughtBy: string[];
}

/** The header of the first file in the variant's folder that has one; undefined if none does. */
export function readWrongHeader(dir: string): WrongHeader | undefined {
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts")).sort()) {
    const header = parseWrongHeader(readFileSync(join(dir, file), "utf8"));
    if (header) return header;
  }
  return undefined;
}

export function parseWrongHeader(source: string): WrongHeader | undefined {
  const [first = "", second = ""] = source.split("\n");
  const mistake = /^\/\/\s*WRONG:\s*(.+)$/.exec(first.trim())?.[1]?.trim();
  const caught = /^\/\/\s*CAUGHT BY:\s*(.+)$/.exec(second.trim())?.[1];
  if (!mistake || !caught) return undefined;
  const caughtBy = caught.split("|").map((s) => s.trim()).filter((s) => s !== "");
  return caughtBy.length > 0 ? { mistake, caughtBy } : undefined;
}
