// Step 07's tests, the signals: `stopOnSignals(server)`. Run them with `npm start -- check 07`
// (or `bun test` in this folder).
//
// First in this process, with a stand-in server and `process.emit`, which calls the signal
// listeners without sending a real signal: what is stopped, how, and which exit code follows.
// Then for real: the step's server runs in a child process (lib/testing/serve-with-signals.ts),
// the test sends it SIGTERM or SIGINT while requests run and wait, and watches what the clients
// get and how the process ends. The child is always killed at the end, whatever happened.

import { describe, expect, test } from "bun:test";
import { fileURLToPath } from "node:url";
import { within } from "#lib/testing/bounded.ts";
import { newGate, type Gate } from "#lib/testing/gate.ts";
import { get, type Answer } from "#lib/testing/http.ts";
import { Outcomes } from "#lib/testing/outcomes.ts";
import { stopOnSignals } from "./shutdown.ts";

/** Room for a wrong implementation to fail on an assertion that says why, rather than on bun's timeout. */
const SLOW_FAILURE_MS = 10_000;

/** A stand-in for the server: records every stop() call and lets the test settle each one. */
class FakeServer {
  readonly calls: Array<{ force: boolean; resolve: () => void; reject: (error: Error) => void }> = [];
  stop(options?: { force?: boolean }): Promise<void> {
    return new Promise<void>((resolve, reject) => this.calls.push({ force: options?.force === true, resolve, reject }));
  }
}

/**
 * Installs stopOnSignals on a FakeServer (on SIGUSR2 unless told: `{}` means its defaults),
 * recording exits and log lines, and removes it afterwards. Meanwhile `process.exit` only
 * records its calls: an implementation that ignores the `exit` option must fail the test,
 * not end the test run.
 */
async function withHandlers(
  run: (fake: FakeServer, exits: number[], logged: string[]) => Promise<void>,
  options: { signals?: NodeJS.Signals[] } = { signals: ["SIGUSR2"] },
): Promise<void> {
  const fake = new FakeServer();
  const exits: number[] = [];
  const logged: string[] = [];
  const realExit = process.exit;
  const processExits: unknown[] = [];
  process.exit = ((code?: unknown) => void processExits.push(code)) as typeof process.exit;
  try {
    const remove = stopOnSignals(fake, { ...options, exit: (code) => void exits.push(code), log: (line) => void logged.push(line) });
    try {
      await run(fake, exits, logged);
    } finally {
      remove();
    }
    expect(processExits, "process.exit() calls: the process must end through the `exit` option (the tests pass one)").toEqual([]);
  } finally {
    process.exit = realExit;
  }
}

function signal(name: NodeJS.Signals): void {
  process.emit(name, name);
}

/** Lets the promise callbacks of the code under test run. */
function aTurnOfTheEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe("stopOnSignals, with a stand-in server", () => {
  test("the first signal calls stop() without force, and exits with 0 only once stop() has resolved", async () => {
    await withHandlers(async (fake, exits, logged) => {
      signal("SIGUSR2");
      expect(fake.calls.map((c) => c.force), "stop() calls after one signal (true = forced)").toEqual([false]);
      expect(logged.join("\n"), "what the first signal logged").toContain("SIGUSR2");
      await aTurnOfTheEventLoop();
      expect(exits, "exit codes while stop() is still running: exiting now would drop the requests in flight").toEqual([]);
      fake.calls[0]?.resolve();
      await aTurnOfTheEventLoop();
      expect(exits, "exit codes once stop() has resolved").toEqual([0]);
    });
  });

  test("a second signal forces: stop({ force: true }), then exit code 1, even though the graceful stop ends too", async () => {
    await withHandlers(async (fake, exits, logged) => {
      signal("SIGUSR2");
      signal("SIGUSR2");
      expect(fake.calls.map((c) => c.force), "stop() calls after two signals (true = forced)").toEqual([false, true]);
      expect(logged.slice(1).join("\n"), "what the second signal logged: it must say the stop is forced").toMatch(/forc/i);
      await aTurnOfTheEventLoop();
      expect(exits, "exit codes while the forced stop is still running: exiting now would cut off its 503s").toEqual([]);
      // As in the real server, the forced stop ends the graceful one: both resolve, graceful first.
      fake.calls[0]?.resolve();
      fake.calls[1]?.resolve();
      await aTurnOfTheEventLoop();
      expect(exits[0], `the first exit code after a forced stop (all: ${JSON.stringify(exits)})`).toBe(1);
      expect(exits, "exit codes after a forced stop: 0 would tell the orchestrator all went well").not.toContain(0);
    });
  });

  test("a stop() that fails exits with 1, and logs why", async () => {
    await withHandlers(async (fake, exits, logged) => {
      signal("SIGUSR2");
      fake.calls[0]?.reject(new Error("the pool would not close"));
      await aTurnOfTheEventLoop();
      expect(exits, "exit codes after a failed stop()").toEqual([1]);
      expect(logged.join("\n"), "what was logged after a failed stop()").toContain("the pool would not close");
    });
  });

  test("by default both SIGTERM and SIGINT stop the server, and the returned function removes the handlers", async () => {
    const before = { SIGTERM: process.listenerCount("SIGTERM"), SIGINT: process.listenerCount("SIGINT") };
    for (const name of ["SIGTERM", "SIGINT"] as const) {
      await withHandlers(async (fake, exits) => {
        signal(name);
        expect(fake.calls.length, `stop() calls after ${name}, with the default signals`).toBe(1);
        fake.calls[0]?.resolve();
        await aTurnOfTheEventLoop();
        expect(exits, `exit codes after ${name}`).toEqual([0]);
      }, {});
    }
    expect(
      { SIGTERM: process.listenerCount("SIGTERM"), SIGINT: process.listenerCount("SIGINT") },
      "signal listeners once the function stopOnSignals returned was called",
    ).toEqual(before);
    await withHandlers(async (fake) => {
      const remove = stopOnSignals(fake, { signals: ["SIGUSR1"], exit: () => {}, log: () => {} });
      remove();
      signal("SIGUSR1");
      expect(fake.calls.length, "stop() calls after a signal whose handler was removed").toBe(0);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// For real: a child process.

/** The step's server behind stopOnSignals, in a process of its own, and what it says. */
class ServerProcess {
  readonly child;
  readonly #lines: string[] = [];
  #stderr = "";
  #ended = false;
  #waiters: Array<() => void> = [];

  constructor(workers: number) {
    const script = fileURLToPath(import.meta.resolve("#lib/testing/serve-with-signals.ts"));
    this.child = Bun.spawn([process.execPath, script, import.meta.dir, String(workers)], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      timeout: 9_000, // not a speed limit: no child may outlive the test, whatever goes wrong
    });
    void this.#read(this.child.stdout, (text) => {
      this.#lines.push(...text.split("\n").filter((line) => line !== ""));
    });
    void this.#read(this.child.stderr, (text) => void (this.#stderr += text));
  }

  get stderr(): string {
    return this.#stderr;
  }

  // Bun prints an uncaught error as a source excerpt, then `error: <message>`: that line first.
  #endedBefore(what: string): Error {
    const lines = this.#stderr.split("\n");
    const reason = lines.find((line) => /^\w*error: /i.test(line.trim())) ?? lines.find((line) => line.trim() !== "") ?? "(nothing on stderr)";
    return new Error(`the server process ended before ${what}: ${reason.trim()}\nits whole stderr:\n${this.#stderr}`);
  }

  async #read(stream: ReadableStream<Uint8Array>, onText: (text: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    try {
      for await (const chunk of stream) {
        pending += decoder.decode(chunk, { stream: true });
        const end = pending.lastIndexOf("\n");
        if (end >= 0) {
          onText(pending.slice(0, end + 1));
          pending = pending.slice(end + 1);
        }
        this.#wake();
      }
    } catch {
      // the child was killed: what it said so far is all there is
    }
    if (pending) onText(pending);
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** The first stdout line that `matches`, once printed (bounded). */
  line(matches: (line: string) => boolean, what: string): Promise<string> {
    const look = async (): Promise<string> => {
      for (;;) {
        const found = this.#lines.find(matches);
        if (found !== undefined) return found;
        if (this.#ended) throw this.#endedBefore(what);
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
    };
    return within(look(), `the server process: ${what}`, `stderr so far: ${this.#stderr.trim() || "(nothing)"}`);
  }

  /** Waits for stderr to contain `text` (bounded). */
  async stderrContains(text: string, what: string): Promise<void> {
    const look = async (): Promise<void> => {
      while (!this.#stderr.includes(text)) {
        if (this.#ended) throw this.#endedBefore(what);
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
    };
    await within(look(), `the server process: ${what}`, `stderr so far: ${this.#stderr.trim() || "(nothing)"}`);
  }

  async url(): Promise<string> {
    return (await this.line((line) => line.startsWith("url "), "its `url` line")).slice(4);
  }

  started(label: string): Promise<string> {
    return this.line((line) => line === `started ${label}`, `the start of the handler ${label}`);
  }

  queued(n: number): Promise<string> {
    return this.line((line) => line === `queued ${n}`, `${n} requests in its queue`);
  }

  /** Ends the relaying (see serve-with-signals.ts): from now on only the server keeps the process alive. */
  quiet(): void {
    void this.child.stdin.end();
  }

  async exitCode(hint: string): Promise<number> {
    return within(this.child.exited, "the server process's exit", hint);
  }
}

describe("real signals, sent to a server in its own process", () => {
  for (const name of ["SIGTERM", "SIGINT"] as const) {
    test(`${name}: every request running or queued is answered, then the process exits with 0`, async () => {
      const server = new ServerProcess(2);
      const clients = new Outcomes<Answer>();
      const gates: Gate[] = [newGate(), newGate(), newGate()];
      try {
        const url = await server.url();
        clients.track("running 1", get(url, `/gate/${gates[0]?.token}`));
        clients.track("running 2", get(url, `/gate/${gates[1]?.token}`));
        await server.started(gates[0]?.token ?? "");
        await server.started(gates[1]?.token ?? "");
        clients.track("queued 1", get(url, `/gate/${gates[2]?.token}`));
        clients.track("queued 2", get(url, "/fibonacci/19"));
        await server.queued(2);
        server.quiet();
        server.child.kill(name);
        await server.stderrContains(name, `a line on stderr naming ${name}`);
        expect(clients.settled, `what had settled once ${name} was handled, with both workers still held`).toEqual([]);
        for (const gate of gates) gate.open();
        for (const [i, label] of ["running 1", "running 2", "queued 1"].entries()) {
          const answer = await clients.value(label, `a request accepted before ${name} must get its answer`);
          expect({ status: answer.status, body: answer.body }, label).toEqual({ status: 200, body: `released ${gates[i]?.token}` });
        }
        expect((await clients.value("queued 2")).body).toBe(JSON.stringify({ n: 19, fibonacci: 4181 }));
        expect(await server.exitCode(`after ${name} and the drain, the process must end by itself`), `exit code after ${name} (stderr: ${server.stderr})`).toBe(0);
      } finally {
        for (const gate of gates) gate.open();
        server.child.kill("SIGKILL");
      }
    }, SLOW_FAILURE_MS);
  }

  test("a second SIGTERM forces: every unfinished request gets a 503, and the process exits with 1, saying so on stderr", async () => {
    const server = new ServerProcess(2);
    const clients = new Outcomes<Answer>();
    const gates: Gate[] = [newGate(), newGate(), newGate()];
    try {
      const url = await server.url();
      clients.track("running 1", get(url, `/gate/${gates[0]?.token}`));
      clients.track("running 2", get(url, `/gate/${gates[1]?.token}`));
      await server.started(gates[0]?.token ?? "");
      await server.started(gates[1]?.token ?? "");
      clients.track("queued 1", get(url, `/gate/${gates[2]?.token}`));
      clients.track("queued 2", get(url, "/fibonacci/19"));
      await server.queued(2);
      server.quiet();
      server.child.kill("SIGTERM");
      await server.stderrContains("SIGTERM", "a line on stderr naming the first SIGTERM");
      const before = server.stderr.length;
      server.child.kill("SIGTERM");
      // No gate is opened: each answer can only be the forced stop's.
      for (const label of ["running 1", "running 2", "queued 1", "queued 2"]) {
        const answer = await clients.value(label, "the second signal must answer every unfinished request with a 503 at once");
        expect({ status: answer.status, shuttingDown: answer.body.includes("shutting down") }, `${label}: ${answer.body}`).toEqual({
          status: 503,
          shuttingDown: true,
        });
      }
      expect(await server.exitCode("a forced stop ends the process too"), `exit code after a forced stop (stderr: ${server.stderr})`).toBe(1);
      expect(server.stderr.slice(before), "what stderr said after the second SIGTERM").toMatch(/forc/i);
    } finally {
      for (const gate of gates) gate.open();
      server.child.kill("SIGKILL");
    }
  }, SLOW_FAILURE_MS);
});
