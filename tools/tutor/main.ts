// `npm start` (also `bun run tutor`): the learner's companion.
//
//   npm start                    every step and its state, and what to do next
//   npm start -- check 01        run step 01's tests on your files; says what is missing
//   npm start -- hint 01         the hints from step 01's brief
//   npm start -- diff 01         your files against the reference solution
//   npm start -- help

import { parseArgs } from "node:util";
import pc from "picocolors";
import { findStep, listSteps, type Step } from "../steps.ts";
import { check, diff, hint, list } from "./commands.ts";

export const USAGE = `usage: npm start -- [command] [step]

commands:
  list            every step and its state (the default)
  check NN        run step NN's tests on your files
  hint NN         show step NN's hints
  diff NN         compare your files for step NN with the reference
  help            this text

steps: ${listSteps().map((s) => s.id).join(", ")}`;

function usageError(message: string): never {
  console.error(pc.red(message));
  console.error(USAGE);
  process.exit(2);
}

let positionals: string[];
try {
  ({ positionals } = parseArgs({ args: Bun.argv.slice(2), allowPositionals: true, strict: true }));
} catch (error) {
  usageError((error as Error).message);
}

const [command = "list", stepName, ...extra] = positionals;
if (extra.length > 0) usageError(`too many arguments: ${extra.join(" ")}`);

function stepArgument(): Step {
  if (!stepName) usageError(`"${command}" needs a step number, e.g. npm start -- ${command} 01`);
  const step = findStep(stepName);
  if (!step) usageError(`there is no step "${stepName}"`);
  return step;
}

switch (command) {
  case "list":
    process.exit(await list());
  case "check":
    process.exit(await check(stepArgument()));
  case "hint":
    process.exit(hint(stepArgument()));
  case "diff":
    process.exit(diff(stepArgument()));
  case "help":
  case "--help":
    console.log(USAGE);
    process.exit(0);
  default:
    // `npm start -- 01` reads naturally as "check step 01".
    if (findStep(command) && !stepName) process.exit(await check(findStep(command) as Step));
    usageError(`unknown command "${command}"`);
}
