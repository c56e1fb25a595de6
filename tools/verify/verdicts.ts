// What each kind of run must show for the step contract to hold (../shared/step-contract.md):
// the solution passes, the untouched starter fails *at a TODO stub*, every wrong variant fails.

import { stubMessage, type Step } from "../steps.ts";
import type { TestRun } from "./run-tests.ts";
import type { WrongHeader } from "./wrong-header.ts";

export interface Verdict {
  ok: boolean;
  /** One line for the table: why it is ok or not. */
  detail: string;
  /** For a wrong variant: how long its named test took to reject it, and that test's name. */
  seconds?: number;
  caughtBy?: string;
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

/** A wrong variant's named test must fail within this many seconds (the step contract). */
export const REJECT_WITHIN_SECONDS = 5;

export function wrongVerdict(run: TestRun, header: WrongHeader | undefined): Verdict {
  if (run.timedOut) return { ok: false, detail: "hung: the tests must reject it, not wait on it forever" };
  if (!header) return { ok: false, detail: "its first lines must be `// WRONG: <mistake>` and `// CAUGHT BY: <test name>`" };
  const wanted = header.caughtBy.map((name) => `"${name}"`).join(" or ");
  if (run.cases.length === 0) return { ok: false, detail: `no test ran: is a test named ${wanted}, and does the variant load?` };
  const named = run.cases.filter((c) => !c.passed && header.caughtBy.some((name) => c.name.includes(name)));
  if (named.length === 0) {
    const other = run.cases.find((c) => !c.passed);
    return {
      ok: false,
      detail: other ? `not caught by ${wanted} (only by "${other.name}")` : `not caught: all ${run.passed} tests pass`,
    };
  }
  const fastest = named.reduce((a, b) => ((b.seconds ?? 0) < (a.seconds ?? 0) ? b : a));
  const seconds = fastest.seconds ?? 0;
  if (seconds >= REJECT_WITHIN_SECONDS) {
    return { ok: false, detail: `caught by "${fastest.name}" only after ${seconds.toFixed(1)} s (must be under ${REJECT_WITHIN_SECONDS} s)` };
  }
  return { ok: true, detail: `caught by "${fastest.name}" in ${seconds.toFixed(2)} s`, seconds, caughtBy: fastest.name };
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
