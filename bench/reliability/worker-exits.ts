// `bun bench/reliability/worker-exits.ts`: what does Bun tell the main thread when a worker ends?
//
// Step 05's crash detection rests on this, so it is a runnable experiment rather than a claim:
// for each way a worker can end, it records which events the main thread gets (`error`,
// `close`) and the close event's code, over several runs (the code is not always the same).
// Run it on your Bun version; the chapter shows 1.4.5's.

const WORKER = new URL("./worker-exits.worker.ts", import.meta.url).href;
const WAYS = [
  "process.exit(1)",
  "process.exit(0)",
  "uncaught error",
  "unhandled rejection",
  "terminate()",
  "endless loop, then terminate()",
  "terminate() before ready",
];

async function observe(how: string): Promise<string> {
  const worker = new Worker(WORKER);
  const seen: string[] = [];
  await new Promise<void>((resolve) => {
    worker.addEventListener("error", (event) => {
      const line = event.message.split("\n").find((l) => /^(\w*Error|error): /.test(l)) ?? "";
      seen.push(`error (event.error: ${String(event.error)}, message has "${line.trim()}")`);
    });
    worker.addEventListener("close", (event) => {
      seen.push(`close code ${(event as CloseEvent).code}`);
      resolve();
    });
    worker.addEventListener("message", (event) => {
      if (event.data === "looping") worker.terminate();
      else if (event.data === "ready" && how === "terminate()") worker.terminate();
      else if (event.data === "ready") worker.postMessage(how);
    });
    if (how === "terminate() before ready") worker.terminate();
  });
  return seen.join(", then ");
}

console.log(`Bun ${Bun.version}: what the main thread sees when a worker ends\n`);
console.log("| how the worker ended | events on the main thread |\n| --- | --- |");
const RUNS = 5;
for (const how of WAYS) {
  const outcomes = new Map<string, number>();
  for (let run = 0; run < RUNS; run++) {
    const outcome = await observe(how);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  const cells = [...outcomes].map(([outcome, n]) => `${outcome} (${n}/${RUNS})`);
  console.log(`| ${how} | ${cells.join("; or ")} |`);
}
