// `npx bun bench/parallel-ceiling.ts [n] [processes]`: the speedup this machine gives with no server at all.
//
// Runs fib(n) in a loop in one process, then in `processes` processes at once (one per core by
// default), and prints how much more work the machine did in parallel. That ratio is the
// ceiling for step 04's speedup on the same machine: a pool cannot make cores faster than they
// are when all of them compute. (On virtual machines and hyper-threaded cores it is often
// below the core count.)
//
// `compare` measures it in every round of its own run (`measureCeiling`), so that the speedup
// and its ceiling describe the same minutes of the same machine: "1.92x of a possible 1.95x".
//
// Each process warms up (the JIT compiles fib), says it is ready, and waits for a common "go":
// the processes then compute over the same window, not one starting as another finishes.

import { fibonacci } from "#lib/fibonacci.ts";
import type { CeilingRound } from "./config.ts";
import { isNoisy, noiseText, startNoise, worstNoise } from "./noise.ts";

/** Seconds the processes compute together; each "alone" part lasts half as long. */
export const CEILING_SECONDS = 2;

interface CeilingOptions {
  n: number;
  processes: number;
  seconds?: number;
  signal?: AbortSignal;
}

/** Runs `count` processes computing fib(n) together; resolves with their fib/s, summed. */
async function together(count: number, n: number, seconds: number, signal?: AbortSignal): Promise<number> {
  const children = Array.from({ length: count }, () =>
    Bun.spawn([process.execPath, import.meta.path, "--child", String(n), String(seconds)], { stdin: "pipe", stdout: "pipe", stderr: "inherit" }),
  );
  const kill = () => children.forEach((c) => c.kill("SIGTERM"));
  signal?.addEventListener("abort", kill, { once: true });
  try {
    const readers = children.map((c) => lines(c.stdout));
    // Every child warms up first; none starts counting before all are ready.
    await Promise.all(readers.map(async (next) => expectLine(await next(), "ready")));
    for (const c of children) {
      c.stdin.write("go\n");
      await c.stdin.flush();
    }
    const rates = await Promise.all(readers.map(async (next) => Number(await next())));
    await Promise.all(children.map((c) => c.exited));
    if (signal?.aborted) throw new Error("aborted");
    if (!rates.every((r) => Number.isFinite(r) && r > 0)) throw new Error(`parallel ceiling: a process reported no rate (${rates.join(", ")})`);
    return rates.reduce((sum, r) => sum + r, 0);
  } finally {
    signal?.removeEventListener("abort", kill);
    kill();
  }
}

function expectLine(line: string | undefined, wanted: string): void {
  if (line !== wanted) throw new Error(`parallel ceiling: a process said "${line ?? "nothing"}", not "${wanted}"`);
}

/** Reads a stream line by line: each call resolves with the next line (undefined at the end). */
function lines(stream: ReadableStream<Uint8Array>): () => Promise<string | undefined> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  return async () => {
    for (;;) {
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        return line;
      }
      const { value, done } = await reader.read();
      if (done) return buffered.trim() || undefined;
      buffered += decoder.decode(value, { stream: true });
    }
  };
}

/**
 * One measurement of the ceiling, with the noise during each part. One process alone, then all
 * together, then one alone again: the two "alone" halves frame the "together" one, so a machine
 * whose speed drifts during the measurement (a virtual machine's host, a CPU warming up) shifts
 * both sides of the ratio alike instead of only one.
 */
export async function measureCeiling({ n, processes, seconds = CEILING_SECONDS, signal }: CeilingOptions, round = 0): Promise<CeilingRound> {
  const timed = async (count: number, s: number) => {
    const meter = startNoise();
    const rate = await together(count, n, s, signal);
    return { rate, noise: meter.stop() };
  };
  const before = await timed(1, seconds / 2);
  const all = await timed(processes, seconds);
  const after = await timed(1, seconds / 2);
  const alone = (before.rate + after.rate) / 2;
  return {
    round,
    processes,
    alone,
    together: all.rate,
    ratio: all.rate / alone,
    noise: worstNoise([before.noise, all.noise, after.noise], navigator.hardwareConcurrency),
  };
}

async function child(n: number, seconds: number): Promise<void> {
  for (let i = 0; i < 3; i++) fibonacci(n); // warm the JIT
  console.log("ready");
  for await (const line of console) {
    if (line.trim() === "go") break;
  }
  let done = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    fibonacci(n);
    done++;
  }
  console.log(done / ((performance.now() - started) / 1000));
}

if (import.meta.main) {
  const args = Bun.argv.slice(2);
  if (args[0] === "--child") {
    await child(Number(args[1]), Number(args[2]));
  } else {
    const [rawN = "33", rawProcesses = String(navigator.hardwareConcurrency)] = args;
    const n = Number(rawN);
    const processes = Number(rawProcesses);
    console.log(`fib(${n}) in 1 process for ${CEILING_SECONDS / 2} s, then in ${processes} at once for ${CEILING_SECONDS} s, then in 1 again…`);
    const c = await measureCeiling({ n, processes });
    console.log(`1 process: ${c.alone.toFixed(1)} fib/s (before and after); ${processes} processes: ${c.together.toFixed(1)} fib/s`);
    console.log(`parallel ceiling: ${c.ratio.toFixed(2)}x on ${processes} processes (${((100 * c.ratio) / processes).toFixed(0)}% efficiency)`);
    const cores = navigator.hardwareConcurrency;
    console.log(`noise (cores taken by other processes meanwhile): ${noiseText(c.noise, cores)}${isNoisy(c.noise, cores) ? ": the machine was busy, measure again when it is quiet" : ""}`);
    if (c.ratio > processes) console.log(`above ${processes}x, which ${processes} processes cannot do: one process ran slower alone than with company, so the machine's speed changed meanwhile (on a virtual machine, its host); measure again`);
  }
}
