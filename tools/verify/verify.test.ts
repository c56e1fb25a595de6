import { describe, expect, test } from "bun:test";
import type { Step } from "../steps.ts";
import { parseJunit, parseSummary, type TestRun } from "./run-tests.ts";
import { learnerState, solutionVerdict, starterVerdict, wrongVerdict } from "./verdicts.ts";

const step: Step = {
  id: "01",
  slug: "01-demo",
  title: "Step 01: demo",
  dir: "/x/steps/01-demo",
  solutionDir: "/x/solutions/01-demo",
  wrongVariants: [],
};
const stub = "not implemented yet: see steps/01-demo/README.md (startServer)";

function run(cases: TestRun["cases"], extra: Partial<TestRun> = {}): TestRun {
  return {
    cases,
    passed: cases.filter((c) => c.passed).length,
    failed: cases.filter((c) => !c.passed).length,
    errors: 0,
    output: "",
    timedOut: false,
    ...extra,
  };
}

describe("reading bun's reports", () => {
  test("parseJunit reads passes, failures with their message, and skips", () => {
    const xml = `<testsuites><testsuite name="a">
      <testcase name="ok one" classname="" />
      <testcase name="bad &amp; sad" classname=""><failure type="Error" message="boom&#10;line 2">…</failure></testcase>
      <testcase name="later"><skipped /></testcase>
    </testsuite></testsuites>`;
    expect(parseJunit(xml)).toEqual([
      { name: "ok one", passed: true },
      { name: "bad & sad", passed: false, message: "boom\nline 2" },
    ]);
  });

  test("parseSummary reads the closing counts", () => {
    expect(parseSummary(" 3 pass\n 2 fail\n 1 error\n 4 expect() calls")).toEqual({ pass: 3, fail: 2, errors: 1 });
    expect(parseSummary(" 5 pass\n 0 fail")).toEqual({ pass: 5, fail: 0, errors: 0 });
  });
});

describe("verdicts", () => {
  test("a solution passes only with every test passing and no error", () => {
    expect(solutionVerdict(run([{ name: "a", passed: true }])).ok).toBe(true);
    expect(solutionVerdict(run([{ name: "a", passed: false, message: "x" }])).ok).toBe(false);
    expect(solutionVerdict(run([{ name: "a", passed: true }], { errors: 1 })).ok).toBe(false);
    expect(solutionVerdict(run([])).ok).toBe(false);
  });

  test("a starter must fail at a stub, not at a load error or an assertion", () => {
    expect(starterVerdict(run([{ name: "a", passed: false, message: stub }]), step).ok).toBe(true);
    expect(starterVerdict(run([{ name: "a", passed: false, message: "expected 200" }]), step).ok).toBe(false);
    expect(starterVerdict(run([{ name: "a", passed: true }]), step).ok).toBe(false);
    // A file that does not load shows up as an error with no test case.
    expect(starterVerdict(run([], { errors: 1 }), step).ok).toBe(false);
  });

  test("a wrong variant must be rejected by a test, not by a hang", () => {
    expect(wrongVerdict(run([{ name: "a", passed: false, message: "x" }])).ok).toBe(true);
    expect(wrongVerdict(run([{ name: "a", passed: true }])).ok).toBe(false);
    expect(wrongVerdict(run([{ name: "a", passed: false }], { timedOut: true })).ok).toBe(false);
  });

  test("the learner's state", () => {
    expect(learnerState(run([{ name: "a", passed: true }]), step)).toBe("passing");
    expect(learnerState(run([{ name: "a", passed: true }, { name: "b", passed: false, message: stub }]), step)).toBe("TODOs left");
    expect(learnerState(run([{ name: "b", passed: false, message: "expected 200, got 500" }]), step)).toBe("failing");
  });
});
