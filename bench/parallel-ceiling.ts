// `bun bench/parallel-ceiling.ts [n] [cores]`: the speedup this machine gives with no server at all.
//
// Runs fib(n) in a loop in one process, then in `cores` processes at once, and prints how much
// more work the machine did in parallel. That ratio is the ceiling for step 04's speedup on the
// same machine: a pool cannot make cores faster than they are when all of them compute. (On
// virtual machines and hyper-threaded cores it is often below the core count.)

import { fibonacci } from "#lib/fibonacci.ts";

const [rawN = "33", rawCores = String(navigator.hardwareConcurrency), child] = Bun.argv.slice(2);
const n = Number(rawN);
const cores = Number(rawCores);
const REPEATS = 40;

if (child === "--child") {
  fibonacci(n - 3); // warm the JIT
  const started = performance.now();
  for (let i = 0; i < REPEATS; i++) fibonacci(n);
  console.log((performance.now() - started) / REPEATS);
} else {
  const run = async (count: number) => {
    const children = Array.from({ length: count }, () =>
      Bun.spawn([process.execPath, import.meta.path, rawN, rawCores, "--child"], { stdout: "pipe" }),
    );
    const msEach = await Promise.all(children.map(async (c) => Number(await new Response(c.stdout).text())));
    return msEach.reduce((sum, ms) => sum + 1000 / ms, 0); // fibs per second, all processes together
  };
  console.log(`fib(${n}) ${REPEATS} times per process, 1 process then ${cores} at once…`);
  const alone = await run(1);
  const together = await run(cores);
  console.log(`1 process: ${alone.toFixed(1)} fib/s; ${cores} processes: ${together.toFixed(1)} fib/s`);
  console.log(`parallel ceiling: ${(together / alone).toFixed(2)}x on ${cores} cores (${((100 * together) / alone / cores).toFixed(0)}% efficiency)`);
}
