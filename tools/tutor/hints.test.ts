// Hints come one tier at a time, and the tutor remembers which tiers a learner has seen.
import { afterAll, beforeEach, describe, expect, spyOn, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Step } from "../steps.ts";
import { hint } from "./commands.ts";
import { parseHints, readSeen } from "./hints.ts";

const HINTS = `# Hints for step 09

## Tier 1: which idea
Use a queue.

## Tier 2: the shape
Keep the callers' resolve functions.

## Tier 3: close to the code
\`queue.shift()\`
`;

const root = mkdtempSync(join(tmpdir(), "tutor-hints-"));
const step: Step = { id: "09", slug: "09-demo", title: "Step 09", dir: join(root, "steps", "09-demo"), solutionDir: join(root, "solutions", "09-demo"), wrongVariants: [] };
mkdirSync(step.dir, { recursive: true });
writeFileSync(join(step.dir, "hints.md"), HINTS);
const previousState = process.env.TUTOR_STATE_DIR;

beforeEach(() => {
  process.env.TUTOR_STATE_DIR = join(root, `state-${crypto.randomUUID()}`);
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (previousState === undefined) delete process.env.TUTOR_STATE_DIR;
  else process.env.TUTOR_STATE_DIR = previousState;
});

function printed(action: () => number): { code: number; out: string } {
  const lines: string[] = [];
  const log = spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.join(" ")));
  const error = spyOn(console, "error").mockImplementation((...args: unknown[]) => void lines.push(args.join(" ")));
  try {
    return { code: action(), out: lines.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe("tiered hints", () => {
  test("parseHints reads the tiers in order, with their titles and text", () => {
    const tiers = parseHints(HINTS);
    expect(tiers.map((t) => [t.number, t.title])).toEqual([
      [1, "which idea"],
      [2, "the shape"],
      [3, "close to the code"],
    ]);
    expect(tiers[2]?.body).toBe("`queue.shift()`");
  });

  test("each call shows one more tier, then the last one again", () => {
    const first = printed(() => hint(step));
    expect(first.out).toContain("Tier 1 of 3: which idea");
    expect(first.out).not.toContain("Keep the callers'");
    expect(first.out).toContain("shows tier 2 (the shape)");
    expect(printed(() => hint(step)).out).toContain("Tier 2 of 3: the shape");
    expect(printed(() => hint(step)).out).toContain("Tier 3 of 3: close to the code");
    const again = printed(() => hint(step)).out;
    expect(again).toContain("You have seen all 3 tiers");
    expect(again).toContain("queue.shift()");
    expect(readSeen()["09"]).toBe(3);
  });

  test("--all shows every tier; --tier N shows that one; a tier that does not exist is refused", () => {
    const all = printed(() => hint(step, { all: true })).out;
    for (const text of ["Use a queue.", "Keep the callers'", "queue.shift()"]) expect(all).toContain(text);
    const second = printed(() => hint(step, { tier: 2 }));
    expect(second.out).toContain("Keep the callers'");
    expect(second.out).not.toContain("Use a queue.");
    const missing = printed(() => hint(step, { tier: 7 }));
    expect(missing.code).toBe(2);
    expect(missing.out).toContain("there is no tier 7");
  });

  test("a step without hints says where else to look", () => {
    const bare: Step = { ...step, dir: join(root, "steps", "none") };
    const { code, out } = printed(() => hint(bare));
    expect(code).toBe(0);
    expect(out).toContain("has no hints");
  });
});
