// Is steps/NN-slug still the starter as shipped? The verifier only checks that a starter
// fails while its TODO stubs are there: once a learner has written their own code in it,
// that check belongs to the tutor (`npm start`), which tests their work instead.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Step } from "../steps.ts";

export function starterIsUntouched(step: Step): boolean {
  const marker = `TODO(step ${step.id})`;
  return readdirSync(step.dir)
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
    .some((file) => readFileSync(join(step.dir, file), "utf8").includes(marker));
}
