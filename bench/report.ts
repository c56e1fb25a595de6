// The tables the bench prints. Figures are rounded to what the noise allows: on a shared
// machine a third significant digit is rarely real.

import Table from "cli-table3";
import pc from "picocolors";
import type { StepResult } from "./config.ts";
import { efficiency, speedup } from "./stats.ts";
import { summarize, type StepSummary } from "./summary.ts";

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

const plain = { head: [], border: [] }; // no colours in the borders: the table must read in a CI log

/** One step's run, one row per scenario. */
export function stepTable(result: StepResult): string {
  const s = summarize(result);
  const table = new Table({ head: ["scenario", "req/s", "p50", "p99", "errors", "notes"], style: plain });
  const last = result.http.at(-1);
  if (last) {
    table.push(
      ["1 closed, " + result.params.vus + " users, /fibonacci/" + result.params.n, fmt(s.rps), ms(s.p50Ms), ms(s.p99Ms), String(last.closed.errors), result.http.length > 1 ? `spread ${pct(s.rpsSpread)}` : ""],
      ["2 same load +", fmt(s.loadedRps), ms(mid(result, (r) => r.responsiveness.load.p50Ms)), ms(mid(result, (r) => r.responsiveness.load.p99Ms)), String(last.responsiveness.load.errors), ""],
      ["  /health probe, 1 user", fmt(mid(result, (r) => r.responsiveness.probe.rps)), ms(mid(result, (r) => r.responsiveness.probe.p50Ms)), ms(s.healthP99Ms), String(last.responsiveness.probe.errors), "the responsiveness figure"],
      [`3 open, ${result.params.rate} req/s arrive`, fmt(mid(result, (r) => r.open.rps)), ms(mid(result, (r) => r.open.p50Ms)), ms(s.openP99Ms), String(last.open.errors), `${fmt(s.openDropped)} dropped`],
      [`4 /fibonacci/1 via app, ${result.params.overheadConnections} conns`, fmt(s.appTrivialRps), ms(mid(result, (r) => r.overhead.app.p50Ms)), ms(mid(result, (r) => r.overhead.app.p99Ms)), String(last.overhead.app.errors), `+${fmt(s.overheadMicros)} µs/request`],
      ["  /health on main thread", fmt(s.mainTrivialRps), ms(mid(result, (r) => r.overhead.main.p50Ms)), ms(mid(result, (r) => r.overhead.main.p99Ms)), String(last.overhead.main.errors), "the baseline"],
    );
  }
  if (s.pool) {
    table.push(
      [`5 pool of ${s.pool.size}, fib(${result.params.n}) tasks`, fmt(s.pool.poolTasksPerSec), "", "", "", `${ratio(s.pool.heavySpeedup)} the main thread`],
      ["  same tasks on the main thread", fmt(s.pool.mainTasksPerSec), "", "", "", `trivial task: +${fmt(s.pool.micros)} µs via pool`],
    );
  }
  return table.toString();
}

function mid(result: StepResult, pick: (round: StepResult["http"][number]) => number): number {
  const values = result.http.map(pick).sort((a, b) => a - b);
  if (values.length === 0) return Number.NaN;
  const m = Math.floor(values.length / 2);
  return values.length % 2 ? (values[m] as number) : ((values[m - 1] as number) + (values[m] as number)) / 2;
}

export interface CompareRow {
  result?: StepResult;
  step: string;
  stale: boolean;
  /** Why there is no result, e.g. the step is not done yet. */
  missing?: string;
}

/** Every step side by side; speedups are over step 01's throughput. */
export function compareTable(rows: CompareRow[]): string {
  const table = new Table({
    head: ["step", "req/s", "× 01", "eff.", "p50", "p99", "/health p99", "open p99", "dropped", "µs/req", "errors", "note"],
    style: plain,
  });
  const base = rows.find((r) => r.step === "01" && r.result);
  const baseRps = base?.result ? summarize(base.result).rps : Number.NaN;
  for (const row of rows) {
    if (!row.result || row.result.http.length + row.result.pool.length === 0) {
      table.push([row.step, { colSpan: 11, content: pc.yellow(row.missing ?? row.result?.failure ?? "no result yet") }]);
      continue;
    }
    const s: StepSummary = summarize(row.result);
    const up = speedup(s.rps, baseRps);
    const notes = [
      row.stale ? pc.yellow("STALE: code changed since") : "",
      row.result.code === "solution" ? "reference" : "your code",
      row.result.workers ? `${row.result.workers} workers` : "",
      s.pool ? `pool ${ratio(s.pool.heavySpeedup)} main` : "",
      s.rounds > 1 ? `spread ${pct(s.rpsSpread)}` : "",
    ].filter(Boolean);
    table.push([
      row.step,
      fmt(s.rps),
      ratio(up),
      Number.isFinite(up) ? `${Math.round(efficiency(up, row.result.machine.cores) * 100)}%` : "–",
      ms(s.p50Ms),
      ms(s.p99Ms),
      ms(s.healthP99Ms),
      ms(s.openP99Ms),
      fmt(s.openDropped),
      fmt(s.overheadMicros),
      s.errors > 0 ? pc.red(String(s.errors)) : "0",
      notes.join(", "),
    ]);
  }
  return table.toString();
}
