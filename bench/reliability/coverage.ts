// Which phases of the reliability run each step's contract covers.
//
// Step 05 (crash recovery) promises an answer when a worker dies; step 06 (admission control)
// adds limits, so runaway handlers, overload and huge bodies get answers too; step 07 (graceful
// shutdown) adds a stop that answers everything in flight. Driving step 05 through an overload
// it never promised to handle would only show a failure nobody asked it to avoid, so each step
// runs the phases of its own contract and of the steps before it.

export type PhaseName = "crash storm" | "runaway handlers" | "overload 10x" | "bad input" | "big bodies" | "soak" | "shutdown under load";

export interface Contract {
  step: string;
  title: string;
  /** The phases this step's contract adds to the previous one's. */
  adds: PhaseName[];
}

/** In step order. A step with no entry here is not driven by the reliability run. */
export const CONTRACTS: readonly Contract[] = [
  { step: "05", title: "crash recovery", adds: ["crash storm", "bad input", "soak"] },
  { step: "06", title: "admission control", adds: ["runaway handlers", "overload 10x", "big bodies"] },
  { step: "07", title: "graceful shutdown", adds: ["shutdown under load"] },
];

/** The order the phases run in; the shutdown ends the server, so it comes last. (Big bodies are sent among the bad input.) */
const ORDER: readonly PhaseName[] = ["crash storm", "runaway handlers", "overload 10x", "bad input", "big bodies", "soak", "shutdown under load"];

/** The phases a step's server is driven through: its contract's and every earlier one's. */
export function phasesFor(step: string): PhaseName[] {
  const covered = new Set(CONTRACTS.filter((c) => c.step <= step).flatMap((c) => c.adds));
  return ORDER.filter((phase) => covered.has(phase));
}

/** The steps the reliability run can drive, among those on disk. */
export function coveredSteps(available: readonly string[]): string[] {
  return CONTRACTS.map((c) => c.step).filter((id) => available.includes(id));
}

/** The default: the newest step that has a contract of its own and exists on disk. */
export function defaultStep(available: readonly string[]): string | undefined {
  return [...CONTRACTS].reverse().find((c) => available.includes(c.step))?.step;
}

/**
 * The contract to drive a server file through when no step is named: the step whose folder
 * holds it (solutions/05-…/server.ts: 05), or the nearest contract to it: a step before the
 * first contract gets the first (step 04's server shows what step 05 is for), a later step the
 * last. Undefined for a file outside any step folder.
 */
export function contractForFile(file: string): string | undefined {
  const match = /(?:^|[\\/])(\d\d)-[^\\/]+[\\/][^\\/]+$/.exec(file);
  if (!match?.[1]) return undefined;
  const id = match[1];
  const steps = CONTRACTS.map((c) => c.step);
  return [...steps].reverse().find((s) => s <= id) ?? steps[0];
}
