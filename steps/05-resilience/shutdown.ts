// Step 05: graceful shutdown on SIGTERM / SIGINT.
//
// An orchestrator (systemd, Kubernetes, docker stop) asks a process to stop with SIGTERM and,
// a while later, kills it. A server that exits at once drops every request it was working
// on. This one calls `stop()`, which stops accepting and answers everything already in flight
// or queued, and only then exits. A second signal means "now": `stop({ force: true })`
// answers whatever is left with a 503 and the process exits.

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
  // TODO(step 05): on the first signal, log it and server.stop(), then exit(0) (exit(1) if
  // stop fails); on a second one, server.stop({ force: true }) then exit(1). process.on for
  // each signal; return a function that process.off's them.
  void [server, signals, exit, log];
  throw new Error("not implemented yet: see steps/05-resilience/README.md (stopOnSignals)");
}
