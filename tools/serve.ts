// `npm run serve -- [NN] [--solution] [--app PATH] [--light PATTERN]… [--port N] [--workers N]`
//
// Serves an app with a step's server, so you can curl it or load it.
//   npm run serve                        the newest step's reference, with the example app, on $PORT or 3000
//   npm run serve -- 01                  your own steps/01-…/server.ts
//   npm run serve -- 04 --solution --port 8080 --workers 4
//   npm run serve -- --app ./my-app.ts   your own app (any fetch handler), in step 08's reference pool
//   npm run serve -- 08 --app ./my-app.ts --light /health --light "/users/:id"
//                                        your app with your steps/08-…/server.ts; two routes answered
//                                        on the main thread
// The first line it prints is `listening on <url> …`: the bench waits for it. A step that has
// a `shutdown.ts` (07 on) stops on SIGTERM or Ctrl-C the way that step teaches: it finishes the
// requests in flight first, and a second signal stops it at once.

import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import pc from "picocolors";
import { app } from "#lib/example-app.ts";
import { EXAMPLE_APP } from "#lib/app-modules.ts";
import type { App } from "#lib/app.ts";
import type { RunningServer } from "#lib/running-server.ts";
import { findStep, listSteps, ROOT, type Step } from "./steps.ts";

/** The options any step's `startServer` accepts; each step reads the ones it knows. */
interface AnyServerOptions {
  app: App;
  appModule: string;
  port: number;
  workers?: number;
  light?: string[];
}
interface ServerModule {
  startServer(options: AnyServerOptions): RunningServer | Promise<RunningServer>;
}
interface ShutdownModule {
  stopOnSignals(server: RunningServer): () => void;
}

/** The first step whose server runs any fetch handler, and so any app module. */
const FIRST_STEP_WITH_APPS = "08";
const DEFAULT_PORT = 3000;
const USAGE = "usage: npm run serve -- [NN] [--solution] [--app PATH] [--light PATTERN]… [--port N] [--workers N]";

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
      app: { type: "string" },
      light: { type: "string", multiple: true },
      port: { type: "string" },
      workers: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
const { values, positionals } = parsed;

// The newest step with a server: what `npm run serve` means with no step named.
const newest = listSteps().findLast((step) => existsSync(join(step.solutionDir, "server.ts")));
if (values.help) {
  console.log(USAGE);
  console.log(`  with no step: the newest step's reference (step ${newest?.id ?? "?"})`);
  console.log(`  --app PATH: a module whose default export is a fetch handler (Hono, Elysia, \`export default { fetch }\`), from step ${FIRST_STEP_WITH_APPS} on`);
  console.log("  --light PATTERN: a path answered on the main thread (URLPattern syntax, e.g. /users/:id); repeat it for more");
  process.exit(0);
}

const stepName = positionals[0] ?? newest?.id ?? "";
const step = findStep(stepName);
if (!step) fail(`no step "${stepName}". Steps: ${listSteps().map((s) => s.id).join(", ")}`);
const useSolution = values.solution || positionals.length === 0;
const dir = useSolution ? step.solutionDir : step.dir;
const file = join(dir, "server.ts");
if (!existsSync(file)) fail(`step ${step.id} has no server (${file} does not exist)`);

const light = values.light ?? [];
for (const [option, given] of [["--app", values.app !== undefined], ["--light", light.length > 0]] as const) {
  if (given && step.id < FIRST_STEP_WITH_APPS) {
    fail(`${option} needs step ${FIRST_STEP_WITH_APPS} or later: step ${step.id}'s worker runs only the tutorial's own App (omit the step to use the newest)`);
  }
}

const port = parseCount(values.port ?? process.env.PORT ?? String(DEFAULT_PORT), "port", 0);
const workers = values.workers === undefined ? undefined : parseCount(values.workers, "workers", 1);

function parseCount(raw: string, name: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

// `npm run` starts scripts in the package's folder; a relative path means the learner's own folder.
const appFile = values.app === undefined ? undefined : resolve(process.env.INIT_CWD ?? process.cwd(), values.app);
if (appFile !== undefined && !existsSync(appFile)) fail(`--app: no file at ${appFile}`);
const appModule = appFile === undefined ? EXAMPLE_APP : pathToFileURL(appFile).href;
const appName = appFile === undefined ? "the example app" : shortPath(appFile);

const { startServer } = (await import(file)) as ServerModule;
let server: RunningServer;
try {
  server = await startServer({ app, appModule, port, workers, ...(light.length > 0 ? { light } : {}) });
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  if ((error as { code?: string }).code === "EADDRINUSE" || /EADDRINUSE|address already in use|port .* in use/i.test(message)) {
    fail(`port ${port} is busy: pass --port N (or PORT=N), or 0 for any free port`);
  }
  if (message.includes("not implemented yet")) {
    fail(`steps/${step.slug} is not done yet (${firstLine(message)}).\n       Serve the reference instead: npm run serve -- ${step.id} --solution`);
  }
  // One line, no stack: the reason the workers (or the main thread) gave, about the learner's module.
  const reason = firstLine(message).replace(`the worker could not load ${appModule}: `, "").replaceAll(appModule, appName);
  fail(`${appName} cannot be served: ${(appFile && syntaxError(appFile)) || reason}`);
}

const what = [
  `step ${step.id} ${useSolution ? "reference" : "(your code)"}`,
  ...(appFile === undefined ? [] : [`app ${appName}`]),
  ...(light.length > 0 ? [`light ${light.join(" ")}`] : []),
  ...(workers ? [`${workers} workers`] : []),
].join(", ");
console.log(`listening on ${server.url.href} (${what}); Ctrl-C stops it`);

await stopOnSignals(server, step, dir);

/** The step's own graceful shutdown when it has one (step 07 on), else stop and exit. */
async function stopOnSignals(server: RunningServer, step: Step, dir: string): Promise<void> {
  const shutdown = join(dir, "shutdown.ts");
  if (existsSync(shutdown)) {
    try {
      ((await import(shutdown)) as ShutdownModule).stopOnSignals(server);
      return;
    } catch (error) {
      console.error(`serve: steps/${step.slug}/shutdown.ts is not usable yet (${firstLine(error instanceof Error ? error.message : String(error))}); a signal stops the server at once`);
    }
  }
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, async () => {
      if (stopping) process.exit(1); // a second Ctrl-C: stop waiting
      stopping = true;
      await server.stop();
      process.exit(0);
    });
  }
}

// A syntax error reaches the worker's caller as "4 errors building …", without a line number.
// Parsing the file here (without running it) finds the first one and where it is.
function syntaxError(file: string): string | undefined {
  if (!/\.[cm]?[jt]sx?$/.test(file)) return undefined;
  const loader = /\.[cm]?tsx?$/.test(file) ? (file.endsWith("x") ? "tsx" : "ts") : file.endsWith("x") ? "jsx" : "js";
  try {
    new Bun.Transpiler({ loader }).transformSync(readFileSync(file, "utf8"));
    return undefined;
  } catch (error) {
    const first = (error as { errors?: unknown[] }).errors?.[0] ?? error;
    const { message, position } = first as { message?: string; position?: { line: number; column: number } | null };
    return `syntax error at ${shortPath(file)}:${position ? `${position.line}:${position.column}` : "?"}: ${message ?? String(error)}`;
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}

function shortPath(path: string): string {
  const inRepo = relative(ROOT, path);
  return inRepo.startsWith("..") || isAbsolute(inRepo) ? path : inRepo;
}
