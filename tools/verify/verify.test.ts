import { describe, expect, test } from "bun:test";
import type { Step } from "../steps.ts";
import { distinctErrors, parseJunit, parseSummary, withDropped, type TestRun } from "./run-tests.ts";
import { learnerState, solutionVerdict, starterVerdict, wrongVerdict } from "./verdicts.ts";
import { parseWrongHeader } from "./wrong-header.ts";

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
  test("parseJunit reads passes, failures with their message, times, describe names, and skips", () => {
    const xml = `<testsuites><testsuite name="a">
      <testcase name="ok one" classname="" time="0.5" />
      <testcase name="bad &amp; sad" classname="the pool"><failure type="Error" message="boom&#10;line 2">…</failure></testcase>
      <testcase name="later"><skipped /></testcase>
    </testsuite></testsuites>`;
    expect(parseJunit(xml)).toEqual([
      { name: "ok one", passed: true, seconds: 0.5 },
      { name: "the pool > bad & sad", passed: false, message: "boom\nline 2" },
    ]);
  });

  test("tests bun dropped behind a failed set-up are counted as failed, named", () => {
    const dropped = withDropped(run([{ name: "group > (unnamed)", passed: false, message: "set-up" }, { name: "outside", passed: true }]), [
      "group > one",
      "group > two",
      "outside",
    ]);
    expect(dropped.failed).toBe(3);
    expect(dropped.cases.map((c) => c.name)).toEqual(["group > (unnamed)", "outside", "group > one", "group > two"]);
    expect(dropped.cases[2]?.message).toContain("the set-up before it (beforeAll/beforeEach) failed");
  });

  test("an error bun prints once per test file is shown once", () => {
    const block = "1 | export const x = (;\n                  ^\nerror: Unexpected ;\n    at /x/mod.ts:1:23";
    const output = `a.test.ts:\n\n# Unhandled error between tests\n-------------------------------\n${block}\n-------------------------------\n\nb.test.ts:\n\n# Unhandled error between tests\n-------------------------------\n${block}\n-------------------------------\n`;
    expect(distinctErrors(output)).toEqual([block]);
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

  test("a wrong variant must be rejected by the test its header names, fast, not by a hang", () => {
    const header = { mistake: "LIFO", caughtBy: ["tasks start in FIFO order", "other"] };
    const named = { name: "the pool > tasks start in FIFO order", passed: false, message: "x", seconds: 0.2 };
    expect(wrongVerdict(run([named]), header).ok).toBe(true);
    expect(wrongVerdict(run([{ name: "a", passed: true }]), header).ok).toBe(false);
    expect(wrongVerdict(run([named], { timedOut: true }), header).ok).toBe(false);
    // Caught, but by another test than the one named: the named test does not test the mistake.
    expect(wrongVerdict(run([{ name: "unrelated", passed: false, seconds: 0.1 }]), header).detail).toContain('not caught by "tasks start in FIFO order"');
    // Caught only by the 10 s hang guard: too slow.
    expect(wrongVerdict(run([{ ...named, seconds: 9.9 }]), header).ok).toBe(false);
    expect(wrongVerdict(run([named]), undefined).ok).toBe(false);
  });

  test("a wrong variant's header: the mistake, then the tests that must catch it", () => {
    expect(parseWrongHeader("// WRONG: a stack, not a queue\n// CAUGHT BY: FIFO order | the oldest first\ncode")).toEqual({
      mistake: "a stack, not a queue",
      caughtBy: ["FIFO order", "the oldest first"],
    });
    expect(parseWrongHeader("// WRONG: no test named\ncode")).toBeUndefined();
    expect(parseWrongHeader("// Step 03: a pool\n")).toBeUndefined();
  });

  test("the learner's state", () => {
    expect(learnerState(run([{ name: "a", passed: true }]), step)).toBe("passing");
    expect(learnerState(run([{ name: "a", passed: true }, { name: "b", passed: false, message: stub }]), step)).toBe("TODOs left");
    expect(learnerState(run([{ name: "b", passed: false, message: "expected 200, got 500" }]), step)).toBe("failing");
  });
});
