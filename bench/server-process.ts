// The server under test runs in its own process, started with the same `tools/serve.ts` a
// learner uses by hand (or, for the yardstick, `bench/bare-pool/server.ts`). The load generator
// then never shares a thread (or a garbage collector) with the server it measures, and a server
// that hangs cannot hang the bench.

import type { BareEntry } from "./bare-pool/pool.ts";
import { join } from "node:path";
import { ROOT } from "../tools/steps.ts";

export interface ServerProcess {
  url: URL;
  /** The server's process id: its CPU time is the server's share in the noise measurement. */
  pid: number;
  stop(): Promise<void>;
}

/** The bare pool's server, relative to the repository's root: a yardstick, not a step. */
export const BARE_POOL_SERVER = "bench/bare-pool/server.ts";

/** What to serve: a step's server (yours or the reference), or the bare pool. */
export type ServerTarget = { step: string; solution: boolean } | { bare: true; entry?: BareEntry };

export type StartOptions = ServerTarget & {
  port?: number;
  workers?: number;
  /** How long to wait for the `listening on` line before calling the start a failure. */
  readyTimeoutMs?: number;
};

export function isBare(target: ServerTarget): target is { bare: true; entry?: BareEntry } {
  return "bare" in target;
}

/** The command line that serves `target`: `bun tools/serve.ts NN …` or `bun bench/bare-pool/server.ts …`. */
export function serverCommand(target: ServerTarget, port: number, workers: number | undefined, bun = process.execPath): string[] {
  const args = isBare(target) ? [bun, join(ROOT, BARE_POOL_SERVER)] : [bun, join(ROOT, "tools/serve.ts"), target.step];
  args.push("--port", String(port));
  if (!isBare(target) && target.solution) args.push("--solution");
  if (isBare(target) && target.entry !== undefined) args.push("--entry", target.entry);
  if (workers !== undefined) args.push("--workers", String(workers));
  return args;
}

/**
 * Why a server exited before it was ready, in one line. serve.ts says it in one line of its
 * own (`serve: …`); an uncaught throw makes Bun print the source around it first, then
 * `error: <message>`: that message is the line kept.
 */
export function startFailure(stderr: string, stdout: string, exitCode: number | null): string {
  const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "").trim(); // CI=true turns picocolors on, even in a pipe
  const lines = (plain(stderr) || plain(stdout)).split("\n").map((line) => line.trim()).filter(Boolean);
  const line = lines.find((l) => /^(serve|error): /.test(l)) ?? lines[0];
  return line ? line.replace(/^(serve|error): /, "") : `exit code ${exitCode}`;
}

/** Spawns the target's server and resolves once it prints `listening on <url>`. */
export async function startServerProcess(options: StartOptions): Promise<ServerProcess> {
  const { port = 0, workers, readyTimeoutMs = 30_000 } = options;
  const child = Bun.spawn(serverCommand(options, port, workers), { cwd: ROOT, stdout: "pipe", stderr: "pipe", stdin: "ignore" });

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
        throw new Error(startFailure(await stderr, seen, child.exitCode));
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
      child.kill("SIGTERM"); // serve.ts and the bare pool stop the server and their workers on SIGTERM
      const stopped = await Promise.race([child.exited.then(() => true), Bun.sleep(5_000).then(() => false)]);
      if (!stopped) {
        child.kill("SIGKILL");
        await child.exited;
      }
    },
  };
}
