// The tables the bench prints, each with a legend under it that names every column. Figures are
// rounded to what the noise allows: on a shared machine a third significant digit is rarely real.

import Table from "cli-table3";
import pc from "picocolors";
import type { StepResult } from "./config.ts";
import { NOISE_FLAG_CORES, noiseText, worstNoise, type Noise } from "./noise.ts";
import { cpuPerRequestMs, isSpeedup, pairedSpeedup } from "./ratios.ts";
import { median } from "./stats.ts";
import { isFlagged, resultLoad, resultNoise, summarize, type StepSummary } from "./summary.ts";

export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return "–";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 10 ** digits) return Math.round(value).toLocaleString("en-US");
  return Number(value.toPrecision(digits)).toString();
}
export const ms = (value: number) => (!Number.isFinite(value) ? "–" : value === 0 ? "<1 ms" : `${fmt(value)} ms`); // autocannon counts whole milliseconds
export const pct = (value: number) => (Number.isFinite(value) ? `±${fmt((value * 100) / 2, 2)}%` : "–");
export const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : "–");
/** The mark of a flagged figure, in the tables and the chart. */
export const FLAG = "⚑";

const plain = { head: [], border: [] }; // no colours in the borders: the table must read in a CI log

/** "11-25 21:40": when a row was measured (UTC, to the minute; the year is in the saved file). */
export const when = (iso: string | undefined) => (iso ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : "–");

function mid(result: StepResult, pick: (round: StepResult["http"][number]) => number): number {
  const values = result.http.map(pick).sort((a, b) => a - b);
  if (values.length === 0) return Number.NaN;
  const m = Math.floor(values.length / 2);
  return values.length % 2 ? (values[m] as number) : ((values[m - 1] as number) + (values[m] as number)) / 2;
}

/** A ratio of the pool scenario (same process, same round) flagged when it exceeds the workers or the cores. */
function poolRatio(s: StepSummary, cores: number): { text: string; flag?: string } {
  if (!s.pool) return { text: "" };
  const most = Math.min(s.pool.size, cores);
  const text = `${ratio(s.pool.heavySpeedup)} the main thread`;
  if (s.pool.heavySpeedup > most) {
    return { text: `${text} ${FLAG}`, flag: `the pool's ${ratio(s.pool.heavySpeedup)} is more than its ${most} workers on ${cores} cores can give: the main-thread half was slowed (see its noise)` };
  }
  return { text };
}

/** One step's run, one row per scenario, with its noise. */
export function stepTable(result: StepResult): string {
  const s = summarize(result);
  const cores = result.machine.cores;
  const table = new Table({ head: ["scenario", "req/s", "p50", "p99", "errors", "noise", "notes"], style: plain });
  const errorsOf = (pick: (round: StepResult["http"][number]) => number) => result.http.reduce((sum, r) => sum + pick(r), 0);
  const noiseOf = (pick: (round: StepResult["http"][number]) => Noise | undefined) => noiseText(worstNoise(result.http.map(pick), cores), cores);
  const flags: string[] = [];
  if (result.http.length > 0) {
    table.push(
      [
        `1 closed, ${result.params.vus} users, /fibonacci/${result.params.n}`,
        fmt(s.rps),
        ms(s.p50Ms),
        ms(s.p99Ms),
        errorsOf((r) => r.closed.errors),
        noiseOf((r) => r.noise?.closed),
        [serverLoad(result), result.http.length > 1 ? `spread ${pct(s.rpsSpread)}` : ""].filter(Boolean).join(", "),
      ],
      ["2 same load +", fmt(s.loadedRps), ms(mid(result, (r) => r.responsiveness.load.p50Ms)), ms(mid(result, (r) => r.responsiveness.load.p99Ms)), errorsOf((r) => r.responsiveness.load.errors), noiseOf((r) => r.noise?.responsiveness), ""],
      ["  /health probe, 1 user", fmt(mid(result, (r) => r.responsiveness.probe.rps)), ms(mid(result, (r) => r.responsiveness.probe.p50Ms)), ms(s.healthP99Ms), errorsOf((r) => r.responsiveness.probe.errors), "", "the responsiveness figure"],
      [`3 open, ${result.params.rate} req/s arrive`, fmt(mid(result, (r) => r.open.rps)), ms(mid(result, (r) => r.open.p50Ms)), ms(s.openP99Ms), errorsOf((r) => r.open.errors), noiseOf((r) => r.noise?.open), `${fmt(s.openDropped)} of ${Math.round(result.params.rate * result.params.durationSec)} dropped`],
      [`4 /fibonacci/1 via app, ${result.params.overheadConnections} conns`, fmt(s.appTrivialRps), ms(mid(result, (r) => r.overhead.app.p50Ms)), ms(mid(result, (r) => r.overhead.app.p99Ms)), errorsOf((r) => r.overhead.app.errors), noiseOf((r) => r.noise?.overhead), `+${fmt(s.overheadMicros)} µs/request`],
      ["  /health on main thread", fmt(s.mainTrivialRps), ms(mid(result, (r) => r.overhead.main.p50Ms)), ms(mid(result, (r) => r.overhead.main.p99Ms)), errorsOf((r) => r.overhead.main.errors), "", "the baseline"],
    );
  }
  if (s.pool) {
    const pr = poolRatio(s, cores);
    if (pr.flag) flags.push(pr.flag);
    table.push(
      [`5 pool of ${s.pool.size}, fib(${result.params.n}) tasks`, fmt(s.pool.poolTasksPerSec), "", "", "", noiseText(worstNoise(result.pool.map((p) => p.noise), cores), cores), pr.text],
      ["  same tasks on the main thread", fmt(s.pool.mainTasksPerSec), "", "", "", "", `trivial task: +${fmt(s.pool.micros)} µs via pool`],
    );
  }
  const lines = [table.toString()];
  if (isFlagged(result)) {
    flags.unshift(
      `${FLAG} rows measured while other processes took more than ${NOISE_FLAG_CORES} core: their figures are lower (or, for a baseline, every ratio over them higher) than the code deserves. Measure again when the machine is quiet.`,
    );
  }
  if (s.errors > 0) flags.push(`${s.errors} request(s) failed: they count in "errors", never in req/s.`);
  lines.push(...flags.map((f) => pc.yellow(f)));
  lines.push(pc.dim(stepLegend(result)));
  return lines.join("\n");
}

/** "server 1.97 cores, 38.2 ms CPU/req": how busy the server kept the machine, and what each answer cost it. */
function serverLoad(result: StepResult): string {
  const cores = result.http.map((r) => r.noise?.closed?.serverCores).filter((c): c is number => c !== undefined && c > 0);
  const costs = result.http.map(cpuPerRequestMs).filter((c): c is number => c !== undefined);
  if (cores.length === 0 || costs.length === 0) return "";
  return `server ${fmt(median(cores), 2)} cores, ${fmt(median(costs))} ms CPU/req`;
}

function stepLegend(result: StepResult): string {
  const p = result.params;
  return [
    "req/s: successful answers (2xx) per second, the median of the rounds; errors never count",
    "p50, p99: half, and 99 in 100, of the successful answers came back within this time",
    "errors: failed connections, timeouts and non-2xx answers, over all rounds",
    `noise: cores taken by other processes meanwhile (/proc/stat busy time minus the server's and the load generator's; steal shown apart); ${FLAG} over ${NOISE_FLAG_CORES}`,
    "spread: ±(highest − lowest round) / 2 / median",
    "server N cores, M ms CPU/req: the cores the server kept busy in scenario 1, and the CPU time each successful answer cost it",
    `dropped: open-model arrivals (${p.rate}/s for ${p.durationSec} s) that were never completed in the window: the server could not keep up`,
    "µs/request: 1e6/req/s(app) − 1e6/req/s(main): what one trip through the app (from step 02: a worker) adds to a request",
  ]
    .map((line) => `  ${line}`)
    .join("\n");
}

export interface CompareRow {
  result?: StepResult;
  step: string;
  stale: boolean;
  /** Why there is no result, e.g. the step is not done yet. */
  missing?: string;
}

/** Every step side by side; speedups are over step 01, paired by round within one run. */
export function compareTable(rows: CompareRow[]): string {
  const sides = new Set(rows.flatMap((r) => (r.result ? [r.result.code] : [])));
  const heading = sides.size === 1 ? (sides.has("solution") ? "the reference code (solutions/)" : "your code (steps/)") : "";
  const table = new Table({
    head: ["step", "req/s", "× 01 of ceiling", "eff.", "p99", "/health p99", "open p99", "dropped", "µs/req", "errors", "noise", "load", "date", "note"],
    style: plain,
  });
  const base = rows.find((r) => r.step === "01" && r.result && r.result.http.length > 0)?.result;
  const flags: string[] = [];
  for (const row of rows) {
    if (!row.result || row.result.http.length + row.result.pool.length === 0) {
      table.push([row.step, { colSpan: 13, content: pc.yellow(row.missing ?? row.result?.failure ?? "no result yet") }]);
      continue;
    }
    const result = row.result;
    const s: StepSummary = summarize(result);
    const cores = result.machine.cores;
    let up = "–";
    let eff = "–";
    const notes: string[] = [];
    if (base && result === base) {
      // The baseline over itself: 1.00x by definition; shown for the ceiling beside it.
      const sp = pairedSpeedup(result, base);
      if (isSpeedup(sp)) {
        up = `${ratio(1)}${Number.isFinite(sp.ceiling) ? ` of ${ratio(sp.ceiling)}` : ""}`;
        eff = `${Math.round(sp.efficiency * 100)}%`;
      }
    } else if (base && result.http.length > 0) {
      const sp = pairedSpeedup(result, base);
      if (isSpeedup(sp)) {
        if (sp.ceilingFlag && !flags.includes(`${FLAG} ${sp.ceilingFlag}`)) flags.unshift(`${FLAG} ${sp.ceilingFlag}`);
        const flagged = sp.flags.length > 0 || sp.ceilingFlag !== undefined;
        const mark = flagged ? ` ${FLAG}` : "";
        up = `${ratio(sp.value)}${Number.isFinite(sp.ceiling) ? ` of ${ratio(sp.ceiling)}` : ""}${mark}`;
        eff = `${Math.round(sp.efficiency * 100)}%${sp.efficiency > 1 || flagged ? ` ${FLAG}` : ""}`;
        if (sp.flags.length > 0) flags.push(`${FLAG} ${row.step}: ${sp.flags.join("; ")}`);
      } else {
        notes.push(sp.why.startsWith("measured in another run") ? "other run: no ratio" : sp.why);
      }
    }
    const noise = resultNoise(result);
    if (isFlagged(result) && !flags.some((f) => f.startsWith(`${FLAG} ${row.step}:`))) {
      flags.push(`${FLAG} ${row.step}: noisy: others took ${othersInWords(noise)}`);
    }
    const pr = poolRatio(s, cores);
    if (pr.flag) flags.push(`${FLAG} ${row.step}: ${pr.flag}`);
    const retried = result.http.reduce((sum, r) => sum + Math.max(0, (r.attempts ?? 1) - 1), 0);
    notes.push(
      ...[
        row.stale ? pc.yellow("STALE: code changed since") : "",
        result.workers ? `${result.workers} workers` : "",
        s.pool ? `pool ${pr.text.replace(" the main thread", " main")}` : "",
        s.rounds > 1 ? `spread ${pct(s.rpsSpread)}` : "",
        retried > 0 ? `${retried} retried` : "",
      ].filter(Boolean),
    );
    table.push([
      row.step,
      fmt(s.rps),
      up,
      eff,
      ms(s.p99Ms),
      ms(s.healthP99Ms),
      ms(s.openP99Ms),
      fmt(s.openDropped),
      fmt(s.overheadMicros),
      s.errors > 0 ? pc.red(String(s.errors)) : "0",
      noise ? noiseText(noise, cores) : "–",
      fmt(resultLoad(result), 2),
      when(result.finishedAt),
      notes.join(", "),
    ]);
  }
  const lines = [...(heading ? [heading] : []), table.toString(), ...flags.map((f) => pc.yellow(f))];
  if (rows.some((r) => r.result && !r.result.http.some((h) => h.noise))) lines.push(pc.dim("noise –: saved by an older bench, which did not measure it"));
  lines.push(pc.dim(compareLegend(rows.find((r) => r.result)?.result?.params)));
  return lines.join("\n");
}

export function compareLegend(params: Pick<StepResult["params"], "rate" | "durationSec" | "vus"> = { rate: 40, durationSec: 6, vus: 20 }): string {
  const arrivals = Math.round(params.rate * params.durationSec);
  return [
    `req/s: successful answers (2xx) per second, closed model (${params.vus} users looping); the median of the rounds; errors never count`,
    "× 01 of ceiling: req/s over step 01's, paired round by round within this run (median), next to the parallel ceiling measured in the same run (bench/parallel-ceiling.ts): 1.92x of 1.95x",
    "eff.: × 01 ÷ cores; above 100% is impossible for this CPU-bound work and is always flagged with its likely reason",
    "p99: 99 in 100 heavy requests answered within this time",
    "/health p99: the health probe's p99 while the server is saturated: the responsiveness figure",
    `open p99: the open model's p99: ${params.rate} heavy requests arrive each second whatever the server does, so a slow server's queue shows here`,
    `dropped: open-model arrivals never completed in the window (of ${arrivals}): what the server could not keep up with`,
    "µs/req: what one trip through the app adds to a trivial request (from step 02: to a worker and back)",
    "errors: failed connections, timeouts and non-2xx answers, all scenarios and rounds",
    `noise: cores other processes took while the row was measured (worst round); steal apart; ${FLAG} over ${NOISE_FLAG_CORES}`,
    "load: the 1-minute load average as the row's rounds began; it counts the bench's own work too: read noise",
    "date: when the row's last round finished (month-day, UTC)",
    `${FLAG}: read with care; each flagged row's reasons are listed above this legend (noisy rounds, speed drift, an impossible efficiency or ceiling)`,
  ]
    .map((line) => `  ${line}`)
    .join("\n");
}

/** "0.42 core" or "a load average of 3.1": how much others took, in words, for the flag lines. */
export function othersInWords(noise: Noise | undefined): string {
  if (!noise) return "an unknown share of the CPU";
  return noise.method === "proc" ? `${noise.othersCores.toFixed(2)} core` : `a load average of ${noise.loadAverage.toFixed(1)} (no /proc here: a coarse guess)`;
}
