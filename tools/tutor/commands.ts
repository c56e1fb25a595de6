// The tutor's commands, one function each. main.ts only parses the command line.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import Table from "cli-table3";
import { createTwoFilesPatch } from "diff";
import pc from "picocolors";
import { progress } from "../progress.ts";
import { listSteps, ROOT, type Step } from "../steps.ts";
import { expectedNames } from "../verify/expected.ts";
import { distinctErrors, runTests, UNNAMED, withDropped, type TestRun } from "../verify/run-tests.ts";
import { learnerState, solutionVerdict, type LearnerState } from "../verify/verdicts.ts";
import { hintsFile, parseHints, readSeen, writeSeen, type Tier } from "./hints.ts";

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
export async function check(step: Step, { verbose = false }: { verbose?: boolean } = {}): Promise<number> {
  const p = progress(`step ${step.id}: running its tests on your files in ${relative(ROOT, step.dir)}/`);
  const raw = await runTests(step, { kind: "learner" });
  // Tests bun dropped (behind a failed set-up, or in a file that did not load) count as failed.
  const run = solutionVerdict(raw).ok ? raw : withDropped(raw, await expectedNames(step));
  const state = learnerState(run, step);
  p.done(`step ${step.id}: ${state} (${run.passed} passed, ${run.failed} failed${run.errors ? `, ${run.errors} errors outside the tests` : ""})`, state === "passing");
  printCases(run);

  if (run.timedOut) console.log(pc.red("\nThe tests did not finish: something in your code never answered. The failures above say what was awaited."));
  if (run.errors > 0 || run.cases.length === 0) {
    // Something broken before or around the tests: a file that does not load, an error thrown
    // after a test. Bun repeats it for every test file; once is enough.
    const errors = distinctErrors(run.output);
    console.log(pc.red("\nSomething failed outside the tests (a file that does not load, an error thrown after a test):"));
    console.log(errors.length > 0 ? errors.join("\n\n") : lastLines(run.output, 30));
  }
  if (verbose) {
    console.log(pc.dim("\n--- bun test's own output ---"));
    console.log(run.output.trim());
  }
  if (state === "passing") {
    console.log(pc.green(`\nStep ${step.id} passes. Benchmark it: npm run bench -- ${step.id}`));
    return 0;
  }
  console.log(`\nStuck? ${pc.bold(`npm start -- hint ${step.id}`)} (one tier at a time), or compare with the reference: ${pc.bold(`npm start -- diff ${step.id}`)}`);
  if (!verbose) console.log(pc.dim(`bun's own output: npm start -- check ${step.id} --verbose`));
  return 1;
}

function printCases(run: TestRun): void {
  for (const c of run.cases) {
    // Bun names a failing beforeAll "(unnamed)": say what it is, since it stops every test after it.
    const name = c.name.endsWith(UNNAMED) ? c.name.replace(UNNAMED, "set-up before the tests (beforeAll/beforeEach)") : c.name;
    if (c.passed) console.log(`  ${pc.green("✓")} ${name}`);
    else {
      console.log(`  ${pc.red("✗")} ${name}`);
      const lines = (c.message ?? "").split("\n").filter((l) => l.trim() !== "").slice(0, 6);
      for (const line of lines) console.log(pc.dim(`      ${line}`));
    }
  }
}

function lastLines(text: string, count: number): string {
  return text.trim().split("\n").slice(-count).join("\n");
}

export interface HintOptions {
  /** Every tier at once. */
  all?: boolean;
  /** One given tier (1-based), whatever was seen before. */
  tier?: number;
}

/** `npm start -- hint NN [--all | --tier N]`: the next tier of the step's hints. */
export function hint(step: Step, { all = false, tier }: HintOptions = {}): number {
  const file = hintsFile(step);
  const tiers = existsSync(file) ? parseHints(readFileSync(file, "utf8")) : [];
  if (tiers.length === 0) {
    console.log(`Step ${step.id} has no hints. Read ${relative(ROOT, join(step.dir, "README.md"))}, or the reference in ${relative(ROOT, step.solutionDir)}/.`);
    return 0;
  }
  const seen = readSeen();
  const already = seen[step.id] ?? 0;
  let shown: Tier[];
  if (all) shown = tiers;
  else if (tier !== undefined) {
    const wanted = tiers.find((t) => t.number === tier);
    if (!wanted) {
      console.error(pc.red(`Step ${step.id}'s hints have tiers ${tiers.map((t) => t.number).join(", ")}; there is no tier ${tier}.`));
      return 2;
    }
    shown = [wanted];
  } else if (already >= tiers.length) {
    console.log(pc.dim(`You have seen all ${tiers.length} tiers of step ${step.id}'s hints; here is the last one again.`));
    console.log(pc.dim(`(--all shows every tier; the reference is in ${relative(ROOT, step.solutionDir)}/, and npm start -- diff ${step.id} compares.)\n`));
    shown = tiers.slice(-1);
  } else shown = [tiers[already] as Tier];

  console.log(pc.bold(`Hints for step ${step.id}`));
  for (const t of shown) {
    console.log(pc.cyan(`\nTier ${t.number} of ${tiers.length}: ${t.title}\n`));
    console.log(t.body);
  }
  const highest = Math.max(already, ...shown.map((t) => tiers.indexOf(t) + 1));
  if (highest !== already) writeSeen({ ...seen, [step.id]: highest });
  const next = tiers[highest];
  if (next && !all) console.log(pc.dim(`\nStill stuck? npm start -- hint ${step.id} shows tier ${next.number} (${next.title}).`));
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
