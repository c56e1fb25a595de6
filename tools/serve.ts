// `npm run serve -- [NN] [--solution] [--port N] [--workers N]`
//
// Serves the example app with a step's server, so you can curl it or load it.
//   npm run serve                 the full server (step 04's reference), on $PORT or 3000
//   npm run serve -- 01           your own steps/01-…/server.ts
//   npm run serve -- 04 --solution --port 8080 --workers 4
// The first line it prints is `listening on <url> …`: the bench waits for it.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pc from "picocolors";
import { app } from "#lib/example-app.ts";
import { EXAMPLE_APP } from "#lib/app-modules.ts";
import type { App } from "#lib/app.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { findStep, listSteps } from "./steps.ts";

/** The options any step's `startServer` accepts; each step reads the ones it knows. */
interface AnyServerOptions {
  app: App;
  appModule: string;
  port: number;
  workers?: number;
}
interface ServerModule {
  startServer(options: AnyServerOptions): RunningServer | Promise<RunningServer>;
}

const DEFAULT_STEP = "04";
const DEFAULT_PORT = 3000;

function fail(message: string): never {
  console.error(pc.red(`serve: ${message}`));
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    args: Bun.argv.slice(2),
    allowPositionals: true,
    options: {
      solution: { type: "boolean", default: false },
      port: { type: "string" },
      workers: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (error) {
  fail(`${(error as Error).message}\nusage: npm run serve -- [NN] [--solution] [--port N] [--workers N]`);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log("usage: npm run serve -- [NN] [--solution] [--port N] [--workers N]");
  console.log("  with no step: the full server, step 04's reference");
  process.exit(0);
}

const stepName = positionals[0] ?? DEFAULT_STEP;
const step = findStep(stepName);
if (!step) fail(`no step "${stepName}". Steps: ${listSteps().map((s) => s.id).join(", ")}`);
const useSolution = values.solution || positionals.length === 0;
const file = join(useSolution ? step.solutionDir : step.dir, "server.ts");
if (!existsSync(file)) fail(`step ${step.id} has no server (${file} does not exist)`);

const port = parseCount(values.port ?? process.env.PORT ?? String(DEFAULT_PORT), "port", 0);
const workers = values.workers === undefined ? undefined : parseCount(values.workers, "workers", 1);

function parseCount(raw: string, name: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

const { startServer } = (await import(file)) as ServerModule;
let server: RunningServer;
try {
  server = await startServer({ app, appModule: EXAMPLE_APP, port, workers });
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  if ((error as { code?: string }).code === "EADDRINUSE" || /EADDRINUSE|address already in use|port .* in use/i.test(message)) {
    fail(`port ${port} is busy: pass --port N (or PORT=N), or 0 for any free port`);
  }
  if (message.includes("not implemented yet")) {
    fail(`steps/${step.slug} is not done yet (${message}).\n       Serve the reference instead: npm run serve -- ${step.id} --solution`);
  }
  fail(`the server did not start: ${message}`);
}

const what = `step ${step.id} ${useSolution ? "reference" : "(your code)"}${workers ? `, ${workers} workers` : ""}`;
console.log(`listening on ${server.url.href} (${what}); Ctrl-C stops it`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (stopping) process.exit(1); // a second Ctrl-C: stop waiting
    stopping = true;
    await server.stop();
    process.exit(0);
  });
}
