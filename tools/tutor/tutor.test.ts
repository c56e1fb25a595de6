// The tutor's command line, run as a learner runs it. Only the commands that do not run
// step tests are exercised here (npm test already runs every step's tests).
import { describe, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listSteps } from "../steps.ts";

const MAIN = join(import.meta.dir, "main.ts");

function tutor(...args: string[]) {
  // Hints seen are remembered: keep the learner's record out of the test's way.
  const env = { ...process.env, NO_COLOR: "1", TUTOR_STATE_DIR: join(tmpdir(), `tutor-test-${process.pid}`) };
  const result = Bun.spawnSync([process.execPath, MAIN, ...args], { env });
  return { code: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() };
}

describe("the tutor's command line", () => {
  test("an unknown command: a clear message, the valid commands, exit 2", () => {
    const { code, err } = tutor("frobnicate");
    expect(code).toBe(2);
    expect(err).toContain('unknown command "frobnicate"');
    expect(err).toContain("check NN");
  });

  test("an unknown step: a clear message with the valid steps, exit 2", () => {
    const { code, err } = tutor("check", "99");
    expect(code).toBe(2);
    expect(err).toContain('there is no step "99"');
    expect(err).toContain(`steps: ${listSteps().map((s) => s.id).join(", ")}`);
  });

  test("a command that needs a step says so", () => {
    const { code, err } = tutor("hint");
    expect(code).toBe(2);
    expect(err).toContain("needs a step number");
  });

  test("an unknown flag is refused, not ignored", () => {
    expect(tutor("--frob").code).toBe(2);
  });

  test("help lists the commands", () => {
    const { code, out } = tutor("help");
    expect(code).toBe(0);
    expect(out).toContain("check NN");
  });

  test("every step ships hints in three tiers, and hint --all prints them", () => {
    for (const step of listSteps()) {
      const { code, out } = tutor("hint", step.id, "--all");
      expect(code, `npm start -- hint ${step.id} --all`).toBe(0);
      for (const tier of [1, 2, 3]) expect(out, `step ${step.id}'s hints.md, tier ${tier}`).toContain(`Tier ${tier} of 3`);
    }
  });

  test("hint --tier takes a number", () => {
    const { code, err } = tutor("hint", "01", "--tier", "two");
    expect(code).toBe(2);
    expect(err).toContain("--tier takes a tier number");
  });

  test("diff shows the reference beside the learner's file", () => {
    const { code, out } = tutor("diff", "1");
    expect(code).toBe(0);
    expect(out).toContain("solutions/01-blocking-server/server.ts");
  });
});
