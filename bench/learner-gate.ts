// Your code is measured only once its step's check passes.
//
// An unfinished step can still start a server: step 05's starter serves requests with step 04's
// code until the first worker dies, and then answers errors very fast. Measured, that gave
// "24,665 req/s" made of 125,795 errors. So before measuring your code, the bench runs the same
// check as `npm start -- check NN`; a step that does not pass it is skipped with one line, and
// nothing saved for it is touched.

import { runTests } from "../tools/verify/run-tests.ts";
import { solutionVerdict } from "../tools/verify/verdicts.ts";
import type { Step } from "../tools/steps.ts";

export interface CheckOutcome {
  ok: boolean;
  /** e.g. "12 passed", or "3 failed, 0 errors: <first failing test>: <message>". */
  detail: string;
}

export interface Gate {
  /** The steps to measure, in order. */
  pass: Array<{ step: Step; detail: string }>;
  /** The steps left out, each with the line that says why, and a shorter one for a table cell. */
  skipped: Array<{ step: Step; line: string; cell: string }>;
}

/** The step's tests on your files (steps/NN-slug), read as the tutor reads them. */
export async function checkYourStep(step: Step): Promise<CheckOutcome> {
  const verdict = solutionVerdict(await runTests(step, { kind: "learner" }));
  return { ok: verdict.ok, detail: verdict.detail };
}

/** One line for a skipped step: what failed, and the command that shows the rest. */
export function skipLine(step: Step, detail: string): string {
  const shortened = detail.length > 110 ? `${detail.slice(0, 107)}…` : detail;
  return `step ${step.id}: skipped, its check does not pass yet (${shortened}); see npm start -- check ${step.id}, or measure the reference with --solution`;
}

/** The same, short enough for a table cell: the counts, and the command that shows the rest. */
export function skipCell(step: Step, detail: string): string {
  const counts = detail.split(":")[0]?.trim() || "fails";
  return `skipped: your step ${step.id} does not pass its check yet (${counts}): npm start -- check ${step.id}`;
}

/** Checks each step in turn (never while anything is being measured) and splits them. */
export async function gateSteps(steps: Step[], check: (step: Step) => Promise<CheckOutcome>, onChecked?: (step: Step, outcome: CheckOutcome) => void): Promise<Gate> {
  const gate: Gate = { pass: [], skipped: [] };
  for (const step of steps) {
    let outcome: CheckOutcome;
    try {
      outcome = await check(step);
    } catch (error) {
      outcome = { ok: false, detail: `the check could not run: ${(error as Error).message.split("\n")[0]}` };
    }
    onChecked?.(step, outcome);
    if (outcome.ok) gate.pass.push({ step, detail: outcome.detail });
    else gate.skipped.push({ step, line: skipLine(step, outcome.detail), cell: skipCell(step, outcome.detail) });
  }
  return gate;
}
