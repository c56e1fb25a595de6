// Step 05: the ways a task can fail without its handler ever answering.
//
// A handler's own errors are answers: `App.handle` turns them into 400/404/405/500 inside
// the worker. These are different: the pool gives up on a task because of something around
// the handler. Each carries the HTTP status that tells the client the truth about it.
//
// Step 06: the pool also refuses work it cannot do in time. A 503 says "not now": with
// `Retry-After`, the client knows when trying again makes sense.
//
// Step 07: and once it is shutting down, it takes no new work.

export class PoolError extends Error {
  constructor(
    /** The HTTP status the server answers with. */
    readonly status: number,
    message: string,
    /** Seconds after which a retry may succeed, sent as `Retry-After`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The worker running the task died (`process.exit`, an uncaught error or rejection, a thread
 * terminated by someone else): 502, "the thing behind me failed". `reason` is for the
 * server's log; the client learns that the request failed, not what the code looks like.
 * Step 10: the pool cannot tell which task of a batch was running, so the message names the batch.
 */
export class WorkerCrashed extends PoolError {
  constructor(readonly reason: string) {
    super(502, `Bad Gateway: the worker crashed while running this request's batch (${summary(reason)})`);
  }
}

/** Replacement workers kept failing to start and no worker is left: 503, with the reason. */
export class PoolBroken extends PoolError {
  constructor(reason: string) {
    super(503, `Service Unavailable: no worker left (${reason})`);
  }
}

/** The task's batch ran past its deadline; its worker was terminated and replaced: 504. */
export class DeadlineExceeded extends PoolError {
  constructor(ms: number) {
    super(504, `Gateway Timeout: this request's batch ran past its ${ms} ms deadline and its worker was replaced`);
  }
}

/** Every worker busy and the queue full: 503 at once, rather than a wait with no end. */
export class QueueFull extends PoolError {
  constructor(limit: number) {
    super(503, `Service Unavailable: ${limit} requests are already waiting for a worker`, 1);
  }
}

/** The task waited for a worker longer than the queue allows: 503. */
export class QueueTimeout extends PoolError {
  constructor(ms: number) {
    super(503, `Service Unavailable: no worker was free within ${ms} ms`, 1);
  }
}

/** The pool is shutting down (or shut down) and takes no new work: 503. */
export class PoolClosed extends PoolError {
  constructor() {
    super(503, "Service Unavailable: the server is shutting down");
  }
}

// Bun's error event carries its whole report: numbered lines of the source ("12 | …"), a caret
// line, then `<Name>: <message>` (`error: …` for a plain Error, `TypeError: …`, or whatever the
// error's name is), then the stack. The client gets that one line; the log gets the rest.
function summary(report: string): string {
  const isSource = (line: string) => /^\s*\d+ \|( |$)/.test(line) || /^\s*\^\s*$/.test(line) || line.trim() === "";
  return report.split("\n").find((line) => !isSource(line))?.trim() ?? "no details";
}
