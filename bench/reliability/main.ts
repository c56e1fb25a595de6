// `npm run reliability [-- --quick]`: does the step 05 server lose requests when things go wrong?
//
// It starts the reference server (solutions/05-resilience) in this process, with the fixture
// app, and drives it through five phases:
//
//   crash storm   workers killed by process.exit and by uncaught errors, among normal requests
//   runaway       handlers in an endless loop, which only their deadline can stop
//   overload      10x more requests at once than the workers plus the queue can hold
//   bad input     bad parameters, unknown routes, wrong methods, malformed paths, huge bodies
//   soak          steady mixed traffic (a crash and a runaway now and then) for a while
//
// and reports, per phase: requests sent, answers by status, hung (no answer: must be 0), failed
// (connection dropped: must be 0); then the worker threads alive at the end (must equal the
// configured size, and 0 after stop()) and the process's RSS. It exits 1 if anything hung,
// failed, got a status it should not, or if a worker leaked. `--quick` is the CI variant.
// `--server <file>` drives another step's server instead, e.g. step 04's, to see what the
// step 05 changes are for (that one ignores the deadline and queue options).

import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { FIXTURE_APP } from "#lib/app-modules.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { installWorkerCensus } from "./census.ts";
import { merge, newTally, send, sendAll, soak, type Shot, type Tally } from "./drive.ts";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: { quick: { type: "boolean", default: false }, server: { type: "string" } },
});
const quick = args.quick === true;
const serverFile = args.server === undefined ? new URL("../../solutions/05-resilience/server.ts", import.meta.url).href : resolve(args.server);
const WORKERS = 2;
const MAX_QUEUE = 32;
/** /loop never returns: its deadline is what ends it. Every other route gets a generous one. */
const LOOP_DEADLINE_MS = 250;
const DEADLINE_MS = 10_000;
const MAX_BODY_BYTES = 64 * 1024;
const SOAK_MS = quick ? 5_000 : 120_000;

const census = installWorkerCensus(); // before the server module creates any Worker

const { startServer } = (await import(serverFile)) as unknown as {
  startServer(options: Record<string, unknown>): Promise<Server>;
};

let logLines = 0;
const server = await startServer({
  appModule: FIXTURE_APP,
  port: 0,
  workers: WORKERS,
  maxQueue: MAX_QUEUE,
  maxBodyBytes: MAX_BODY_BYTES,
  deadlineMs: (request: { path: string }) => (request.path === "/loop" ? LOOP_DEADLINE_MS : DEADLINE_MS),
  // A crash storm logs a line per crash: counted here, not printed.
  log: () => logLines++,
});
const base = server.url;
const rssStartMb = process.memoryUsage().rss / 2 ** 20;

const fib = (n: number): Shot => ({ path: `/fibonacci/${n}`, allowed: [200] });
const crashExit: Shot = { path: "/crash/exit", allowed: [500, 502] };
const loop: Shot = { path: "/loop", allowed: [504] };

interface Server extends RunningServer {
  stats?: () => { size: number; starting?: number };
}

/**
 * Waits (10 s at most) until the pool is back to full size and nothing more happens for a
 * moment. Between phases, so that one phase's aftermath is not counted in the next: a worker
 * that answered `/crash/uncaught` dies just *after* its answer, and the first request of the
 * next phase could be the one sent to it. A bench may wait like this; a test may not.
 */
async function settle(): Promise<void> {
  const settleBy = Date.now() + 10_000;
  const full = () => census.live === WORKERS && (server.stats?.().size ?? WORKERS) === WORKERS && (server.stats?.().starting ?? 0) === 0;
  while (Date.now() < settleBy) {
    const started = census.started;
    if (full()) {
      await Bun.sleep(100);
      if (full() && census.started === started) return;
    } else {
      await Bun.sleep(20);
    }
  }
}

const phases: Array<{ name: string; tally: Tally }> = [];
async function phase(name: string, run: (tally: Tally) => Promise<void>): Promise<void> {
  const tally = newTally();
  process.stdout.write(`${name}... `);
  await run(tally);
  console.log(`${tally.sent} sent`);
  phases.push({ name, tally });
  await settle();
}

await phase("crash storm", async (tally) => {
  const count = quick ? 60 : 400;
  const shots = Array.from({ length: count }, (_, i): Shot => {
    if (i % 4 === 0) return crashExit;
    // The answer is posted, then the worker dies: the request after it on that worker may get a 502.
    if (i % 8 === 1) return { path: "/crash/uncaught", allowed: [200, 502] };
    return { ...fib(15 + (i % 6)), allowed: [200, 502] };
  });
  await sendAll(base, shots, 16, tally);
});

await phase("runaway handlers", async (tally) => {
  const count = quick ? 24 : 120;
  const shots = Array.from({ length: count }, (_, i) => (i % 4 === 0 ? loop : fib(15 + (i % 6))));
  await sendAll(base, shots, 8, tally);
});

await phase("overload 10x", async (tally) => {
  // Everything at once: 10 times what the workers and the queue together can hold.
  const count = 10 * (WORKERS + MAX_QUEUE);
  const shots = Array.from({ length: count }, (): Shot => ({ path: "/fibonacci/24", allowed: [200, 503] }));
  await sendAll(base, shots, count, tally);
});

await phase("bad input", async (tally) => {
  const big = "x".repeat(2 * MAX_BODY_BYTES);
  const bad: Shot[] = [
    { path: "/fibonacci/abc", allowed: [400] },
    { path: "/fibonacci/-1", allowed: [400] },
    { path: "/fibonacci/41", allowed: [400] },
    { path: "/no/such/route", allowed: [404] },
    { path: "/fibonacci/3", allowed: [405], init: { method: "POST" } },
    { path: "/fibonacci/%E0%A4%A", allowed: [400] },
    { path: "/echo", allowed: [413], init: { method: "POST", body: big } },
  ];
  const rounds = quick ? 3 : 20;
  await sendAll(base, Array.from({ length: rounds }, () => bad).flat(), 4, tally);
  // And the server still serves.
  await send(base, fib(10), tally);
});

await phase(`soak ${SOAK_MS / 1000} s`, async (tally) => {
  const pick = (i: number): Shot => {
    if (i % 50 === 49) return crashExit;
    if (i % 97 === 96) return loop;
    if (i % 13 === 12) return { path: "/fibonacci/x", allowed: [400] };
    return fib(15 + (i % 8));
  };
  await soak(base, pick, 8, Date.now() + SOAK_MS, tally);
});

await settle();
const liveAtEnd = census.live;
const poolSizeAtEnd = server.stats?.().size;
const rssEndMb = process.memoryUsage().rss / 2 ** 20;
await server.stop();
const liveAfterStop = census.live;

// The report.
const total = newTally();
for (const { tally } of phases) merge(total, tally);
const statuses = [...total.byStatus.keys()].sort((a, b) => a - b);
const row = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
const command = ["npm run reliability", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" ");
console.log(`\n${command}  (Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores, ${WORKERS} workers, queue ${MAX_QUEUE})\n`);
console.log(row(["phase", "sent", ...statuses.map(String), "hung", "failed"]));
console.log(row(["---", "--:", ...statuses.map(() => "--:"), "--:", "--:"]));
for (const { name, tally } of [...phases, { name: "**total**", tally: total }]) {
  console.log(row([name, tally.sent, ...statuses.map((s) => tally.byStatus.get(s) ?? 0), tally.hung, tally.failed]));
}
console.log(`
worker threads started: ${census.started} (${WORKERS} at start, the rest replacements)
workers alive at the end: ${liveAtEnd} (configured ${WORKERS})${poolSizeAtEnd === undefined ? "" : `, pool size ${poolSizeAtEnd}`}
workers alive after stop(): ${liveAfterStop}
RSS: ${rssStartMb.toFixed(0)} MB at start, ${rssEndMb.toFixed(0)} MB at the end
server log lines: ${logLines}`);

const problems: string[] = [];
if (total.hung > 0) problems.push(`${total.hung} request(s) hung`);
if (total.failed > 0) problems.push(`${total.failed} request(s) got no answer (connection dropped)`);
for (const [what, n] of total.unexpected) problems.push(`${n}x ${what}`);
if (total.retryAfterMissing > 0) problems.push(`${total.retryAfterMissing} 503(s) without Retry-After`);
if (liveAtEnd !== WORKERS) problems.push(`${liveAtEnd} workers alive at the end, not ${WORKERS}`);
if (poolSizeAtEnd !== undefined && poolSizeAtEnd !== WORKERS) problems.push(`pool size ${poolSizeAtEnd} at the end, not ${WORKERS}`);
if (liveAfterStop !== 0) problems.push(`${liveAfterStop} worker(s) still alive after stop()`);
if (problems.length > 0) {
  console.log(`\nFAILED:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("\nOK: every request answered, no worker leaked");
process.exit(0);
