// A step's server in a process of its own, behind that step's `stopOnSignals`, for the tests
// that send real signals (a signal sent to the test's own process would end the test run).
//
//   bun lib/testing/serve-with-signals.ts <step folder> <workers>
//
// It starts `<step folder>/server.ts` on port 0 with the fixture app, installs
// `<step folder>/shutdown.ts`'s `stopOnSignals(server)` with its defaults, and tells the test,
// one line each on stdout:
//
//   url <url>            it listens there
//   started <label>      a handler announced its start (announcements travel on a
//                        BroadcastChannel, which does not cross processes: this relays them)
//   queued <n>           the pool's queue now holds n requests
//
// Relaying keeps the process alive, so it lasts only until stdin ends: the test ends it
// before it sends a signal, and from then on only the server can keep the process running.
// Whatever happens, the process ends within 10 s (exit code 3), so that none outlives a test.

import { join } from "node:path";
import { FIXTURE_APP } from "../app-modules.ts";
import { EventLog } from "./events.ts";

interface StepServer {
  url: URL;
  stop(options?: { force?: boolean }): Promise<void>;
  stats(): { queued: number };
}
interface ServerModule {
  startServer(options: { appModule: string; port: number; workers: number }): Promise<StepServer>;
}
interface ShutdownModule {
  stopOnSignals(server: StepServer): () => void;
}

setTimeout(() => process.exit(3), 10_000).unref();

const [stepDir = "", workers = "2"] = process.argv.slice(2);
const { startServer } = (await import(join(stepDir, "server.ts"))) as ServerModule;
const { stopOnSignals } = (await import(join(stepDir, "shutdown.ts"))) as ShutdownModule;

const events = new EventLog();
const server = await startServer({ appModule: FIXTURE_APP, port: 0, workers: Number(workers) });
stopOnSignals(server);

let reported = 0;
const queueWatch = setInterval(() => {
  const queued = server.stats().queued;
  if (queued !== reported) console.log(`queued ${(reported = queued)}`);
}, 1);
const relayed = new Set<string>();
const startWatch = setInterval(() => {
  for (const label of events.started) {
    if (relayed.has(label)) continue;
    relayed.add(label);
    console.log(`started ${label}`);
  }
}, 1);
console.log(`url ${server.url.href}`);

await Bun.stdin.text(); // until the test ends stdin
clearInterval(queueWatch);
clearInterval(startWatch);
events.close();
