// The type check of the whole repo, in one `tsc` program: lib, tools, bench, every starter and
// every reference, and every known-wrong variant.
//
// A wrong variant's file cannot be checked where it lives (solutions/NN/wrong/X/pool.ts
// imports `./app-worker.ts`, which is the reference's, one folder up). So each step gets a
// folder .verify/typecheck--NN-slug/ holding the reference's files and, beside them, every
// variant's files renamed `wrong--X--pool.ts`: each then resolves its imports to the reference,
// as it does when the tests run it. All of it is one program, checked once, which is much
// faster than a program per variant.

import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT, type Step } from "../steps.ts";

export interface TypeCheck {
  project: string;
  ok: boolean;
  output: string;
}

function layOut(step: Step): string {
  const dir = join(ROOT, ".verify", `typecheck--${step.slug}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(step.solutionDir, dir, { recursive: true, filter: (src) => !src.startsWith(join(step.solutionDir, "wrong")) });
  for (const name of step.wrongVariants) {
    const variant = join(step.solutionDir, "wrong", name);
    const files = readdirSync(variant).filter((f) => f.endsWith(".ts"));
    if (files.length === 1) {
      const file = files[0] as string;
      cpSync(join(variant, file), join(dir, `wrong--${name}--${file}`));
    } else {
      // A mistake spread over several files: they import each other, so they get a folder of
      // their own, over a copy of the reference, as the tests lay them out.
      const own = join(dir, `wrong--${name}`);
      cpSync(step.solutionDir, own, { recursive: true, filter: (src) => !src.startsWith(join(step.solutionDir, "wrong")) });
      cpSync(variant, own, { recursive: true });
    }
  }
  return dir;
}

/** Starts the type checks; they run while the tests do. */
export function startTypeChecks(steps: Step[]): Promise<TypeCheck[]> {
  const verify = join(ROOT, ".verify");
  mkdirSync(verify, { recursive: true });
  const dirs = steps.map(layOut);
  const config = join(verify, "tsconfig.all.json");
  writeFileSync(
    config,
    JSON.stringify({
      extends: "../tsconfig.json",
      include: ["../lib", "../tools", "../steps", "../solutions", "../bench", ...dirs.map((d) => relative(verify, d))],
      exclude: ["../node_modules", "../bench/k6", "../solutions/*/wrong"],
    }),
  );
  const projects = [config, ...(existsSync(join(ROOT, "bench/k6/tsconfig.json")) ? [join(ROOT, "bench/k6/tsconfig.json")] : [])];
  return Promise.all(
    projects.map(async (project) => {
      const tsc = Bun.spawn([join(ROOT, "node_modules/.bin/tsc"), "--noEmit", "-p", project], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      const [stdout, stderr] = await Promise.all([new Response(tsc.stdout).text(), new Response(tsc.stderr).text()]);
      const ok = (await tsc.exited) === 0;
      // Errors in the laid-out copies are reported against the files a maintainer edits.
      const output = (stdout + stderr)
        .trim()
        .replace(/\.verify\/typecheck--([\w-]+)\/wrong--([\w-]+?)(--|\/)/g, "solutions/$1/wrong/$2/");
      return { project: relative(ROOT, project), ok, output };
    }),
  );
}
