// Runs one step's tests against one version of its files, and reads back what happened.
//
// A step's tests exist once, in steps/NN-slug/. To run them against the reference or a
// known-wrong variant, the files are laid over a copy of the step in .verify/ (git-ignored):
//
//   .verify/solution--01-blocking-server/   = steps/01-… + solutions/01-…
//   .verify/wrong-X--01-blocking-server/    = steps/01-… + solutions/01-… + solutions/01-…/wrong/X
//
// The copy sits two folders deep, like steps/NN-slug/, and the code imports the shared
// plumbing as `#lib/…` (package.json "imports"), so every copy resolves it the same way.

import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT, type Step } from "../steps.ts";
import { bunTest } from "./bun-test.ts";

export type Variant = { kind: "learner" } | { kind: "solution" } | { kind: "wrong"; name: string };

export interface CaseResult {
  /** "describe > test", or the test's own name outside any describe. */
  name: string;
  passed: boolean;
  /** The failure's message, when it failed. */
  message?: string;
  /** Seconds the test took, when the report says. */
  seconds?: number;
}

export interface TestRun {
  cases: CaseResult[];
  passed: number;
  failed: number;
  /** Failures outside any test: a file that would not load, an error thrown after a test ended. */
  errors: number;
  /** Bun's own output, for showing to a learner. */
  output: string;
  timedOut: boolean;
}

export function variantLabel(variant: Variant): string {
  return variant.kind === "wrong" ? `wrong/${variant.name}` : variant.kind;
}

/** Where a variant's files are laid out (by `prepare`). */
export function prepared(step: Step, variant: Variant): string {
  if (variant.kind === "learner") return step.dir;
  const name = variant.kind === "wrong" ? `wrong-${variant.name}` : "solution";
  return join(ROOT, ".verify", `${name}--${step.slug}`);
}

/** Lays the variant's files out, ready to test. */
export function prepare(step: Step, variant: Variant): string {
  const dir = prepared(step, variant);
  if (variant.kind === "learner") return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(step.dir, dir, { recursive: true });
  cpSync(step.solutionDir, dir, { recursive: true, filter: (src) => !src.startsWith(join(step.solutionDir, "wrong")) });
  if (variant.kind === "wrong") cpSync(join(step.solutionDir, "wrong", variant.name), dir, { recursive: true });
  return dir;
}

/** Runs the step's tests on one variant; with `only`, just the tests whose name contains one of those. */
export function runTests(step: Step, variant: Variant, only?: string[]): Promise<TestRun> {
  return bunTest(prepare(step, variant), `${step.slug}-${variantLabel(variant).replace("/", "-")}`, only);
}

/** What bun names a failed `beforeAll`/`beforeEach`: it stands for every test behind it. */
export const UNNAMED = "(unnamed)";

/** Reads bun's JUnit report: one entry per `<testcase>`, with its `<failure message>` if any. */
export function parseJunit(xml: string): CaseResult[] {
  const cases: CaseResult[] = [];
  const testcase = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(testcase)) {
    const attributes = match[1] ?? "";
    const body = match[3] ?? "";
    const own = unescapeXml(/\bname="([^"]*)"/.exec(attributes)?.[1] ?? UNNAMED);
    const group = unescapeXml(/\bclassname="([^"]*)"/.exec(attributes)?.[1] ?? "");
    const name = group ? `${group} > ${own}` : own;
    const time = /\btime="([^"]*)"/.exec(attributes)?.[1];
    const seconds = time === undefined ? undefined : Number(time);
    const failure = /<(failure|error)\b[^>]*?message="([^"]*)"/.exec(body);
    const skipped = /<skipped\b/.test(body);
    if (skipped) continue;
    const result: CaseResult = failure ? { name, passed: false, message: unescapeXml(failure[2] ?? "") } : { name, passed: true };
    if (seconds !== undefined && Number.isFinite(seconds)) result.seconds = seconds;
    cases.push(result);
  }
  return cases;
}

/**
 * Adds, as failures, the tests a run never reported: bun drops every test behind a failed
 * `beforeAll` (reporting one "(unnamed)" case instead), and every test of a file that did not
 * load. `expected` is the reference's list of names; the count then stays honest.
 */
export function withDropped(run: TestRun, expected: string[]): TestRun {
  const seen = new Set(run.cases.map((c) => c.name));
  const dropped = expected.filter((name) => !seen.has(name));
  if (dropped.length === 0) return run;
  const setUpFailed = run.cases.some((c) => c.name.endsWith(UNNAMED));
  const message = setUpFailed
    ? "did not run: the set-up before it (beforeAll/beforeEach) failed; see that failure"
    : "did not run: its test file failed to load or stopped early; see the error shown once below";
  const cases = [...run.cases, ...dropped.map((name) => ({ name, passed: false, message }))];
  return { ...run, cases, failed: run.failed + dropped.length };
}

/**
 * The errors bun reports outside any test ("Unhandled error between tests": a syntax error, a
 * module that throws while loading), each once: bun prints the same one for every test file.
 */
export function distinctErrors(output: string): string[] {
  const blocks = [...output.matchAll(/# Unhandled error between tests\n-+\n([\s\S]*?)\n-+(?:\n|$)/g)];
  return [...new Set(blocks.map((m) => (m[1] ?? "").trim()).filter((b) => b !== ""))];
}

/** Reads the closing counts of bun's console output (" 3 pass", " 1 fail", " 2 errors"). */
export function parseSummary(output: string): { pass: number; fail: number; errors: number } {
  const count = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? 0);
  return {
    pass: count(/^\s*(\d+) pass$/m),
    fail: count(/^\s*(\d+) fail$/m),
    errors: count(/^\s*(\d+) errors?$/m),
  };
}

function unescapeXml(text: string): string {
  return text
    .replace(/&#10;/g, "\n")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}
