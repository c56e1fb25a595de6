// WRONG: posts the batches on a microtask (queueMicrotask), not at the end of the turn: an `await` in the same turn splits them
// CAUGHT BY: the pool posts the tasks a worker gets during one turn as one message > tasks added after an `await` of an already-settled promise
// Step 03: a pool of workers.
//
// One worker runs one heavy request at a time, so with one worker every app request waits
// its turn even though the machine has more cores. The pool keeps N workers (one per core
// by default) and for each task:
//
//   - hands it to an idle worker, marking that worker busy until it answers;
//   - when every worker is busy, puts it at the back of a queue instead of failing (the
//     blog's pool throws "No idle workers available" here, which under load means errors
//     for requests that only needed to wait a few milliseconds);
//   - when a worker finishes, gives it the task at the front of the queue, so tasks start
//     in the order they arrived (first in, first out: nobody waits forever behind latecomers).
//
// Answers are matched to callers by id inside each AppWorker (step 02); the pool only
// decides *who* runs *what*, and when.
//
// Step 05: the pool keeps its size when workers die. AppWorker has already answered a dead
// worker's task (502); the pool takes the worker out of its lists and starts a replacement,
// which gets work only once it is ready. A module that fails at every start-up would make
// that a respawn storm, so after a few failed starts in a row the pool stops and says why.
//
// Step 06: admission control. Every task's cost is bounded: a deadline on its run (the only
// way to stop a runaway handler is to terminate its thread), a limit on its wait in the
// queue, and a bound on the queue's length, past which a task is refused at once.
//
// Step 07: `close()` drains. It takes no new task, lets every queued and running one finish
// (its limits still apply), then terminates the workers and resolves once every thread has
// ended. `close({ force: true })` answers the unfinished tasks at once instead of waiting.
//
// Step 08: a task is any HTTP request, as bytes (lib/fetch-protocol.ts), and its answer any
// response. Nothing else changes: the pool decides who runs what and when, not what it is.
//
// Step 09: a worker that finishes a task and has nothing else sits idle until the main thread
// has read its answer and posted the next task: a wake-up on each side, for every task. For a
// heavy task that is noise; for a trivial one it is most of the cost (measured with
// `npx bun bench/round-trip-parts.ts`: an echo worker answered four to five times more messages
// per second with 8 in flight than with 1). So when every worker is busy and tasks wait, the
// pool sends a busy worker its next task ahead, up to `tasksPerWorker` tasks at once: the worker
// starts it the moment it posts its answer. The price: a task sent ahead waits for that worker,
// even if another one frees up first. So an idle worker always gets the oldest task first, and
// only a backlog is sent ahead, to the worker holding the fewest tasks.
//
// Step 10: the tasks handed to one worker during one turn of the event loop go as one message,
// sent at the end of the turn (lib/batch-protocol.ts), and come back as one. Bun.serve hands
// over every request it read in a turn before the turn ends, so under load a message carries
// several. The pool now sees a batch, not a task, start and end: the worker answers a batch all
// at once, so a task's answer says nothing of when the next one in its batch started. So a
// batch is the unit here: its deadline is the sum of its tasks' (the time they may take
// together), counted from when it starts; when its worker dies or runs out of time, every
// unanswered task of the running batch shares that fate, and only the batches behind it, which
// never started, go back in line.

import type { WireRequest, WireResponse } from "#lib/batch-protocol.ts";
import { AppWorker } from "./app-worker.ts";
import { DeadlineExceeded, PoolBroken, PoolClosed, QueueFull, QueueTimeout } from "./pool-errors.ts";

export interface PoolOptions {
  appModule: string;
  /** How many workers. One per core lets every core compute; more only adds switching. */
  size?: number;
  /** Replacement workers that may fail to start in a row before the pool gives up on them. */
  maxStartFailures?: number;
  /**
   * How long a task may run: one for all, or per request. A batch may run for the sum of its
   * tasks', counted from when its worker starts it.
   */
  deadlineMs?: number | ((request: WireRequest) => number);
  /** How long a task may wait in the queue for a free worker. */
  queueWaitMs?: number;
  /** How many tasks may wait in the pool's queue; one more is refused at once. */
  maxQueue?: number;
  /**
   * The most tasks one worker holds at once: those of the batch it runs, and those of the
   * batches sent ahead, waiting in its mailbox in the order sent. 1 sends nothing ahead (steps
   * 03-08), and makes every batch a single task. It also bounds a batch's deadline: at most this
   * many tasks' deadlines added up.
   */
  tasksPerWorker?: number;
}

export interface PoolStats {
  size: number;
  idle: number;
  /** Workers holding at least one task. */
  busy: number;
  /** Tasks waiting in the pool's queue, for a worker to take them. */
  queued: number;
  /** Tasks sent ahead: in a busy worker's batches behind the one it runs, not started yet. */
  ahead: number;
  /** Replacement workers still loading the app. */
  starting: number;
  /** Why the pool stopped replacing workers, once it has. */
  broken?: string;
  /** Workers whose thread has not ended yet: 0 once `close()` has resolved, or a thread leaked. */
  alive: number;
}

interface Task {
  request: WireRequest;
  resolve: (response: WireResponse) => void;
  reject: (error: Error) => void;
  queueTimer?: ReturnType<typeof setTimeout>;
}

// The tasks one worker gets in one message: it runs them in order and answers them together.
interface Batch {
  tasks: Task[];
  /** How many of its tasks have their answer (all of them at once, unless the worker died). */
  answered: number;
  /** False while it is still being filled, during this turn of the event loop. */
  sent: boolean;
  deadlineTimer?: ReturnType<typeof setTimeout>;
}

type Limits = Required<Pick<PoolOptions, "maxStartFailures" | "deadlineMs" | "queueWaitMs" | "maxQueue" | "tasksPerWorker">>;

export class WorkerPool {
  readonly #idle: AppWorker[] = [];
  // Each busy worker's batches, in order: the first one runs, the others wait behind it; the
  // last one may still be filling up, to be sent at the end of this turn.
  readonly #sent = new Map<AppWorker, Batch[]>();
  #sending = false;
  readonly #queue: Task[] = [];
  #closed = false;
  readonly #appModule: string;
  readonly #limits: Limits;
  #starting = 0;
  #startFailures = 0;
  #broken: string | undefined;
  readonly #alive = new Set<AppWorker>();
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  private constructor(workers: AppWorker[], appModule: string, limits: Limits) {
    this.#appModule = appModule;
    this.#limits = limits;
    for (const worker of workers) this.#adopt(worker);
  }

  /** Starts every worker and resolves once all of them are ready. */
  static async create({
    appModule,
    size = navigator.hardwareConcurrency,
    maxStartFailures = 3,
    deadlineMs = 20_000,
    queueWaitMs = 20_000,
    maxQueue = 256,
    tasksPerWorker = 32,
  }: PoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a pool needs at least one worker, got size ${size}`);
    if (!Number.isInteger(tasksPerWorker) || tasksPerWorker < 1) throw new Error(`tasksPerWorker must be an integer of at least 1, got ${tasksPerWorker}`);
    const starts = Array.from({ length: size }, () => AppWorker.start(appModule));
    const results = await Promise.allSettled(starts);
    const workers = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) {
      // Half a pool is no pool: stop the workers that did start, and say why the others did not.
      for (const worker of workers) worker.terminate();
      throw failure.reason;
    }
    return new WorkerPool(workers, appModule, { maxStartFailures, deadlineMs, queueWaitMs, maxQueue, tasksPerWorker });
  }

  /** Runs one request on some worker, now if one is idle, else when its turn comes. */
  run(request: WireRequest): Promise<WireResponse> {
    if (this.#closed) return Promise.reject(new PoolClosed());
    if (this.#broken && this.stats().size === 0) return Promise.reject(new PoolBroken(this.#broken));
    return new Promise<WireResponse>((resolve, reject) => {
      const task: Task = { request, resolve, reject };
      this.#queue.push(task);
      this.#dispatch();
      if (this.#queue.at(-1) === task) this.#admit(task); // no worker was free: it waits, within limits
    });
  }

  stats(): PoolStats {
    let ahead = 0;
    for (const batches of this.#sent.values()) ahead += held(batches.slice(1));
    return {
      size: this.#idle.length + this.#sent.size,
      idle: this.#idle.length,
      busy: this.#sent.size,
      queued: this.#queue.length,
      ahead,
      starting: this.#starting,
      broken: this.#broken,
      alive: this.#alive.size,
    };
  }

  /**
   * Takes no new task, lets every queued and running one finish, then terminates the workers;
   * resolves once every thread has ended. With `force`, unfinished tasks get a 503 at once.
   */
  close({ force = false }: { force?: boolean } = {}): Promise<void> {
    this.#closed = true;
    if (force) {
      for (const task of this.#queue.splice(0)) this.#fail(task, new PoolClosed());
      for (const [worker, batches] of this.#sent) {
        for (const batch of batches) this.#failBatch(batch, new PoolClosed()); // running or sent ahead
        worker.terminate(new PoolClosed());
      }
      this.#sent.clear();
      this.#checkDrained(); // a graceful close() may have been waiting for just these
    }
    // A second close (a forced one during a graceful one, say) waits for the same end.
    this.#closing ??= this.#drainThenTerminate();
    return this.#closing;
  }

  async #drainThenTerminate(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#drained = resolve;
      this.#checkDrained();
    });
    for (const worker of this.#idle) worker.terminate();
    this.#idle.length = 0;
    // terminate() only asks: a thread has ended when its close event says so.
    await Promise.all([...this.#alive].map((worker) => worker.exited));
  }

  // Resolves a pending close() once nothing is queued, running or starting.
  #checkDrained(): void {
    if (!this.#drained || this.#queue.length > 0 || this.#sent.size > 0 || this.#starting > 0) return;
    this.#drained();
    this.#drained = undefined;
  }

  // Hands out queued tasks, oldest first: to idle workers while there are any, then ahead, to
  // the busy worker holding the fewest tasks, until the queue or the room runs out. A task joins
  // its worker's batch of this turn; the batches go out when the turn ends.
  #dispatch(): void {
    while (this.#queue.length > 0) {
      const worker = this.#idle.pop() ?? this.#leastLoaded();
      if (worker === undefined) return;
      const task = this.#queue.shift() as Task;
      clearTimeout(task.queueTimer);
      this.#addToBatch(worker, task);
    }
  }

  #addToBatch(worker: AppWorker, task: Task): void {
    const batch = this.#batchOfThisTurn(worker);
    batch.tasks.push(task);
    worker.request(task.request).then(
      (response) => this.#answered(worker, batch, task, { response }),
      (error: Error) => this.#answered(worker, batch, task, { error }),
    );
    this.#sendAtEndOfTurn();
  }

  // The worker's batch still being filled, or a new one behind those already sent.
  #batchOfThisTurn(worker: AppWorker): Batch {
    const batches = this.#sent.get(worker) ?? [];
    this.#sent.set(worker, batches);
    const last = batches.at(-1);
    if (last !== undefined && !last.sent) return last;
    const batch: Batch = { tasks: [], answered: 0, sent: false };
    batches.push(batch);
    return batch;
  }

  // Bun.serve calls its fetch handler for every request it read in a turn before the turn ends,
  // and a microtask would run after each of them: setImmediate waits for them all.
  #sendAtEndOfTurn(): void {
    if (this.#sending) return;
    this.#sending = true;
    queueMicrotask(() => {
      this.#sending = false;
      for (const [worker, batches] of this.#sent) {
        const last = batches.at(-1);
        if (last === undefined || last.sent) continue;
        last.sent = true;
        worker.send();
        if (batches[0] === last) this.#startDeadline(worker, last); // it was idle: it starts now
      }
    });
  }

  #leastLoaded(): AppWorker | undefined {
    let least: AppWorker | undefined;
    let fewest = this.#limits.tasksPerWorker;
    for (const [worker, batches] of this.#sent) {
      const tasks = held(batches);
      if (tasks < fewest && worker.alive) [least, fewest] = [worker, tasks];
    }
    return least;
  }

  // A batch starts when its worker has answered every batch sent before it (it runs them in
  // order), and may take as long as all its tasks may together: time spent queued, in the pool
  // or in the worker's mailbox, is not its fault. A handler in an endless loop never yields, so
  // no message can stop it: only terminating its thread does.
  #startDeadline(worker: AppWorker, batch: Batch): void {
    const { deadlineMs } = this.#limits;
    let ms = 0;
    for (const task of batch.tasks) ms += typeof deadlineMs === "function" ? deadlineMs(task.request) : deadlineMs;
    // A timer longer than 2^31 - 1 ms (about 24.8 days) fires at once, with a warning (Node's
    // rule, which Bun 1.4.5 follows): a sum of long deadlines is kept under it.
    ms = Math.min(ms, MAX_TIMER_MS);
    batch.deadlineTimer = setTimeout(() => this.#expire(worker, batch, ms), ms);
  }

  // A task's answer (or its failure) came from its worker. The batch's answers come together and
  // in order; once the last is in, the worker starts its next batch, or is free again, *before*
  // its callers hear their answers (they hear them on a later microtask): whoever reads `stats()`
  // right after `await pool.run()` sees it idle, and the next queued task is already on its way.
  #answered(worker: AppWorker, batch: Batch, task: Task, outcome: { response: WireResponse } | { error: Error }): void {
    const batches = this.#sent.get(worker);
    // #expire, a forced close or a crash (below) has already answered this batch's callers.
    if (batches?.[0] !== batch) return;
    if ("error" in outcome && !worker.alive) {
      // The thread ended under it, and nobody asked (#expire and close take the batches first):
      // a crash. Every unanswered task of the running batch may have run: all of them get its
      // 502. The batches behind it never started, and AppWorker rejects them too: they are not
      // the callers' failure, so they go back in line. (So does a batch the thread ended before
      // it was even posted.)
      this.#sent.delete(worker);
      if (batch.sent) this.#failBatch(batch, outcome.error);
      this.#requeue((batch.sent ? batches.slice(1) : batches).flatMap((later) => later.tasks));
      this.#dispatch();
      return;
    }
    batch.answered++;
    if ("error" in outcome) task.reject(outcome.error);
    else task.resolve(outcome.response);
    if (batch.answered < batch.tasks.length) return;
    clearTimeout(batch.deadlineTimer);
    batches.shift();
    const next = batches[0];
    if (next === undefined) {
      this.#sent.delete(worker);
      this.#idle.push(worker);
    } else if (next.sent) this.#startDeadline(worker, next); // an unsent one starts when it is sent
    this.#dispatch();
    this.#checkDrained();
  }

  // A bounded queue says no at once (the client can retry, or go elsewhere) rather than hold
  // a task for as long as the backlog takes; and even an admitted task gives up in time.
  #admit(task: Task): void {
    const { maxQueue } = this.#limits;
    if (this.#queue.length > maxQueue) {
      this.#queue.pop();
      return task.reject(new QueueFull(maxQueue));
    }
    this.#armQueueTimer(task);
  }

  #armQueueTimer(task: Task): void {
    const { queueWaitMs } = this.#limits;
    task.queueTimer = setTimeout(() => {
      this.#queue.splice(this.#queue.indexOf(task), 1);
      task.reject(new QueueTimeout(queueWaitMs));
      this.#checkDrained();
    }, queueWaitMs);
  }

  // The batch's time is up: answer its tasks, stop the thread still running it, and start
  // another. The batches sent behind it never started: they go back to the queue, in front.
  #expire(worker: AppWorker, batch: Batch, ms: number): void {
    const [, ...waiting] = this.#sent.get(worker) ?? [];
    this.#sent.delete(worker);
    this.#failBatch(batch, new DeadlineExceeded(ms));
    worker.terminate(); // its close event is ours, not a crash: #adopt will not replace it
    this.#requeue(waiting.flatMap((later) => later.tasks));
    this.#replace();
    this.#dispatch();
    this.#checkDrained();
  }

  // Tasks that were sent to a worker that is gone, and never started: first in line again, in
  // their order, with their wait in the queue bounded again.
  #requeue(tasks: Task[]): void {
    this.#queue.unshift(...tasks);
    for (const task of tasks) this.#armQueueTimer(task);
  }

  // Watches a ready worker until its thread ends, and replaces it if it crashed.
  #adopt(worker: AppWorker): void {
    this.#alive.add(worker);
    this.#idle.push(worker);
    void worker.exited.then(({ crashed }) => {
      this.#alive.delete(worker);
      if (!crashed) return; // terminated by us (close): nothing to replace
      const index = this.#idle.indexOf(worker);
      if (index >= 0) this.#idle.splice(index, 1);
      this.#replace();
      this.#checkDrained();
    });
  }

  // Starts a replacement. It takes tasks only once it has answered `ready`, like the first ones.
  #replace(): void {
    // Once closing, a replacement is only worth starting for tasks that still wait (and a
    // failed start may have been the last thing the drain was waiting for).
    if (this.#closed && this.#queue.length === 0) return this.#checkDrained();
    if (this.#broken) return this.#giveUpIfEmpty();
    this.#starting++;
    AppWorker.start(this.#appModule).then(
      (worker) => {
        this.#starting--;
        this.#startFailures = 0;
        this.#adopt(worker);
        this.#dispatch();
        this.#checkDrained(); // a closing pool terminates it with the others
      },
      (error: Error) => {
        this.#starting--;
        // A module that failed at start-up will fail the next time too: retrying without end
        // would start and lose threads as fast as the CPU allows (a respawn storm).
        if (++this.#startFailures < this.#limits.maxStartFailures) return this.#replace();
        this.#broken = `${this.#startFailures} replacement workers in a row failed to start: ${error.message}`;
        this.#giveUpIfEmpty();
        this.#checkDrained();
      },
    );
  }

  // With no worker left and none coming, a queued task would wait forever: it gets the reason now.
  #giveUpIfEmpty(): void {
    if (!this.#broken || this.stats().size > 0 || this.#starting > 0) return;
    for (const task of this.#queue.splice(0)) this.#fail(task, new PoolBroken(this.#broken));
  }

  // A task leaving the queue unserved takes its wait timer with it: a timer left behind
  // would fire later on a task that is gone (and keep the process alive until it does).
  #fail(task: Task, error: Error): void {
    clearTimeout(task.queueTimer);
    task.reject(error);
  }

  // Every task of the batch still without its answer hears `error`; its deadline goes with it.
  #failBatch(batch: Batch, error: Error): void {
    clearTimeout(batch.deadlineTimer);
    for (const task of batch.tasks.slice(batch.answered)) task.reject(error);
    batch.answered = batch.tasks.length;
  }
}

/** The longest delay setTimeout keeps: 2^31 - 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How many tasks these batches hold that have no answer yet. */
function held(batches: Batch[]): number {
  let tasks = 0;
  for (const batch of batches) tasks += batch.tasks.length - batch.answered;
  return tasks;
}
