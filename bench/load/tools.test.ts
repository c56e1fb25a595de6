import { describe, expect, test } from "bun:test";
import type autocannon from "autocannon";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULTS } from "../config.ts";
import { autocannonTool, toLoadRun } from "./autocannon.ts";
import { figures, k6Command, runsTypeScript, SCRIPTS_DIR } from "./k6.ts";

describe("errors are never throughput", () => {
  test("autocannon: req/s counts 2xx answers only", () => {
    const result = { requests: { total: 1000 }, "2xx": 400, non2xx: 600, errors: 3, timeouts: 2, latency: { p50: 1, p99: 5, max: 9 } } as unknown as autocannon.Result;
    const run = toLoadRun(result, 10);
    expect(run.rps, "400 successful answers in 10 s").toBe(40);
    expect(run.errors).toBe(605);
    expect(run.requests).toBe(1000);
  });
  test("k6: req/s counts the requests that did not fail", () => {
    const exported = {
      metrics: {
        "http_reqs{scenario:load}": { count: 1000 },
        "http_req_failed{scenario:load}": { passes: 600 },
        "http_req_duration{scenario:load,expected_response:true}": { "p(50)": 3, "p(99)": 8, max: 12 },
      },
    };
    const run = figures(exported, "load", 10, "k6 v1.0.0");
    expect(run.rps).toBe(40);
    expect(run.errors).toBe(600);
    expect(run.p99Ms, "latency of the successful answers").toBe(8);
  });
});

describe("the server's CPU during scenario 4", () => {
  test("autocannon reads the server's CPU just before and just after the trivial route: app.serverCpuMs is the difference", async () => {
    const server = Bun.serve({ port: 0, fetch: () => new Response("ok") });
    const readings = [1000, 1250, 9999]; // a third reading would be a bug: the health route's CPU is not asked
    let calls = 0;
    try {
      const params = { ...DEFAULTS, overheadSec: 1, overheadConnections: 2 };
      const { app, main } = await autocannonTool.overhead(server.url, params, new AbortController().signal, () => readings[calls++]);
      expect(calls, "the counter is read once before the trivial route and once after").toBe(2);
      expect(app.serverCpuMs).toBe(250);
      expect(main.serverCpuMs, "the health route carries no CPU figure").toBeUndefined();
      expect(app.requests).toBeGreaterThan(0);
    } finally {
      await server.stop(true);
    }
  });
  test("the main thread's counter the same way, apart: app.serverMainCpuMs is its own difference", async () => {
    const server = Bun.serve({ port: 0, fetch: () => new Response("ok") });
    const all = [1000, 1250, 9999];
    const main = [400, 480, 9999];
    let [allCalls, mainCalls] = [0, 0];
    try {
      const params = { ...DEFAULTS, overheadSec: 1, overheadConnections: 2 };
      const signal = new AbortController().signal;
      const figures = await autocannonTool.overhead(server.url, params, signal, () => all[allCalls++], () => main[mainCalls++]);
      expect(mainCalls, "the main thread's counter is read once before the trivial route and once after").toBe(2);
      expect(figures.app.serverCpuMs).toBe(250);
      expect(figures.app.serverMainCpuMs).toBe(80);
      expect(figures.main.serverMainCpuMs, "the health route carries no CPU figure").toBeUndefined();
      const noMain = await autocannonTool.overhead(server.url, params, signal, () => 5, () => undefined);
      expect(noMain.app.serverMainCpuMs, "a main-thread counter that cannot read gives no figure").toBeUndefined();
      expect(noMain.app.serverCpuMs).toBe(0);
    } finally {
      await server.stop(true);
    }
  });
  test("no counter, or one that cannot read (no /proc): no figure, rather than a made-up 0", async () => {
    const server = Bun.serve({ port: 0, fetch: () => new Response("ok") });
    try {
      const params = { ...DEFAULTS, overheadSec: 1, overheadConnections: 2 };
      const signal = new AbortController().signal;
      expect((await autocannonTool.overhead(server.url, params, signal)).app.serverCpuMs).toBeUndefined();
      expect((await autocannonTool.overhead(server.url, params, signal, () => undefined)).app.serverCpuMs).toBeUndefined();
    } finally {
      await server.stop(true);
    }
  });
});

describe("k6 is called as a learner would call it", () => {
  test("`k6 run` on the script's path from the repository's root, with -e for each parameter", () => {
    const args = k6Command("fibonacci.ts", new URL("http://localhost:41234/"), DEFAULTS, "/tmp/s.json");
    expect(args.slice(0, 2)).toEqual(["k6", "run"]);
    expect(args.at(-1)).toBe("bench/k6/fibonacci.ts");
    expect(args).toContain("BASE_URL=http://localhost:41234/");
    expect(args).toContain(`N=${DEFAULTS.n}`);
    expect(args.filter((a) => a.endsWith(".ts"))).toEqual(["bench/k6/fibonacci.ts"]);
  });
  test("only k6 v0.57 and later run the TypeScript scripts without a build", () => {
    expect(runsTypeScript("v0.48.0")).toBe(false);
    expect(runsTypeScript("v0.56.2")).toBe(false);
    expect(runsTypeScript("v0.57.0")).toBe(true);
    expect(runsTypeScript("v1.4.2")).toBe(true);
    expect(runsTypeScript("unknown version")).toBe(false);
  });
});

describe("the k6 scripts stay within what k6 runs natively", () => {
  const dir = join(import.meta.dir, "..", "k6");
  const scripts = readdirSync(dir).filter((f) => f.endsWith(".ts"));
  const imports = (file: string) => [...readFileSync(join(dir, file), "utf8").matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?\sfrom\s+"([^"]+)"/gm)].map((m) => ({ typeOnly: Boolean(m[2]), from: m[3] ?? "" }));
  test("the bench runs the scripts in this folder", () => {
    expect(SCRIPTS_DIR).toBe("bench/k6");
    expect(scripts).toContain("fibonacci.ts");
  });
  for (const file of scripts) {
    test(`${file}: relative imports name their .ts file, others are k6's own modules`, () => {
      for (const { from } of imports(file)) {
        if (from.startsWith(".")) expect(from, `${file} imports ${from}`).toMatch(/^\.\/[\w-]+\.ts$/);
        else expect(from, `${file} imports ${from}: k6 has no node_modules`).toMatch(/^k6(\/[\w-]+)*$/);
      }
    });
  }
  test("the k6 tsconfig refuses what a type-stripping loader cannot run", () => {
    const config = readFileSync(join(dir, "tsconfig.json"), "utf8");
    expect(config).toContain('"verbatimModuleSyntax": true');
    expect(config).toContain('"erasableSyntaxOnly": true');
  });
  test("k6/options, a types-only module, is imported with `import type`", () => {
    for (const file of scripts) for (const i of imports(file)) if (i.from === "k6/options") expect(i.typeOnly, `${file} imports k6/options`).toBe(true);
  });
});
