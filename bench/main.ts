// `npm run bench -- <NN | compare | all | round-trip | smoke | report> [options]`
//
//   npm run bench -- 03                 step 03 from your files (steps/03-…), saved to bench/results/
//   npm run bench -- 03 --solution      the same with the reference (solutions/03-…)
//   npm run bench -- compare            every step, taking turns, twice; a table and a chart
//   npm run bench -- round-trip         scenario 4 alone, steps 02 on and the bare pool; saves nothing
//   npm run bench -- report             the saved results side by side, without running anything
//   npm run bench -- smoke              a few seconds per step on the references (CI): fails on errors
//
// Beside the steps, `compare`, `round-trip` and `smoke` measure the bare pool (bench/bare-pool: a
// pool of a few lines, a yardstick, not a step) with scenario 4, so that every step's round trip
// is read next to the simplest pool's, measured in the same minutes.
//
// The load comes from k6 (the scripts in bench/k6/) when `k6` is on PATH, else from autocannon.
// Every scenario records the noise: the CPU other processes took meanwhile (bench/noise.ts).

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import pc from "picocolors";
import Table from "cli-table3";
import { findStep, listSteps, ROOT, type Step } from "../tools/steps.ts";
import { progress } from "../tools/progress.ts";
import { chartSvg, type ChartCeiling, type ChartStep } from "./chart.ts";
import {
  COMPARE_RETRIES,
  COMPARE_ROUNDS,
  DEFAULTS,
  QUIET_WAIT_SEC,
  SMOKE,
  ROUND_TRIP_RETRIES,
  ROUND_TRIP_ROUNDS,
  type BareRound,
  type BenchParams,
  type CeilingRound,
  type HttpRound,
  type OverheadRound,
  type PoolRound,
  type StepResult,
} from "./config.ts";
import { checkYourStep, gateSteps } from "./learner-gate.ts";
import { autocannonTool } from "./load/autocannon.ts";
import { k6Tool, k6Version, runsTypeScript } from "./load/k6.ts";
import type { LoadTool } from "./load/tool.ts";
import { canCountNoise, isNoisy, NOISE_FLAG_CORES, noiseLevel, startNoise, worstNoise, type Noise } from "./noise.ts";
import { measureCeiling } from "./parallel-ceiling.ts";
import { isSpeedup, pairedSpeedup } from "./ratios.ts";
import { compareTable, othersInWords, roundTripTable, sendsToWorkers, stepTable, type CompareRow, type RoundTripRow } from "./report.ts";
import { chartFile, codeFingerprint, isStale, loadResult, machine, RESULTS_DIR, saveResult } from "./results.ts";
import { hasUnservedPool, httpRoundSeconds, overheadRoundSeconds, poolRoundSeconds, runHttpRound, runOverheadRound, runPoolRound } from "./runner.ts";
import type { ServerTarget } from "./server-process.ts";
import { bareEntryFor, isFlagged, summarize } from "./summary.ts";
import type { BareEntry } from "./bare-pool/pool.ts";
import { median } from "./stats.ts";

const COMMANDS = "compare, all, round-trip, report, smoke";
const USAGE = `usage: npm run bench -- <NN | compare | all | round-trip | report | smoke> [options]
  NN                 one step (01, 02, …), from your files in steps/ (once its check passes)
  compare, all       every step, taking turns round after round, with the parallel ceiling and
                     the bare pool (bench/bare-pool, a yardstick) measured in the same run;
                     table + SVG chart. Your steps that do not pass their check yet are skipped
  round-trip         only the round trip (scenario 4) of every step from 02 on and of the bare
                     pool, taking turns, ${ROUND_TRIP_ROUNDS} rounds (about 4 minutes on 2 cores); a table of
                     µs/req, × bare and the break-even handler time. Saves nothing
  report             the saved results side by side (stale ones marked); runs nothing
  smoke              every step's reference and the bare pool, a few seconds each; exit 1 on
                     any error (CI)
options:
  --solution         run the reference in solutions/ instead of your files
  --workers N        workers for the steps that take it and the bare pool (default: one per core)
  --n N              fib(n) per heavy request (default ${DEFAULTS.n})
  --vus N            closed-model users (default ${DEFAULTS.vus})
  --duration S       seconds per measured scenario (default ${DEFAULTS.durationSec})
  --warmup S         seconds of warm-up (default ${DEFAULTS.warmupSec})
  --rate R           open-model arrivals per second (default ${DEFAULTS.rate})
  --rounds N         measurements per step (default ${DEFAULTS.rounds}; compare: ${COMPARE_ROUNDS}; round-trip: ${ROUND_TRIP_ROUNDS})
  --retries N        measure a round again, up to N times, when others took more than
                     ${NOISE_FLAG_CORES} core during it (default: compare ${COMPARE_RETRIES}, round-trip ${ROUND_TRIP_RETRIES}, one step 0)
  --tool k6|autocannon   force a load tool (default: k6 v0.57+ when on PATH)
  --chart FILE       where compare/report writes the SVG (default bench/results/bench-by-step-<yours|solution>.svg)
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
      retries: { type: "string" },
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
const cores = navigator.hardwareConcurrency;

/** k6 (v0.57+, which runs the TypeScript scripts as they are) when installed, else autocannon, said once. */
function chooseTool(): LoadTool {
  const version = k6Version();
  const usable = version !== undefined && runsTypeScript(version);
  if (opts.tool === "k6") {
    if (!version) fail("--tool k6: k6 is not on PATH. Install it (https://grafana.com/docs/k6/latest/set-up/install-k6/) or drop --tool.");
    if (!usable) fail(`--tool k6: k6 ${version} cannot run TypeScript scripts as they are (v0.57 and later can). Upgrade k6, or drop --tool.`);
    return k6Tool(version);
  }
  if (opts.tool !== undefined && opts.tool !== "autocannon") fail(`--tool must be k6 or autocannon, got "${opts.tool}"`);
  if (opts.tool === undefined && usable) return k6Tool(version);
  if (opts.tool === undefined && version) {
    console.error(pc.yellow(`k6 ${version} is older than v0.57 and cannot run the TypeScript scripts in bench/k6/ as they are: using ${autocannonTool.name}. Upgrade k6 to use it.`));
  } else if (opts.tool === undefined) {
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

function emptyResult(step: Step, solution: boolean, tool: LoadTool, params: BenchParams, runId: string): StepResult {
  return {
    step: step.id,
    slug: step.slug,
    code: solution ? "solution" : "yours",
    ...(workers === undefined ? {} : { workers }),
    fingerprint: codeFingerprint(step, solution),
    runId,
    finishedAt: "",
    machine: machine(),
    tool: tool.name,
    params,
    http: [],
    pool: [],
  };
}

interface MeasureOptions {
  /** Save each result under its side's name (never for smoke). */
  save: boolean;
  /** Retries per noisy round. */
  retries: number;
  /** Measure the parallel ceiling in each round (compare). */
  ceiling: boolean;
  /** Measure the bare pool's round trip (scenario 4) in each round, next to the ceiling (compare, smoke). */
  bare: boolean;
  /** For your code: what each step's check said. */
  checked?: Map<string, string>;
}

const say = (line: string) => console.error(pc.yellow(line));

/**
 * Before a retry: waits (at most QUIET_WAIT_SEC) for two quiet seconds in a row. Resolves
 * with true when they came; false when the machine stayed busy, and then a retry would only
 * measure the same noise again.
 */
async function waitForQuiet(): Promise<boolean> {
  if (!canCountNoise()) return true; // the load average cannot tell a quiet moment from a busy one
  const bar = progress(`waiting up to ${QUIET_WAIT_SEC} s for the machine to quiet down`);
  const end = performance.now() + QUIET_WAIT_SEC * 1000;
  let last: Noise | undefined;
  while (performance.now() < end && !abort.signal.aborted) {
    const meter = startNoise();
    await Bun.sleep(2000);
    last = meter.stop();
    if (!isNoisy(last, cores)) {
      bar.done(`the machine is quiet again (others ${othersInWords(last)})`, true);
      return true;
    }
    bar.update(`waiting for the machine to quiet down: others still take ${othersInWords(last)}`);
  }
  bar.done(`the machine stayed busy (others ${othersInWords(last)})`, false);
  return false;
}

/** How retries are spent over a run: once a wait for quiet fails, the noise is lasting and retrying stops. */
interface RetryState {
  stopped: boolean;
  used: number;
}

/**
 * Measures `attempt` once, and again (at most `retries` times) while others took more than
 * NOISE_FLAG_CORES during it; keeps the least noisy attempt and says each retry.
 */
async function withRetries<T>(what: string, retries: number, state: RetryState, attempt: () => Promise<T>, noiseOf: (value: T) => Noise | undefined): Promise<{ value: T; attempts: number }> {
  let best = await attempt();
  let attempts = 1;
  const level = (value: T) => noiseLevel(noiseOf(value), cores);
  while (isNoisy(noiseOf(best), cores) && attempts <= retries) {
    if (state.stopped) break;
    say(`${what}: other processes took ${othersInWords(noiseOf(best))} (more than ${NOISE_FLAG_CORES}): measuring it again (retry ${attempts} of ${retries})`);
    if (!(await waitForQuiet())) {
      state.stopped = true;
      say(`${what}: the machine stays busy, so no more retries in this run: the flagged rows stay flagged`);
      break;
    }
    exitIfAborted();
    const next = await attempt();
    attempts++;
    state.used++;
    if (level(next) < level(best)) best = next;
  }
  return { value: best, attempts };
}

/** What `measure` found: every step's result, and the bare pool's rounds when it was asked for. */
interface Measured {
  results: StepResult[];
  bare: BareRound[];
  /** Why the bare pool could not be measured (its first failure; it is not tried again). */
  bareFailure?: string;
}

/** The first line of an error's message: a clear one-liner, never a stack. */
const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split("\n")[0] || "failed";

/** The ways the steps that send work to a worker call the app: one bare pool is measured for each. */
function bareEntries(steps: readonly Step[]): BareEntry[] {
  return [...new Set(steps.filter((step) => sendsToWorkers(step.id)).map((step) => bareEntryFor(step.id)))];
}

/** Runs the given steps for `params.rounds` rounds, taking turns: forwards, then backwards, … */
async function measure(steps: Step[], solution: boolean, params: BenchParams, tool: LoadTool, options: MeasureOptions): Promise<Measured> {
  const runId = new Date().toISOString();
  const results = steps.map((step) => ({ ...emptyResult(step, solution, tool, params, runId), ...(options.checked?.has(step.id) ? { checked: options.checked.get(step.id) } : {}) }));
  const ceilings: CeilingRound[] = [];
  const bare: BareRound[] = [];
  let bareFailure: string | undefined;
  const retryState: RetryState = { stopped: false, used: 0 };
  const perScriptWarmup = tool.name.startsWith("k6");
  const stepSeconds = (step: Step) =>
    httpRoundSeconds(params, perScriptWarmup) + (hasUnservedPool(solution ? step.solutionDir : step.dir) ? poolRoundSeconds(params) : 0);
  // One bare pool per way the measured steps call the app (bench/summary.ts bareEntryFor).
  const entries = options.bare ? bareEntries(steps) : [];
  const bareSeconds = entries.length * overheadRoundSeconds(params);
  let remaining = params.rounds * (bareSeconds + steps.reduce((sum, step) => sum + stepSeconds(step), 0));
  for (let round = 0; round < params.rounds; round++) {
    const label = `round ${round + 1}/${params.rounds}`;
    if (options.ceiling) {
      // The machine's own ceiling, in the same minutes as the steps it bounds.
      const bar = progress(`parallel ceiling · ${label} · fib(${params.n}) in 1 process, then ${cores} at once`);
      try {
        const { value, attempts } = await withRetries(`the parallel ceiling, ${label}`, options.retries, retryState, () => measureCeiling({ n: params.n, processes: cores, signal: abort.signal }, round), (c) => c.noise);
        ceilings.push({ ...value, attempts });
        bar.done(`parallel ceiling · ${label} · ${value.ratio.toFixed(2)}x`, true);
      } catch (error) {
        exitIfAborted();
        bar.done(`parallel ceiling · ${label}: ${(error as Error).message}`, false);
      }
    }
    exitIfAborted();
    for (const entry of entries) {
      // The yardstick, in the same minutes: the bare pool's round trip, scenario 4 alone.
      remaining -= bareSeconds / entries.length;
      if (bareFailure !== undefined) continue;
      try {
        const { value, attempts } = await withRetries(
          `the bare pool (app.${entry}()), ${label}`,
          options.retries,
          retryState,
          () => runOverheadRound({ target: { bare: true, entry }, workers, port, params, tool, signal: abort.signal, label, round, laterSec: remaining }),
          (b) => b.noise,
        );
        bare.push({ ...value, attempts, entry });
      } catch (error) {
        exitIfAborted();
        bareFailure = firstLine(error);
      }
    }
    // Alternating the order spreads the machine's drift (a neighbour's build, thermal limits)
    // over every step instead of loading it onto whichever step comes last.
    const order = round % 2 === 0 ? results : [...results].reverse();
    for (const result of order) {
      exitIfAborted(); // a Ctrl-C during the last scenario of the step before: start no other server
      const step = steps.find((s) => s.id === result.step) as Step;
      remaining -= stepSeconds(step);
      if (result.failure) continue;
      const run = { step, solution, workers, port, params, tool, signal: abort.signal, label, round, laterSec: remaining };
      const hasPool = hasUnservedPool(solution ? step.solutionDir : step.dir);
      try {
        const { value, attempts } = await withRetries(
          `step ${step.id}, ${label}`,
          options.retries,
          retryState,
          async () => {
            const http: HttpRound = await runHttpRound(run, perScriptWarmup);
            const pool: PoolRound | undefined = hasPool ? await runPoolRound(run) : undefined;
            return { http, pool };
          },
          ({ http, pool }) => worstNoise([http.noise?.closed, http.noise?.responsiveness, http.noise?.open, http.noise?.overhead, pool?.noise], cores),
        );
        result.http.push({ ...value.http, attempts });
        if (value.pool) result.pool.push(value.pool);
        result.finishedAt = new Date().toISOString(); // each row's own time: steps are measured minutes apart
      } catch (error) {
        exitIfAborted();
        result.failure = (error as Error).message.split("\n")[0] ?? "failed";
      }
    }
  }
  exitIfAborted();
  if (retryState.used > 0) say(`retried ${retryState.used} noisy round(s) in this run`);
  for (const result of results) {
    if (!result.finishedAt) result.finishedAt = new Date().toISOString();
    if (options.ceiling) result.ceiling = ceilings;
    if (options.bare) result.bare = bare;
    if (options.save && !result.failure) saveResult(result);
  }
  return { results, bare, ...(bareFailure === undefined ? {} : { bareFailure }) };
}

/**
 * `round-trip`: scenario 4 alone for every target (the steps, then the bare pool), round after
 * round, taking turns (forwards, then backwards), each round with its own server and warm-up.
 * Nothing is saved.
 */
async function measureRoundTrips(steps: Step[], solution: boolean, params: BenchParams, tool: LoadTool, retries: number): Promise<{ rows: RoundTripRow[]; bares: RoundTripRow[] }> {
  const stepTargets: Array<{ row: RoundTripRow; target: ServerTarget }> = steps.map((step) => ({ row: { step: step.id, rounds: [] as OverheadRound[] }, target: { step: step.id, solution } }));
  const bareTargets: Array<{ row: RoundTripRow; target: ServerTarget }> = bareEntries(steps).map((entry) => ({
    row: { step: "bare", entry, rounds: [] as OverheadRound[] },
    target: { bare: true as const, entry },
  }));
  const targets = [...stepTargets, ...bareTargets];
  const retryState: RetryState = { stopped: false, used: 0 };
  const each = overheadRoundSeconds(params);
  let remaining = params.rounds * targets.length * each;
  for (let round = 0; round < params.rounds; round++) {
    const label = `round ${round + 1}/${params.rounds}`;
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const { row, target } of order) {
      exitIfAborted();
      remaining -= each;
      if (row.missing) continue;
      try {
        const { value, attempts } = await withRetries(
          `${"bare" in target ? `the bare pool (app.${target.entry}())` : `step ${row.step}`}, ${label}`,
          retries,
          retryState,
          () => runOverheadRound({ target, workers, port, params, tool, signal: abort.signal, label, round, laterSec: remaining }),
          (r) => r.noise,
        );
        row.rounds.push({ ...value, attempts });
      } catch (error) {
        exitIfAborted();
        row.missing = `did not run: ${firstLine(error)}`;
        row.rounds = [];
      }
    }
  }
  exitIfAborted();
  if (retryState.used > 0) say(`retried ${retryState.used} noisy round(s) in this run`);
  return { rows: stepTargets.map((t) => t.row), bares: bareTargets.map((t) => t.row) };
}

function machineLine(result: StepResult): string {
  const m = result.machine;
  const p = result.params;
  const noise = canCountNoise()
    ? `noise counted from /proc/stat`
    : `no /proc/stat on ${process.platform}: the noise column is the load average, a coarse guess that counts the bench's own threads too`;
  return pc.dim(
    `${m.cores} cores, ${m.cpuModel}, Bun ${m.bun}, ${m.platform}${m.loadAverage === undefined ? "" : `, load average ${m.loadAverage} at start`}; ${result.tool}; n=${p.n}, ${p.vus} users, ${p.durationSec} s per scenario, ` +
      `${p.warmupSec} s warm-up, open model ${p.rate} req/s, ${p.rounds} round(s); ${noise}`,
  );
}

function writeChart(rows: CompareRow[], file: string): void {
  const measured = rows.filter((r) => r.result && r.result.http.length > 0);
  if (measured.length === 0) return;
  const base = measured.find((r) => r.step === "01")?.result;
  const steps: ChartStep[] = measured.map((row) => {
    const result = row.result as StepResult;
    const s = summarize(result);
    const rps = result.http.map((h) => h.closed.rps);
    const sp = base ? pairedSpeedup(result, base) : undefined;
    return {
      label: row.step,
      rps: s.rps,
      rpsLow: Math.min(...rps),
      rpsHigh: Math.max(...rps),
      p50Ms: s.p50Ms,
      p99Ms: s.p99Ms,
      healthP99Ms: s.healthP99Ms,
      stale: row.stale,
      flagged: isFlagged(result) || (sp !== undefined && isSpeedup(sp) && (sp.flags.length > 0 || sp.ceilingFlag !== undefined)),
    };
  });
  const first = measured[0]?.result as StepResult;
  const m = first.machine;
  const ceilingRatios = (base?.ceiling ?? []).map((c) => c.ratio);
  const ceiling: ChartCeiling | undefined =
    steps[0]?.label !== "01" ? undefined : ceilingRatios.length > 0 ? { ratio: median(ceilingRatios), measured: true } : m.cores > 1 ? { ratio: m.cores, measured: false } : undefined;
  const who = first.code === "solution" ? "reference code" : "your code";
  const caption = `${who}; ${m.cores} cores (${m.cpuModel}), Bun ${m.bun}, ${first.tool}, fib(${first.params.n}), ${first.params.vus} users, ${first.params.rounds} round(s); ${first.finishedAt.slice(0, 10)}`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, chartSvg(steps, caption, ceiling));
  console.log(`chart: ${relative(process.cwd(), file) || file}`);
}

const steps = listSteps();
const side: StepResult["code"] = opts.solution ? "solution" : "yours";
const chartPath = resolve(opts.chart ?? chartFile(side));

/** Your steps that pass their check; the others are said, one line each, and left alone. */
async function yourPassingSteps(wanted: Step[]): Promise<{ pass: Step[]; checked: Map<string, string>; skipped: Map<string, string> }> {
  const bar = progress(`checking your steps first (npm start -- check NN): only a step that passes is measured`);
  const gate = await gateSteps(wanted, checkYourStep, (step, outcome) => bar.update(`checked step ${step.id}: ${outcome.ok ? "passes" : "not yet"}`));
  bar.done(`checked your steps: ${gate.pass.map((p) => p.step.id).join(", ") || "none"} pass${gate.pass.length === 1 ? "es" : ""}`, true);
  for (const s of gate.skipped) say(s.line);
  return {
    pass: gate.pass.map((p) => p.step),
    checked: new Map(gate.pass.map((p) => [p.step.id, p.detail])),
    skipped: new Map(gate.skipped.map((s) => [s.step.id, s.cell])),
  };
}

if (mode === "compare" || mode === "all" || mode === "report") {
  let rows: CompareRow[];
  if (mode === "report") {
    rows = steps.map((step) => {
      const saved = loadResult(step.id, side, workers);
      if (saved) return { step: step.id, result: saved, stale: isStale(saved, codeFingerprint(step, opts.solution)) };
      return { step: step.id, stale: false, missing: `no saved result for ${opts.solution ? "the reference" : "your code"}: npm run bench -- ${step.id}${opts.solution ? " --solution" : ""}` };
    });
  } else {
    const params = paramsFrom(DEFAULTS, COMPARE_ROUNDS);
    const retries = number(opts.retries, "retries", COMPARE_RETRIES, 0);
    let measureSteps = steps;
    let checked: Map<string, string> | undefined;
    let skipped = new Map<string, string>();
    if (!opts.solution) ({ pass: measureSteps, checked, skipped } = await yourPassingSteps(steps));
    const tool = chooseTool();
    const fresh = measureSteps.length > 0 ? (await measure(measureSteps, opts.solution, params, tool, { save: true, retries, ceiling: true, bare: true, checked })).results : [];
    rows = steps.map((step) => {
      const now = fresh.find((r) => r.step === step.id);
      if (now && !now.failure) return { step: step.id, result: now, stale: false };
      return { step: step.id, stale: false, missing: skipped.get(step.id) ?? `did not run: ${now?.failure ?? "not measured"}` };
    });
  }
  console.log(compareTable(rows));
  const sample = rows.find((r) => r.result)?.result;
  if (sample) console.log(machineLine(sample));
  writeChart(rows, chartPath);
  if (mode === "report") console.log(pc.dim(`saved in ${relative(process.cwd(), RESULTS_DIR)}/ (${side}); re-measure every step in one run: npm run bench -- compare${opts.solution ? " --solution" : ""}`));
} else if (mode === "smoke") {
  // CI: every step's reference, a few seconds each. Speed is not judged here, only that every
  // scenario ran and nothing failed.
  const tool = opts.tool ? chooseTool() : autocannonTool;
  const params = paramsFrom(SMOKE, 1);
  const { results, bare, bareFailure } = await measure(steps, true, params, tool, { save: false, retries: 0, ceiling: false, bare: true }); // smoke figures mean nothing: never saved
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
  // The bare pool (bench/bare-pool): started, loaded with scenario 4, stopped, like a step.
  const bareRequests = bare.reduce((sum, b) => sum + b.app.requests + b.main.requests, 0);
  const bareErrors = bare.reduce((sum, b) => sum + b.app.errors + b.main.errors, 0);
  const bareOk = bareFailure === undefined && bareErrors === 0 && bare.length > 0 && bareRequests > 0;
  table.push(["bare", String(bare.length), String(bareRequests), String(bareErrors), bareOk ? "ok" : pc.red(bareFailure ?? (bareErrors ? "errors" : "no requests"))]);
  console.log(table.toString());
  const failed = bad + (bareOk ? 0 : 1);
  const all = results.length + 1;
  console.log(failed === 0 ? `bench smoke: ${results.length} steps and the bare pool ok` : pc.red(`bench smoke: ${failed} of ${all} (${results.length} steps and the bare pool) failed`));
  process.exit(failed === 0 ? 0 : 1);
} else if (mode === "round-trip") {
  // The round trip alone: quick enough to run after each step, and the figure the break-even
  // handler time comes from. Nothing is saved: the full results in bench/results/ stay as they were.
  const params = paramsFrom(DEFAULTS, ROUND_TRIP_ROUNDS);
  const retries = number(opts.retries, "retries", ROUND_TRIP_RETRIES, 0);
  const wanted = steps.filter((step) => sendsToWorkers(step.id));
  let measureSteps = wanted;
  let skipped = new Map<string, string>();
  if (!opts.solution) ({ pass: measureSteps, skipped } = await yourPassingSteps(wanted));
  const tool = chooseTool();
  const { rows: measured, bares } = await measureRoundTrips(measureSteps, opts.solution, params, tool, retries);
  const rows: RoundTripRow[] = wanted.map(
    (step) => measured.find((r) => r.step === step.id) ?? { step: step.id, rounds: [], missing: skipped.get(step.id) ?? "not measured" },
  );
  const m = machine();
  console.log(`round trip (scenario 4 alone), ${opts.solution ? "the reference code (solutions/)" : "your code (steps/)"}, ${params.rounds} round(s), the bare pool in the same run`);
  console.log(roundTripTable(rows, bares, m.cores, params));
  console.log(
    pc.dim(
      `${m.cores} cores, ${m.cpuModel}, Bun ${m.bun}, ${m.platform}; ${tool.name}; ${params.overheadConnections} connections, ${params.overheadSec} s each half, ${params.warmupSec} s warm-up, ${params.rounds} round(s). ` +
        `Nothing saved (bench/results/ is left as it was); the full run: npm run bench -- compare${opts.solution ? " --solution" : ""}`,
    ),
  );
  const failures = [...rows, ...bares].filter((r) => r.rounds.length === 0 && !skipped.has(r.step));
  if (failures.length > 0) process.exit(1);
} else {
  const step = findStep(mode);
  if (!step) fail(`no step or command "${mode}". Steps: ${steps.map((s) => s.id).join(", ")}; commands: ${COMMANDS}\n${USAGE}`);
  let checked: Map<string, string> | undefined;
  if (!opts.solution) {
    const gate = await yourPassingSteps([step]);
    if (gate.pass.length === 0) process.exit(1);
    checked = gate.checked;
  }
  const params = paramsFrom(DEFAULTS, DEFAULTS.rounds);
  const retries = number(opts.retries, "retries", 0, 0);
  const [result] = (await measure([step], opts.solution, params, chooseTool(), { save: true, retries, ceiling: false, bare: false, checked })).results;
  if (!result || result.failure) {
    const why = result?.failure ?? "no result";
    const hint = !opts.solution && /not implemented yet|not done yet/.test(why) ? `\n       the reference: npm run bench -- ${step.id} --solution` : "";
    fail(`step ${step.id}: ${why}${hint}`, 1);
  }
  console.log(stepTable(result));
  console.log(machineLine(result));
  console.log(`saved: ${relative(ROOT, join(RESULTS_DIR, `${result.step}-${result.code}${workers === undefined ? "" : `-w${workers}`}.json`))}`);
  console.log(pc.dim(`speedups exist only between rows of one run: npm run bench -- compare${opts.solution ? " --solution" : ""} measures every step, and the ceiling, together`));
}
