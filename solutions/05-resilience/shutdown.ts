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
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: stopping now, unfinished requests get a 503`);
      void server.stop({ force: true }).finally(() => exit(1));
      return;
    }
    stopping = true;
    log(`${signal}: finishing the requests in flight, then exiting (${signal} again to force)`);
    server.stop().then(
      () => exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
