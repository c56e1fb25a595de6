// The tutorial's steps, as found on disk: `steps/NN-slug/` with its reference in `solutions/NN-slug/`.
// Every tool (tutor, verifier, serve, bench) asks this module, so adding a step folder is all it takes.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "..");

export interface Step {
  /** "01" */
  id: string;
  /** "01-blocking-server" */
  slug: string;
  /** The brief's first heading, e.g. "Step 01: the blocking server". */
  title: string;
  /** steps/NN-slug: the learner's files (the starter on a fresh clone). */
  dir: string;
  /** solutions/NN-slug: the reference. */
  solutionDir: string;
  /** Names of the known-wrong variants in solutions/NN-slug/wrong/. */
  wrongVariants: string[];
}

export function listSteps(): Step[] {
  const stepsDir = join(ROOT, "steps");
  return readdirSync(stepsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d\d-/.test(entry.name))
    .map((entry) => entry.name)
    .sort()
    .map((slug) => {
      const dir = join(stepsDir, slug);
      const solutionDir = join(ROOT, "solutions", slug);
      const wrongDir = join(solutionDir, "wrong");
      const readme = join(dir, "README.md");
      const heading = existsSync(readme) ? /^#\s+(.+)$/m.exec(readFileSync(readme, "utf8"))?.[1] : undefined;
      return {
        id: slug.slice(0, 2),
        slug,
        title: heading ?? slug,
        dir,
        solutionDir,
        wrongVariants: existsSync(wrongDir)
          ? readdirSync(wrongDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()
          : [],
      };
    });
}

/** Finds a step by "1", "01" or "01-blocking-server"; undefined when there is none. */
export function findStep(name: string): Step | undefined {
  const wanted = /^\d$/.test(name) ? `0${name}` : name;
  return listSteps().find((step) => step.id === wanted || step.slug === wanted);
}

/** The text every starter stub throws, which the verifier looks for. */
export function stubMessage(step: Step): string {
  return `not implemented yet: see steps/${step.slug}/README.md`;
}
