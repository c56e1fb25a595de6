// What each kind of run must show for the step contract to hold (../shared/step-contract.md):
// the solution passes, the untouched starter fails *at a TODO stub*, every wrong variant fails.

import { stubMessage, type Step } from "../steps.ts";
import type { TestRun } from "./run-tests.ts";

export interface Verdict {
  ok: boolean;
  /** One line for the table: why it is ok or not. */
  detail: string;
}

export function solutionVerdict(run: TestRun): Verdict {
  if (run.timedOut) return { ok: false, detail: "timed out" };
  if (run.cases.length === 0) return { ok: false, detail: "no test ran (did a test file fail to load?)" };
  if (run.failed > 0 || run.errors > 0) {
    const first = run.cases.find((c) => !c.passed);
    return {
      ok: false,
      detail: `${run.failed} failed, ${run.errors} errors${first ? `: ${first.name}: ${firstLine(first.message)}` : ""}`,
    };
  }
  return { ok: true, detail: `${run.passed} passed` };
}

export function starterVerdict(run: TestRun, step: Step): Verdict {
  if (run.timedOut) return { ok: false, detail: "timed out (a starter must fail fast, at its stubs)" };
  if (run.errors > 0 || run.cases.length === 0) {
    return { ok: false, detail: "fails before reaching a stub (a file did not load, or an error escaped a test)" };
  }
  if (run.failed === 0) return { ok: false, detail: "passes, but a starter must fail until the TODOs are done" };
  const atStub = run.cases.filter((c) => !c.passed && c.message?.includes(stubMessage(step)));
  if (atStub.length === 0) return { ok: false, detail: "fails, but not at a TODO stub" };
  return { ok: true, detail: `fails at its stubs (${atStub.length} of ${run.failed} failures)` };
}

export function wrongVerdict(run: TestRun): Verdict {
  if (run.timedOut) return { ok: false, detail: "hung: the tests must reject it, not wait on it forever" };
  if (run.cases.length === 0) return { ok: false, detail: "no test ran: the variant must load and be rejected by behaviour" };
  if (run.failed === 0) return { ok: false, detail: `not caught: all ${run.passed} tests pass` };
  const first = run.cases.find((c) => !c.passed);
  return { ok: true, detail: `rejected by ${run.failed} test(s), e.g. "${first?.name ?? "?"}"` };
}

/** A learner's step, as the tutor reports it. */
export type LearnerState = "passing" | "TODOs left" | "failing";

export function learnerState(run: TestRun, step: Step): LearnerState {
  if (solutionVerdict(run).ok) return "passing";
  const failures = run.cases.filter((c) => !c.passed);
  const allAtStubs = run.errors === 0 && failures.length > 0 && failures.every((c) => c.message?.includes(stubMessage(step)));
  // Every failure comes from a stub that still throws "not implemented yet": nothing is
  // broken, there is just work left. Anything else is a real failure to look at.
  return allAtStubs ? "TODOs left" : "failing";
}

export function firstLine(text: string | undefined): string {
  return (text ?? "").split("\n").find((line) => line.trim() !== "")?.trim() ?? "";
}
