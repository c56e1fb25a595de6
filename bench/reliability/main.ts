// `npm run reliability [-- --step NN] [--quick] [--soak S] [--yours]`: does a resilient
// server lose requests when things go wrong?
//
// It starts a step's server in this process, with the fixture app, and drives it through the
// phases that step's contract covers (./coverage.ts):
//
//   crash storm          workers killed by process.exit and by uncaught errors, among normal requests  (05)
//   bad input            bad parameters, unknown routes, wrong methods, malformed paths               (05)
//   soak                 steady mixed traffic (a crash, and from 06 a runaway, now and then)          (05)
//   runaway handlers     handlers in an endless loop, which only their deadline can stop              (06)
//   overload 10x         10 times more requests at once than the workers plus the queue can hold      (06)
//   big bodies           among the bad input, bodies twice the limit, refused with 413                 (06)
//   shutdown under load  stop() with requests running and queued: every one answered; then a
//                        forced stop on a second server: every one answered 200 or 503                (07)
//
// and reports, per phase: requests sent, answers by status, hung (no answer: must be 0), failed
// (connection dropped: must be 0); then the worker threads alive at the end (must equal the
// configured size, and 0 after stop()) and the process's RSS. It exits 1 if anything hung,
// failed, got a status it should not, or if a worker leaked.
//
//   --step NN     which step's contract (default: the newest, 07); the reference's server
//   --yours       your server (steps/NN-…/server.ts) instead of the reference
//   --server F    any other server file, driven through step NN's phases; without --step, those
//                 of the step whose folder holds it (step 04's server gets step 05's phases: it
//                 shows what step 05 is for)
//   --soak S      seconds of soak (default 120; --quick: 5)
//   --quick       fewer requests per phase and a 5 s soak: the CI variant

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { FIXTURE_APP } from "#lib/app-modules.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { findStep, listSteps } from "../../tools/steps.ts";
import { installWorkerCensus } from "./census.ts";
import { CONTRACTS, contractForFile, coveredSteps, defaultStep, phasesFor, type PhaseName } from "./coverage.ts";
import { merge, newTally, send, sendAll, soak, type Shot, type Tally } from "./drive.ts";

function fail(message: string): never {
  console.error(`reliability: ${message}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: "boolean", default: false },
      step: { type: "string" },
      yours: { type: "boolean", default: false },
      server: { type: "string" },
      soak: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (error) {
  fail(`${(error as Error).message}\nusage: npm run reliability -- [--step NN] [--quick] [--soak S] [--yours] [--server FILE]`);
}
const { values: args } = parsed;
if (args.help) {
  console.log("usage: npm run reliability -- [--step NN] [--quick] [--soak S] [--yours] [--server FILE]");
  console.log(CONTRACTS.map((c) => `  --step ${c.step}  ${c.title}: ${phasesFor(c.step).join(", ")}`).join("\n"));
  process.exit(0);
}

const available = listSteps().map((s) => s.id);
// With only --server, the file's own step folder says which contract it is held to.
const inferred = args.step === undefined && args.server !== undefined ? contractForFile(resolve(args.server)) : undefined;
const stepId = args.step === undefined ? (inferred ?? defaultStep(available)) : (findStep(args.step)?.id ?? args.step);
if (!stepId || !coveredSteps(available).includes(stepId)) {
  fail(`the reliability run drives steps ${coveredSteps(available).join(", ") || "(none on disk)"}, not "${args.step ?? ""}"`);
}
const step = findStep(stepId);
if (!step) fail(`no step ${stepId}`);
const quick = args.quick === true;
const soakSec = args.soak === undefined ? (quick ? 5 : 120) : Number(args.soak);
if (!Number.isFinite(soakSec) || soakSec < 0) fail(`--soak must be a number of seconds ≥ 0, got "${args.soak}"`);
const serverFile = args.server !== undefined ? resolve(args.server) : join(args.yours ? step.dir : step.solutionDir, "server.ts");
if (!existsSync(serverFile)) fail(`${serverFile} does not exist`);
const phases = phasesFor(step.id);
const covers = (phase: PhaseName) => phases.includes(phase);

const WORKERS = 2;
const MAX_QUEUE = 32;
/** /loop never returns: its deadline is what ends it. Every other route gets a generous one. */
const LOOP_DEADLINE_MS = 250;
const DEADLINE_MS = 10_000;
const MAX_BODY_BYTES = 64 * 1024;

const census = installWorkerCensus(); // before the server module creates any Worker

interface Server extends RunningServer {
  stats?: () => { size: number; starting?: number; busy?: number; queued?: number };
  stop(options?: { force?: boolean }): Promise<void>;
}
const { startServer } = (await import(serverFile)) as unknown as {
  startServer(options: Record<string, unknown>): Promise<Server>;
};

let logLines = 0;
const start = () =>
  startServer({
    appModule: FIXTURE_APP,
    port: 0,
    workers: WORKERS,
    maxQueue: MAX_QUEUE,
    maxBodyBytes: MAX_BODY_BYTES,
    deadlineMs: (request: { path: string }) => (request.path === "/loop" ? LOOP_DEADLINE_MS : DEADLINE_MS),
    // A crash storm logs a line per crash: counted here, not printed.
    log: () => logLines++,
  });
let server: Server;
try {
  server = await start();
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  const hint = message.includes("not implemented yet") ? `\n             the reference: npm run reliability -- --step ${step.id}` : "";
  fail(`the server did not start: ${message.split("\n")[0]}${hint}`);
}
const base = server.url;
const rssStartMb = process.memoryUsage().rss / 2 ** 20;

const fib = (n: number): Shot => ({ path: `/fibonacci/${n}`, allowed: [200] });
const crashExit: Shot = { path: "/crash/exit", allowed: [500, 502] };
const loop: Shot = { path: "/loop", allowed: [504] };

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

/** Waits (5 s at most) until `count` requests are inside the server: running or queued. */
async function inFlight(target: Server, count: number): Promise<boolean> {
  const by = Date.now() + 5_000;
  while (Date.now() < by) {
    const s = target.stats?.();
    if (s && (s.busy ?? 0) + (s.queued ?? 0) >= count) return true;
    await Bun.sleep(2);
  }
  return false;
}

const done: Array<{ name: string; tally: Tally }> = [];
const notes: string[] = [];
const problems: string[] = [];
async function phase(name: string, run: (tally: Tally) => Promise<void>): Promise<void> {
  const tally = newTally();
  process.stdout.write(`${name}... `);
  await run(tally);
  console.log(`${tally.sent} sent`);
  done.push({ name, tally });
  await settle();
}

if (covers("crash storm")) {
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
}

if (covers("runaway handlers")) {
  await phase("runaway handlers", async (tally) => {
    const count = quick ? 24 : 120;
    const shots = Array.from({ length: count }, (_, i) => (i % 4 === 0 ? loop : fib(15 + (i % 6))));
    await sendAll(base, shots, 8, tally);
  });
}

if (covers("overload 10x")) {
  await phase("overload 10x", async (tally) => {
    // Everything at once: 10 times what the workers and the queue together can hold.
    const count = 10 * (WORKERS + MAX_QUEUE);
    const shots = Array.from({ length: count }, (): Shot => ({ path: "/fibonacci/24", allowed: [200, 503] }));
    await sendAll(base, shots, count, tally);
  });
}

if (covers("bad input")) {
  await phase("bad input", async (tally) => {
    const bad: Shot[] = [
      { path: "/fibonacci/abc", allowed: [400] },
      { path: "/fibonacci/-1", allowed: [400] },
      { path: "/fibonacci/41", allowed: [400] },
      { path: "/no/such/route", allowed: [404] },
      { path: "/fibonacci/3", allowed: [405], init: { method: "POST" } },
      { path: "/fibonacci/%E0%A4%A", allowed: [400] },
    ];
    // From step 06, a body twice the limit: refused with 413 before it is read.
    if (covers("big bodies")) bad.push({ path: "/echo", allowed: [413], init: { method: "POST", body: "x".repeat(2 * MAX_BODY_BYTES) } });
    const rounds = quick ? 3 : 20;
    await sendAll(base, Array.from({ length: rounds }, () => bad).flat(), 4, tally);
    // And the server still serves.
    await send(base, fib(10), tally);
  });
}

if (covers("soak")) {
  const runaways = covers("runaway handlers");
  await phase(`soak ${soakSec} s`, async (tally) => {
    const pick = (i: number): Shot => {
      if (i % 50 === 49) return crashExit;
      if (runaways && i % 97 === 96) return loop;
      if (i % 13 === 12) return { path: "/fibonacci/x", allowed: [400] };
      return fib(15 + (i % 8));
    };
    await soak(base, pick, 8, Date.now() + soakSec * 1000, tally);
  });
}

await settle();
const liveAtEnd = census.live;
const poolSizeAtEnd = server.stats?.().size;
const rssEndMb = process.memoryUsage().rss / 2 ** 20;

/** Requests heavy enough to stay running and queued while stop() is called. */
const HEAVY_FOR_STOP = 34;
const STOP_REQUESTS = WORKERS + 8;

if (covers("shutdown under load")) {
  // Graceful: every request accepted before stop() gets its real answer.
  await phase("stop() under load", async (tally) => {
    const sending = sendAll(base, Array.from({ length: STOP_REQUESTS }, () => fib(HEAVY_FOR_STOP)), STOP_REQUESTS, tally);
    if (!(await inFlight(server, STOP_REQUESTS))) notes.push(`stop() under load: not all ${STOP_REQUESTS} requests were in the server when stop() began`);
    await server.stop();
    await sending;
    // Stopped: the port no longer accepts. That refusal is the expected outcome, not a failure.
    const after = newTally();
    await send(base, fib(10), after);
    if (after.failed !== 1) problems.push(`a request after stop() was ${after.sent - after.failed > 0 ? "answered" : "not refused"}: a stopped server must not accept`);
  });
  // Forced: nothing waits; whatever is unfinished is answered 503 before the connections close.
  const second = await start();
  await phase("stop({ force: true }) under load", async (tally) => {
    const shots = Array.from({ length: STOP_REQUESTS }, (): Shot => ({ ...fib(HEAVY_FOR_STOP + 2), allowed: [200, 503] }));
    const sending = sendAll(second.url, shots, STOP_REQUESTS, tally);
    if (!(await inFlight(second, STOP_REQUESTS))) notes.push(`forced stop: not all ${STOP_REQUESTS} requests were in the server when stop() began`);
    await second.stop({ force: true });
    await sending;
    // A server going away cannot say when to come back: its 503s need no Retry-After (the queue's do).
    tally.retryAfterMissing = 0;
    if ((tally.byStatus.get(503) ?? 0) === 0) problems.push("stop({ force: true }) answered no request 503: it waited for them instead");
  });
} else {
  await server.stop();
}
// Step 07's stop() resolves once every thread has ended; before it, stop() terminates the
// workers and their threads end a moment later. Either way none may be left after that moment.
const liveWhenStopped = census.live;
const goneBy = Date.now() + 5_000;
while (census.live > 0 && Date.now() < goneBy) await Bun.sleep(10);
const liveAfterStop = census.live;
const stopWaits = covers("shutdown under load");

// The report.
const total = newTally();
for (const { tally } of done) merge(total, tally);
const statuses = [...total.byStatus.keys()].sort((a, b) => a - b);
const row = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
const command = ["npm run reliability", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" ");
const whose = args.server !== undefined ? serverFile : `${args.yours ? "your" : "the reference"} step ${step.id} server`;
console.log(`\n${command}  (${whose}; Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores, ${WORKERS} workers, queue ${MAX_QUEUE})`);
console.log(`step ${step.id}'s contract covers: ${phases.join(", ")}\n`);
console.log(row(["phase", "sent", ...statuses.map(String), "hung", "failed"]));
console.log(row(["---", "--:", ...statuses.map(() => "--:"), "--:", "--:"]));
for (const { name, tally } of [...done, { name: "**total**", tally: total }]) {
  console.log(row([name, tally.sent, ...statuses.map((s) => tally.byStatus.get(s) ?? 0), tally.hung, tally.failed]));
}
console.log(`
worker threads started: ${census.started} (${WORKERS} at start${covers("shutdown under load") ? `, ${WORKERS} for the forced-stop server` : ""}, the rest replacements)
workers alive at the end: ${liveAtEnd} (configured ${WORKERS})${poolSizeAtEnd === undefined ? "" : `, pool size ${poolSizeAtEnd}`}
workers alive when stop() resolved: ${liveWhenStopped}${stopWaits ? "" : ` (before step 07, stop() does not wait for the threads to end), ${liveAfterStop} a moment later`}
RSS: ${rssStartMb.toFixed(0)} MB at start, ${rssEndMb.toFixed(0)} MB at the end
server log lines: ${logLines}`);
for (const note of notes) console.log(`note: ${note}`);

if (total.hung > 0) problems.push(`${total.hung} request(s) hung`);
if (total.failed > 0) problems.push(`${total.failed} request(s) got no answer (connection dropped)`);
for (const [what, n] of total.unexpected) problems.push(`${n}x ${what}`);
if (total.retryAfterMissing > 0) problems.push(`${total.retryAfterMissing} 503(s) without Retry-After`);
if (liveAtEnd !== WORKERS) problems.push(`${liveAtEnd} workers alive at the end, not ${WORKERS}`);
if (poolSizeAtEnd !== undefined && poolSizeAtEnd !== WORKERS) problems.push(`pool size ${poolSizeAtEnd} at the end, not ${WORKERS}`);
if (stopWaits && liveWhenStopped !== 0) problems.push(`${liveWhenStopped} worker(s) still alive when stop() resolved`);
if (liveAfterStop !== 0) problems.push(`${liveAfterStop} worker(s) still alive 5 s after stop()`);
if (problems.length > 0) {
  console.log(`\nFAILED:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("\nOK: every request answered, no worker leaked");
process.exit(0);
