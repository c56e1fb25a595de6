// `npm test`: the repo proves itself.
//
//   1. everything type-checks (starters and wrong variants included);
//   2. the plumbing's and the tools' own tests pass;
//   3. for every step: its tests pass on solutions/, fail on the untouched starter at a
//      TODO stub, and fail on every known-wrong variant.
//
// It ends with one line, `tests: N passed, M failed`, counting every test case and check.
// `npm test -- 03` verifies one step only (plus the type check).

import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import Table from "cli-table3";
import pc from "picocolors";
import { progress } from "../progress.ts";
import { findStep, listSteps, ROOT, type Step } from "../steps.ts";
import { bunTest } from "./bun-test.ts";
import { prepared, runTests } from "./run-tests.ts";
import { firstLine, solutionVerdict, starterVerdict, wrongVerdict, type Verdict } from "./verdicts.ts";
import { starterIsUntouched } from "./starter.ts";

const { positionals } = parseArgs({ args: Bun.argv.slice(2), allowPositionals: true, strict: true });
const inCI = process.env.CI === "true";

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

const wrongDirs: string[] = [];
const steps: Step[] = positionals.length === 0 ? listSteps() : positionals.map(requireStep);

// 1. Types.
{
  const p = progress("type-checking everything (tsc --noEmit)");
  const projects = ["tsconfig.json", ...(await Bun.file(`${ROOT}/bench/k6/tsconfig.json`).exists() ? ["bench/k6/tsconfig.json"] : [])];
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

// 3. Each step against the contract.
const tty = process.stdout.isTTY === true;
const table = new Table({
  head: ["step", "solution", "starter", "wrong variants", "time"],
  style: tty ? { head: ["cyan"], border: ["grey"] } : { head: [], border: [] },
});
for (const step of steps) {
  const started = performance.now();
  const p = progress(`step ${step.id}: solution`);
  const solutionRun = await runTests(step, { kind: "solution" });
  const solution = solutionVerdict(solutionRun);
  tally(true, "", "", solutionRun.passed);
  if (!solution.ok) {
    tally(false, `step ${step.id} solution`, solution.detail, Math.max(1, solutionRun.failed + solutionRun.errors));
    console.log(solutionRun.output);
  }

  p.update(`step ${step.id}: starter`);
  let starter: Verdict;
  if (starterIsUntouched(step)) {
    starter = starterVerdict(await runTests(step, { kind: "learner" }), step);
    tally(starter.ok, `step ${step.id} starter`, starter.detail);
  } else if (inCI) {
    starter = { ok: false, detail: `steps/${step.slug} has no TODO(step ${step.id}) stub left` };
    tally(false, `step ${step.id} starter`, starter.detail);
  } else {
    starter = { ok: true, detail: "skipped: steps/ holds your own work (check it with npm start)" };
  }

  const wrong: string[] = [];
  let wrongOk = true;
  for (const name of step.wrongVariants) {
    p.update(`step ${step.id}: wrong variant ${name}`);
    const verdict = wrongVerdict(await runTests(step, { kind: "wrong", name }));
    wrongDirs.push(prepared(step, { kind: "wrong", name }));
    tally(verdict.ok, `step ${step.id} wrong/${name}`, verdict.detail);
    wrongOk &&= verdict.ok;
    wrong.push(`${mark(verdict.ok)} ${name}${verdict.ok ? "" : `: ${verdict.detail}`}`);
  }
  if (step.wrongVariants.length === 0) {
    wrongOk = false;
    tally(false, `step ${step.id} wrong variants`, "none: every step ships at least one");
    wrong.push(`${mark(false)} none`);
  }

  p.done(`step ${step.id}: ${step.title}`, solution.ok && starter.ok && wrongOk);
  table.push([`${step.id} ${step.slug.slice(3)}`, `${mark(solution.ok)} ${solution.detail}`, `${mark(starter.ok)} ${starter.detail}`, wrong.join("\n"), `${((performance.now() - started) / 1000).toFixed(0)} s`]);
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
if (problems.length > 0) {
  console.log(pc.red("\nWhat failed:"));
  for (const problem of problems) console.log(`  - ${problem}`);
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

function mark(ok: boolean): string {
  return ok ? (tty ? pc.green("✓") : "✓") : tty ? pc.red("✗") : "✗";
}

function requireStep(name: string): Step {
  const step = findStep(name);
  if (!step) {
    console.error(`No step "${name}". Steps: ${listSteps().map((s) => s.id).join(", ")}`);
    process.exit(2);
  }
  return step;
}
