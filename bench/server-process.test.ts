import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT } from "../tools/steps.ts";
import { BARE_POOL_SERVER, isBare, serverCommand, startFailure } from "./server-process.ts";

describe("what the bench starts", () => {
  test("a step: tools/serve.ts, as a learner types it", () => {
    expect(serverCommand({ step: "04", solution: true }, 0, 2, "bun")).toEqual(["bun", join(ROOT, "tools/serve.ts"), "04", "--port", "0", "--solution", "--workers", "2"]);
    expect(serverCommand({ step: "02", solution: false }, 8080, undefined, "bun")).toEqual(["bun", join(ROOT, "tools/serve.ts"), "02", "--port", "8080"]);
  });
  test("the bare pool: its own server, with the same port and workers options", () => {
    expect(serverCommand({ bare: true }, 0, undefined, "bun")).toEqual(["bun", join(ROOT, BARE_POOL_SERVER), "--port", "0"]);
    expect(serverCommand({ bare: true }, 0, 3, "bun")).toEqual(["bun", join(ROOT, BARE_POOL_SERVER), "--port", "0", "--workers", "3"]);
    expect(serverCommand({ bare: true, entry: "fetch" }, 0, undefined, "bun")).toEqual(["bun", join(ROOT, BARE_POOL_SERVER), "--port", "0", "--entry", "fetch"]);
    expect(isBare({ bare: true })).toBe(true);
    expect(isBare({ step: "04", solution: true })).toBe(false);
  });
});

describe("a server that exits before it listens says why in one line", () => {
  test("serve.ts's own line, without its prefix or colours", () => {
    expect(startFailure("\x1b[31mserve: port 3000 is busy\x1b[39m\n", "", 2)).toBe("port 3000 is busy");
  });
  test("an uncaught throw: Bun's `error:` line, not the source around it", () => {
    const stderr = ["12 | const server = Bun.serve({", "                  ^", "error: Failed to start server. Is port 3000 in use?", " syscall: \"listen\",", "", "Bun v1.4.5 (Linux x64)"].join("\n");
    expect(startFailure(stderr, "", 1)).toBe("Failed to start server. Is port 3000 in use?");
  });
  test("nothing printed: the exit code", () => {
    expect(startFailure("", "", 7)).toBe("exit code 7");
    expect(startFailure("  \n", "starting…\n", 1)).toBe("starting…");
  });
});
