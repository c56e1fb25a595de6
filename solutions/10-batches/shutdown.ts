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
  let stopping = false;
  let forced = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      forced = true;
      log(`${signal} again: forced stop, unfinished requests get a 503; exiting with code 1`);
      void server.stop({ force: true }).finally(() => exit(1));
      return;
    }
    stopping = true;
    log(`${signal}: finishing the requests in flight, then exiting (${signal} again to stop at once)`);
    server.stop().then(
      // A forced stop ends the graceful one too: the exit code must still say it was forced.
      () => exit(forced ? 1 : 0),
      (error: unknown) => {
        log(`shutdown failed: ${error instanceof Error ? error.message : String(error)}; exiting with code 1`);
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
