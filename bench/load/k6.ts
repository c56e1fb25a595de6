// The scenarios with k6, when `k6` is on PATH: the bench runs the very scripts in bench/k6/
// (the ones a learner can run by hand) and reads the figures from `--summary-export`.
//
// Each script warms up on its own (its `warmup` scenario), and its thresholds name the
// measured scenarios so that the export reports them apart from the warm-up. A failed
// threshold (k6 exits with 99) is a result, e.g. step 01's /health probe; any other non-zero
// exit is a failure of the run.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchParams, LoadRun } from "../config.ts";
import type { LoadTool } from "./tool.ts";

const SCRIPTS = join(import.meta.dir, "..", "k6");
const THRESHOLDS_FAILED = 99;

/** The k6 binary's version, or undefined when k6 is not installed. */
export function k6Version(): string | undefined {
  const k6 = Bun.which("k6");
  if (!k6) return undefined;
  const out = Bun.spawnSync([k6, "version"]).stdout.toString().trim(); // "k6 v1.4.2 (go1.24…)"
  return /v\d+\.\d+\.\d+/.exec(out)?.[0] ?? (out || "unknown version");
}

interface TrendStats {
  med?: number;
  "p(50)"?: number;
  "p(99)"?: number;
  max?: number;
}
interface Export {
  metrics: Record<string, Record<string, number | undefined>>;
}

function env(base: URL, p: BenchParams): Record<string, string> {
  return {
    BASE_URL: base.href,
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

async function runScript(script: string, base: URL, p: BenchParams, signal: AbortSignal): Promise<Export> {
  const dir = mkdtempSync(join(tmpdir(), "bench-k6-"));
  const summary = join(dir, "summary.json");
  try {
    const args = ["k6", "run", "--quiet", "--no-color", "--summary-export", summary];
    for (const [name, value] of Object.entries(env(base, p))) args.push("-e", `${name}=${value}`);
    args.push(join(SCRIPTS, script));
    const child = Bun.spawn(args, { stdout: "ignore", stderr: "pipe" });
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

function figures(exported: Export, scenario: string, durationSec: number, tool: string): LoadRun {
  const metric = (name: string) => exported.metrics[`${name}{scenario:${scenario}}`] ?? {};
  const duration = metric("http_req_duration") as TrendStats;
  const requests = metric("http_reqs").count ?? 0;
  // A Rate metric's `passes` counts the samples that were true: here, the failed requests.
  const errors = metric("http_req_failed").passes ?? 0;
  return {
    tool,
    requests,
    errors,
    rps: requests / durationSec,
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
