// The names of a step's tests, as the reference's run reports them. A learner's run can drop
// tests (bun leaves out every test behind a failed `beforeAll`, and every test of a file that
// did not load); comparing with this list reports them as failed instead of silently missing.
//
// Kept in .verify/expected--<slug>.json with a fingerprint of the files that decide it (the
// step's tests and the reference), and measured again only when those change.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, type Step } from "../steps.ts";
import { runTests, type TestRun } from "./run-tests.ts";
import { solutionVerdict } from "./verdicts.ts";

function cacheFile(step: Step): string {
  return join(ROOT, ".verify", `expected--${step.slug}.json`);
}

function fingerprint(step: Step): string {
  const hash = createHash("sha256");
  const tests = readdirSync(step.dir).filter((f) => f.endsWith(".test.ts")).sort();
  const reference = readdirSync(step.solutionDir).filter((f) => f.endsWith(".ts")).sort();
  for (const file of tests) hash.update(`${file}\n${readFileSync(join(step.dir, file), "utf8")}\n`);
  for (const file of reference) hash.update(`${file}\n${readFileSync(join(step.solutionDir, file), "utf8")}\n`);
  return hash.digest("hex");
}

/** Saves the names from a passing reference run. */
export function rememberExpected(step: Step, run: TestRun): void {
  if (!solutionVerdict(run).ok) return;
  writeFileSync(cacheFile(step), JSON.stringify({ fingerprint: fingerprint(step), names: run.cases.map((c) => c.name) }));
}

/** The names the reference's run reports, running it once if nothing current is saved. */
export async function expectedNames(step: Step): Promise<string[]> {
  const file = cacheFile(step);
  const current = fingerprint(step);
  if (existsSync(file)) {
    try {
      const saved = JSON.parse(readFileSync(file, "utf8")) as { fingerprint?: string; names?: string[] };
      if (saved.fingerprint === current && Array.isArray(saved.names)) return saved.names;
    } catch {
      // measured again below
    }
  }
  const run = await runTests(step, { kind: "solution" });
  rememberExpected(step, run);
  return solutionVerdict(run).ok ? run.cases.map((c) => c.name) : [];
}
