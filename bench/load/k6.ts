// The scenarios with k6, when `k6` is on PATH: the bench runs the very scripts in bench/k6/,
// exactly as a learner would by hand, from the repository's root:
//
//   k6 run -e BASE_URL=http://localhost:41234/ -e N=33 … bench/k6/fibonacci.ts
//
// plus `--summary-export` to read the figures back. k6 runs TypeScript natively from v0.57 on
// (it strips the types with esbuild as it loads each file), so the scripts need no build step;
// an older k6 is refused with a clear line and the bench falls back to autocannon.
//
// Each script warms up on its own (its `warmup` scenario), and its thresholds name the
// measured scenarios so that the export reports them apart from the warm-up. A failed
// threshold (k6 exits with 99) is a result, e.g. step 01's /health probe; any other non-zero
// exit is a failure of the run.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../tools/steps.ts";
import type { BenchParams, LoadRun } from "../config.ts";
import type { LoadTool } from "./tool.ts";

/** Where the scripts are, relative to the repository's root (where a learner types the command). */
export const SCRIPTS_DIR = "bench/k6";
const THRESHOLDS_FAILED = 99;
/** The first k6 that runs a .ts script, and the .ts files it imports, without a build step. */
export const K6_NATIVE_TS = [0, 57] as const;

/** The k6 binary's version, or undefined when k6 is not installed. */
export function k6Version(): string | undefined {
  const k6 = Bun.which("k6");
  if (!k6) return undefined;
  const out = Bun.spawnSync([k6, "version"]).stdout.toString().trim(); // "k6 v1.4.2 (go1.24…)"
  return /v\d+\.\d+\.\d+/.exec(out)?.[0] ?? (out || "unknown version");
}

/** Whether a k6 version ("v0.57.0", "v1.4.2") runs the TypeScript scripts as they are. */
export function runsTypeScript(version: string): boolean {
  const match = /v?(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > K6_NATIVE_TS[0] || (major === K6_NATIVE_TS[0] && minor >= K6_NATIVE_TS[1]);
}

interface TrendStats {
  med?: number;
  "p(50)"?: number;
  "p(99)"?: number;
  max?: number;
}
export interface Export {
  metrics: Record<string, Record<string, number | undefined>>;
}

function env(base: URL, p: BenchParams): Record<string, string> {
  return {
    BASE_URL: base.href,
    HEALTH_PATH: p.healthPath ?? "/health",
    N: String(p.n),
    VUS: String(p.vus),
    DURATION: String(p.durationSec),
    WARMUP: String(p.warmupSec),
    PROBE_RATE: String(p.probeRate),
    RATE: String(p.rate),
    MAX_IN_FLIGHT: String(p.maxInFlight),
    OVERHEAD_VUS: String(p.overheadConnections),
    OVERHEAD_DURATION: String(p.overheadSec),
  };
}

/**
 * The command line for one script, as a learner would type it at the repository's root, plus
 * where to export the summary and less console output. Run with `cwd: ROOT`.
 */
export function k6Command(script: string, base: URL, p: BenchParams, summaryFile: string): string[] {
  const args = ["k6", "run"];
  for (const [name, value] of Object.entries(env(base, p))) args.push("-e", `${name}=${value}`);
  args.push("--quiet", "--no-color", "--summary-export", summaryFile, `${SCRIPTS_DIR}/${script}`);
  return args;
}

async function runScript(script: string, base: URL, p: BenchParams, signal: AbortSignal): Promise<Export> {
  const dir = mkdtempSync(join(tmpdir(), "bench-k6-"));
  const summary = join(dir, "summary.json");
  try {
    const child = Bun.spawn(k6Command(script, base, p, summary), { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
    const onAbort = () => child.kill("SIGINT"); // k6 stops its VUs cleanly on SIGINT
    signal.addEventListener("abort", onAbort, { once: true });
    const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
    signal.removeEventListener("abort", onAbort);
    if (signal.aborted) throw new Error("aborted");
    if (code !== 0 && code !== THRESHOLDS_FAILED) throw new Error(`k6 run ${script} exited with ${code}: ${stderr.trim().slice(-500)}`);
    return JSON.parse(readFileSync(summary, "utf8")) as Export;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function figures(exported: Export, scenario: string, durationSec: number, tool: string): LoadRun {
  const metric = (name: string) => exported.metrics[`${name}{scenario:${scenario}}`] ?? {};
  // The latencies of successful answers (the scripts' thresholds name that submetric), as autocannon's.
  const duration = (exported.metrics[`http_req_duration{scenario:${scenario},expected_response:true}`] ?? metric("http_req_duration")) as TrendStats;
  const requests = metric("http_reqs").count ?? 0;
  // A Rate metric's `passes` counts the samples that were true: here, the failed requests.
  const errors = metric("http_req_failed").passes ?? 0;
  return {
    tool,
    requests,
    errors,
    // Only successful answers are throughput: a failed request is an error, never a request served.
    rps: Math.max(0, requests - errors) / durationSec,
    p50Ms: duration["p(50)"] ?? duration.med ?? Number.NaN,
    p99Ms: duration["p(99)"] ?? Number.NaN,
    maxMs: duration.max ?? Number.NaN,
  };
}

export function k6Tool(version: string): LoadTool {
  const name = `k6 ${version}`;
  return {
    name,
    warmup: async () => {}, // every script has its own warm-up scenario
    async closed(base, p, signal) {
      return figures(await runScript("fibonacci.ts", base, p, signal), "load", p.durationSec, name);
    },
    async responsiveness(base, p, signal) {
      const exported = await runScript("responsiveness.ts", base, p, signal);
      return { load: figures(exported, "load", p.durationSec, name), probe: figures(exported, "probe", p.durationSec, name) };
    },
    async open(base, p, signal) {
      const exported = await runScript("open-model.ts", base, p, signal);
      return { ...figures(exported, "load", p.durationSec, name), dropped: exported.metrics.dropped_iterations?.count ?? 0 };
    },
    async overhead(base, p, signal) {
      const exported = await runScript("overhead.ts", base, p, signal);
      return { app: figures(exported, "app", p.overheadSec, name), main: figures(exported, "main", p.overheadSec, name) };
    },
  };
}
