// `npm test`: the repo proves itself.
//
//   1. everything type-checks, starters and wrong variants included (one tsc program, run
//      while the tests run: tools/verify/typecheck.ts);
//   2. the plumbing's and the tools' own tests pass;
//   3. for every step: its tests pass on solutions/; the untouched starter fails at a TODO
//      stub, and its files without a TODO are the reference's; every known-wrong variant is
//      rejected by the test its header names, in under 5 s. A wrong variant runs only the
//      tests its header names (bun's -t): that is what it must prove, and the rest would
//      only spend time failing for the same reason.
//
// The step runs are independent (port 0, their own folders in .verify/), so they run a few
// at a time (`--jobs N`, 3 by default: most of a run is waiting on workers and sockets). It
// ends with one line, `tests: N passed, M failed`, counting every test case and check. `npm test -- 03` verifies one step (plus the type check).

import { join } from "node:path";
import { parseArgs } from "node:util";
import Table from "cli-table3";
import pc from "picocolors";
import { progress } from "../progress.ts";
import { findStep, listSteps, ROOT, type Step } from "../steps.ts";
import { bunTest } from "./bun-test.ts";
import { rememberExpected } from "./expected.ts";
import { runTests, type TestRun, type Variant } from "./run-tests.ts";
import { starterDrift, starterIsUntouched } from "./starter.ts";
import { firstLine, solutionVerdict, starterVerdict, wrongVerdict, type Verdict } from "./verdicts.ts";
import { startTypeChecks } from "./typecheck.ts";
import { readWrongHeader } from "./wrong-header.ts";

let positionals: string[];
let jobs: number;
try {
  const parsed = parseArgs({ args: Bun.argv.slice(2), allowPositionals: true, strict: true, options: { jobs: { type: "string" } } });
  positionals = parsed.positionals;
  jobs = Number(parsed.values.jobs ?? 3);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs takes a whole number of at least 1, not "${parsed.values.jobs}"`);
} catch (error) {
  console.error(`${(error as Error).message}\nusage: npm test [-- NN …] [--jobs N]`);
  process.exit(2);
}
const inCI = process.env.CI === "true";
const started = performance.now();

let passed = 0;
let failed = 0;
const problems: string[] = [];
function tally(ok: boolean, what: string, detail: string, count = 1): void {
  if (count === 0) return;
  if (ok) passed += count;
  else {
    failed += count;
    problems.push(`${what}: ${detail}`);
  }
}

const steps: Step[] = positionals.length === 0 ? listSteps() : positionals.map(requireStep);

// 1. Types: one tsc program over everything, wrong variants included; it runs while the tests do.
const typeChecks = startTypeChecks(steps);
// A plain line, not a spinner: the tests' spinner runs at the same time.
process.stderr.write("… type-checking everything, wrong variants included (tsc --noEmit), while the tests run\n");

// 2. The plumbing's and tools' own tests.
if (positionals.length === 0) {
  const p = progress("unit tests of lib/, tools/ and bench/");
  const run = await bunTest(ROOT, "unit");
  const verdict = solutionVerdict(run);
  p.done(`unit tests: ${verdict.detail}`, verdict.ok);
  if (!verdict.ok) console.log(run.output);
  tally(true, "unit", "", run.passed);
  tally(false, "unit", verdict.detail, run.failed + run.errors + (run.cases.length === 0 ? 1 : 0));
}

// 3. Each step against the contract: every run queued, a few at a time.
interface Job {
  step: Step;
  variant: Variant;
  run?: TestRun;
}
const queue: Job[] = [];
for (const step of steps) {
  queue.push({ step, variant: { kind: "solution" } });
  if (starterIsUntouched(step)) queue.push({ step, variant: { kind: "learner" } });
  for (const name of step.wrongVariants) queue.push({ step, variant: { kind: "wrong", name } });
}
{
  const p = progress(`step tests: ${queue.length} runs, ${jobs} at a time`);
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const job = queue[next++] as Job;
      const only = job.variant.kind === "wrong" ? readWrongHeader(join(job.step.solutionDir, "wrong", job.variant.name))?.caughtBy : undefined;
      job.run = await runTests(job.step, job.variant, only);
      done++;
      const label = job.variant.kind === "wrong" ? `wrong/${job.variant.name}` : job.variant.kind === "learner" ? "starter" : "solution";
      p.update(`step tests: ${done} of ${queue.length} runs done (last: step ${job.step.id} ${label})`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, worker));
  p.done(`step tests: ${queue.length} runs in ${seconds(started)} s so far`, true);
}

const tty = process.stdout.isTTY === true;
const table = new Table({
  head: ["step", "solution", "starter", "wrong variants (the test that caught each)"],
  style: tty ? { head: ["cyan"], border: ["grey"] } : { head: [], border: [] },
});
let slowest: { what: string; seconds: number } | undefined;
for (const step of steps) {
  const runOf = (kind: Variant["kind"], name?: string) =>
    queue.find((j) => j.step === step && j.variant.kind === kind && (name === undefined || (j.variant.kind === "wrong" && j.variant.name === name)))?.run;

  const solutionRun = runOf("solution") as TestRun;
  const solution = solutionVerdict(solutionRun);
  rememberExpected(step, solutionRun);
  tally(true, "", "", solutionRun.passed);
  if (!solution.ok) {
    tally(false, `step ${step.id} solution`, solution.detail, Math.max(1, solutionRun.failed + solutionRun.errors));
    console.log(solutionRun.output);
  }

  let starter: Verdict;
  const starterRun = runOf("learner");
  if (starterRun) starter = starterVerdict(starterRun, step);
  else if (inCI) starter = { ok: false, detail: `steps/${step.slug} has no TODO(step ${step.id}) stub left` };
  else starter = { ok: true, detail: "skipped: steps/ holds your own work (check it with npm start)" };
  if (starterRun || inCI) tally(starter.ok, `step ${step.id} starter`, starter.detail);
  if (starterRun) {
    const drift = starterDrift(step);
    tally(drift.length === 0, `step ${step.id} starter files`, drift.join("; "));
    if (drift.length > 0) starter = { ok: false, detail: drift.join("; ") };
  }

  const wrong: string[] = [];
  for (const name of step.wrongVariants) {
    const header = readWrongHeader(join(step.solutionDir, "wrong", name));
    const verdict = wrongVerdict(runOf("wrong", name) as TestRun, header);
    tally(verdict.ok, `step ${step.id} wrong/${name}`, verdict.detail);
    wrong.push(`${mark(verdict.ok)} ${name}: ${verdict.ok ? `${verdict.seconds?.toFixed(2)} s, by "${short(verdict.caughtBy ?? "")}"` : verdict.detail}`);
    if (verdict.seconds !== undefined && (!slowest || verdict.seconds > slowest.seconds)) {
      slowest = { what: `step ${step.id} wrong/${name}`, seconds: verdict.seconds };
    }
  }
  if (step.wrongVariants.length === 0) {
    tally(false, `step ${step.id} wrong variants`, "none: every step ships at least one");
    wrong.push(`${mark(false)} none`);
  }
  table.push([`${step.id} ${step.slug.slice(3)}`, `${mark(solution.ok)} ${solution.detail}`, `${mark(starter.ok)} ${starter.detail}`, wrong.join("\n")]);
}

// 4. The type check started at the beginning.
for (const check of await typeChecks) {
  process.stderr.write(`${mark(check.ok)} tsc -p ${check.project}: ${check.ok ? "clean" : "errors"}\n`);
  if (!check.ok) console.log(check.output);
  tally(check.ok, `tsc -p ${check.project}`, firstLine(check.output));
}

console.log(table.toString());
if (slowest) console.log(`Slowest rejection of a wrong variant: ${slowest.what}, ${slowest.seconds.toFixed(2)} s.`);
console.log(`npm test took ${seconds(started)} s.`);
if (problems.length > 0) {
  console.log(pc.red("\nWhat failed:"));
  for (const problem of problems) console.log(`  - ${problem}`);
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

function mark(ok: boolean): string {
  return ok ? (tty ? pc.green("✓") : "✓") : tty ? pc.red("✗") : "✗";
}

// A test's own name, without its describe, cut to fit a table cell.
function short(name: string): string {
  const own = name.split(" > ").at(-1) ?? name;
  return own.length > 70 ? `${own.slice(0, 69)}…` : own;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(0);
}

function requireStep(name: string): Step {
  const step = findStep(name);
  if (!step) {
    console.error(`No step "${name}". Steps: ${listSteps().map((s) => s.id).join(", ")}`);
    process.exit(2);
  }
  return step;
}
