// `npx bun bench/transfer-threshold.ts [rounds]`: from what size a body is better handed over
// to a worker than copied to it.
//
// `postMessage(message)` copies every byte of the message (structured clone). With a transfer
// list, `postMessage(message, [buffer])`, the buffer's memory changes owner instead: nothing is
// copied, and the sender's `ArrayBuffer` is left empty (byteLength 0, `detached`). That is not
// free either: the transfer has its own bookkeeping, and for a few hundred bytes copying may
// well be cheaper. Step 08 transfers a body from `TRANSFER_THRESHOLD_BYTES` on
// (solutions/08-your-own-app/wire.ts); this measures where that line is on this machine.
//
// What it times: round trips as a request and its answer make them, a message with the body
// and a little metadata posted to a worker, which posts it straight back, both ways copied or
// both ways transferred. A fresh buffer per trip, as a body read from a request is, and a few
// trips on their way at once, as under load. For each size, copies and transfers take turns
// (so that a noisy neighbour hurts both alike), and the table shows the median of the rounds.

import Table from "cli-table3";
import { median, relativeSpread } from "./stats.ts";
import { TRANSFER_THRESHOLD_BYTES } from "../solutions/08-your-own-app/wire.ts";

const rounds = Number(Bun.argv[2] ?? 7);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`usage: npx bun bench/transfer-threshold.ts [rounds], rounds a whole number ≥ 1, got "${Bun.argv[2]}"`);
  process.exit(2);
}

const SIZES = [256, 1024, 4096, 8192, 16384, 32768, 65536, 262144, 1048576, 4194304];
/** Each measurement runs for about this long, so that small sizes get many trips and large ones a few. */
const CELL_MS = 60;
/** Bodies on their way at once, in bytes at most (and 32 messages at most). */
const BATCH_BYTES = 8 * 1024 * 1024;

// The worker does nothing but send the message back, the same way it came.
const echo = `self.onmessage = (e) => self.postMessage(e.data, e.data.transfer ? [e.data.body] : []);`;
const worker = new Worker(URL.createObjectURL(new Blob([echo], { type: "application/javascript" })));

/**
 * Posts `count` messages, each with a fresh body of `size` bytes, and resolves once every one
 * has come back. Several on their way at once: the time measured is then the cost of the
 * messages themselves rather than the time each thread takes to wake up for one.
 */
function trips(size: number, transfer: boolean, count: number): Promise<void> {
  return new Promise((resolve) => {
    let back = 0;
    worker.onmessage = () => {
      if (++back === count) resolve();
    };
    for (let i = 0; i < count; i++) {
      const body = new ArrayBuffer(size);
      const message = { body, transfer, method: "POST", url: "http://localhost:3000/upload", headers: [["content-type", "application/octet-stream"]] };
      worker.postMessage(message, transfer ? [body] : []);
    }
  });
}

/** Microseconds per round trip, over as many batches as fit in about CELL_MS. */
async function measure(size: number, transfer: boolean): Promise<number> {
  const batch = Math.max(1, Math.min(32, Math.floor(BATCH_BYTES / size)));
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < CELL_MS || count < 3 * batch) {
    await trips(size, transfer, batch);
    count += batch;
  }
  return ((performance.now() - started) * 1000) / count;
}

const kib = (bytes: number) => (bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`);

console.log(`round trips main → worker → main, ${rounds} rounds of ~${CELL_MS} ms per size and mode…`);
// Warm-up, not kept: the JIT compiles the hot paths, the worker finishes starting.
for (const size of SIZES) {
  await measure(size, false);
  await measure(size, true);
}

const results = [];
for (const size of SIZES) {
  const copied: number[] = [];
  const moved: number[] = [];
  for (let round = 0; round < rounds; round++) {
    copied.push(await measure(size, false));
    moved.push(await measure(size, true));
  }
  results.push({ size, copy: median(copied), transfer: median(moved), spread: Math.max(relativeSpread(copied), relativeSpread(moved)) });
}
worker.terminate();

const table = new Table({ head: ["body", "copied µs/trip", "transferred µs/trip", "copy ÷ transfer", "rounds' spread"], style: { head: [], border: [] } });
for (const r of results) {
  table.push([kib(r.size), r.copy.toFixed(1), r.transfer.toFixed(1), `${(r.copy / r.transfer).toFixed(2)}×`, Number.isNaN(r.spread) ? "-" : `${(100 * r.spread).toFixed(0)}%`]);
}
console.log(table.toString());

// The threshold: the smallest size from which transferring is clearly faster, at that size and
// at every larger one. "Clearly": by at least CLEAR_GAIN, since on a shared machine two rounds
// of the very same thing differ by more than the small gains measured below a few KiB.
const CLEAR_GAIN = 1.5;
let pays: number | undefined;
for (let i = results.length - 1; i >= 0; i--) {
  const r = results[i] as (typeof results)[number];
  if (r.copy / r.transfer >= CLEAR_GAIN) pays = r.size;
  else break;
}
console.log(
  pays === undefined
    ? `transferring was not ${CLEAR_GAIN}× faster even for the largest body here`
    : `transferring is at least ${CLEAR_GAIN}× faster from ${kib(pays)} on (and at every larger size measured)`,
);
console.log(`step 08 transfers from TRANSFER_THRESHOLD_BYTES = ${kib(TRANSFER_THRESHOLD_BYTES)} (solutions/08-your-own-app/wire.ts)`);
