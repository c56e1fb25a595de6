// The tutor's commands, one function each. main.ts only parses the command line.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import Table from "cli-table3";
import { createTwoFilesPatch } from "diff";
import pc from "picocolors";
import { progress } from "../progress.ts";
import { listSteps, ROOT, type Step } from "../steps.ts";
import { runTests, type TestRun } from "../verify/run-tests.ts";
import { firstLine, learnerState, type LearnerState } from "../verify/verdicts.ts";

const colour: Record<LearnerState, (s: string) => string> = {
  passing: pc.green,
  "TODOs left": pc.yellow,
  failing: pc.red,
};

/** `npm start`: every step with its state, and where to go next. */
export async function list(): Promise<number> {
  const steps = listSteps();
  const table = new Table({ head: ["step", "title", "state"], style: tableStyle() });
  let next: Step | undefined;
  for (const step of steps) {
    const p = progress(`running the tests of step ${step.id} on your files`);
    const state = learnerState(await runTests(step, { kind: "learner" }), step);
    p.done(`step ${step.id}: ${state}`, state === "passing");
    if (state !== "passing" && !next) next = step;
    table.push([step.id, step.title.replace(/^Step \d\d:\s*/, ""), colour[state](state)]);
  }
  console.log(table.toString());
  if (next) {
    console.log(`\nNext: step ${next.id}. Read ${pc.bold(relative(ROOT, join(next.dir, "README.md")))}, fill its TODOs, then run`);
    console.log(`  ${pc.bold(`npm start -- check ${next.id}`)}`);
  } else {
    console.log(pc.green("\nEvery step passes. Compare them all with: npm run bench -- compare"));
  }
  return 0;
}

/** `npm start -- check NN`: the step's tests on the learner's files, with what is missing. */
export async function check(step: Step): Promise<number> {
  const p = progress(`step ${step.id}: running its tests on your files in ${relative(ROOT, step.dir)}/`);
  const run = await runTests(step, { kind: "learner" });
  const state = learnerState(run, step);
  p.done(`step ${step.id}: ${state} (${run.passed} passed, ${run.failed} failed${run.errors ? `, ${run.errors} errors` : ""})`, state === "passing");
  printCases(run);

  if (state === "passing") {
    console.log(pc.green(`\nStep ${step.id} passes. Benchmark it: npm run bench -- ${step.id}`));
    return 0;
  }
  if (run.errors > 0 || run.cases.length === 0 || run.timedOut) {
    // Not a test failing, something broken before or around the tests: show bun's own words.
    console.log(pc.red("\nSomething failed outside the tests (a file that does not load, an error thrown after a test):"));
    console.log(run.output.trim());
  }
  console.log(`\nStuck? ${pc.bold(`npm start -- hint ${step.id}`)}, or compare with the reference: ${pc.bold(`npm start -- diff ${step.id}`)}`);
  return 1;
}

function printCases(run: TestRun): void {
  for (const c of run.cases) {
    // Bun names a failing beforeAll "(unnamed)": say what it is, since it stops every test after it.
    const name = c.name === "(unnamed)" ? "set-up before the tests (beforeAll)" : c.name;
    if (c.passed) console.log(`  ${pc.green("✓")} ${name}`);
    else {
      console.log(`  ${pc.red("✗")} ${name}`);
      const lines = (c.message ?? "").split("\n").filter((l) => l.trim() !== "").slice(0, 6);
      for (const line of lines) console.log(pc.dim(`      ${line}`));
    }
  }
}

/** `npm start -- hint NN`: the brief's "Hints" section. */
export function hint(step: Step): number {
  const readme = join(step.dir, "README.md");
  const text = existsSync(readme) ? readFileSync(readme, "utf8") : "";
  const section = /^## Hints\s*\n([\s\S]*?)(?=^## |\s*$(?![\s\S]))/m.exec(text)?.[1]?.trim();
  if (!section) {
    console.log(`Step ${step.id}'s brief has no hints. Read ${relative(ROOT, readme)} or the reference in ${relative(ROOT, step.solutionDir)}/.`);
    return 0;
  }
  console.log(pc.bold(`Hints for step ${step.id}:\n`));
  console.log(section);
  return 0;
}

/** `npm start -- diff NN`: how the learner's files differ from the reference. */
export function diff(step: Step): number {
  const files = readdirSync(step.solutionDir).filter((f) => f.endsWith(".ts"));
  let same = 0;
  for (const file of files) {
    const theirs = join(step.dir, file);
    const ours = join(step.solutionDir, file);
    const mine = existsSync(theirs) ? readFileSync(theirs, "utf8") : "";
    const reference = readFileSync(ours, "utf8");
    if (mine === reference) {
      same++;
      continue;
    }
    const patch = createTwoFilesPatch(relative(ROOT, theirs), relative(ROOT, ours), mine, reference, "yours", "reference");
    for (const line of patch.split("\n")) {
      if (line.startsWith("+") && !line.startsWith("+++")) console.log(pc.green(line));
      else if (line.startsWith("-") && !line.startsWith("---")) console.log(pc.red(line));
      else if (line.startsWith("@@")) console.log(pc.cyan(line));
      else console.log(line);
    }
  }
  console.log(pc.dim(`\n${files.length - same} of ${files.length} files differ from ${relative(ROOT, step.solutionDir)}/ (- yours, + reference)`));
  return 0;
}

function tableStyle(): { head: string[]; border: string[] } {
  return process.stdout.isTTY ? { head: ["cyan"], border: ["grey"] } : { head: [], border: [] };
}
