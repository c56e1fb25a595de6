// Step 07: graceful shutdown on SIGTERM and SIGINT.
//
// An orchestrator (systemd, Kubernetes, `docker stop`) asks a process to stop with SIGTERM
// and kills it a while later; Ctrl-C sends SIGINT. A server that exits at once drops every
// request it was working on. This one calls `stop()`, which answers everything already
// accepted, and exits 0 once it is done. A second signal means "now": `stop({ force: true })`,
// and the process exits 1, saying so.

export interface Stoppable {
  stop(options?: { force?: boolean }): Promise<void>;
}

export interface SignalOptions {
  signals?: NodeJS.Signals[];
  /** What to do once stopped; `process.exit` by default (tests may observe instead). */
  exit?: (code: number) => void;
  log?: (line: string) => void;
}

/** Installs the handlers; returns a function that removes them. */
export function stopOnSignals(
  server: Stoppable,
  { signals = ["SIGTERM", "SIGINT"], exit = (code) => process.exit(code), log = console.error }: SignalOptions = {},
): () => void {
  // TODO(step 07): on each of `signals`: the first one logs a line naming the signal, calls
  // server.stop() and, once it has resolved, exit(0). Any later one logs a line saying the
  // stop is forced, calls server.stop({ force: true }) and, once that has resolved, exit(1).
  // A stop that was forced never ends in exit(0); a stop() that fails logs why and exit(1)s.
  // Returns a function that removes every handler it installed.
  void [server, signals, exit, log];
  throw new Error("not implemented yet: see steps/07-graceful-shutdown/README.md (stopOnSignals)");
}
