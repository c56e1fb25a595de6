// Is steps/NN-slug still the starter as shipped? The verifier only checks that a starter
// fails while its TODO stubs are there: once a learner has written their own code in it,
// that check belongs to the tutor (`npm start`), which tests their work instead.
//
// And is the starter what it claims to be? A file a step does not ask the learner to change
// must be the reference's, byte for byte: a starter that drifted from its solution would
// test the learner against code nobody checks.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Step } from "../steps.ts";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"));
}

function hasTodo(step: Step, file: string): boolean {
  return readFileSync(join(step.dir, file), "utf8").includes(`TODO(step ${step.id})`);
}

export function starterIsUntouched(step: Step): boolean {
  return sourceFiles(step.dir).some((file) => hasTodo(step, file));
}

/** What is wrong with the shipped starter's files, one line each; empty when nothing is. */
export function starterDrift(step: Step): string[] {
  const problems: string[] = [];
  for (const file of sourceFiles(step.solutionDir)) {
    const starter = join(step.dir, file);
    if (!existsSync(starter)) problems.push(`steps/${step.slug}/${file} is missing (solutions/${step.slug}/ has it)`);
    else if (!hasTodo(step, file) && readFileSync(starter, "utf8") !== readFileSync(join(step.solutionDir, file), "utf8")) {
      problems.push(`steps/${step.slug}/${file} has no TODO, yet differs from solutions/${step.slug}/${file}`);
    }
  }
  return problems;
}
