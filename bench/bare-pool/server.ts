// `bun bench/bare-pool/server.ts [--port N] [--workers N] [--entry handle|fetch]`: the bare pool behind Bun.serve.
//
// The bench measures it in the same run as the steps (scenario 4: a trivial route through the
// pool vs /health on the main thread), so that every step's round-trip figure sits next to the
// simplest pool's, on the same machine, minutes apart. Prints `listening on <url>` like
// tools/serve.ts, and stops on SIGTERM or Ctrl-C.

import { parseArgs } from "node:util";
import { BarePool, type BareEntry } from "./pool.ts";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: { port: { type: "string" }, workers: { type: "string" }, entry: { type: "string" } } });
const entry = values.entry ?? "handle";
if (entry !== "handle" && entry !== "fetch") {
  console.error(`bare pool: --entry must be handle or fetch, got "${entry}"`);
  process.exit(2);
}
const workers = values.workers === undefined ? navigator.hardwareConcurrency : Number(values.workers);
if (!Number.isInteger(workers) || workers < 1) {
  console.error(`bare pool: --workers must be an integer ≥ 1, got "${values.workers}"`);
  process.exit(2);
}
const pool = new BarePool(workers, entry satisfies BareEntry);
const server = Bun.serve({
  port: Number(values.port ?? 0),
  async fetch(request) {
    if (new URL(request.url).pathname === "/health") return new Response("ok");
    const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
    const answer = await pool.run({ method: request.method, url: request.url, headers: Object.fromEntries(request.headers), body });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  },
});
console.log(`listening on ${server.url.href} (the bare pool calling app.${entry}(), bench/bare-pool: a yardstick, not a step)`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    void server.stop(true);
    pool.close();
    process.exit(0);
  });
}
