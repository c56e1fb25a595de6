// `npx bun bench/round-trip-parts.ts [--quick]`: where the time goes when one trivial request
// makes the trip through a worker pool, piece by piece, on both sides of the thread boundary.
//
// A trivial request (`GET /fibonacci/1`: no work to speak of) answered by the app on the main
// thread takes a few µs. Sent through a pool it takes tens of µs more, and that difference is
// made of many small things, each cheap alone:
//
//   main thread                                   worker
//   ───────────                                   ──────
//   Request → RequestData (URL parsed, header and
//     query objects built, body read if any)
//   an id, a Map entry, a deadline timer, promises
//   the message copied out (structured clone)  ──▶ copied in; the worker wakes up if it slept
//                                                   app.handle: route + handler
//   the answer copied in, the main thread wakes ◀── the answer copied out
//   the waiting promise found by id and resolved
//   AppResponse → Response
//
// This measures each piece alone, so that a change to the pool can be aimed at what costs:
//
//   1. the main thread's pieces, per request;
//   2. the worker's pieces (run here, on the main thread: the code is the same);
//   3. `structuredClone` of each message shape: the copy `postMessage` makes, in the form of
//      the tutorial's protocol (objects inside objects) and in flatter forms carrying the
//      same information (structuredClone does on one thread what postMessage splits between
//      two: the sender writes the copy, the receiver reads it);
//   4. `postMessage` round trips to a worker that only echoes, by message shape and by how
//      many messages are on their way at once: a worker with nothing waiting goes to sleep,
//      and waking it up costs more than most of the pieces above together;
//   5. whole round trips through each step's reference pool, and through the bare pool
//      (bench/bare-pool: the simplest pool that works, the yardstick).
//
// How: each figure is µs per operation, the median of several rounds, each round long enough
// (tens of ms) for the clock's resolution not to matter; "spread" is how far apart the rounds
// were, (max − min) / median, so that a difference smaller than the spread reads as noise.
// Before any round counts, a first run finds how many calls fill a round and lets the JIT
// compile the code. Then the rounds go across all the pieces of a section in turn, so that a
// noisy moment (on a shared 2-core machine there are many) spreads over every row instead of
// spoiling one; garbage is collected before each round, so that each piece pays for its own.
// Micro-benchmarks flatter what they measure (everything is hot in the cache, nothing else
// runs): read the figures as the cost of each piece relative to the others, not as a sum that
// must add up to what a load test measures.
//
// The requests are built with `new Request(...)`, standing in for the one `Bun.serve` hands
// over, with the headers autocannon 9 sends (its lib/httpRequestBuilder.js; the bench's
// bench/load/autocannon.ts adds none): `host` and `connection: keep-alive`, nothing else, not
// even a `user-agent`.
//
// `--quick` runs fewer and shorter rounds (a smoke test, ~15 s); the default takes about a
// minute and a half. Progress goes to stderr, the tables to stdout.

import Table from "cli-table3";
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { json } from "#lib/app.ts";
import { EXAMPLE_APP } from "#lib/app-modules.ts";
import { app } from "#lib/example-app.ts";
import type { HeaderList, WireRequest, WireResponse } from "#lib/fetch-protocol.ts";
import type { AppResponse, RequestData } from "#lib/http-types.ts";
import { requestData, toRequestData, toResponse } from "#lib/http.ts";
import type { WireRequest as FlatWireRequest, WireResponse as FlatWireResponse } from "#lib/flat-protocol.ts";
import type { RequestMessage, ResponseMessage } from "#lib/protocol.ts";
import { median, relativeSpread } from "./stats.ts";

const USAGE = "usage: npx bun bench/round-trip-parts.ts [--quick]";
let quick = false;
try {
  quick = parseArgs({ args: Bun.argv.slice(2), options: { quick: { type: "boolean", default: false } }, strict: true }).values.quick;
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}

/** Rounds per figure (after one thrown away). */
const ROUNDS = quick ? 3 : 7;
/** How long one round of a piece (sections 1-3) lasts, about. */
const PIECE_MS = quick ? 12 : 50;
/** How long one round of echo round trips (section 4) lasts, about. */
const TRIP_MS = quick ? 40 : 150;
/** How long one round through a pool (section 5) lasts, about. */
const POOL_MS = quick ? 100 : 250;
/** Workers per pool in section 5. */
const POOL_SIZE = 2;
/** Messages on their way at once to the echo worker, section 4. */
const IN_FLIGHT = [1, 2, 4, 8, 32];
/** Longer than this without an answer, and a pool (which may be mid-edit) is given up on. */
const PATIENCE_MS = 15_000;

// ─── The request and its answer, as each layer sees them ──────────────────────────────────────

const ORIGIN = "http://localhost:3000";
const TRIVIAL_PATH = "/fibonacci/1";
/** What autocannon 9 sends with every request (its httpRequestBuilder.js), as Bun.serve lists them. */
const AUTOCANNON_HEADERS: Record<string, string> = { connection: "keep-alive", host: "localhost:3000" };
const HEADER_PAIRS: HeaderList = Object.entries(AUTOCANNON_HEADERS);
/** The headers in HTTP's own form, `name: value` lines. */
const HEADER_LINES = HEADER_PAIRS.map(([name, value]) => `${name}: ${value}`).join("\r\n");
/** A small POST body: 25 bytes. */
const SMALL_BODY = '{"n":30,"note":"a small"}';

const getRequest = () => new Request(ORIGIN + TRIVIAL_PATH, { headers: AUTOCANNON_HEADERS });
const postRequest = () =>
  new Request(`${ORIGIN}/notes`, {
    method: "POST",
    headers: { ...AUTOCANNON_HEADERS, "content-length": String(SMALL_BODY.length), "content-type": "application/json" },
    body: SMALL_BODY,
  });

/** What the server hands the pool in steps 03-07 (toRequestData of the GET above). */
const REQUEST_DATA: RequestData = requestData(TRIVIAL_PATH, { headers: AUTOCANNON_HEADERS });
/** What the server hands the pool in step 08 (toWireRequest of the GET above). */
const WIRE_REQUEST: WireRequest = { method: "GET", url: ORIGIN + TRIVIAL_PATH, headers: HEADER_PAIRS, body: null };
/** The example app's answer to it. */
const APP_RESPONSE: AppResponse = json({ n: 1, fibonacci: 1 });
const CONTENT_TYPE = APP_RESPONSE.headers["content-type"] ?? "";
/** The same answer as steps 09-10 carry it: headers as lines, the body as a byte string. */
const FLAT_RESPONSE: FlatWireResponse = { status: 200, statusText: "", headers: `content-type: ${CONTENT_TYPE}`, body: APP_RESPONSE.body };
/** The GET as steps 09-10 carry it. */
const FLAT_REQUEST: FlatWireRequest = { method: "GET", url: ORIGIN + TRIVIAL_PATH, headers: HEADER_LINES, body: null };

// ─── Measuring ────────────────────────────────────────────────────────────────────────────────

/** µs per operation: the median over the rounds, and how far apart the rounds were. */
interface Figure {
  us: number;
  spread: number;
}

/** A piece of work to time; `input` is a fresh one each time when the piece needs one (see `Options.each`). */
type Op<T> = (input: T) => unknown;

interface Options<T> {
  /** `await` each result, as a caller of an async function must (that await is part of the figure). */
  async?: boolean;
  /**
   * Makes one input, for a piece that needs a new one every time: a body can be read only
   * once, and a `Request` or a `URL` computes some of its parts (its headers, its search
   * params) on first use and keeps them. The inputs are made before the clock starts.
   */
  each?: () => T;
}

/** Every result lands here, so that no compiler may skip the work as unused. */
let sink: unknown;

/** Milliseconds for `iterations` calls of `op`. Four loops, so that no row pays for a branch the others skip. */
async function loop<T>(op: Op<T>, iterations: number, { async = false, each }: Options<T>): Promise<number> {
  const inputs = each ? Array.from({ length: iterations }, each) : undefined;
  // Garbage left by the piece measured before this one (or by making the inputs) is collected
  // now, not while this piece is timed: each piece pays for collecting its own garbage only.
  Bun.gc(true);
  const started = performance.now();
  if (inputs && async) for (const input of inputs) sink = await op(input);
  else if (inputs) for (const input of inputs) sink = op(input);
  else if (async) for (let i = 0; i < iterations; i++) sink = await op(undefined as T);
  else for (let i = 0; i < iterations; i++) sink = op(undefined as T);
  return performance.now() - started;
}

/**
 * How many calls of `op` fill about PIECE_MS: found by doubling, which also gives the JIT time
 * to compile the code before any round counts.
 */
async function calibrate<T>(op: Op<T>, options: Options<T>): Promise<number> {
  // Fresh inputs are kept in memory until their round is over: a bound on how many.
  const most = options.each ? 200_000 : 2 ** 26;
  for (let iterations = 16; ; iterations *= 2) {
    const ms = await loop(op, iterations, options);
    if (ms >= PIECE_MS / 4 || iterations >= most) return Math.min(most, Math.max(1, Math.round((iterations * PIECE_MS) / Math.max(ms, 0.01))));
  }
}

/** Resolves or rejects as `promise` does, or rejects once `ms` have passed without. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";

// ─── Printing ─────────────────────────────────────────────────────────────────────────────────

function us(value: number): string {
  if (!Number.isFinite(value)) return "-";
  const abs = Math.abs(value);
  return value.toFixed(abs < 1 ? 3 : abs < 10 ? 2 : 1);
}

function spread(figure: Figure | undefined): string {
  return figure === undefined || !Number.isFinite(figure.spread) ? "-" : `${(100 * figure.spread).toFixed(0)}%`;
}

function times(a: number, b: number): string {
  return `${(a / b).toFixed(1)}×`;
}

function pct(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(0)}%`;
}

function newTable(head: string[]): Table.Table {
  return new Table({ head, style: { head: [], border: [] } });
}

/** Prints a paragraph, wrapped at 100 columns, and a blank line. */
function explain(...sentences: string[]): void {
  const lines: string[] = [];
  let line = "";
  for (const word of sentences.join(" ").split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > 100) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  console.log(`${lines.join("\n")}\n`);
}

function heading(title: string): void {
  console.log(`\n${title}\n${"─".repeat(title.length)}`);
}

function progress(text: string): void {
  process.stderr.write(text);
}

/** One row of sections 1 to 3: a piece of work, where it happens, and what it costs (or why it could not be measured). */
interface Row {
  piece: string;
  where: string;
  figure?: Figure;
  error?: string;
}

function printRows(rows: Row[]): void {
  const table = newTable(["piece", "where it happens", "µs/op", "spread"]);
  for (const row of rows) {
    table.push(row.figure ? [row.piece, row.where, us(row.figure.us), spread(row.figure)] : [row.piece, row.where, { colSpan: 2, content: `failed: ${row.error}` }]);
  }
  console.log(table.toString());
}

/**
 * The pieces of one section, measured together: each is calibrated, then the rounds go across
 * all of them, so that a noisy moment on the machine spreads over every row instead of landing
 * on one. `add` returns the row at once; its figure is there once `measure` has resolved.
 */
class Pieces {
  readonly #pieces: Array<{ row: Row; calibrate: () => Promise<void>; sample: () => Promise<number> }> = [];

  add<T>(piece: string, where: string, op: Op<T>, options: Options<T> = {}): Row {
    const row: Row = { piece, where };
    let iterations = 1;
    this.#pieces.push({
      row,
      calibrate: async () => {
        iterations = await calibrate(op, options);
      },
      sample: async () => ((await loop(op, iterations, options)) * 1000) / iterations,
    });
    return row;
  }

  async measure(): Promise<void> {
    const live: Array<{ row: Row; sample: () => Promise<number>; samples: number[] }> = [];
    for (const { row, calibrate, sample } of this.#pieces) {
      try {
        await calibrate();
        live.push({ row, sample, samples: [] });
      } catch (error) {
        row.error = message(error);
      }
    }
    progress(".");
    for (let round = 0; round < ROUNDS; round++) {
      for (const piece of live) {
        if (piece.row.error) continue;
        try {
          piece.samples.push(await piece.sample());
        } catch (error) {
          piece.row.error = message(error);
        }
      }
      progress(".");
    }
    for (const { row, samples } of live) if (!row.error) row.figure = { us: median(samples), spread: relativeSpread(samples) };
  }
}

/** The figure of a row; NaN (printed as "-") when it failed. */
function fig(row: Row): number {
  return row.figure?.us ?? Number.NaN;
}

/** "X µs more" or "X µs less": how `a` compares with `b`, for a sentence. */
function moreOrLess(a: number, b: number): string {
  return `${us(Math.abs(a - b))} µs ${a >= b ? "more" : "less"}`;
}

// A step's conversions, loaded by path so that this file neither breaks nor stops type-checking
// while that step is being edited: a piece that cannot load shows its error in its row.
interface Conversions<Req, Res> {
  toWireRequest(request: Request): Promise<Req>;
  fromWireRequest(request: Req): Request;
  toWireResponse(response: Response): Promise<Res>;
  fromWireResponse(response: Res): Response;
}
type WireModule = Conversions<WireRequest, WireResponse>;
/** Steps 09 and 10's (one wire.ts, the same in both): flat, exact to the byte. */
type FlatWireModule = Conversions<FlatWireRequest, FlatWireResponse>;

async function loadConversions<M>(solution: string): Promise<M | Error> {
  try {
    return (await import(new URL(`../solutions/${solution}/wire.ts`, import.meta.url).href)) as M;
  } catch (error) {
    return new Error(`solutions/${solution}/wire.ts: ${message(error)}`);
  }
}
/** An operation on a step's conversions; it throws the loading error when they did not load. */
function using<M, T>(conversions: M | Error, op: (w: M, input: T) => unknown): Op<T> {
  return (input) => {
    if (conversions instanceof Error) throw conversions;
    return op(conversions, input);
  };
}
const wire = await loadConversions<WireModule>("08-your-own-app");
const flatWire = await loadConversions<FlatWireModule>("10-batches");
const withWire = <T>(op: (w: WireModule, input: T) => unknown): Op<T> => using(wire, op);
const withFlatWire = <T>(op: (w: FlatWireModule, input: T) => unknown): Op<T> => using(flatWire, op);

// The echo worker (section 4), started now: section 1 also adds listeners to it.
const echo = new Worker(new URL("./round-trip-echo-worker.ts", import.meta.url).href);

const started = performance.now();
console.log(`Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores, ${ROUNDS} rounds per figure${quick ? " (--quick)" : ""}`);

// ─── 1. The main thread's pieces ──────────────────────────────────────────────────────────────

progress("1/5 main-thread pieces ");
const freshGet = { each: getRequest };
const freshUrl = { each: () => new URL(ORIGIN + TRIVIAL_PATH) };
const wireResponse: WireResponse = {
  status: 200,
  statusText: "OK",
  headers: [["content-type", CONTENT_TYPE]],
  body: new TextEncoder().encode(APP_RESPONSE.body).buffer as ArrayBuffer,
};
const ids = new Map<number, () => void>();
let nextId = 0;
const noop = () => {};
const target = new EventTarget();
target.addEventListener("ping", noop);

const s1 = new Pieces();
const floorSync = s1.add("nothing (the loop itself)", "the floor under every sync row", () => undefined);
const floorAsync = s1.add("await of a plain value (the loop itself)", "the floor under every async row", () => undefined, { async: true });
const buildGet = s1.add("new Request(GET, 2 headers)", "Bun.serve, before our code runs", getRequest);
const newUrl = s1.add("new URL(request.url)", "toRequestData; bare pool's server", (r: Request) => new URL(r.url), freshGet);
const query = s1.add("Object.fromEntries(url.searchParams), no query", "toRequestData: the query", (u: URL) => Object.fromEntries(u.searchParams), freshUrl);
const headerObject = s1.add("Object.fromEntries(request.headers)", "toRequestData: the headers", (r: Request) => Object.fromEntries(r.headers), freshGet);
const headerPairs = s1.add("[...request.headers]", "toWireRequest (08): the headers", (r: Request) => [...r.headers], freshGet);
const getData = s1.add("toRequestData(GET)", "server, steps 01-07", toRequestData, { ...freshGet, async: true });
const bodyText = s1.add("request.text(), a 25 B body", "toRequestData: the body", (r: Request) => r.text(), { each: postRequest, async: true });
const postData = s1.add("toRequestData(POST 25 B)", "server, steps 01-07", toRequestData, { each: postRequest, async: true });
const getWire = s1.add("toWireRequest(GET)", "server, step 08", withWire((w, r: Request) => w.toWireRequest(r)), { ...freshGet, async: true });
const response = s1.add("toResponse(the app's JSON answer)", "server, steps 01-07", () => toResponse(APP_RESPONSE));
const bareResponse = s1.add("new Response(body), no headers", "the least a server can answer", () => new Response(APP_RESPONSE.body));
const fromWire = s1.add("fromWireResponse(that answer)", "server, step 08", withWire((w) => w.fromWireResponse(wireResponse)));
// The same two conversions in steps 09-10 (exact: every header, bytes as they were), and the way
// the bare pool does them (repeated headers merged, the body as text): what exactness costs.
const getFlat = s1.add("toWireRequest(GET), steps 09-10", "server: headers as lines", withFlatWire((w, r: Request) => w.toWireRequest(r)), { ...freshGet, async: true });
const getBare = s1.add("the bare pool's task for that GET", "server: Object.fromEntries(headers)", (r: Request) => ({ method: r.method, url: r.url, headers: Object.fromEntries(r.headers), body: "" }), freshGet);
const fromFlat = s1.add("fromWireResponse, steps 09-10", "server: lines and a byte string back", withFlatWire((w) => w.fromWireResponse(FLAT_RESPONSE)));
const fromBare = s1.add("new Response(text, {status, headers: {…}})", "server: the bare pool's answer", () => new Response(APP_RESPONSE.body, { status: 200, headers: APP_RESPONSE.headers }));
const timer = s1.add("setTimeout + clearTimeout", "pool: a deadline per task (06+)", () => clearTimeout(setTimeout(noop, 20_000)));
const promise = s1.add("new Promise + resolve + await", "one promise layer", () => new Promise((resolve) => resolve(1)), { async: true });
const bookkeeping = s1.add("Map set + get + delete", "AppWorker: an answer found by id", () => {
  const id = nextId++;
  ids.set(id, noop);
  ids.get(id);
  return ids.delete(id);
});
const listener = s1.add("addEventListener + removeEventListener", "a listener per task (blog's pool)", () => {
  echo.addEventListener("message", noop);
  echo.removeEventListener("message", noop);
});
const dispatch = s1.add("dispatchEvent(new Event), one listener", "an event reaching its listener", () => target.dispatchEvent(new Event("ping")));
await s1.measure();
progress("\n");

heading("1. Main thread, per request (µs per operation)");
printRows([floorSync, floorAsync, buildGet, newUrl, query, headerObject, headerPairs, getData, bodyText, postData, getWire, response, bareResponse, fromWire, getFlat, getBare, fromFlat, fromBare, timer, promise, bookkeeping, listener, dispatch]);
{
  const get = fig(getData);
  const parts = fig(newUrl) + fig(query) + fig(headerObject);
  const layer = fig(promise) - fig(floorAsync);
  const perTask = fig(timer) + layer + fig(bookkeeping);
  const step07 = get + fig(response) + fig(timer) + fig(bookkeeping) + 2 * layer;
  explain(
    `Turning a GET into RequestData costs ${us(get)} µs: new URL ${us(fig(newUrl))}, the query object ${us(fig(query))},`,
    `the header object ${us(fig(headerObject))}; together ${us(parts)} µs, ${pct(parts, get)} of it`,
    parts < get ? `(the rest, ${us(get - parts)} µs, is the async function, its promise and the object it returns).` : "(measured alone they add up to the whole: the rest is lost in the noise).",
    `A 25-byte POST costs ${us(fig(postData))} µs, ${times(fig(postData), get)} a GET: reading its body, request.text(), costs ${us(fig(bodyText))} µs alone.`,
    `Step 08's toWireRequest costs ${us(fig(getWire))} µs for the same GET, ${moreOrLess(fig(getWire), get)} than toRequestData.`,
    `On the way back, toResponse costs ${us(fig(response))} µs, of which ${us(fig(response) - fig(bareResponse))} µs go to the status and the headers object`,
    `(a bare new Response costs ${us(fig(bareResponse))} µs); step 08's fromWireResponse ${us(fig(fromWire))} µs.`,
    `A pool's own bookkeeping per task: a deadline timer ${us(fig(timer))} µs, one promise layer ${us(layer)} µs`,
    `(net of the loop's own await), the id in a Map ${us(fig(bookkeeping))} µs: ${us(perTask)} µs for one of each.`,
    `A listener added and removed per task would cost ${us(fig(listener))} µs, an event dispatched to one listener ${us(fig(dispatch))} µs.`,
    `Steps 09-10, exact to the byte, spend ${us(fig(getFlat) + fig(fromFlat))} µs on this thread converting a GET and its answer (toWireRequest`,
    `${us(fig(getFlat))}, fromWireResponse ${us(fig(fromFlat))}); the bare pool, which merges repeated headers and reads bodies as text,`,
    `${us(fig(getBare) + fig(fromBare))} µs (${us(fig(getBare))} + ${us(fig(fromBare))}).`,
    `What one request through step 07 pays of this table (toRequestData, toResponse, a deadline timer, an id in a Map and`,
    `two promise layers, pool.run's and AppWorker.request's) comes to about ${us(step07)} µs: compare it with the round trips of sections 4 and 5.`,
  );
}

// ─── 2. The worker's pieces ───────────────────────────────────────────────────────────────────

progress("2/5 worker pieces ");
const matching = new URLPattern({ pathname: "/fibonacci/:n" });
const other = new URLPattern({ pathname: "/health" });
const s2 = new Pieces();
const handle = s2.add("app.handle(GET /fibonacci/1)", "worker, steps 02-07: route + handler", () => app.handle(REQUEST_DATA), { async: true });
const hit = s2.add("URLPattern.exec, a match", "a router: the route that fits", () => matching.exec({ pathname: TRIVIAL_PATH }));
const miss = s2.add("URLPattern.exec, no match", "a router: each route that does not", () => other.exec({ pathname: TRIVIAL_PATH }));
const fetchPath = s2.add(
  "fromWireRequest → app.fetch → toWireResponse",
  "worker, step 08: the whole answer",
  withWire(async (w) => w.toWireResponse(await app.fetch(w.fromWireRequest(WIRE_REQUEST)))),
  { async: true },
);
// The same answer in steps 09-10's worker, and in the bare pool's (bench/bare-pool/fetch-worker.ts):
// the first keeps every header apart and the body as bytes, the second merges and reads text.
// Under both sits what any pool of a fetch handler pays: a Request built, the app run.
const appOnly = s2.add("new Request → app.fetch", "worker, any fetch-handler pool", () => app.fetch(new Request(ORIGIN + TRIVIAL_PATH, { headers: AUTOCANNON_HEADERS })), { async: true });
const flatPath = s2.add(
  "fromWireRequest → app.fetch → toWireResponse",
  "worker, steps 09-10",
  withFlatWire(async (w) => w.toWireResponse(await app.fetch(w.fromWireRequest(FLAT_REQUEST)))),
  { async: true },
);
const barePath = s2.add("new Request → app.fetch → text + header object", "worker, the bare pool", async () => {
  const response = await app.fetch(new Request(ORIGIN + TRIVIAL_PATH, { method: "GET", headers: AUTOCANNON_HEADERS, body: null }));
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
}, { async: true });
// Reading an answer's body: straight to bytes, or after asking `response.body` first (step 08's
// wire.ts asked it to tell an absent body; step 09's does not).
const answer = () => new Response('{"n":1,"fibonacci":1}', { headers: { "content-type": "application/json; charset=utf-8" } });
const direct = s2.add("new Response → arrayBuffer()", "worker, step 09: the answer read to bytes", () => answer().arrayBuffer(), { async: true });
const viaGetter = s2.add("new Response → .body, then arrayBuffer()", "worker, step 08: body asked first", () => {
  const response = answer();
  void response.body; // on Bun 1.4.5 the getter builds a ReadableStream
  return response.arrayBuffer();
}, { async: true });
await s2.measure();
progress("\n");

heading("2. Worker side, per request (µs per operation, measured on this thread: the code is the same)");
printRows([handle, hit, miss, fetchPath, appOnly, flatPath, barePath, direct, viaGetter]);
{
  const h = fig(handle);
  explain(
    `app.handle answers /fibonacci/1 in ${us(h)} µs, routing included.`,
    fig(hit) < h
      ? `One URLPattern.exec that matches costs ${us(fig(hit))} µs (${pct(fig(hit), h)} of app.handle) and one that does not ${us(fig(miss))} µs:` +
          ` a router that runs URLPattern.exec route by route pays the second for every route it tries before the one that fits.`
      : `One URLPattern.exec that matches costs ${us(fig(hit))} µs, ${times(fig(hit), h)} the whole of app.handle, so this router does not run one` +
          ` for this request; one that does not match costs ${us(fig(miss))} µs, which a router built on URLPattern pays for every route it tries` +
          ` before the one that fits.`,
    `Step 08's worker (rebuild the Request, app.fetch, read the answer back to bytes) spends ${us(fig(fetchPath))} µs,`,
    `${times(fig(fetchPath), h)} what app.handle alone does: a Request and a Response built and read on this side too.`,
    `Of steps 09-10's ${us(fig(flatPath))} µs, ${us(fig(appOnly))} are the app's own (a Request built, app.fetch): every pool of a fetch handler`,
    `pays them, the bare one too. The bare pool's worker spends ${us(fig(barePath))} µs in all: exact conversions cost ${moreOrLess(fig(flatPath), fig(barePath))} here.`,
    `Reading an answer to bytes takes ${us(fig(direct))} µs straight, ${us(fig(viaGetter))} µs when its \`body\` was asked first:`,
    `${moreOrLess(fig(viaGetter), fig(direct))} for a getter that builds a stream nobody reads.`,
  );
}

// ─── 3. Structured clone, by shape ────────────────────────────────────────────────────────────

progress("3/5 structured clone ");
const bytes = () => new TextEncoder().encode(SMALL_BODY).buffer as ArrayBuffer;
const ID = 12345;
const shapes = {
  nested: { type: "request", id: ID, request: REQUEST_DATA } satisfies RequestMessage,
  nestedNoHeaders: { type: "request", id: ID, request: { ...REQUEST_DATA, headers: {} } } satisfies RequestMessage,
  flat: { type: "request", id: ID, method: "GET", path: TRIVIAL_PATH, query: "", headers: HEADER_LINES, body: "" },
  array: ["request", ID, "GET", TRIVIAL_PATH, "", HEADER_LINES, ""],
  string: `${ID} GET ${TRIVIAL_PATH} HTTP/1.1\r\n${HEADER_LINES}\r\n\r\n`,
  nestedBytes: { type: "request", id: ID, request: { method: "POST", url: `${ORIGIN}/notes`, headers: HEADER_PAIRS, body: bytes() } },
  flatBytes: { type: "request", id: ID, method: "POST", url: `${ORIGIN}/notes`, headers: HEADER_LINES, body: bytes() },
  flatByteString: { type: "request", id: ID, method: "POST", url: `${ORIGIN}/notes`, headers: HEADER_LINES, body: SMALL_BODY },
  nestedResponse: { type: "response", id: ID, response: APP_RESPONSE } satisfies ResponseMessage,
  flatResponse: { type: "response", id: ID, status: 200, contentType: CONTENT_TYPE, body: APP_RESPONSE.body },
  flatResponseLines: { type: "response", id: ID, status: 200, headers: `content-type: ${CONTENT_TYPE}`, body: APP_RESPONSE.body },
  wireResponse: { type: "response", id: ID, response: wireResponse },
  flatResponseBytes: { type: "response", id: ID, status: 200, headers: `content-type: ${CONTENT_TYPE}`, body: wireResponse.body },
};
const s3 = new Pieces();
const clones: Row[] = [];
const cloneOf = (label: string, shape: string, value: unknown) => {
  const r = s3.add(label, shape, () => structuredClone(value));
  clones.push(r);
  return r;
};
const rNested = cloneOf("request (a) nested, as protocol.ts", "{type, id, request: {method, path, query: {}, headers: {2}, body}}", shapes.nested);
const rNoHeaders = cloneOf("request (b) nested, no headers", "{type, id, request: {…, query: {}, headers: {}, …}}", shapes.nestedNoHeaders);
const rFlat = cloneOf("request (c) flat", "{type, id, method, path, query, headers: 'name: value…', body}", shapes.flat);
const rArray = cloneOf("request (d) array of primitives", "['request', id, method, path, query, headers, body]", shapes.array);
const rString = cloneOf("request (e) one string", "'id GET /path HTTP/1.1\\r\\nname: value…'", shapes.string);
const rNestedBytes = cloneOf("request (f) nested + 25 B, as step 08", "{type, id, request: {method, url, headers: [[n, v]…], body: ArrayBuffer}}", shapes.nestedBytes);
const rFlatBytes = cloneOf("request (f) flat + 25 B", "{type, id, method, url, headers: 'name: value…', body: ArrayBuffer}", shapes.flatBytes);
const rFlatByteString = cloneOf("request (f) flat + 25 B as a string", "{type, id, method, url, headers: 'name: value…', body: '…'}", shapes.flatByteString);
const rNestedResponse = cloneOf("response nested, as protocol.ts", "{type, id, response: {status, headers: {content-type}, body}}", shapes.nestedResponse);
const rFlatResponse = cloneOf("response flat", "{type, id, status, contentType, body}", shapes.flatResponse);
const rFlatResponseLines = cloneOf("response flat, headers as lines", "{type, id, status, headers: 'content-type: …', body}", shapes.flatResponseLines);
const rWireResponse = cloneOf("response nested + bytes, as step 08", "{type, id, response: {status, statusText, headers: [[n, v]], body: ArrayBuffer}}", shapes.wireResponse);
const rFlatResponseBytes = cloneOf("response flat + bytes", "{type, id, status, headers: 'content-type: …', body: ArrayBuffer}", shapes.flatResponseBytes);
// Step 10 sends the tasks of one turn as one message: an array of the flat messages above
// (each with a 25-byte body as a byte string).
const BATCH = 10;
const batch = Array.from({ length: BATCH }, (_, i) => ({ ...shapes.flatByteString, id: ID + i }));
const rEach = s3.add(`${BATCH} flat requests, one clone each (step 09)`, `${BATCH} × {type, id, method, url, headers, body: '…'}`, () => {
  for (const message of batch) structuredClone(message);
});
clones.push(rEach);
const rBatch = cloneOf(`the same ${BATCH} in one array (step 10)`, `[{type, id, …}, … ${BATCH}]`, batch);
await s3.measure();
const cNested = fig(rNested);
const cNoHeaders = fig(rNoHeaders);
const cFlat = fig(rFlat);
const cArray = fig(rArray);
const cString = fig(rString);
const cNestedBytes = fig(rNestedBytes);
const cFlatBytes = fig(rFlatBytes);
const cFlatByteString = fig(rFlatByteString);
const cNestedResponse = fig(rNestedResponse);
const cFlatResponse = fig(rFlatResponse);
const cFlatResponseLines = fig(rFlatResponseLines);
const cWireResponse = fig(rWireResponse);
const cFlatResponseBytes = fig(rFlatResponseBytes);
const [cEach, cBatch] = [fig(rEach), fig(rBatch)];
progress("\n");

heading("3. structuredClone of one message, by shape (µs per clone: the copy postMessage makes, both halves)");
{
  const table = newTable(["message", "shape", "µs/clone", "spread"]);
  for (const r of clones) {
    table.push(r.figure ? [r.piece, r.where, us(r.figure.us), spread(r.figure)] : [r.piece, r.where, { colSpan: 2, content: `failed: ${r.error}` }]);
  }
  console.log(table.toString());
  explain(
    `The request message as protocol.ts shapes it clones in ${us(cNested)} µs, the flat one carrying the same information in ${us(cFlat)} µs:`,
    `the nested shape costs ${moreOrLess(cNested, cFlat)} (${times(cNested, cFlat)}), each way. Without its headers the nested message takes ${us(cNoHeaders)} µs,`,
    `so the header object costs ${us(cNested - cNoHeaders)} µs and the nesting itself, even with empty objects inside, ${moreOrLess(cNoHeaders, cFlat)} than flat.`,
    `An array of the same primitives clones in ${us(cArray)} µs, one string in ${us(cString)} µs.`,
    `The answer: nested ${us(cNestedResponse)} µs, flat ${us(cFlatResponse)} µs (${moreOrLess(cNestedResponse, cFlatResponse)} for the nested one);`,
    `the header as one string instead of a contentType field, ${us(cFlatResponseLines)} µs.`,
    `Bodies as bytes: step 08's nested request with a 25-byte ArrayBuffer costs ${us(cNestedBytes)} µs, a flat one ${us(cFlatBytes)} µs,`,
    `and the flat one with the same 25 bytes as a string ${us(cFlatByteString)} µs: the ArrayBuffer costs ${moreOrLess(cFlatBytes, cFlatByteString)} than the string.`,
    `Step 08's answer costs ${us(cWireResponse)} µs against ${us(cFlatResponseBytes)} µs flat with its buffer and ${us(cFlatResponseLines)} µs flat with a string body.`,
    `${BATCH} flat requests cloned one by one take ${us(cEach)} µs, the same ${BATCH} in one array ${us(cBatch)} µs (${us(cBatch / BATCH)} µs a request):`,
    `an array leaves the fast path, but the copy was never what a message mostly costs (section 4).`,
  );
}

// ─── 4. postMessage round trips to an echo worker ─────────────────────────────────────────────

/**
 * Keeps `inFlight` messages on their way to the echo worker, sending a new one for each that
 * comes back, for about `ms`; resolves with the µs per round trip.
 */
function trips(value: unknown, inFlight: number, ms: number): Promise<number> {
  return new Promise((resolve) => {
    let sent = 0;
    let back = 0;
    let stopping = false;
    const begun = performance.now();
    echo.onmessage = () => {
      back++;
      if (!stopping && performance.now() - begun >= ms) stopping = true;
      if (!stopping) {
        echo.postMessage(value);
        sent++;
      } else if (back === sent) {
        echo.onmessage = null;
        resolve(((performance.now() - begun) * 1000) / back);
      }
    };
    for (; sent < inFlight; sent++) echo.postMessage(value);
  });
}

progress("4/5 echo round trips ");
// Warm-up, not kept: the worker finishes starting, the JIT compiles both sides.
for (const n of IN_FLIGHT) {
  await trips(shapes.nested, n, TRIP_MS / 2);
  await trips(shapes.flat, n, TRIP_MS / 2);
}
const echoed: Array<{ inFlight: number; nested: Figure; flat: Figure }> = [];
for (const n of IN_FLIGHT) {
  const nested: number[] = [];
  const flat: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Taking turns, the first one changing each round, so that a noisy moment hurts both alike.
    if (round % 2 === 0) {
      nested.push(await trips(shapes.nested, n, TRIP_MS));
      flat.push(await trips(shapes.flat, n, TRIP_MS));
    } else {
      flat.push(await trips(shapes.flat, n, TRIP_MS));
      nested.push(await trips(shapes.nested, n, TRIP_MS));
    }
    progress(".");
  }
  echoed.push({ inFlight: n, nested: { us: median(nested), spread: relativeSpread(nested) }, flat: { us: median(flat), spread: relativeSpread(flat) } });
}
echo.terminate();
progress("\n");

heading("4. postMessage round trips to a worker that echoes (µs per round trip: main → worker → main)");
{
  const table = newTable(["in flight", "nested request (a)", "spread", "flat request (c)", "spread", "nested − flat"]);
  for (const e of echoed) table.push([e.inFlight, us(e.nested.us), spread(e.nested), us(e.flat.us), spread(e.flat), us(e.nested.us - e.flat.us)]);
  console.log(table.toString());
  const one = echoed[0] as (typeof echoed)[number];
  const many = echoed[echoed.length - 1] as (typeof echoed)[number];
  explain(
    `One message at a time, a round trip takes ${us(one.flat.us)} µs (flat); with ${many.inFlight} on their way, ${us(many.flat.us)} µs each,`,
    `${times(one.flat.us, many.flat.us)} as many per second. The difference, ${us(one.flat.us - many.flat.us)} µs a trip, is mostly threads waking up:`,
    `a thread with no message waiting goes to sleep, and a lone message finds the worker asleep, and its answer the main thread.`,
    `A worker whose next message is already waiting when it posts its answer goes straight on with it.`,
    `The shape: the nested message costs ${moreOrLess(one.nested.us, one.flat.us)} per round trip one at a time and ${moreOrLess(many.nested.us, many.flat.us)}`,
    `with ${many.inFlight} in flight; the difference structuredClone makes between the two (section 3), counted both ways, is ${us(2 * (cNested - cFlat))} µs.`,
  );
}

// ─── 5. Whole round trips through a pool ──────────────────────────────────────────────────────

/** A pool under test, whatever its request type: runs the trivial task, answers its status. */
interface Subject {
  run(): Promise<number>;
  close(): Promise<void>;
}

// The pools are loaded by path (a step may be mid-edit: its row then shows why it failed), so
// their types are declared here, as much of them as this file uses.
interface StepPool {
  run(request: object): Promise<{ status: number }>;
  close(): Promise<void>;
}
interface StepPoolModule {
  WorkerPool: { create(options: { appModule: string; size?: number; tasksPerWorker?: number }): Promise<StepPool> };
}
interface BarePoolModule {
  BarePool: new (
    size: number,
    entry: "handle" | "fetch",
  ) => { run(task: { method: string; url: string; headers: Record<string, string>; body: string }): Promise<{ status: number }>; close(): void };
}

/** Callers at once in the "many in flight" column: as many as the HTTP bench's connections (scenario 4). */
const LANES = 50;

/**
 * What a step's `pool.run` takes, told by the module its pool.ts imports the request's type from:
 * steps 03-07 a RequestData; step 08 a WireRequest (lib/fetch-protocol.ts: headers as pairs, the
 * body as bytes); from step 09 on the flat WireRequest of lib/flat-protocol.ts (headers as lines).
 */
const REQUEST_BY_MODULE: Array<[module: string, request: object]> = [
  ["#lib/http-types.ts", REQUEST_DATA],
  ["#lib/fetch-protocol.ts", WIRE_REQUEST],
  ["#lib/flat-protocol.ts", { method: "GET", url: ORIGIN + TRIVIAL_PATH, headers: HEADER_LINES, body: null }],
  ["#lib/batch-protocol.ts", { method: "GET", url: ORIGIN + TRIVIAL_PATH, headers: HEADER_LINES, body: null }],
];

const SOLUTIONS = new URL("../solutions/", import.meta.url).pathname;
const stepDirs = readdirSync(SOLUTIONS)
  .filter((dir) => /^\d\d-/.test(dir) && existsSync(join(SOLUTIONS, dir, "pool.ts")))
  .sort();

async function openStep(dir: string, options: { tasksPerWorker?: number } = {}): Promise<Subject> {
  const file = join(SOLUTIONS, dir, "pool.ts");
  const source = await Bun.file(file).text();
  const request = REQUEST_BY_MODULE.find(([module]) => source.includes(`"${module}"`))?.[1];
  if (!request) throw new Error(`cannot tell what pool.run takes: pool.ts imports none of ${REQUEST_BY_MODULE.map(([m]) => m).join(", ")}`);
  const { WorkerPool } = (await import(file)) as StepPoolModule;
  const pool = await within(WorkerPool.create({ appModule: EXAMPLE_APP, size: POOL_SIZE, ...options }), PATIENCE_MS, "WorkerPool.create");
  return { run: async () => (await pool.run(request)).status, close: () => pool.close() };
}

// The bare pool calling the app the way a step does: app.handle() for steps 02-07, app.fetch()
// from step 08 on (bench/summary.ts bareEntryFor); each step's ÷ bare is against its own kind.
async function openBare(entry: "handle" | "fetch"): Promise<Subject> {
  const { BarePool } = (await import(new URL("./bare-pool/pool.ts", import.meta.url).href)) as BarePoolModule;
  const pool = new BarePool(POOL_SIZE, entry);
  const task = { method: "GET", url: ORIGIN + TRIVIAL_PATH, headers: Object.fromEntries(HEADER_PAIRS), body: "" };
  return { run: async () => (await pool.run(task)).status, close: async () => pool.close() };
}

/** µs per task, `lanes` callers each running one task after the other for about `ms`. */
async function throughPool(subject: Subject, lanes: number, ms: number): Promise<number> {
  let done = 0;
  const begun = performance.now();
  const end = begun + ms;
  const lane = async () => {
    while (performance.now() < end) {
      const status = await subject.run();
      if (status !== 200) throw new Error(`GET ${TRIVIAL_PATH} answered ${status}`);
      done++;
    }
  };
  await within(Promise.all(Array.from({ length: lanes }, lane)), PATIENCE_MS, "pool.run");
  return ((performance.now() - begun) * 1000) / done;
}

interface PoolResult {
  name: string;
  latency: number[];
  throughput: number[];
  error?: string;
  subject?: Subject;
}

progress(`5/5 pools of ${POOL_SIZE} `);
const BARE = { handle: "bare pool, app.handle()", fetch: "bare pool, app.fetch()" } as const;
const bareOf = (name: string) => (Number(/step (\d\d)/.exec(name)?.[1]) >= 8 ? BARE.fetch : BARE.handle);
const pools: PoolResult[] = [];
const openers = [
  ...stepDirs.flatMap((dir) => [
    { name: `step ${dir}`, open: () => openStep(dir) },
    // Step 09's two cuts apart: its flat messages alone (nothing sent ahead: step 08's scheduling),
    // then both (the row above); and, for the default's choice, tasksPerWorker at half of it.
    ...(/^09-/.test(dir)
      ? [
          { name: `step ${dir}, tasksPerWorker 1`, open: () => openStep(dir, { tasksPerWorker: 1 }) },
          { name: `step ${dir}, tasksPerWorker 16`, open: () => openStep(dir, { tasksPerWorker: 16 }) },
        ]
      : []),
  ]),
  { name: BARE.handle, open: () => openBare("handle") },
  { name: BARE.fetch, open: () => openBare("fetch") },
];
for (const { name, open } of openers) {
  const result: PoolResult = { name, latency: [], throughput: [] };
  pools.push(result);
  try {
    result.subject = await open();
    // Warm-up, not kept: the workers compile the app, this thread the pool.
    await throughPool(result.subject, LANES, POOL_MS);
    await throughPool(result.subject, 1, POOL_MS / 2);
  } catch (error) {
    result.error = message(error);
  }
  progress(".");
}
// Rounds go across the pools, so that a noisy moment on the machine hurts them all alike.
for (let round = 0; round < ROUNDS; round++) {
  for (const p of pools) {
    if (p.error || !p.subject) continue;
    try {
      p.latency.push(await throughPool(p.subject, 1, POOL_MS));
      p.throughput.push(await throughPool(p.subject, LANES, POOL_MS));
    } catch (error) {
      p.error = message(error);
    }
  }
  progress(".");
}
let leaked = false;
for (const p of pools) {
  if (!p.subject) continue;
  try {
    await within(p.subject.close(), PATIENCE_MS, "close");
  } catch (error) {
    leaked = true;
    p.error ??= `close failed: ${message(error)}`;
  }
}
progress("\n");

heading(`5. Through a whole pool of ${POOL_SIZE} workers, GET ${TRIVIAL_PATH} (µs per task)`);
{
  const ok: Array<{ name: string; latency: number; throughput: number }> = [];
  for (const p of pools) if (!p.error) ok.push({ name: p.name, latency: median(p.latency), throughput: median(p.throughput) });
  const bare = ok.find((p) => p.name === BARE.handle);
  const bareFor = (name: string) => ok.find((p) => p.name === bareOf(name));
  const table = newTable(["pool", "one at a time", "spread", `${LANES} in flight`, "spread", "÷ its bare pool"]);
  for (const p of pools) {
    if (p.error) {
      table.push([p.name, { colSpan: 5, content: `failed: ${p.error}` }]);
      continue;
    }
    const latency = { us: median(p.latency), spread: relativeSpread(p.latency) };
    const throughput = { us: median(p.throughput), spread: relativeSpread(p.throughput) };
    const yardstick = p.name.startsWith("bare") ? undefined : bareFor(p.name);
    table.push([p.name, us(latency.us), spread(latency), us(throughput.us), spread(throughput), yardstick ? times(throughput.us, yardstick.throughput) : "-"]);
  }
  console.log(table.toString());
  const steps = ok.filter((p) => !p.name.startsWith("bare"));
  const h = fig(handle);
  const lone = (echoed[0] as (typeof echoed)[number]).flat.us;
  const busy = (echoed[echoed.length - 1] as (typeof echoed)[number]).flat.us;
  if (steps.length > 0) {
    const byLatency = [...steps].sort((a, b) => a.latency - b.latency);
    const byThroughput = [...steps].sort((a, b) => a.throughput - b.throughput);
    const [fast, slow] = [byLatency[0], byLatency[byLatency.length - 1]] as [(typeof ok)[number], (typeof ok)[number]];
    const [best, worst] = [byThroughput[0], byThroughput[byThroughput.length - 1]] as [(typeof ok)[number], (typeof ok)[number]];
    explain(
      `One task at a time, the steps' pools take from ${us(fast.latency)} µs (${fast.name}) to ${us(slow.latency)} µs (${slow.name}) per task.`,
      `Of that, the app's own work is ${us(h)} µs (app.handle, section 2) and a lone echo round trip ${us(lone)} µs (section 4);`,
      `the rest, ${us(fast.latency - h - lone)} to ${us(slow.latency - h - lone)} µs, is what the pool and its protocol add on both threads.`,
      `With ${LANES} in flight they take from ${us(best.throughput)} µs (${best.name}) to ${us(worst.throughput)} µs (${worst.name}) per task`,
      `(an echo worker with its next message waiting: ${us(busy)} µs a trip).`,
      bare
        ? `The bare pool calling app.handle() takes ${us(bare.latency)} µs one at a time and ${us(bare.throughput)} µs with ${LANES} in flight:` +
            ` it posts a worker its next task without waiting for the last answer, so a busy worker never sleeps.` +
            ` Each step's ÷ is against the bare pool that calls the app its way (app.fetch() from step 08 on).`
        : "The bare pool could not be measured.",
    );
  } else explain("No step's pool could be measured: see the errors above.");
}

progress(`done in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
if (leaked) {
  // A pool that would not close may have left workers running, which would keep this process alive.
  console.error("a pool did not close: its workers may still run; exiting anyway");
  process.exit(1);
}
void sink;
