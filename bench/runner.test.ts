import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULTS } from "./config.ts";
import { hasUnservedPool, httpRoundSeconds, overheadRoundSeconds, poolRoundSeconds, targetName } from "./runner.ts";

const dirs: string[] = [];
function stepDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "bench-step-"));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("which steps get the pool scenario (5)", () => {
  test("a pool that no server imports yet (step 03) does", () => {
    expect(hasUnservedPool(stepDir({ "pool.ts": "", "server.ts": 'import { AppWorker } from "./worker.ts";' }))).toBe(true);
  });
  test("a pool behind the server (step 04 on) does not: requests per second show it", () => {
    expect(hasUnservedPool(stepDir({ "pool.ts": "", "server.ts": 'import { WorkerPool } from "./pool.ts";' }))).toBe(false);
  });
  test("no pool at all (steps 01, 02) does not", () => {
    expect(hasUnservedPool(stepDir({ "server.ts": "" }))).toBe(false);
  });
});

describe("time planned, for the progress line", () => {
  test("k6 warms up once per script, autocannon once per round", () => {
    const p = { ...DEFAULTS, warmupSec: 2, durationSec: 6, overheadSec: 3 };
    expect(httpRoundSeconds(p, false)).toBe(2 + 3 * 6 + 2 * 3);
    expect(httpRoundSeconds(p, true)).toBe(4 * 2 + 3 * 6 + 2 * 3);
    expect(poolRoundSeconds(p)).toBe(4 * 3);
  });
});

describe("scenario 4 alone (the bare pool, round-trip)", () => {
  test("takes a warm-up and the two halves", () => {
    expect(overheadRoundSeconds({ ...DEFAULTS, warmupSec: 2, overheadSec: 3 })).toBe(2 + 2 * 3);
  });
  test("the progress lines name the bare pool apart from every step", () => {
    expect(targetName({ bare: true })).toBe("bare pool (bench/bare-pool, app.handle())");
    expect(targetName({ bare: true, entry: "fetch" })).toBe("bare pool (bench/bare-pool, app.fetch())");
    expect(targetName({ step: "04", solution: true })).toBe("step 04 (reference)");
    expect(targetName({ step: "04", solution: false })).toBe("step 04 (your code)");
  });
});
