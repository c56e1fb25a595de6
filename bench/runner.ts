// One round of a step's benchmark: start its server in a child process, warm it up, run the
// scenarios one after the other, stop it. And, for a step whose pool has no server yet
// (step 03), the pool scenario in a child process of its own. And scenario 4 alone, with its own
// server and warm-up: the bare pool beside the steps (compare), and `npm run bench -- round-trip`.
//
// Every measured scenario is bracketed by a noise measurement (bench/noise.ts): the CPU that
// processes other than the server and the load generator took meanwhile.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { progress } from "../tools/progress.ts";
import { ROOT, type Step } from "../tools/steps.ts";
import { loadavg } from "node:os";
import type { BenchParams, HttpNoise, HttpRound, OverheadRound, PoolRound } from "./config.ts";
import { HEALTH_PATH, healthPathFor, TRIVIAL_PATH, type LoadTool } from "./load/tool.ts";
import { mainThreadCpuMs, processCpuMs, startNoise } from "./noise.ts";
import { isBare, startServerProcess, type ServerProcess, type ServerTarget } from "./server-process.ts";

export interface RunOptions {
  step: Step;
  solution: boolean;
  workers?: number;
  port?: number;
  params: BenchParams;
  tool: LoadTool;
  signal: AbortSignal;
  /** e.g. "round 1/2": shown in the progress line. */
  label: string;
  /** Which round of the run this is (0, 1, …): rows of one run are paired by it. */
  round: number;
  /** Seconds of load still planned after this step's round, for the "time left" shown. */
  laterSec: number;
}

/** Seconds of load one HTTP round takes (the scenarios are sequential). */
export function httpRoundSeconds(p: BenchParams, perScriptWarmup: boolean): number {
  const scripts = 4;
  const warmups = perScriptWarmup ? scripts * p.warmupSec : p.warmupSec;
  return warmups + 3 * p.durationSec + 2 * p.overheadSec;
}

/** Seconds of load scenario 4 alone takes, with its warm-up (k6 warms up inside the script: the same time). */
export function overheadRoundSeconds(p: BenchParams): number {
  return p.warmupSec + 2 * p.overheadSec;
}

/** Seconds the pool scenario takes: two halves, heavy and trivial tasks, each on the pool and the main thread. */
export function poolRoundSeconds(p: BenchParams): number {
  return 4 * poolSeconds(p);
}
const poolSeconds = (p: BenchParams) => Math.max(1, p.durationSec / 2);

/**
 * A step gets the pool scenario when it has a pool its server does not use yet: then the pool
 * is the step's new idea, and requests per second cannot show it.
 */
export function hasUnservedPool(dir: string): boolean {
  const pool = join(dir, "pool.ts");
  const server = join(dir, "server.ts");
  return existsSync(pool) && !(existsSync(server) && readFileSync(server, "utf8").includes("./pool.ts"));
}

/** How the progress lines name what runs: "step 04 (reference)", "bare pool (bench/bare-pool)". */
export function targetName(target: ServerTarget): string {
  return isBare(target) ? `bare pool (bench/bare-pool, app.${target.entry ?? "handle"}())` : `step ${target.step} (${target.solution ? "reference" : "your code"})`;
}

/** Shows which scenario runs and how long is left, every half second, until `done`. */
async function phase<T>(who: string, label: string, name: string, seconds: number, remainingAfter: number, work: () => Promise<T>): Promise<T> {
  const head = `${who} · ${label} · ${name}`;
  const bar = progress(head);
  const end = performance.now() + seconds * 1000;
  const tick = () => {
    const left = Math.max(0, (end - performance.now()) / 1000);
    bar.update(`${head} · ${Math.ceil(left)} s left (about ${Math.ceil(left + remainingAfter)} s in all)`);
  };
  tick();
  const timer = setInterval(tick, 500);
  try {
    const value = await work();
    bar.done(`${head}`, true);
    return value;
  } catch (error) {
    bar.done(`${head}: ${(error as Error).message.split("\n")[0]}`, false);
    throw error;
  } finally {
    clearInterval(timer);
  }
}

/**
 * Waits until the server has worked through what the last scenario left queued. A load tool
 * that stops closes its connections, but the server still computes every heavy request it had
 * already accepted (nothing cancels a running fib), and the next scenario would measure that
 * backlog instead of itself. A few trivial requests join the back of the same queue (the pool's
 * FIFO, or step 01's one thread): when they answer, everything queued before them has started.
 */
async function settle(base: URL, signal: AbortSignal): Promise<void> {
  const timeout = AbortSignal.any([signal, AbortSignal.timeout(120_000)]);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      const response = await fetch(new URL(TRIVIAL_PATH, base), { signal: timeout });
      await response.arrayBuffer();
    }),
  );
}

export async function runHttpRound(opts: RunOptions, perScriptWarmup: boolean): Promise<HttpRound> {
  const { tool, signal } = opts;
  const p = { ...opts.params, healthPath: healthPathFor(opts.step.id) };
  const w = perScriptWarmup ? p.warmupSec : 0;
  const startedAt = new Date().toISOString();
  const loadAtStart = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const who = targetName({ step: opts.step.id, solution: opts.solution });
  const start = await phase(who, opts.label, "starting the server", 0, httpRoundSeconds(p, perScriptWarmup) + opts.laterSec, () =>
    startServerProcess({ step: opts.step.id, solution: opts.solution, workers: opts.workers, port: opts.port }),
  );
  const stopOnAbort = () => void start.stop();
  signal.addEventListener("abort", stopOnAbort, { once: true });
  try {
    let left = httpRoundSeconds(p, perScriptWarmup) + opts.laterSec;
    const noise: HttpNoise = {};
    const timed = async <T>(name: string, seconds: number, work: () => Promise<T>, scenario?: keyof HttpNoise): Promise<T> => {
      left -= seconds;
      // k6 warms up inside its script, so its window includes the warm-up: the same machine, a few seconds more.
      const meter = startNoise(start.pid);
      const value = await phase(who, opts.label, name, seconds, left, work);
      if (scenario) noise[scenario] = meter.stop();
      await settle(start.url, signal);
      return value;
    };
    if (!perScriptWarmup) await timed("warm-up", p.warmupSec, () => tool.warmup(start.url, p, signal));
    const closed = await timed(`1 closed model, ${p.vus} users`, w + p.durationSec, () => tool.closed(start.url, p, signal), "closed");
    const responsiveness = await timed("2 same load + /health probe", w + p.durationSec, () => tool.responsiveness(start.url, p, signal), "responsiveness");
    const open = await timed(`3 open model, ${p.rate} req/s`, w + p.durationSec, () => tool.open(start.url, p, signal), "open");
    const overhead = await timed("4 trivial route: app vs main thread", w + 2 * p.overheadSec, () => tool.overhead(start.url, p, signal, () => processCpuMs(start.pid), () => mainThreadCpuMs(start.pid)), "overhead");
    return { round: opts.round, startedAt, loadAtStart, noise, closed, responsiveness, open, overhead };
  } finally {
    signal.removeEventListener("abort", stopOnAbort);
    await start.stop();
  }
}

export async function runPoolRound(opts: RunOptions): Promise<PoolRound> {
  const { params: p, signal } = opts;
  const dir = opts.solution ? opts.step.solutionDir : opts.step.dir;
  return phase(targetName({ step: opts.step.id, solution: opts.solution }), opts.label, "5 pool tasks/s vs main thread", poolRoundSeconds(p) + 1, opts.laterSec, async () => {
    // The child is both the pool and its load: all of it is the bench's own tree.
    const meter = startNoise();
    const size = opts.workers ?? navigator.hardwareConcurrency;
    const child = Bun.spawn([process.execPath, join(ROOT, "bench/pool-bench.ts"), dir, String(p.n), String(poolSeconds(p)), String(size)], {
      cwd: ROOT,
      stdout: "pipe",
      stderr: "pipe",
    });
    const kill = () => child.kill("SIGTERM");
    signal.addEventListener("abort", kill, { once: true });
    try {
      const [code, out, err] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
      if (signal.aborted) throw new Error("aborted");
      if (code !== 0) {
        // Bun prints the source around a throw, then `error: <message>`: keep the message.
        const lines = err.trim().split("\n");
        const message = (lines.find((line) => line.startsWith("error:")) ?? lines.at(-1) ?? "").replace(/^error: /, "");
        throw new Error(`the pool did not run: ${message || `exit code ${code}`}`);
      }
      const figures = JSON.parse(out.trim().split("\n").at(-1) ?? "") as PoolRound;
      return { ...figures, round: opts.round, noise: meter.stop() };
    } finally {
      signal.removeEventListener("abort", kill);
    }
  });
}

export interface OverheadRunOptions {
  /** A step's server, or the bare pool. */
  target: ServerTarget;
  workers?: number;
  port?: number;
  params: BenchParams;
  tool: LoadTool;
  signal: AbortSignal;
  /** e.g. "round 1/3": shown in the progress line. */
  label: string;
  round: number;
  /** Seconds of load still planned after this round, for the "time left" shown. */
  laterSec: number;
}

/**
 * Scenario 4 alone: start the target's server, warm it up (as every round does, with the same
 * tool), let it finish what the warm-up queued, then a trivial route through the app and the
 * main thread's health route, 50 connections each, with the noise measured meanwhile; stop it.
 */
export async function runOverheadRound(opts: OverheadRunOptions): Promise<OverheadRound> {
  const { tool, signal, target } = opts;
  const p = { ...opts.params, healthPath: isBare(target) ? HEALTH_PATH : healthPathFor(target.step) };
  const who = targetName(target);
  const total = overheadRoundSeconds(p);
  const startedAt = new Date().toISOString();
  const loadAtStart = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const start: ServerProcess = await phase(who, opts.label, "starting the server", 0, total + opts.laterSec, () =>
    startServerProcess({ ...target, workers: opts.workers, port: opts.port }),
  );
  const stopOnAbort = () => void start.stop();
  signal.addEventListener("abort", stopOnAbort, { once: true });
  try {
    // k6's overhead script warms up inside itself; autocannon gets the bench's usual warm-up first.
    const perScriptWarmup = tool.name.startsWith("k6");
    if (!perScriptWarmup) {
      await phase(who, opts.label, "warm-up", p.warmupSec, 2 * p.overheadSec + opts.laterSec, () => tool.warmup(start.url, p, signal));
      await settle(start.url, signal);
    }
    const meter = startNoise(start.pid);
    const { app, main } = await phase(who, opts.label, "4 trivial route: app vs main thread", (perScriptWarmup ? p.warmupSec : 0) + 2 * p.overheadSec, opts.laterSec, async () => {
      const figures = await tool.overhead(start.url, p, signal, () => processCpuMs(start.pid), () => mainThreadCpuMs(start.pid));
      // A load tool stopped by Ctrl-C hands back its partial figures: they are not a round.
      if (signal.aborted) throw new Error("aborted");
      return figures;
    });
    return { round: opts.round, startedAt, loadAtStart, noise: meter.stop(), app, main };
  } finally {
    signal.removeEventListener("abort", stopOnAbort);
    await start.stop();
  }
}
