import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Step } from "../tools/steps.ts";
import { result, round } from "./fixtures.ts";
import { gateSteps, skipLine, type CheckOutcome } from "./learner-gate.ts";
import { chartFile, loadResult, resultFile, saveResult } from "./results.ts";

const step = (id: string): Step => ({ id, slug: `${id}-x`, title: `Step ${id}`, dir: `/steps/${id}-x`, solutionDir: `/solutions/${id}-x`, wrongVariants: [] });

describe("your code is measured only once its check passes", () => {
  const outcomes: Record<string, CheckOutcome> = {
    "01": { ok: true, detail: "8 passed" },
    "02": { ok: true, detail: "11 passed" },
    "05": { ok: false, detail: "4 failed, 0 errors: pool > a crashed worker is replaced: not implemented yet: see steps/05-crash-recovery/README.md" },
  };
  const check = async (s: Step) => outcomes[s.id] ?? { ok: false, detail: "no test ran" };

  test("a passing step is measured, a failing one skipped with one line saying why and what to run", async () => {
    const gate = await gateSteps([step("01"), step("02"), step("05")], check);
    expect(gate.pass.map((p) => p.step.id)).toEqual(["01", "02"]);
    expect(gate.pass[0]?.detail).toBe("8 passed");
    expect(gate.skipped.map((s) => s.step.id)).toEqual(["05"]);
    const line = gate.skipped[0]?.line ?? "";
    expect(line.split("\n")).toHaveLength(1);
    expect(line).toContain("step 05: skipped");
    expect(line).toContain("npm start -- check 05");
    expect(line).toContain("--solution");
    expect(gate.skipped[0]?.cell).toBe("skipped: your step 05 does not pass its check yet (4 failed, 0 errors): npm start -- check 05");
  });
  test("a check that cannot run counts as not passing, and the other steps go on", async () => {
    const gate = await gateSteps([step("01"), step("03")], async (s) => {
      if (s.id === "03") throw new Error("bun crashed\nstack…");
      return { ok: true, detail: "ok" };
    });
    expect(gate.pass.map((p) => p.step.id)).toEqual(["01"]);
    expect(gate.skipped[0]?.line).toContain("the check could not run: bun crashed");
  });
  test("a long failure is shortened to keep the line one line", () => {
    expect(skipLine(step("06"), "x".repeat(400)).length).toBeLessThan(260);
  });
});

describe("your results and the reference's never overwrite each other", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), "bench-results-"));
    dirs.push(d);
    return d;
  };

  test("each side has its own file, and saving one leaves the other as it was", () => {
    const dir = tempDir();
    const yours = result("04", [round(55, 3)], { code: "yours", fingerprint: "yours-code" });
    const reference = result("04", [round(60, 3)], { code: "solution", fingerprint: "reference-code" });
    const yoursFile = saveResult(yours, dir);
    const before = readFileSync(yoursFile, "utf8");
    const referenceFile = saveResult(reference, dir);
    expect(referenceFile).not.toBe(yoursFile);
    expect(readFileSync(yoursFile, "utf8"), "your file after saving the reference's").toBe(before);
    expect(loadResult("04", "yours", undefined, dir)?.fingerprint).toBe("yours-code");
    expect(loadResult("04", "solution", undefined, dir)?.fingerprint).toBe("reference-code");
  });
  test("a run of one step replaces only that step's file on that side", () => {
    const dir = tempDir();
    saveResult(result("01", [round(30, 900)], { code: "yours" }), dir);
    saveResult(result("04", [round(55, 3)], { code: "yours", fingerprint: "old" }), dir);
    saveResult(result("04", [round(57, 3)], { code: "yours", fingerprint: "new" }), dir);
    expect(loadResult("01", "yours", undefined, dir)?.http[0]?.closed.rps).toBe(30);
    expect(loadResult("04", "yours", undefined, dir)?.fingerprint).toBe("new");
    expect(existsSync(resultFile("04", "solution", undefined, dir))).toBe(false);
  });
  test("a file holding the other side's figures is not read as this side's", () => {
    const dir = tempDir();
    const file = saveResult(result("04", [round(60, 3)], { code: "solution" }), dir);
    writeFileSync(resultFile("04", "yours", undefined, dir), readFileSync(file, "utf8"));
    expect(loadResult("04", "yours", undefined, dir)).toBeUndefined();
  });
  test("worker counts and charts are kept apart too", () => {
    expect(resultFile("04", "yours", 30)).not.toBe(resultFile("04", "yours"));
    expect(chartFile("yours")).not.toBe(chartFile("solution"));
  });
});
