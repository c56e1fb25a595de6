// Step 06's tests, part 4: nothing outlives the pool. Run them with `npm start -- check 06`.
//
// Every limit in this step is a timer, and a pending timer keeps a process alive until it
// fires (lib/facts/serve-limits.test.ts shows it on the pinned Bun): a wait timer left behind by
// a task that already started, or a deadline left behind by a task already answered, holds the
// process for up to 20 s after everything is closed. A runaway answered but never terminated
// holds it forever. So each test runs a pool in a child process, with the default limits (20 s),
// closes it, and checks that the process then exits by itself, which it does only when nothing
// the pool started is still pending.

import { describe, expect, test } from "bun:test";
import { FIXTURE_APP } from "#lib/app-modules.ts";
import { within } from "#lib/testing/bounded.ts";

/** How long a process may take to exit once its pool is closed: it has nothing left to do. */
const EXIT_LIMIT_MS = 2_000;
/** How long the child may take to start, run its scenario and close its pool. */
const SCENARIO_LIMIT_MS = 3_000;

const modules = {
  pool: new URL("./pool.ts", import.meta.url).href,
  http: import.meta.resolve("#lib/http.ts"),
  events: import.meta.resolve("#lib/testing/events.ts"),
  gate: import.meta.resolve("#lib/testing/gate.ts"),
};

/**
 * Runs `scenario` (the body of an async function that gets `pool`, `run(path)` and `hold()`) in
 * a child process, closes the pool, and expects the process to exit by itself, with code 0.
 */
async function expectExitAfterClose(options: string, scenario: string): Promise<void> {
  const script = `
    const { WorkerPool } = await import(${JSON.stringify(modules.pool)});
    const { requestData } = await import(${JSON.stringify(modules.http)});
    const { EventLog } = await import(${JSON.stringify(modules.events)});
    const { newGate } = await import(${JSON.stringify(modules.gate)});
    const events = new EventLog();
    const pool = await WorkerPool.create({ appModule: ${JSON.stringify(FIXTURE_APP)}, ${options} });
    const run = (path) => pool.run(requestData(path));
    // Sends a gated task and resolves once it has started: its worker is held until open().
    const hold = async () => {
      const gate = newGate();
      const outcome = run("/gate/" + gate.token);
      outcome.catch(() => {});
      await Promise.race([events.waitForStart(gate.token), outcome.then(() => { throw new Error("the held task was answered before it started"); })]);
      return { outcome, open: () => gate.open() };
    };
    try {
      await (async () => { ${scenario} })();
    } finally {
      events.close();
    }
    await pool.close();
    console.log("closed");
  `;
  const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const stderr = new Response(child.stderr).text();
  stderr.catch(() => {});
  try {
    const closed = await within(
      printed(child.stdout, "closed"),
      "the child process's pool.close()",
      "the scenario must run and close() must resolve",
      SCENARIO_LIMIT_MS,
    );
    if (!closed) {
      throw new Error(`the child process failed before closing its pool (exit code ${await child.exited}):\n${(await stderr).trim()}`);
    }
    const code = await within(
      child.exited,
      `the process, after pool.close() resolved,`,
      "it did not exit by itself: something the pool started is still pending. A wait timer of a task that left the queue, a deadline timer of a task already answered, or the thread of a runaway that was answered but never terminated keeps a process alive",
      EXIT_LIMIT_MS,
    );
    expect(code, `the child's exit code (stderr: ${(await stderr).trim()})`).toBe(0);
  } finally {
    child.kill();
  }
}

/** Resolves true once `output` has a line equal to `line`, false if it ends first. */
async function printed(output: ReadableStream<Uint8Array>, line: string): Promise<boolean> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const bytes of output) {
    text += decoder.decode(bytes, { stream: true });
    if (text.split("\n").includes(line)) return true;
  }
  return false;
}

describe("nothing outlives the pool: after close() the process exits by itself", () => {
  test("tasks answered in time leave no deadline timer behind", async () => {
    await expectExitAfterClose("size: 2", `
      for (const n of [1, 2, 3]) await run("/fibonacci/" + n);
    `);
  });

  test("a task that waited, then ran, leaves no wait timer behind", async () => {
    await expectExitAfterClose("size: 1", `
      const held = await hold();
      const waited = run("/fibonacci/5");
      held.open();
      await held.outcome;
      await waited;
    `);
  });

  test("tasks still waiting when close() is called leave no wait timer behind", async () => {
    await expectExitAfterClose("size: 1", `
      const held = await hold();
      for (const n of [1, 2, 3]) run("/fibonacci/" + n).catch(() => {});
      // close() comes next, with three tasks waiting and one running.
      void held;
    `);
  });

  test("a task refused because the queue was full leaves no timer behind", async () => {
    await expectExitAfterClose("size: 1, maxQueue: 1", `
      const held = await hold();
      const waited = run("/fibonacci/5");
      await run("/fibonacci/6").then(() => { throw new Error("the task past maxQueue was not refused"); }, () => {});
      held.open();
      await held.outcome;
      await waited;
    `);
  });

  test("a task whose worker crashed leaves no deadline timer behind", async () => {
    await expectExitAfterClose("size: 1", `
      await run("/crash/exit").then(() => { throw new Error("the crash was answered, not refused"); }, () => {});
      await run("/fibonacci/5");
    `);
  });

  test("a runaway stopped by its deadline leaves no thread behind", async () => {
    await expectExitAfterClose(`size: 1, deadlineMs: (request) => (request.path === "/loop" ? 50 : 20_000)`, `
      await run("/loop").then(() => { throw new Error("the runaway was answered, not refused"); }, () => {});
      await run("/fibonacci/5");
    `);
  });
});
