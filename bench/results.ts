// Saving results, and knowing when one no longer describes the code.
//
// Your code's results and the reference's live in separate files (`04-yours.json`,
// `04-solution.json`): a run of one never replaces the other's, whatever the command.
//
// A result is stamped with a fingerprint of the code that produced it: the files of the step
// that ran (the learner's steps/NN-slug or the reference solutions/NN-slug) and lib/. Edit the
// step and its old figures become "stale": they measured code that no longer exists.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, relative } from "node:path";
import { ROOT, type Step } from "../tools/steps.ts";
import type { Machine, StepResult } from "./config.ts";

export const RESULTS_DIR = join(ROOT, "bench", "results");

/** The .ts files a server of this step can load: the step's own (not its tests, not wrong variants) and lib/'s. */
export function codeFiles(step: Step, solution: boolean): string[] {
  const own = (dir: string) =>
    existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).map((f) => join(dir, f)) : [];
  const lib = join(ROOT, "lib");
  return [...own(solution ? step.solutionDir : step.dir), ...own(lib)].sort();
}

/** A short hash of files' names and contents: the same code gives the same fingerprint on any machine. */
export function fingerprint(files: readonly { name: string; content: string }[]): string {
  const hash = createHash("sha256");
  for (const { name, content } of [...files].sort((a, b) => a.name.localeCompare(b.name))) {
    hash.update(name).update("\0").update(content).update("\0");
  }
  return hash.digest("hex").slice(0, 12);
}

export function codeFingerprint(step: Step, solution: boolean): string {
  return fingerprint(codeFiles(step, solution).map((file) => ({ name: relative(ROOT, file), content: readFileSync(file, "utf8") })));
}

export function isStale(result: Pick<StepResult, "fingerprint">, currentFingerprint: string): boolean {
  return result.fingerprint !== currentFingerprint;
}

export function machine(): Machine {
  const cpu = cpus();
  return {
    cores: navigator.hardwareConcurrency,
    cpuModel: cpu[0]?.model.trim() || "unknown CPU",
    bun: Bun.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/**
 * One file per step, code and worker count: the last run of each replaces the one before, and
 * only that one. The code ("yours" or "solution") is part of the name, so the two never share a file.
 */
export function resultFile(step: string, code: StepResult["code"], workers?: number, dir = RESULTS_DIR): string {
  return join(dir, `${step}-${code}${workers === undefined ? "" : `-w${workers}`}.json`);
}

export function saveResult(result: StepResult, dir = RESULTS_DIR): string {
  if (result.code !== "yours" && result.code !== "solution") throw new Error(`a result says whose code ran, not "${String(result.code)}"`);
  mkdirSync(dir, { recursive: true });
  const file = resultFile(result.step, result.code, result.workers, dir);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export function loadResult(step: string, code: StepResult["code"], workers?: number, dir = RESULTS_DIR): StepResult | undefined {
  const file = resultFile(step, code, workers, dir);
  if (!existsSync(file)) return undefined;
  try {
    const result = JSON.parse(readFileSync(file, "utf8")) as StepResult;
    // A file under one side's name holding the other side's figures (edited by hand?) is not trusted.
    return result.code === code && result.step === step ? result : undefined;
  } catch {
    return undefined; // a half-written or hand-edited file: as if there were none
  }
}

/** The chart of a comparison, one per side like the results. */
export function chartFile(code: StepResult["code"], dir = RESULTS_DIR): string {
  return join(dir, `bench-by-step-${code}.svg`);
}
