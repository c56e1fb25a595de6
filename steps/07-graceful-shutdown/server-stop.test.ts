// Step 07's tests, the server's half: `stop()` drains over real HTTP, `stop({ force: true })`
// answers 503. Run them with `npm start -- check 07` (or `bun test` in this folder).
//
// Each test starts a server of 2 workers on port 0, holds both workers with gated requests,
// queues more requests behind them (`stats().queued` says when they have arrived), stops the
// server, and then looks at what every client got. Some tests talk raw HTTP over a socket:
// `fetch` hides what a connection does (it retries, it pools), and what happens to a
// connection is part of the contract.

import { afterAll, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { FIXTURE_APP } from "#lib/app-modules.ts";
import { rejectionOf, until, within } from "#lib/testing/bounded.ts";
import { EventLog } from "#lib/testing/events.ts";
import { newGate, type Gate } from "#lib/testing/gate.ts";
import { get, type Answer } from "#lib/testing/http.ts";
import { Outcomes } from "#lib/testing/outcomes.ts";
import type { PoolStats } from "./pool.ts";
import { startServer, type PoolServer } from "./server.ts";

const WORKERS = 2;
/** Room for a wrong server to fail on an assertion that says why, rather than on bun's timeout. */
const SLOW_FAILURE_MS = 10_000;
/** How long cleanup waits for a forced close; the reference needs a few milliseconds. */
const CLEANUP_WAIT_MS = 500;

const events = new EventLog();
afterAll(() => events.close());

const EMPTY: Partial<PoolStats> = { size: 0, idle: 0, busy: 0, queued: 0, starting: 0, alive: 0 };

/** One test's server, its clients by label, and its gates (cleanup opens them all). */
class Clients {
  readonly outcomes = new Outcomes<Answer | void>();
  readonly #gates: Gate[] = [];
  readonly #stopFailures: Array<Promise<never>> = [];
  constructor(readonly server: PoolServer) {}

  static async start(): Promise<Clients> {
    const server = await within(
      startServer({ appModule: FIXTURE_APP, port: 0, workers: WORKERS, log: () => {} }),
      "startServer() with 2 workers",
      "step 06's server starts this way: has something before stop() changed?",
    );
    return new Clients(server);
  }

  send(label: string, path: string, init?: RequestInit): void {
    this.outcomes.track(label, get(this.server.url, path, init));
  }

  /** Calls stop(options), tracked as `label`. From then on, every wait ends at once if it fails. */
  stop(label: string, options?: { force?: boolean }): void {
    const stopping = this.server.stop(options);
    this.outcomes.track(label, stopping);
    const failure = stopping.then(
      () => new Promise<never>(() => {}),
      (error: unknown) => {
        throw new Error(`${label} failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    failure.catch(() => {}); // reported by whichever wait it ends, never as unhandled
    this.#stopFailures.push(failure);
  }

  /** `promise`, unless a stop() fails first: then that failure, which says why. */
  wait<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, ...this.#stopFailures]);
  }

  gate(): Gate {
    const gate = newGate();
    this.#gates.push(gate);
    return gate;
  }

  /** Sends one gated request per label and waits until each handler has started: both workers held. */
  async hold(...labels: string[]): Promise<Gate[]> {
    const gates = labels.map((label) => {
      const gate = this.gate();
      this.send(label, `/gate/${gate.token}`);
      return gate;
    });
    await Promise.all(
      gates.map((gate, i) => {
        const label = labels[i] as string;
        const answeredFirst = this.outcomes.of(label).then((outcome) => {
          throw new Error(`${label} was answered before its handler started: ${JSON.stringify(outcome)}`);
        });
        return within(Promise.race([events.waitForStart(gate.token), answeredFirst]), `the start of ${label}`);
      }),
    );
    return gates;
  }

  /** Sends requests that must wait for a worker, and waits until the pool holds them all. */
  async queue(requests: Array<[label: string, path: string, init?: RequestInit]>): Promise<void> {
    const before = this.server.stats().queued;
    for (const [label, path, init] of requests) this.send(label, path, init);
    await until(
      () => this.server.stats().queued === before + requests.length,
      `${requests.length} requests queued behind the held workers`,
      () => `stats().queued is ${this.server.stats().queued}`,
    );
  }

  /** The answer to `label`, which must have arrived (not a network error). */
  answer(label: string, hint = ""): Promise<Answer> {
    return this.wait(this.outcomes.value(label, hint) as Promise<Answer>);
  }

  async expectShuttingDown(label: string): Promise<void> {
    const answer = await this.answer(label, "a forced stop answers every unfinished request with a 503: was the connection closed before the answer was written?");
    expect({ status: answer.status, shuttingDown: answer.body.includes("shutting down") }, `${label}'s answer: ${answer.body}`).toEqual({
      status: 503,
      shuttingDown: true,
    });
  }

  async cleanUp(): Promise<void> {
    for (const gate of this.#gates) gate.open();
    // Cleanup fails no test, and waits only briefly: a wrong implementation whose forced
    // stop never settles has already failed, and must fail fast.
    await within(this.server.stop({ force: true }), "cleanup", "", CLEANUP_WAIT_MS).catch(() => {});
  }
}

function aTurnOfTheEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function expectEnded(server: PoolServer, when: string): void {
  expect(server.stats(), `stats() ${when}: no worker, no request, no thread left`).toMatchObject(EMPTY);
}

/** A client that speaks HTTP/1.1 over its own socket and sees exactly what the server does to the connection. */
class RawConnection {
  #received = "";
  readonly closed: Promise<void>;
  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk) => (this.#received += chunk.toString()));
    socket.on("error", () => {}); // a reset also ends in `close`, which is what the tests watch
    this.closed = new Promise((resolve) => socket.on("close", () => resolve()));
  }

  static async open(server: PoolServer): Promise<RawConnection> {
    const socket = connect(server.port, "127.0.0.1");
    await within(
      new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("error", reject);
      }),
      "a raw connection to the server",
    );
    return new RawConnection(socket);
  }

  get received(): string {
    return this.#received;
  }

  /** Sends `text` (a request, or the rest of one) and waits for the whole answer. */
  request(text: string, what: string): Promise<{ status: number; body: string }> {
    const from = this.#received.length;
    this.socket.write(text);
    return this.answer(what, from);
  }

  /**
   * The first whole answer received after offset `from` (status line, head, content-length
   * body), once it has arrived; fails at once if the server closes the connection first.
   */
  async answer(what: string, from = 0): Promise<{ status: number; body: string }> {
    const received = () => this.#received.slice(from);
    let isClosed = false;
    void this.closed.then(() => (isClosed = true));
    await until(() => parseAnswer(received()) !== undefined || isClosed, `the answer to ${what}`, () => JSON.stringify(received()));
    const answer = parseAnswer(received());
    if (!answer) throw new Error(`the server closed the connection before the answer to ${what} (received: ${JSON.stringify(received())})`);
    return answer;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The first complete answer in `text` (a `100 Continue` skipped), or undefined while it is incomplete. */
function parseAnswer(text: string): { status: number; body: string } | undefined {
  const rest = text.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, "");
  const headEnd = rest.indexOf("\r\n\r\n");
  if (headEnd < 0) return undefined;
  const head = rest.slice(0, headEnd);
  const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
  const body = rest.slice(headEnd + 4);
  if (Buffer.byteLength(body) < length) return undefined;
  return { status: Number(head.split(" ")[1]), body };
}

describe("stop() drains", () => {
  test("stop() answers every running and queued request with its real answer, then resolves, and ends every worker (2 running, 4 queued)", async () => {
    const clients = await Clients.start();
    try {
      const [g1, g2] = (await clients.hold("running 1", "running 2")) as [Gate, Gate];
      const g3 = clients.gate();
      await clients.queue([
        ["queued 1", `/gate/${g3.token}`],
        ["queued 2", "/fibonacci/20"],
        ["queued 3", "/echo?from=queue", { method: "POST", body: "drain me", headers: { "x-step": "07" } }],
        ["queued 4", "/echo", { method: "DELETE" }],
      ]);
      clients.stop("stop()");
      await aTurnOfTheEventLoop();
      clients.outcomes.expectNoneSettled("Right after stop(), with both workers still held at their gates");

      for (const gate of [g1, g2, g3]) gate.open();
      expect((await clients.answer("running 1", "a request in flight must be answered, not cut off")).body).toBe(`released ${g1.token}`);
      expect((await clients.answer("running 2")).body).toBe(`released ${g2.token}`);
      expect((await clients.answer("queued 1", "a queued request was accepted: it must be answered too")).body).toBe(`released ${g3.token}`);
      const fib = await clients.answer("queued 2");
      expect({ status: fib.status, body: fib.body }).toEqual({ status: 200, body: JSON.stringify({ n: 20, fibonacci: 6765 }) });
      const echoed = await clients.answer("queued 3");
      expect(echoed.status, "status of queued 3").toBe(200);
      expect(JSON.parse(echoed.body)).toMatchObject({ method: "POST", query: { from: "queue" }, body: "drain me", headers: { "x-step": "07" } });
      expect(JSON.parse((await clients.answer("queued 4")).body)).toMatchObject({ method: "DELETE", path: "/echo" });

      // (Not checked: whether stop() settled after each client *read* its answer. Bun resolves
      // stop() once every answer is written; the clients read theirs on their own schedule.)
      await clients.outcomes.value("stop()", "stop() resolves once every accepted request has its answer and the workers have ended");
      expectEnded(clients.server, "once stop() has resolved");
    } finally {
      await clients.cleanUp();
    }
  }, SLOW_FAILURE_MS);

  test("while stop() drains, the port is closed: a new connection is refused", async () => {
    const clients = await Clients.start();
    try {
      const [gate] = (await clients.hold("running")) as [Gate];
      clients.stop("stop()");
      const refused = await rejectionOf(
        clients.wait(get(clients.server.url, "/health")),
        "a request on a new connection during the drain",
        "stop() must stop accepting first; only then wait for what was accepted",
      );
      expect(String(refused), "the error of a request sent during the drain").toMatch(/refused|ECONNREFUSED|closed/i);
      clients.outcomes.expectNoneSettled("While running still held its worker");
      gate.open();
      expect((await clients.answer("running")).body).toBe(`released ${gate.token}`);
      await clients.outcomes.value("stop()");
    } finally {
      await clients.cleanUp();
    }
  }, SLOW_FAILURE_MS);

  test("stop() on an idle server resolves, with every worker thread ended and the port closed", async () => {
    const clients = await Clients.start();
    try {
      expect((await within(get(clients.server.url, "/fibonacci/6"), "GET /fibonacci/6")).body).toBe(JSON.stringify({ n: 6, fibonacci: 8 }));
      await within(clients.server.stop(), "stop() of an idle server");
      expectEnded(clients.server, "once stop() has resolved");
      await rejectionOf(get(clients.server.url, "/health"), "a request once stopped", "nothing may listen on the port any more");
    } finally {
      await clients.cleanUp();
    }
  }, SLOW_FAILURE_MS);

  test("a second stop() during the drain waits for the same end: neither resolves before the last answer", async () => {
    const clients = await Clients.start();
    try {
      const gates = await clients.hold("running 1", "running 2");
      await clients.queue([["queued", "/fibonacci/23"]]);
      clients.stop("first stop()");
      clients.stop("second stop()");
      await aTurnOfTheEventLoop();
      clients.outcomes.expectNoneSettled("After two stop() calls, with both workers still held");
      for (const gate of gates) gate.open();
      expect((await clients.answer("queued")).body).toBe(JSON.stringify({ n: 23, fibonacci: 28657 }));
      await clients.outcomes.value("first stop()");
      await clients.outcomes.value("second stop()", "a second stop() must resolve when the first does");
      expectEnded(clients.server, "once both stop() calls have resolved");
    } finally {
      await clients.cleanUp();
    }
  }, SLOW_FAILURE_MS);

  test("a request whose body is still arriving when stop() is called is answered, with the whole body", async () => {
    const clients = await Clients.start();
    const connection = await RawConnection.open(clients.server);
    try {
      // `Expect: 100-continue` makes Bun say when the handler has the request: from then on it is accepted.
      connection.socket.write("POST /echo HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 13\r\n\r\nhalf ");
      await until(() => connection.received.startsWith("HTTP/1.1 100 Continue"), "Bun's `100 Continue`", () => JSON.stringify(connection.received));
      clients.stop("stop()");
      await aTurnOfTheEventLoop();
      const answer = await clients.wait(connection.request("and half", "the POST whose body was still arriving"));
      expect(answer.status, `status of the POST accepted before stop() (${answer.body})`).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ method: "POST", body: "half and half" });
      await clients.outcomes.value("stop()");
      expectEnded(clients.server, "once stop() has resolved");
    } finally {
      connection.close();
      await clients.cleanUp();
    }
  }, SLOW_FAILURE_MS);

  test("keep-alive during the drain: an idle connection is closed at once; a busy one gets its answer, then is closed", async () => {
    const clients = await Clients.start();
    const idle = await RawConnection.open(clients.server);
    const busy = await RawConnection.open(clients.server);
    try {
      const first = await idle.request("GET /fibonacci/7 HTTP/1.1\r\nHost: localhost\r\n\r\n", "a first request on a keep-alive connection");
      expect(first).toEqual({ status: 200, body: JSON.stringify({ n: 7, fibonacci: 13 }) });
      const gate = clients.gate();
      busy.socket.write(`GET /gate/${gate.token} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
      await within(events.waitForStart(gate.token), "the start of the gated request on the busy connection");

      clients.stop("stop()");
      await clients.wait(within(idle.closed, "the close of the idle keep-alive connection", "a request sent on it during the drain would never be answered"));
      expect(idle.received.slice(-40), "what the idle connection received after its first answer").toEndWith(JSON.stringify({ n: 7, fibonacci: 13 }));
      clients.outcomes.expectNoneSettled("While the gated request still held its worker");

      gate.open();
      expect(await clients.wait(busy.answer("the gated request on the busy connection"))).toEqual({ status: 200, body: `released ${gate.token}` });
      await clients.wait(within(busy.closed, "the close of the busy connection once answered"));
      await clients.outcomes.value("stop()");
    } finally {
      idle.close();
      busy.close();
      await clients.cleanUp();
    }
  }, SLOW_FAILURE_MS);
});

describe("stop({ force: true }) answers 503", () => {
  test("stop({ force: true }) answers every running and queued request with a 503 that says the server is shutting down, then resolves", async () => {
    const clients = await Clients.start();
    try {
      await clients.hold("running 1", "running 2");
      await clients.queue([
        ["queued 1", `/gate/${clients.gate().token}`],
        ["queued 2", "/fibonacci/25"],
        ["queued 3", "/echo", { method: "PUT", body: "never mind" }],
      ]);
      clients.stop("stop({ force: true })", { force: true });
      // No gate is opened: each answer can only be the forced stop's.
      for (const label of ["running 1", "running 2", "queued 1", "queued 2", "queued 3"]) await clients.expectShuttingDown(label);
      await clients.outcomes.value("stop({ force: true })");
      expectEnded(clients.server, "once stop({ force: true }) has resolved");
      await rejectionOf(get(clients.server.url, "/health"), "a request once stopped", "nothing may listen on the port any more");
    } finally {
      await clients.cleanUp();
    }
  }, SLOW_FAILURE_MS);

  test("stop({ force: true }) during a graceful stop(): the unfinished requests get their 503 at once, and both stops resolve", async () => {
    const clients = await Clients.start();
    try {
      await clients.hold("running 1", "running 2");
      await clients.queue([
        ["queued 1", "/fibonacci/25"],
        ["queued 2", `/gate/${clients.gate().token}`],
      ]);
      clients.stop("graceful stop()");
      await aTurnOfTheEventLoop();
      clients.stop("forced stop()", { force: true });
      for (const label of ["running 1", "running 2", "queued 1", "queued 2"]) await clients.expectShuttingDown(label);
      await clients.outcomes.value("forced stop()", "the graceful stop was waiting for these very requests: they are answered now");
      await clients.outcomes.value("graceful stop()", "the graceful stop ends with the forced one");
      expectEnded(clients.server, "once both stops have resolved");
    } finally {
      await clients.cleanUp();
    }
  }, SLOW_FAILURE_MS);
});
