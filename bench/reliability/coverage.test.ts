import { describe, expect, test } from "bun:test";
import { contractForFile, coveredSteps, defaultStep, phasesFor } from "./coverage.ts";

describe("each step is driven through its own contract's phases", () => {
  test("step 05 (crash recovery): crashes, bad input and a soak; nothing it never promised", () => {
    expect(phasesFor("05")).toEqual(["crash storm", "bad input", "soak"]);
  });
  test("step 06 (admission control) adds runaway handlers, overload and big bodies", () => {
    expect(phasesFor("06")).toEqual(["crash storm", "runaway handlers", "overload 10x", "bad input", "big bodies", "soak"]);
  });
  test("step 07 (graceful shutdown) adds the shutdown under load, last: it ends the server", () => {
    const phases = phasesFor("07");
    expect(phases).toContain("overload 10x");
    expect(phases.at(-1)).toBe("shutdown under load");
  });
});

describe("which step by default", () => {
  const onDisk = ["01", "02", "03", "04", "05", "06", "07"];
  test("the newest step with a contract of its own", () => {
    expect(defaultStep(onDisk)).toBe("07");
    expect(defaultStep(["01", "02", "03", "04", "05"])).toBe("05");
    expect(defaultStep(["01", "02"])).toBeUndefined();
  });
  test("a later step without a reliability contract is not picked, and only contract steps are accepted", () => {
    expect(defaultStep([...onDisk, "08"])).toBe("07");
    expect(coveredSteps([...onDisk, "08"])).toEqual(["05", "06", "07"]);
  });
});

describe("a server file given without a step", () => {
  test("is held to the contract of the step folder it is in", () => {
    expect(contractForFile("/repo/solutions/05-crash-recovery/server.ts")).toBe("05");
    expect(contractForFile("/repo/steps/06-admission-control/server.ts")).toBe("06");
  });
  test("a step before the first contract gets the first (what step 05 is for), a later one the last", () => {
    expect(contractForFile("/repo/solutions/04-full-server/server.ts")).toBe("05");
    expect(contractForFile("/repo/solutions/08-your-own-app/server.ts")).toBe("07");
  });
  test("a file outside any step folder has none: the default applies", () => {
    expect(contractForFile("/tmp/my-server.ts")).toBeUndefined();
  });
});
