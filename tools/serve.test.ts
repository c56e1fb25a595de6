// `npm run serve`, run as a learner runs it: clear errors, never a stack dump.
import { expect, test } from "bun:test";
import { join } from "node:path";

const SERVE = join(import.meta.dir, "serve.ts");

function serve(...args: string[]) {
  const result = Bun.spawnSync([process.execPath, SERVE, ...args], { env: { ...process.env, NO_COLOR: "1" } });
  return { code: result.exitCode, err: result.stderr.toString() };
}

test("an unknown step is named, with the valid ones", () => {
  const { code, err } = serve("42");
  expect(code).toBe(2);
  expect(err).toContain('no step "42"');
});

test("a bad port is refused with the reason", () => {
  const { code, err } = serve("01", "--solution", "--port", "http");
  expect(code).toBe(2);
  expect(err).toContain("--port must be an integer");
});

test("a busy port gets a clear message, not a stack", () => {
  const taken = Bun.serve({ port: 0, fetch: () => new Response("taken") });
  try {
    const { code, err } = serve("01", "--solution", "--port", String(taken.port));
    expect(code).toBe(2);
    expect(err).toContain(`port ${taken.port} is busy`);
    expect(err).not.toContain("    at ");
  } finally {
    taken.stop(true);
  }
});

test("it serves, and stops on SIGTERM", async () => {
  const child = Bun.spawn([process.execPath, SERVE, "01", "--solution", "--port", "0"], { stdout: "pipe", stderr: "pipe" });
  try {
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const url = /listening on (\S+)/.exec(text)?.[1];
    expect(url).toBeDefined();
    const answer = await fetch(new URL("/fibonacci/10", url));
    expect(await answer.json()).toEqual({ n: 10, fibonacci: 55 });
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  } finally {
    child.kill();
  }
});
