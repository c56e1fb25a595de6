// `npm run serve`, run as a learner runs it: clear errors, never a stack dump, never a hang.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until, within } from "#lib/testing/bounded.ts";
import { listSteps } from "./steps.ts";

const SERVE = join(import.meta.dir, "serve.ts");
const ROOT = join(import.meta.dir, "..");
const HONO_EXAMPLE = "lib/examples/hono-app.ts";
/** Starting a server process (Bun, then its workers) takes well under a second; this only bounds a hang. */
const START_LIMIT_MS = 10_000;
const NEWEST = listSteps().findLast((step) => existsSync(join(step.solutionDir, "server.ts")));

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function serve(...args: string[]) {
  const result = Bun.spawnSync([process.execPath, SERVE, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, timeout: START_LIMIT_MS });
  return { code: result.exitCode, err: result.stderr.toString(), out: result.stdout.toString() };
}

/** Expects a refusal: exit code 2, one line on stderr that contains `says`, no stack. */
function expectRefused(run: ReturnType<typeof serve>, says: string | RegExp) {
  expect(run.code, `the exit code (stderr: ${run.err})`).toBe(2);
  const lines = run.err.trim().split("\n");
  expect(lines.length, `lines on stderr: ${run.err}`).toBe(1);
  expect(lines[0]).toMatch(says);
  expect(run.err, "a stack trace on stderr").not.toContain("    at ");
}

interface Served {
  url: URL;
  firstLine: string;
  stop(signal?: NodeJS.Signals): Promise<{ code: number; stderr: string }>;
}

/** Starts `serve args…` and resolves once it printed its first line, `listening on <url> …`. */
async function start(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = Bun.spawn([process.execPath, SERVE, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...env }, stdout: "pipe", stderr: "pipe" });
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  let text = "";
  try {
    await within(
      (async () => {
        while (!text.includes("\n")) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`serve ${args.join(" ")} exited before it listened: ${await stderr}`);
          text += new TextDecoder().decode(value);
        }
      })(),
      `serve ${args.join(" ")}: its first line`,
      "it prints `listening on <url>` once the server is up",
      START_LIMIT_MS,
    );
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const firstLine = text.split("\n")[0] ?? "";
  const url = /^listening on (\S+)/.exec(firstLine)?.[1];
  if (!url) {
    child.kill("SIGKILL");
    throw new Error(`the first line is not "listening on <url>": ${firstLine}`);
  }
  return {
    url: new URL(url),
    firstLine,
    async stop(signal = "SIGTERM") {
      child.kill(signal);
      try {
        const code = await within(child.exited, `serve ${args.join(" ")} after ${signal}`, "does it stop on the signal?", START_LIMIT_MS);
        return { code, stderr: await stderr };
      } finally {
        child.kill("SIGKILL");
      }
    },
  };
}

async function ask(base: URL, path: string, init?: RequestInit): Promise<Response> {
  return within(fetch(new URL(path, base), init), `${init?.method ?? "GET"} ${path}`);
}

describe("serve: arguments", () => {
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
});

describe("serve: a step's server with the example app", () => {
  test("it serves, and stops on SIGTERM", async () => {
    const served = await start(["01", "--solution", "--port", "0"]);
    try {
      const answer = await ask(served.url, "/fibonacci/10");
      expect(await answer.json()).toEqual({ n: 10, fibonacci: 55 });
    } finally {
      expect((await served.stop()).code, "the exit code after SIGTERM").toBe(0);
    }
  });

  test("with no step named: the newest step's reference, which stops on SIGTERM through its own stopOnSignals", async () => {
    const served = await start(["--port", "0", "--workers", "2"]);
    let stopped: { code: number; stderr: string } | undefined;
    try {
      expect(served.firstLine, "the first line names the step").toContain(`step ${NEWEST?.id} reference`);
      const answer = await ask(served.url, "/fibonacci/12");
      expect(await answer.json()).toEqual({ n: 12, fibonacci: 144 });
    } finally {
      stopped = await served.stop();
    }
    expect(stopped.code, "the exit code after SIGTERM").toBe(0);
    expect(stopped.stderr, "the line the step's stopOnSignals logs").toContain("SIGTERM");
  });
});

describe("serve --app: your own app", () => {
  test("with a step before 08, --app is refused in one line", () => {
    expectRefused(serve("04", "--solution", "--app", HONO_EXAMPLE), /--app needs step 08 or later/);
    expectRefused(serve("07", "--light", "/health"), /--light needs step 08 or later/);
  });

  test("a path where there is no file is refused in one line", () => {
    expectRefused(serve("--app", "no/such/app.ts", "--port", "0"), /no file at .*no\/such\/app\.ts/);
  });

  test("a module that throws while it loads: one line with its reason, never a hang", () => {
    expectRefused(serve("--app", "lib/testing/broken-app.ts", "--port", "0"), /broken-app\.ts cannot be served: broken-app refuses to load/);
  });

  test("a module without a fetch handler: one line that says so", () => {
    expectRefused(serve("--app", "lib/testing/fetch-apps/no-default-app.ts", "--port", "0"), /no-default-app\.ts cannot be served: .*no default export/);
  });

  test("a module with a syntax error: one line with the file, the line and the column", () => {
    const folder = mkdtempSync(join(tmpdir(), "serve-app-"));
    folders.push(folder);
    writeFileSync(join(folder, "typo.ts"), 'const greeting = "hello";\nexport default { fetch( { return new Response(greeting) } };\n');
    expectRefused(serve("--app", join(folder, "typo.ts"), "--port", "0"), /typo\.ts:2:\d+/);
  });

  test("the Hono example, served through the pool: status, headers and bytes; light routes; the pool's endpoints", async () => {
    const served = await start(["--app", HONO_EXAMPLE, "--port", "0", "--workers", "2", "--light", "/health"]);
    try {
      expect(served.firstLine).toContain(`app ${HONO_EXAMPLE}`);
      const fib = await ask(served.url, "/fibonacci/20");
      expect(fib.status).toBe(200);
      expect(fib.headers.get("content-type")).toContain("application/json");
      expect(await fib.json()).toEqual({ n: 20, fibonacci: 6765 });
      const session = await ask(served.url, "/session", { method: "POST", body: JSON.stringify({ user: "ada" }) });
      expect(session.status).toBe(201);
      expect(session.headers.getSetCookie(), "both cookies").toEqual(["session=s-ada; Path=/; HttpOnly; SameSite=Lax", "theme=dark; Max-Age=3600; Path=/"]);
      const bytes = new Uint8Array(await (await ask(served.url, "/bytes/300")).arrayBuffer());
      expect([...bytes], "the bytes of /bytes/300").toEqual(Array.from({ length: 300 }, (_, i) => (i * 7 + 1) % 256));
      expect(await (await ask(served.url, "/health")).json(), "the app's own /health").toEqual({ status: "ok" });
      expect((await ask(served.url, "/_pool/live")).status).toBe(200);
      expect((await ask(served.url, "/_pool/ready")).status).toBe(200);
    } finally {
      expect((await served.stop()).code, "the exit code after SIGTERM").toBe(0);
    }
  });

  test("a plain `export default { fetch }` module from elsewhere, by a relative path: answers spread over the workers", async () => {
    // An app this repo has never seen, in a folder of its own. Its `/hold/:token` route leaves a
    // file saying it started, then holds its thread until the test leaves one that says "go":
    // two holds started and unanswered at once are two workers serving at once.
    const folder = mkdtempSync(join(tmpdir(), "serve-app-"));
    folders.push(folder);
    writeFileSync(
      join(folder, "my-app.ts"),
      `import { existsSync, writeFileSync } from "node:fs";
import { threadId } from "node:worker_threads";
const here = ${JSON.stringify(folder)};
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const hold = /^\\/hold\\/(\\w+)$/.exec(url.pathname);
    if (hold) {
      writeFileSync(here + "/started-" + hold[1], "");
      for (let i = 0; i < 5000 && !existsSync(here + "/go-" + hold[1]); i++) Bun.sleepSync(1);
      return Response.json({ token: hold[1], threadId });
    }
    if (url.pathname === "/upload") {
      const bytes = new Uint8Array(await request.arrayBuffer()).reverse();
      const headers = new Headers({ "content-type": "application/octet-stream", "x-query": url.search });
      headers.append("set-cookie", "one=1");
      headers.append("set-cookie", "two=2");
      return new Response(bytes, { status: 202, headers });
    }
    return new Response("not here", { status: 404 });
  },
};
`,
    );
    const served = await start(["--app", "my-app.ts", "--port", "0", "--workers", "2"], { INIT_CWD: folder });
    try {
      const sent = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 13) % 256);
      const upload = await ask(served.url, "/upload?from=test", { method: "PUT", body: sent });
      expect(upload.status).toBe(202);
      expect(upload.headers.get("x-query")).toBe("?from=test");
      expect(upload.headers.getSetCookie()).toEqual(["one=1", "two=2"]);
      expect(Buffer.from(await upload.arrayBuffer()).equals(Buffer.from(sent.reverse())), "the body, reversed, byte for byte").toBe(true);
      expect((await ask(served.url, "/elsewhere")).status).toBe(404);

      const holds = ["a", "b"].map((token) => ask(served.url, `/hold/${token}`).then((r) => r.json() as Promise<{ token: string; threadId: number }>));
      try {
        await until(() => existsSync(join(folder, "started-a")) && existsSync(join(folder, "started-b")), "both holds started at once, one per worker");
      } finally {
        for (const token of ["a", "b"]) writeFileSync(join(folder, `go-${token}`), "");
      }
      const answers = await within(Promise.all(holds), "the answers of both holds");
      const threads = new Set(answers.map((a) => a.threadId));
      expect(threads.size, `threads that answered the holds: ${JSON.stringify(answers)}`).toBe(2);
      expect(threads.has(0), "the main thread answered a hold").toBe(false);
    } finally {
      expect((await served.stop()).code, "the exit code after SIGTERM").toBe(0);
    }
  });
});
