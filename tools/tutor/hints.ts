// Hints on demand, in tiers. A step's hints live in steps/NN-slug/hints.md under headings
// `## Tier 1: …`, `## Tier 2: …`, `## Tier 3: …`: which idea to use, the shape of the
// solution, then close to the code. A learner asks for one more tier at a time, so the brief
// can state the contract and leave the discovery to them; `--all` shows every tier at once.
//
// Which tiers a learner has seen is remembered in .tutor/hints.json (git-ignored).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ROOT, type Step } from "../steps.ts";

export interface Tier {
  number: number;
  /** The heading after "Tier N:", e.g. "which idea". */
  title: string;
  body: string;
}

export function hintsFile(step: Step): string {
  return join(step.dir, "hints.md");
}

/** The tiers of a hints.md, in order. */
export function parseHints(markdown: string): Tier[] {
  const tiers: Tier[] = [];
  const heading = /^## Tier (\d+)\s*:?\s*(.*)$/gm;
  const matches = [...markdown.matchAll(heading)];
  matches.forEach((match, i) => {
    const start = (match.index ?? 0) + match[0].length;
    const end = matches[i + 1]?.index ?? markdown.length;
    tiers.push({ number: Number(match[1]), title: (match[2] ?? "").trim(), body: markdown.slice(start, end).trim() });
  });
  return tiers;
}

export function stateFile(): string {
  return join(process.env.TUTOR_STATE_DIR ?? join(ROOT, ".tutor"), "hints.json");
}

/** How many tiers of each step the learner has already been shown. */
export function readSeen(): Record<string, number> {
  const file = stateFile();
  if (!existsSync(file)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, number>) : {};
  } catch {
    return {}; // a damaged file only costs the learner a tier shown twice
  }
}

export function writeSeen(seen: Record<string, number>): void {
  const file = stateFile();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(seen, null, 2)}\n`);
}
