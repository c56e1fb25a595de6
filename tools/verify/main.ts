// `npm test`: the repo proves itself.
//
//   1. everything type-checks (starters and wrong variants included);
//   2. the plumbing's and the tools' own tests pass;
//   3. for every step: its tests pass on solutions/; the untouched starter fails at a TODO
//      stub, and its files without a TODO are the reference's; every known-wrong variant is
//      rejected by the test its header names, in under 5 s. A wrong variant runs only the
//      tests its header names (bun's -t): that is what it must prove, and the rest would
//      only spend time failing for the same reason.
//
// The step runs are independent (port 0, their own folders in .verify/), so they run a few
// at a time (`--jobs N`, 2 by default). It ends with one line, `tests: N passed, M failed`,
// counting every test case and check. `npm test -- 03` verifies one step (plus the type check).

import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import Table from "cli-table3";
import pc from "picocolors";
import { progress } from "../progress.ts";
import { findStep, listSteps, ROOT, type Step } from "../steps.ts";
import { bunTest } from "./bun-test.ts";
import { rememberExpected } from "./expected.ts";
import { prepared, runTests, type TestRun, type Variant } from "./run-tests.ts";
import { starterDrift, starterIsUntouched } from "./starter.ts";
import { firstLine, solutionVerdict, starterVerdict, wrongVerdict, type Verdict } from "./verdicts.ts";
import { readWrongHeader } from "./wrong-header.ts";

let positionals: string[];
let jobs: number;
try {
  const parsed = parseArgs({ args: Bun.argv.slice(2), allowPositionals: true, strict: true, options: { jobs: { type: "string" } } });
  positionals = parsed.positionals;
  jobs = Number(parsed.values.jobs ?? 2);
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

// 1. Types.
{
  const p = progress("type-checking everything (tsc --noEmit)");
  const projects = ["tsconfig.json", ...((await Bun.file(`${ROOT}/bench/k6/tsconfig.json`).exists()) ? ["bench/k6/tsconfig.json"] : [])];
  for (const project of projects) {
    const tsc = Bun.spawnSync([`${ROOT}/node_modules/.bin/tsc`, "--noEmit", "-p", project], { cwd: ROOT });
    const ok = tsc.exitCode === 0;
    const out = tsc.stdout.toString().trim();
    p.done(`tsc -p ${project}: ${ok ? "clean" : "errors"}`, ok);
    if (!ok) console.log(out);
    tally(ok, `tsc -p ${project}`, firstLine(out));
  }
}

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
const wrongDirs: string[] = [];
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
    wrongDirs.push(prepared(step, { kind: "wrong", name }));
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

// 4. The wrong variants, type-checked where they run: laid over the solution in .verify/.
//    In place (solutions/NN/wrong/X/) they could not resolve the solution files they import.
if (wrongDirs.length > 0) {
  const p = progress("type-checking the wrong variants as the tests run them");
  const config = join(ROOT, ".verify", "tsconfig.wrong.json");
  writeFileSync(config, JSON.stringify({ extends: "../tsconfig.json", include: wrongDirs.map((d) => relative(join(ROOT, ".verify"), d)), exclude: [] }));
  const tsc = Bun.spawnSync([`${ROOT}/node_modules/.bin/tsc`, "--noEmit", "-p", config], { cwd: ROOT });
  const ok = tsc.exitCode === 0;
  const out = tsc.stdout.toString().trim();
  p.done(`wrong variants: ${ok ? "type-check clean" : "type errors"}`, ok);
  if (!ok) console.log(out);
  tally(ok, "tsc over .verify/wrong-*", firstLine(out));
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
