// Runs `bun test` in a folder with a JUnit report, and reads back the results.
// Shared by the verifier (npm test) and the tutor (npm start).

import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../steps.ts";
import { parseJunit, parseSummary, type TestRun } from "./run-tests.ts";

/** Per-test time limit: generous, since it only catches hangs; tests never measure speed. */
const TEST_TIMEOUT_MS = 10_000;
/** Whole-run limit, so that no broken variant can hang the verifier. */
const RUN_TIMEOUT_MS = 180_000;

/**
 * Runs the tests in `cwd`; with `only`, just the tests whose name contains one of those
 * strings (bun's `-t`, which sees "describe test" joined by a space).
 */
export async function bunTest(cwd: string, reportName: string, only?: string[]): Promise<TestRun> {
  mkdirSync(join(ROOT, ".verify"), { recursive: true });
  const report = join(ROOT, ".verify", `junit-${reportName}.xml`);
  rmSync(report, { force: true });

  const filter = only && only.length > 0 ? ["-t", only.map((name) => escapeRegExp(name.replaceAll(" > ", " "))).join("|")] : [];
  const child = Bun.spawn(
    [process.execPath, "test", `--timeout=${TEST_TIMEOUT_MS}`, "--reporter=junit", `--reporter-outfile=${report}`, ...filter],
    { cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" } },
  );
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, RUN_TIMEOUT_MS);
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  await child.exited;
  clearTimeout(timer);

  const output = stdout + stderr;
  const cases = existsSync(report) ? parseJunit(readFileSync(report, "utf8")) : [];
  const summary = parseSummary(output);
  const failed = cases.filter((c) => !c.passed).length;
  return {
    cases,
    passed: cases.filter((c) => c.passed).length,
    failed,
    // Bun counts a test file that failed to load as a failure without listing it in the
    // report, and counts errors thrown outside tests separately: both end up here.
    errors: summary.errors + Math.max(0, summary.fail - failed),
    output,
    timedOut,
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
