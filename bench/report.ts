// The tables the bench prints, each with a legend under it that names every column. Figures are
// rounded to what the noise allows: on a shared machine a third significant digit is rarely real.

import Table from "cli-table3";
import pc from "picocolors";
import type { BareEntry } from "./bare-pool/pool.ts";
import type { BareRound, OverheadRound, StepResult } from "./config.ts";
import { NOISE_FLAG_CORES, noiseText, worstNoise, type Noise } from "./noise.ts";
import { cpuPerRequestMs, isSpeedup, pairedSpeedup } from "./ratios.ts";
import { median } from "./stats.ts";
import {
  bareEntryFor,
  bareFor,
  breakEven,
  isBareRatio,
  isFlagged,
  overheadRounds,
  pairedBareRatio,
  pairedCpuRatio,
  resultLoad,
  resultNoise,
  summarize,
  summarizeOverhead,
  type StepSummary,
} from "./summary.ts";

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
    head: ["step", "req/s", "× 01 of ceiling", "eff.", "p99", "/health p99", "open p99", "dropped", "µs/req", "× bare", "errors", "noise", "load", "date", "note"],
    style: plain,
  });
  const base = rows.find((r) => r.step === "01" && r.result && r.result.http.length > 0)?.result;
  const flags: string[] = [];
  /** Each measured step from 02 on, with its µs/req: the break-even line reads the last. */
  const trips: Array<{ step: string; micros: number }> = [];
  /** Steps from 02 on whose × bare is –, and why: said once under the table, not on every row. */
  const noRatio: Array<{ step: string; why: string }> = [];
  for (const row of rows) {
    if (!row.result || row.result.http.length + row.result.pool.length === 0) {
      table.push([row.step, { colSpan: 14, content: pc.yellow(row.missing ?? row.result?.failure ?? "no result yet") }]);
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
    // The round trip over the bare pool's, from step 02 on (step 01 sends nothing to a worker).
    let timesBare = "–";
    if (result.http.length > 0 && sendsToWorkers(row.step)) {
      trips.push({ step: row.step, micros: s.overheadMicros });
      const br = pairedBareRatio(overheadRounds(result), bareFor(row.step, result.bare ?? []), cores, `step ${row.step}`);
      if (isBareRatio(br)) {
        timesBare = `${ratio(br.value)}${br.flags.length > 0 ? ` ${FLAG}` : ""}`;
        if (br.flags.length > 0) addFlag(flags, row.step, br.flags.join("; "));
      } else if (result.bare !== undefined && result.bare.length > 0) {
        noRatio.push({ step: row.step, why: br.why });
      }
    }
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
      timesBare,
      s.errors > 0 ? pc.red(String(s.errors)) : "0",
      noise ? noiseText(noise, cores) : "–",
      fmt(resultLoad(result), 2),
      when(result.finishedAt),
      notes.join(", "),
    ]);
  }
  const bare = runBare(rows);
  for (const entry of BARE_ENTRIES) {
    const rounds = (bare?.rounds ?? []).filter((r) => (r.entry ?? "handle") === entry);
    if (!bare || rounds.length === 0) continue;
    const b = summarizeOverhead(rounds, bare.cores);
    if (b.noisy) flags.push(`${FLAG} bare pool (app.${entry}()): noisy: others took ${othersInWords(b.noise)}`);
    table.push([
      "bare",
      { colSpan: 7, content: bareLabel(entry) },
      fmt(b.micros),
      ratio(1),
      b.errors > 0 ? pc.red(String(b.errors)) : "0",
      b.noise ? noiseText(b.noise, bare.cores) : "–",
      fmt(median(rounds.map((r) => r.loadAtStart ?? Number.NaN).filter((v) => !Number.isNaN(v))), 2),
      when(rounds.map((r) => r.startedAt ?? "").sort().at(-1) || undefined),
      [`scenario 4 only, ${b.rounds} round(s)`, b.retried > 0 ? `${b.retried} retried` : ""].filter(Boolean).join(", "),
    ]);
  }
  const lines = [...(heading ? [heading] : []), table.toString()];
  const even = breakEvenLine(trips);
  if (even) lines.push(even);
  if (bare && bare.rounds.length === 0) lines.push(pc.yellow("the bare pool did not run in this run (it failed to start or to answer; the run's progress lines say why): no × bare"));
  lines.push(...noRatioLines(noRatio).map((l) => pc.yellow(l)));
  lines.push(...flags.map((f) => pc.yellow(f)));
  if (rows.some((r) => r.result && !r.result.http.some((h) => h.noise))) lines.push(pc.dim("noise –: saved by an older bench, which did not measure it"));
  lines.push(pc.dim(compareLegend(rows.find((r) => r.result)?.result?.params)));
  return lines.join("\n");
}

/** The bare pool's row label: what it is, that it is not a step, and whom it is measured against. */
export const BARE_LABEL = "bare pool (bench/bare-pool, a yardstick, not a step)";
export const bareLabel = (entry: BareEntry) => `${BARE_LABEL}, app.${entry}(): ${entry === "fetch" ? "for steps 08 on" : "for steps 02-07"}`;
const BARE_ENTRIES: BareEntry[] = ["handle", "fetch"];

/** Whether a step's trivial request goes through a worker: from step 02 on. */
export const sendsToWorkers = (step: string) => Number(step) >= 2;

/** "× bare –: steps 02, 04: <why>", one line per reason. */
export function noRatioLines(noRatio: ReadonlyArray<{ step: string; why: string }>): string[] {
  const byWhy = new Map<string, string[]>();
  for (const { step, why } of noRatio) byWhy.set(why, [...(byWhy.get(why) ?? []), step]);
  return [...byWhy].map(([why, steps]) => `× bare –: step${steps.length > 1 ? "s" : ""} ${steps.join(", ")}: ${why}`);
}

/** Adds a flag to the step's line under the table, or starts that line. */
function addFlag(flags: string[], step: string, text: string): void {
  const at = flags.findIndex((f) => f.startsWith(`${FLAG} ${step}: `));
  if (at >= 0) flags[at] = `${flags[at]}; ${text}`;
  else flags.push(`${FLAG} ${step}: ${text}`);
}

/**
 * The bare pool's rounds for the table's own row: those of the run most rows belong to (every
 * result of a run carries the same list). Each step's × bare uses its own run's.
 */
export function runBare(rows: readonly CompareRow[]): { rounds: BareRound[]; cores: number; runId?: string } | undefined {
  const withBare = rows.flatMap((r) => (r.result?.bare ? [r.result] : []));
  if (withBare.length === 0) return undefined;
  const count = new Map<string, number>();
  for (const r of withBare) count.set(r.runId ?? "", (count.get(r.runId ?? "") ?? 0) + 1);
  const [runId] = [...count.entries()].sort((a, b) => b[1] - a[1] || b[0].localeCompare(a[0]))[0] as [string, number];
  const chosen = withBare.find((r) => (r.runId ?? "") === runId) as StepResult;
  return { rounds: chosen.bare ?? [], cores: chosen.machine.cores, ...(chosen.runId ? { runId: chosen.runId } : {}) };
}

/**
 * The line under a table that says when offloading does not pay: a handler that runs for less
 * than one round trip costs the main thread more to send to a worker than to run itself.
 * `trips`: the measured steps from 02 on, in order; the last one's figure is the one given.
 */
export function breakEvenLine(trips: ReadonlyArray<{ step: string; micros: number }>): string | undefined {
  const last = breakEven(trips);
  if (!last) return undefined;
  if (!(last.micros > 0)) {
    return `break-even: step ${last.step}'s round trip came out at ${fmt(last.micros)} µs, within the noise: no break-even to give; measure again (npm run bench -- round-trip)`;
  }
  return `a handler shorter than about ${fmt(last.micros, 2)} µs costs more to send to a worker than to run on the main thread (X = step ${last.step}'s µs/req, the last step measured in this run)`;
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
    `× bare: µs/req over the bare pool's, paired round by round within this run (median); the bare pool (bench/bare-pool) is a pool of a few lines measured in the same run, a yardstick, not a step: 1.50x reads "each trip costs half again the bare pool's"; – for step 01 (no worker) or when a round trip came out at 0 or below`,
    "errors: failed connections, timeouts and non-2xx answers, all scenarios and rounds",
    `noise: cores other processes took while the row was measured (worst round); steal apart; ${FLAG} over ${NOISE_FLAG_CORES}`,
    "load: the 1-minute load average as the row's rounds began; it counts the bench's own work too: read noise",
    "date: when the row's last round finished (month-day, UTC)",
    `${FLAG}: read with care; each flagged row's reasons are listed above this legend (noisy rounds, speed drift, an impossible efficiency or ceiling, a × bare resting on a noisy round)`,
    "the handler line under the table: offloading pays only for a handler that runs longer than one round trip; shorter, run it on the main thread",
  ]
    .map((line) => `  ${line}`)
    .join("\n");
}

/** "0.42 core" or "a load average of 3.1": how much others took, in words, for the flag lines. */
export function othersInWords(noise: Noise | undefined): string {
  if (!noise) return "an unknown share of the CPU";
  return noise.method === "proc" ? `${noise.othersCores.toFixed(2)} core` : `a load average of ${noise.loadAverage.toFixed(1)} (no /proc here: a coarse guess)`;
}

/** One row of `npm run bench -- round-trip`: a step's scenario-4 rounds, or why it has none. */
export interface RoundTripRow {
  step: string;
  /** For the bare pool's rows: how its workers call the app. */
  entry?: BareEntry;
  rounds: OverheadRound[];
  /** Why there are no rounds: skipped (its check fails), or its server did not start. */
  missing?: string;
}

/**
 * `npm run bench -- round-trip`: scenario 4 alone, every step from 02 on and the bare pool,
 * each step's µs/req beside the bare pool's measured in the same rounds.
 */
export function roundTripTable(rows: readonly RoundTripRow[], bares: readonly RoundTripRow[], cores: number, params: Pick<StepResult["params"], "overheadConnections" | "overheadSec">): string {
  const table = new Table({ head: ["step", "trivial via pool req/s", "main-thread req/s", "µs/req", "× bare", "CPU µs/req", "of it, main thread", "CPU × bare", "noise"], style: plain });
  const flags: string[] = [];
  const trips: Array<{ step: string; micros: number }> = [];
  const noRatio: Array<{ step: string; why: string }> = [];
  /** One row; `who` names it in the flag lines under the table. */
  const line = (label: string, who: string, row: RoundTripRow, timesBare: string, cpuTimesBare: string): void => {
    if (row.rounds.length === 0) {
      table.push([label, { colSpan: 8, content: pc.yellow(row.missing ?? "not measured") }]);
      return;
    }
    const o = summarizeOverhead(row.rounds, cores);
    const cpu = o.cpuMicros === undefined ? "–" : fmt(o.cpuMicros);
    const mainCpu = o.mainCpuMicros === undefined ? "–" : fmt(o.mainCpuMicros);
    table.push([label, fmt(o.appRps), fmt(o.mainRps), fmt(o.micros), timesBare, cpu, mainCpu, cpuTimesBare, o.noise ? noiseText(o.noise, cores) : "–"]);
    if (o.errors > 0) addFlag(flags, who, `${o.errors} request(s) failed: they count in no req/s`);
    if (o.noisy) addFlag(flags, who, `noisy: others took ${othersInWords(o.noise)}`);
  };
  for (const row of rows) {
    if (row.rounds.length === 0) {
      line(row.step, row.step, row, "", "");
      continue;
    }
    trips.push({ step: row.step, micros: summarizeOverhead(row.rounds, cores).micros });
    const bare = bares.find((b) => b.entry === bareEntryFor(row.step));
    const br = pairedBareRatio(row.rounds, bare?.rounds ?? [], cores, `step ${row.step}`);
    const cpuRatio = pairedCpuRatio(row.rounds, bare?.rounds ?? []);
    line(row.step, row.step, row, isBareRatio(br) ? `${ratio(br.value)}${br.flags.length > 0 ? ` ${FLAG}` : ""}` : "–", cpuRatio === undefined ? "–" : ratio(cpuRatio));
    if (isBareRatio(br) && br.flags.length > 0) addFlag(flags, row.step, br.flags.join("; "));
    else if (!isBareRatio(br) && bare !== undefined && bare.rounds.length > 0) noRatio.push({ step: row.step, why: br.why });
  }
  for (const bare of bares) {
    const measured = bare.rounds.length > 0;
    const cpuMeasured = measured && summarizeOverhead(bare.rounds, cores).cpuMicros !== undefined;
    line(bareLabel(bare.entry ?? "handle"), `bare pool (app.${bare.entry ?? "handle"}())`, bare, measured ? ratio(1) : "", cpuMeasured ? ratio(1) : "–");
  }
  const lines = [table.toString()];
  const even = breakEvenLine(trips);
  if (even) lines.push(even);
  lines.push(...noRatioLines(noRatio).map((l) => pc.yellow(l)));
  lines.push(...flags.map((f) => pc.yellow(f)));
  lines.push(pc.dim(roundTripLegend(params)));
  return lines.join("\n");
}

export function roundTripLegend(params: Pick<StepResult["params"], "overheadConnections" | "overheadSec"> = { overheadConnections: 50, overheadSec: 3 }): string {
  return [
    `trivial via pool req/s: GET /fibonacci/1 through the app (from step 02: to a worker and back), ${params.overheadConnections} connections for ${params.overheadSec} s, the median of the rounds`,
    "main-thread req/s: the health route, answered on the main thread, the same load just after",
    "µs/req: 1e6/req/s(via pool) − 1e6/req/s(main thread): what one trip to a worker and back adds to a request on the main thread, the median of the rounds",
    "× bare: µs/req over the bare pool's (bench/bare-pool: a pool of a few lines, a yardstick, not a step), paired round by round (median); 1.50x: each trip costs half again the bare pool's",
    "CPU µs/req: the server process's CPU time (every thread: main and workers) during the trivial route, over its requests, the median of the rounds; one quotient, not a difference of two rates, so it moves less between runs; – where it cannot be read (k6, no /proc)",
    "of it, main thread: the part of CPU µs/req the server's main thread spent (Bun.serve, the pool, the conversions on the server's side); the rest is the workers' and the runtime's own threads'",
    "CPU × bare: CPU µs/req over the bare pool's, paired round by round (median); it counts the app's own work too, the same on both sides",
    `noise: cores other processes took during the worst round; ${FLAG} over ${NOISE_FLAG_CORES}; a flagged figure: measure again when the machine is quiet`,
    "the handler line: offloading pays only for a handler that runs longer than one round trip; shorter, run it on the main thread",
  ]
    .map((l) => `  ${l}`)
    .join("\n");
}
