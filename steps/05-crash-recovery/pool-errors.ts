// Step 05: the ways a task can fail without its handler ever answering.
//
// A handler's own errors are answers: `App.handle` turns them into 400/404/405/500 inside
// the worker. These are different: the pool gives up on a task because of something around
// the handler. Each carries the HTTP status that tells the client the truth about it.

export class PoolError extends Error {
  constructor(
    /** The HTTP status the server answers with. */
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The worker running the task died (`process.exit`, an uncaught error or rejection, a thread
 * terminated by someone else): 502, "the thing behind me failed". `reason` is for the
 * server's log; the client learns that the request failed, not what the code looks like.
 */
export class WorkerCrashed extends PoolError {
  constructor(readonly reason: string) {
    super(502, `Bad Gateway: the worker crashed while running this request (${summary(reason)})`);
  }
}

/** Replacement workers kept failing to start and no worker is left: 503, with the reason. */
export class PoolBroken extends PoolError {
  constructor(reason: string) {
    super(503, `Service Unavailable: no worker left (${reason})`);
  }
}

// Bun's error event carries its whole report: numbered lines of the source ("12 | …"), a caret
// line, then `<Name>: <message>` (`error: …` for a plain Error, `TypeError: …`, or whatever the
// error's name is), then the stack. The client gets that one line; the log gets the rest.
function summary(report: string): string {
  const isSource = (line: string) => /^\s*\d+ \|( |$)/.test(line) || /^\s*\^\s*$/.test(line) || line.trim() === "";
  return report.split("\n").find((line) => !isSource(line))?.trim() ?? "no details";
}
