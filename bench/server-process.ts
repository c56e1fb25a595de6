// The server under test runs in its own process, started with the same `tools/serve.ts` a
// learner uses by hand. The load generator then never shares a thread (or a garbage
// collector) with the server it measures, and a server that hangs cannot hang the bench.

import { join } from "node:path";
import { ROOT } from "../tools/steps.ts";

export interface ServerProcess {
  url: URL;
  /** The server's process id: its CPU time is the server's share in the noise measurement. */
  pid: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  step: string;
  solution: boolean;
  port?: number;
  workers?: number;
  /** How long to wait for the `listening on` line before calling the start a failure. */
  readyTimeoutMs?: number;
}

/** Spawns `bun tools/serve.ts NN …` and resolves once it prints `listening on <url>`. */
export async function startServerProcess({ step, solution, port = 0, workers, readyTimeoutMs = 30_000 }: StartOptions): Promise<ServerProcess> {
  const args = [process.execPath, join(ROOT, "tools/serve.ts"), step, "--port", String(port)];
  if (solution) args.push("--solution");
  if (workers !== undefined) args.push("--workers", String(workers));
  const child = Bun.spawn(args, { cwd: ROOT, stdout: "pipe", stderr: "pipe", stdin: "ignore" });

  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the server printed no "listening on" line within ${readyTimeoutMs / 1000} s`)), readyTimeoutMs);
  });

  const ready = (async (): Promise<URL> => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        // It exited before it was ready: its own message (busy port, unfinished step) says why.
        await child.exited;
        const why = (await stderr).trim() || seen.trim() || `exit code ${child.exitCode}`;
        throw new Error(why.replace(/^serve: /, ""));
      }
      seen += decoder.decode(value, { stream: true });
      const match = /listening on (\S+)/.exec(seen);
      if (match?.[1]) return new URL(match[1]);
    }
  })();

  let url: URL;
  try {
    url = await Promise.race([ready, timeout]);
  } catch (error) {
    child.kill("SIGTERM");
    await child.exited;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  // Keep draining its output so that a chatty server never blocks on a full pipe.
  void (async () => {
    try {
      while (!(await reader.read()).done);
    } catch {
      // the process is gone
    }
  })();

  return {
    url,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM"); // serve.ts stops the server and its workers on SIGTERM
      const stopped = await Promise.race([child.exited.then(() => true), Bun.sleep(5_000).then(() => false)]);
      if (!stopped) {
        child.kill("SIGKILL");
        await child.exited;
      }
    },
  };
}
