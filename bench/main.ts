// `npm run bench -- <NN | compare | all | smoke | report> [options]`
//
//   npm run bench -- 03                 step 03 from your files (steps/03-…), saved to bench/results/
//   npm run bench -- 03 --solution      the same with the reference (solutions/03-…)
//   npm run bench -- compare            every step, taking turns, twice; a table and a chart
//   npm run bench -- report             the saved results side by side, without running anything
//   npm run bench -- smoke              a few seconds per step on the references (CI): fails on errors
//
// The load comes from k6 (the scripts in bench/k6/) when `k6` is on PATH, else from autocannon.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import pc from "picocolors";
import Table from "cli-table3";
import { findStep, listSteps, ROOT, type Step } from "../tools/steps.ts";
import { chartSvg, type ChartStep } from "./chart.ts";
import { COMPARE_ROUNDS, DEFAULTS, SMOKE, type BenchParams, type HttpRound, type PoolRound, type StepResult } from "./config.ts";
import { autocannonTool } from "./load/autocannon.ts";
import { k6Tool, k6Version } from "./load/k6.ts";
import type { LoadTool } from "./load/tool.ts";
import { compareTable, stepTable, type CompareRow } from "./report.ts";
import { codeFingerprint, isStale, loadResult, machine, RESULTS_DIR, saveResult } from "./results.ts";
import { hasUnservedPool, httpRoundSeconds, poolRoundSeconds, runHttpRound, runPoolRound } from "./runner.ts";
import { summarize } from "./summary.ts";

const USAGE = `usage: npm run bench -- <NN | compare | all | report | smoke> [options]
  NN                 one step (01, 02, …), from your files in steps/
  compare, all       every step, taking turns round after round; table + SVG chart
  report             the saved results side by side (stale ones marked); runs nothing
  smoke              every step's reference, a few seconds each; exit 1 on any error (CI)
options:
  --solution         run the reference in solutions/ instead of your files
  --workers N        workers for the steps that take it (default: one per core)
  --n N              fib(n) per heavy request (default ${DEFAULTS.n})
  --vus N            closed-model users (default ${DEFAULTS.vus})
  --duration S       seconds per measured scenario (default ${DEFAULTS.durationSec})
  --warmup S         seconds of warm-up (default ${DEFAULTS.warmupSec})
  --rate R           open-model arrivals per second (default ${DEFAULTS.rate})
  --rounds N         measurements per step (default ${DEFAULTS.rounds}; compare: ${COMPARE_ROUNDS})
  --tool k6|autocannon   force a load tool (default: k6 when on PATH)
  --chart FILE       where compare/report writes the SVG (default bench/results/bench-by-step.svg)
  --port N           serve on this port instead of a free one`;

function fail(message: string, code = 2): never {
  console.error(pc.red(`bench: ${message}`));
  process.exit(code);
}

let parsed;
try {
  parsed = parseArgs({
    args: Bun.argv.slice(2),
    allowPositionals: true,
    options: {
      solution: { type: "boolean", default: false },
      workers: { type: "string" },
      n: { type: "string" },
      vus: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      rate: { type: "string" },
      rounds: { type: "string" },
      tool: { type: "string" },
      chart: { type: "string" },
      port: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
const { values: opts, positionals } = parsed;
const mode = positionals[0];
if (opts.help || !mode) {
  console.log(USAGE);
  process.exit(mode || opts.help ? 0 : 2);
}

function number(raw: string | undefined, name: string, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) fail(`--${name} must be a number ≥ ${min}, got "${raw}"`);
  return value;
}

function paramsFrom(base: BenchParams, rounds: number): BenchParams {
  return {
    ...base,
    n: number(opts.n, "n", base.n, 0),
    vus: number(opts.vus, "vus", base.vus, 1),
    durationSec: number(opts.duration, "duration", base.durationSec, 0.5),
    warmupSec: number(opts.warmup, "warmup", base.warmupSec, 0),
    rate: number(opts.rate, "rate", base.rate, 1),
    rounds: number(opts.rounds, "rounds", rounds, 1),
  };
}
const workers = opts.workers === undefined ? undefined : number(opts.workers, "workers", 1, 1);
const port = opts.port === undefined ? undefined : number(opts.port, "port", 0, 0);

/** k6 when installed, else autocannon, said once; `--tool` insists on one. */
function chooseTool(): LoadTool {
  const version = k6Version();
  if (opts.tool === "k6") {
    if (!version) fail("--tool k6: k6 is not on PATH. Install it (https://grafana.com/docs/k6/latest/set-up/install-k6/) or drop --tool.");
    return k6Tool(version);
  }
  if (opts.tool !== undefined && opts.tool !== "autocannon") fail(`--tool must be k6 or autocannon, got "${opts.tool}"`);
  if (opts.tool === undefined && version) return k6Tool(version);
  if (opts.tool === undefined) {
    console.error(pc.dim(`k6 is not on PATH: running the same scenarios with ${autocannonTool.name} (npm). Each figure records its tool.`));
  }
  return autocannonTool;
}

// Ctrl-C: stop the load and the server, then leave. A second Ctrl-C leaves at once.
const abort = new AbortController();
process.on("SIGINT", () => {
  if (abort.signal.aborted) process.exit(130);
  console.error(pc.yellow("\nstopping: the load, then the server (Ctrl-C again to quit at once)"));
  abort.abort();
});
process.on("SIGTERM", () => abort.abort());
function exitIfAborted(): void {
  if (abort.signal.aborted) {
    console.error("stopped; nothing saved for the unfinished run");
    process.exit(130);
  }
}

function emptyResult(step: Step, solution: boolean, tool: LoadTool, params: BenchParams): StepResult {
  return {
    step: step.id,
    slug: step.slug,
    code: solution ? "solution" : "yours",
    ...(workers === undefined ? {} : { workers }),
    fingerprint: codeFingerprint(step, solution),
    finishedAt: "",
    machine: machine(),
    tool: tool.name,
    params,
    http: [],
    pool: [],
  };
}

/** Runs the given steps for `params.rounds` rounds, taking turns: forwards, then backwards, … */
async function measure(steps: Step[], solution: boolean, params: BenchParams, tool: LoadTool, save = true): Promise<StepResult[]> {
  const results = steps.map((step) => emptyResult(step, solution, tool, params));
  const perScriptWarmup = tool.name.startsWith("k6");
  const stepSeconds = (step: Step) =>
    httpRoundSeconds(params, perScriptWarmup) + (hasUnservedPool(solution ? step.solutionDir : step.dir) ? poolRoundSeconds(params) : 0);
  let remaining = params.rounds * steps.reduce((sum, step) => sum + stepSeconds(step), 0);
  for (let round = 0; round < params.rounds; round++) {
    // Alternating the order spreads the machine's drift (a neighbour's build, thermal limits)
    // over every step instead of loading it onto whichever step comes last.
    const order = round % 2 === 0 ? results : [...results].reverse();
    for (const result of order) {
      const step = steps.find((s) => s.id === result.step) as Step;
      remaining -= stepSeconds(step);
      if (result.failure) continue;
      const run = { step, solution, workers, port, params, tool, signal: abort.signal, label: `round ${round + 1}/${params.rounds}`, laterSec: remaining };
      try {
        const http: HttpRound = await runHttpRound(run, perScriptWarmup);
        result.http.push(http);
        if (hasUnservedPool(solution ? step.solutionDir : step.dir)) {
          const pool: PoolRound = await runPoolRound(run);
          result.pool.push(pool);
        }
      } catch (error) {
        exitIfAborted();
        result.failure = (error as Error).message.split("\n")[0] ?? "failed";
      }
    }
  }
  exitIfAborted();
  for (const result of results) {
    result.finishedAt = new Date().toISOString();
    if (save && !result.failure) saveResult(result);
  }
  return results;
}

function machineLine(result: StepResult): string {
  const m = result.machine;
  const p = result.params;
  return pc.dim(
    `${m.cores} cores, ${m.cpuModel}, Bun ${m.bun}, ${m.platform}${m.loadAverage === undefined ? "" : `, load average ${m.loadAverage} at start`}; ${result.tool}; n=${p.n}, ${p.vus} users, ${p.durationSec} s per scenario, ` +
      `${p.warmupSec} s warm-up, open model ${p.rate} req/s, ${p.rounds} round(s)`,
  );
}

function compareRows(steps: Step[], solution: boolean, fresh: StepResult[]): CompareRow[] {
  return steps.map((step) => {
    const now = fresh.find((r) => r.step === step.id && !r.failure);
    if (now) return { step: step.id, result: now, stale: false };
    const failure = fresh.find((r) => r.step === step.id)?.failure;
    const saved = loadResult(step.id, solution ? "solution" : "yours", workers);
    if (saved) return { step: step.id, result: saved, stale: isStale(saved, codeFingerprint(step, solution)), missing: failure };
    return { step: step.id, stale: false, missing: failure ?? `no saved result: npm run bench -- ${step.id}${solution ? " --solution" : ""}` };
  });
}

function writeChart(rows: CompareRow[], file: string): void {
  const measured = rows.filter((r) => r.result && r.result.http.length > 0);
  if (measured.length === 0) return;
  const steps: ChartStep[] = measured.map((row) => {
    const result = row.result as StepResult;
    const s = summarize(result);
    const rps = result.http.map((h) => h.closed.rps);
    return {
      label: `step ${row.step}`,
      rps: s.rps,
      rpsLow: Math.min(...rps),
      rpsHigh: Math.max(...rps),
      p50Ms: s.p50Ms,
      p99Ms: s.p99Ms,
      healthP99Ms: s.healthP99Ms,
      stale: row.stale,
    };
  });
  const first = measured[0]?.result as StepResult;
  const m = first.machine;
  const caption = `${m.cores} cores (${m.cpuModel}), Bun ${m.bun}, ${first.tool}, fib(${first.params.n}), ${first.params.vus} users, ${first.params.rounds} round(s); ${first.finishedAt.slice(0, 10)}`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, chartSvg(steps, caption, steps[0]?.label === "step 01" ? m.cores : 0));
  console.log(`chart: ${relative(process.cwd(), file) || file}`);
}

const chartFile = resolve(opts.chart ?? join(RESULTS_DIR, "bench-by-step.svg"));
const steps = listSteps();

if (mode === "compare" || mode === "all" || mode === "report") {
  let fresh: StepResult[] = [];
  const params = paramsFrom(DEFAULTS, COMPARE_ROUNDS);
  if (mode !== "report") fresh = await measure(steps, opts.solution, params, chooseTool());
  const rows = compareRows(steps, opts.solution, fresh);
  console.log(compareTable(rows));
  const sample = rows.find((r) => r.result)?.result;
  if (sample) console.log(machineLine(sample));
  console.log(pc.dim("× 01 = speedup over step 01 in req/s; eff. = speedup / cores; µs/req = a trivial request through the app vs on the main thread"));
  writeChart(rows, chartFile);
} else if (mode === "smoke") {
  // CI: every step's reference, a few seconds each. Speed is not judged here, only that every
  // scenario ran and nothing failed.
  const tool = opts.tool ? chooseTool() : autocannonTool;
  const params = paramsFrom(SMOKE, 1);
  const results = await measure(steps, true, params, tool, false); // smoke figures mean nothing: never saved
  const table = new Table({ head: ["step", "scenarios run", "requests", "errors", "status"], style: { head: [], border: [] } });
  let bad = 0;
  for (const result of results) {
    const requests = result.http.reduce(
      (sum, h) => sum + h.closed.requests + h.responsiveness.load.requests + h.responsiveness.probe.requests + h.open.requests + h.overhead.app.requests + h.overhead.main.requests,
      0,
    );
    const ran = result.http.length * 4 + result.pool.length;
    const errors = result.failure ? 0 : summarize(result).errors;
    const ok = !result.failure && errors === 0 && result.http.length > 0 && requests > 0;
    if (!ok) bad++;
    table.push([result.step, String(ran), String(requests), String(errors), ok ? "ok" : pc.red(result.failure ?? (errors ? "errors" : "no requests"))]);
  }
  console.log(table.toString());
  console.log(bad === 0 ? `bench smoke: ${results.length} steps ok` : pc.red(`bench smoke: ${bad} of ${results.length} steps failed`));
  process.exit(bad === 0 ? 0 : 1);
} else {
  const step = findStep(mode);
  if (!step) fail(`no step "${mode}". Steps: ${steps.map((s) => s.id).join(", ")}\n${USAGE}`);
  const params = paramsFrom(DEFAULTS, DEFAULTS.rounds);
  const [result] = await measure([step], opts.solution, params, chooseTool());
  if (!result || result.failure) {
    const why = result?.failure ?? "no result";
    const hint = !opts.solution && /not implemented yet|not done yet/.test(why) ? `\n       the reference: npm run bench -- ${step.id} --solution` : "";
    fail(`step ${step.id}: ${why}${hint}`, 1);
  }
  console.log(stepTable(result));
  console.log(machineLine(result));
  const errors = summarize(result).errors;
  if (errors > 0) console.log(pc.red(`${errors} requests failed: see the errors column`));
  console.log(`saved: ${relative(ROOT, join(RESULTS_DIR, `${result.step}-${result.code}${workers === undefined ? "" : `-w${workers}`}.json`))}`);
  console.log(pc.dim(`compare with the other steps: npm run bench -- report (saved) or npm run bench -- compare (re-measure all)`));
}
