// `npm start` (also `bun run tutor`): the learner's companion.
//
//   npm start                    every step and its state, and what to do next
//   npm start -- check 01        run step 01's tests on your files; says what is missing
//   npm start -- check 01 --verbose   the same, with bun's own output
//   npm start -- hint 01         one more tier of step 01's hints (--all: every tier; --tier N)
//   npm start -- diff 01         your files against the reference solution
//   npm start -- help

import { parseArgs } from "node:util";
import pc from "picocolors";
import { findStep, listSteps, type Step } from "../steps.ts";
import { check, diff, hint, list } from "./commands.ts";

export const USAGE = `usage: npm start -- [command] [step]

commands:
  list            every step and its state (the default)
  check NN        run step NN's tests on your files (--verbose: bun's own output too)
  hint NN         the next tier of step NN's hints: 1 which idea, 2 the shape, 3 close to the code
                  (--all: every tier; --tier N: that tier)
  diff NN         compare your files for step NN with the reference
  help            this text

steps: ${listSteps().map((s) => s.id).join(", ")}`;

function usageError(message: string): never {
  console.error(pc.red(message));
  console.error(USAGE);
  process.exit(2);
}

let positionals: string[];
let flags: { all?: boolean; tier?: string; verbose?: boolean };
try {
  ({ positionals, values: flags } = parseArgs({
    args: Bun.argv.slice(2),
    allowPositionals: true,
    strict: true,
    options: { all: { type: "boolean" }, tier: { type: "string" }, verbose: { type: "boolean" } },
  }));
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
    process.exit(await check(stepArgument(), { verbose: flags.verbose === true }));
  case "hint": {
    const tier = flags.tier === undefined ? undefined : Number(flags.tier);
    if (tier !== undefined && !(Number.isInteger(tier) && tier >= 1)) usageError(`--tier takes a tier number (1, 2, 3), not "${flags.tier}"`);
    process.exit(hint(stepArgument(), { all: flags.all === true, tier }));
  }
  case "diff":
    process.exit(diff(stepArgument()));
  case "help":
  case "--help":
    console.log(USAGE);
    process.exit(0);
  default:
    // `npm start -- 01` reads naturally as "check step 01".
    if (findStep(command) && !stepName) process.exit(await check(findStep(command) as Step, { verbose: flags.verbose === true }));
    usageError(`unknown command "${command}"`);
}
