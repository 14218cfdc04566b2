import { inspect } from 'node:util';
import { PoeError, describe } from '../errors.js';
import type { Item } from '../kernel/events.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Context } from '../session/context.js';
import { Phase, Session, type SessionId } from '../session/session.js';
import { releasable, type AnonEvent, type Untyped } from '../session/types.js';
import { Wait } from '../task/wait.js';
import { bad, checkCount, checkKeys, checkString } from './options.js';

/**
 * What a worker calls when its job is done: the results go to whoever asked (the enqueuer's
 * response event as `(request, response)`, an active queue's ack event, or the promise of
 * `enqueue`). It may be called more than once, as a POE postback; only the first call settles
 * a promise. Returns 0 (a postback's return), or 1 for an active queue without an ack session
 * (POE's stand-in `sub { 1 }`).
 */
export interface JobPostback<R extends unknown[] = unknown[]> {
  (...results: R): number;
  /** Drops the job's hold on the enqueuer early, as POE's `weaken`; the postback still works. */
  weaken(): this;
  /** Drops the job's hold on the enqueuer, as POE does when the postback is destroyed. */
  release(): void;
  [Symbol.dispose](): void;
}

/** An active queue's meta-postback: a {@link JobPostback} for a job with these parameters. POE: `$meta_postback->(@job)`. */
export type JobMetaPostback<P extends unknown[] = unknown[], R extends unknown[] = unknown[]> = (...params: P) => JobPostback<R>;

/**
 * A passive queue's `worker`: starts the job, normally by making a session that calls
 * `postback(...results)` when it is done. POE: `Worker => sub { my ($postback, @job) = @_; ... }`.
 */
export type JobQueuePassiveWorker<P extends unknown[] = unknown[], R extends unknown[] = unknown[]> = (postback: JobPostback<R>, ...params: P) => void;

/**
 * An active queue's `worker`: fetches the next job, and if there is one, makes its postback with
 * `metaPostback(...params)` and starts a session for it; starting no session means "no job now".
 * POE: `Worker => sub { my ($meta_postback) = @_; ... }`.
 */
export type JobQueueActiveWorker<P extends unknown[] = unknown[], R extends unknown[] = unknown[]> = (metaPostback: JobMetaPostback<P, R>) => void;

/** Options both kinds of queue take: POE's `Alias`, `WorkerLimit`, and poe-ts's `jobTimeout`. */
export interface JobQueueCommonOptions {
  /** The kernel to run in. @default the kernel dispatching now, or the process's default kernel */
  kernel?: Kernel;
  /** POE `Alias`. @default 'queuer' */
  alias?: string;
  /** POE `WorkerLimit`: the most worker sessions at once. POE turns 0 or less into 8; poe-ts refuses it. @default 8 */
  workerLimit?: number;
  /**
   * Seconds a job may run before it is given up: its promise rejects with
   * `ERR_POE_JOBQUEUE_TIMEOUT` (the event form gets no response and the kernel logs a line),
   * the enqueuer is let go, and the sessions its worker started get the KILL signal, which
   * frees the slot. Not in POE, where a worker that never finishes holds its slot and its
   * enqueuer forever. @default undefined (no limit)
   */
  jobTimeout?: number;
}

/** POE's `Passive` block. */
export interface JobQueuePassiveOptions<P extends unknown[] = unknown[]> {
  /**
   * POE `Prioritizer`: orders the waiting jobs. Called as `(queued, incoming)` for waiting jobs
   * from the last towards the first; the incoming job goes after the first (from the end) for
   * which it returns >= 0. So the default (always 1) is FIFO, always -1 is LIFO, and
   * `(q, n) => q.prio - n.prio` runs higher numbers first, ties in order. POE passes the waiting
   * job with its postback in front; poe-ts passes its parameters only.
   * @default () => 1
   */
  prioritizer?: (queued: P, incoming: P) => number;
}

/** POE's `Active` block. */
export interface JobQueueActiveOptions {
  /** POE `PollInterval`: seconds between asking the worker again after it found no job. Without it, the queue stops asking after the first empty fetch. */
  pollInterval?: number;
  /** POE `AckAlias`: the session that meta-postbacks post to (with `ackState`). Without it, postbacks do nothing. */
  ackAlias?: string;
  /** POE `AckState`: the event posted to `ackAlias` as `([...params], [...results])`. */
  ackState?: string;
}

/** `JobQueue.spawn` options for a passive queue (filled by `enqueue`). */
export interface JobQueuePassiveSpawnOptions<P extends unknown[], R extends unknown[]> extends JobQueueCommonOptions {
  /** POE `Worker`. */
  worker: JobQueuePassiveWorker<P, R>;
  /** POE `Passive`: its presence makes the queue passive; `{}` for the defaults. */
  passive: JobQueuePassiveOptions<NoInfer<P>>;
  active?: undefined;
}

/** `JobQueue.spawn` options for an active queue (which polls its worker for jobs). */
export interface JobQueueActiveSpawnOptions<P extends unknown[], R extends unknown[]> extends JobQueueCommonOptions {
  /** POE `Worker`. */
  worker: JobQueueActiveWorker<P, R>;
  /** POE `Active`: its presence makes the queue active; `{}` for the defaults. */
  active: JobQueueActiveOptions;
  passive?: undefined;
}

/** An active queue: no `enqueue` (POE's active queue has no such event). */
export type ActiveJobQueue<P extends unknown[] = unknown[], R extends unknown[] = unknown[]> = Omit<JobQueue<P, R>, 'enqueue' | 'request'>;

const WHAT = 'JobQueue';
const KNOWN = ['kernel', 'alias', 'workerLimit', 'worker', 'passive', 'active', 'jobTimeout'] as const;
const PASSIVE_KEYS = ['prioritizer'] as const;
const ACTIVE_KEYS = ['pollInterval', 'ackAlias', 'ackState'] as const;
/** POE's token for a dequeue that a poll timer sent. */
const TIMED = 31415;

interface Job {
  readonly params: unknown[];
  /** Where results go: the enqueuer's (or ack session's) postback; undefined when nobody asked. */
  readonly target: AnonEvent<unknown> | undefined;
  /** Promise form: the waiter. */
  readonly wait: Wait<unknown[]> | undefined;
  /** What the worker's postback returns (0, or 1 for an active queue without an ack session). */
  readonly ret: number;
  state: 'queued' | 'running' | 'done';
  answered: boolean;
  /** The sessions the worker started for the job that still run. */
  readonly sessions: Set<Session>;
  timer: Item | undefined;
}

/** A job's parameters in a log line: short, one line. */
function jobText(job: Job): string {
  return inspect(job.params, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 60 });
}

function stoppedError(message: string): PoeError {
  return new PoeError('ERR_POE_JOBQUEUE_STOPPED', `${WHAT}: ${message}`);
}

/**
 * A queue of jobs run by at most `workerLimit` worker sessions at once. POE's
 * `POE::Component::JobQueue`, passive (filled by `enqueue`) or active (polling its worker).
 *
 * A passive queue takes jobs as POE's `enqueue` event, `post(alias, 'enqueue', responseEvent,
 * ...params)`, or as {@link JobQueue.request} / {@link JobQueue.enqueue} here. For each job, in
 * the prioritizer's order, it calls `worker(postback, ...params)`; the worker starts a session
 * (a child of the queue, which is how the queue counts workers) that calls `postback(...results)`
 * when done, and the enqueuer gets `responseEvent` with `([...params], [...results])`, as a POE
 * postback delivers. A job holds its enqueuer alive from `enqueue` until its worker sessions end,
 * as POE's postback does.
 *
 * A worker whose sessions all end without answering: POE says nothing; poe-ts logs a line
 * through the kernel and rejects a promise-form job with `ERR_POE_JOBQUEUE_WORKER_LOST`.
 *
 * POE: `POE::Component::JobQueue` 0.571. `P` types a job's parameters, `R` its results.
 */
export class JobQueue<P extends unknown[] = unknown[], R extends unknown[] = unknown[]> {
  readonly #kernel: Kernel;
  readonly #session: Session;
  readonly #alias: string;
  readonly #limit: number;
  readonly #timeout: number | undefined;
  readonly #passiveWorker: JobQueuePassiveWorker | undefined;
  readonly #activeWorker: JobQueueActiveWorker | undefined;
  readonly #prioritizer: ((queued: unknown[], incoming: unknown[]) => number) | undefined;
  readonly #pollInterval: number | undefined;
  readonly #ackAlias: string | undefined;
  readonly #ackState: string | undefined;
  /** Passive: the waiting jobs, in running order. */
  #queue: Job[] = [];
  /** Every job not done yet (waiting, running, or handed to a worker that started no session). */
  readonly #jobs = new Set<Job>();
  /** The job each running worker session works for. */
  readonly #jobOf = new Map<Session, Job>();
  /** The queue's children: POE's `worker_count`. */
  #workers = 0;
  /** Active: a poll timer is set (POE's `pending_polls`). */
  #pendingPolls = 0;
  /** Active without polling: the worker found no job, so the queue asks no more (POE's `latest_worker`). */
  #latest = false;
  #stopped = false;
  /** The job whose worker is running now: sessions made meanwhile are its workers. */
  #starting: Job | undefined;
  /** Jobs started by the worker call running now. */
  #started: Job[] = [];

  private constructor(options: JobQueuePassiveSpawnOptions<P, R> | JobQueueActiveSpawnOptions<P, R>) {
    checkKeys(WHAT, options, KNOWN);
    const o = options as unknown as Record<string, unknown>;
    if (typeof o.worker !== 'function') bad(`Expected ${WHAT} option \`worker\` to be a function that starts a job, got ${describe(o.worker)}`);
    checkString(WHAT, 'alias', o.alias);
    checkCount(`${WHAT} option \`workerLimit\``, o.workerLimit, 1, false);
    const t = o.jobTimeout;
    if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t <= 0)) bad(`Expected ${WHAT} option \`jobTimeout\` to be a number of seconds > 0, got ${describe(t)}`);
    if ((o.passive === undefined) === (o.active === undefined)) {
      bad(`${WHAT} needs exactly one of \`passive\` (a queue filled by enqueue) or \`active\` (a worker that fetches jobs); got ${o.passive === undefined ? 'neither' : 'both'}`);
    }
    this.#alias = (o.alias as string | undefined) ?? 'queuer';
    this.#limit = (o.workerLimit as number | undefined) ?? 8;
    this.#timeout = t;
    if (o.passive !== undefined) {
      checkKeys(`${WHAT} passive`, o.passive, PASSIVE_KEYS);
      const p = o.passive as JobQueuePassiveOptions;
      if (p.prioritizer !== undefined && typeof p.prioritizer !== 'function') bad(`Expected ${WHAT} option \`passive.prioritizer\` to be a function, got ${describe(p.prioritizer)}`);
      this.#passiveWorker = o.worker as JobQueuePassiveWorker;
      this.#prioritizer = p.prioritizer;
    } else {
      checkKeys(`${WHAT} active`, o.active, ACTIVE_KEYS);
      const a = o.active as JobQueueActiveOptions;
      const pi = a.pollInterval;
      if (pi !== undefined && (typeof pi !== 'number' || !Number.isFinite(pi) || pi <= 0)) bad(`Expected ${WHAT} option \`active.pollInterval\` to be a number of seconds > 0, got ${describe(pi)}`);
      checkString(WHAT, 'active.ackAlias', a.ackAlias);
      checkString(WHAT, 'active.ackState', a.ackState);
      if ((a.ackAlias === undefined) !== (a.ackState === undefined)) bad(`${WHAT} needs both \`active.ackAlias\` and \`active.ackState\`, or neither`);
      this.#activeWorker = o.worker as JobQueueActiveWorker;
      this.#pollInterval = pi;
      this.#ackAlias = a.ackAlias;
      this.#ackState = a.ackState;
    }
    type Ctx = Context<Untyped, Record<string, unknown>>;
    const session = Session.create({
      ...(options.kernel !== undefined ? { kernel: options.kernel } : {}),
      inlineStates: {
        _start: (ctx: Ctx) => {
          if (ctx.kernel.aliasSet(this.#alias) !== 0) ctx.kernel._warn(`${WHAT}: alias ${JSON.stringify(this.#alias)} is taken; post to the queue by its session id (${ctx.session.ID})`);
          if (this.#activeWorker !== undefined) ctx.kernel.yield('dequeue');
        },
        _child: (ctx: Ctx, op: string, child: Session) => this.#onChild(ctx.kernel, op, child),
        stop: (ctx: Ctx) => this.#onStop(ctx.kernel),
        dequeue: (ctx: Ctx, timed?: unknown) => (this.#activeWorker !== undefined ? this.#activeDequeue(ctx.kernel, timed) : this.#passiveDequeue()),
        ...(this.#passiveWorker !== undefined
          ? {
              // POE's request event: `post(alias, 'enqueue', responseEvent, ...params)`.
              enqueue: (ctx: Ctx, responseEvent: unknown, ...params: unknown[]) => this.#onEnqueue(ctx, responseEvent, params),
              // The promise form's job, queued at its turn as an `enqueue` post would be.
              enqueue_job: (ctx: Ctx, job: Job) => this.#insert(ctx.kernel, job),
            }
          : {}),
        _stop: () => this.#onFree(),
      },
    });
    this.#session = session!;
    this.#kernel = this.#session._kernel;
  }

  /**
   * Makes the queue's session and returns the queue. Exactly one of `passive` and `active` is
   * given. Throws `PoeArgumentError` (`ERR_POE_INVALID_ARGUMENT`, `ERR_POE_UNKNOWN_OPTION`) for
   * bad options: no `worker`, a `workerLimit` that is not an integer >= 1, both or neither of
   * `passive` and `active`, `ackAlias` without `ackState`. POE: `POE::Component::JobQueue->spawn(...)`.
   */
  static spawn<P extends unknown[], R extends unknown[]>(options: JobQueuePassiveSpawnOptions<P, R>): JobQueue<P, R>;
  static spawn<P extends unknown[], R extends unknown[]>(options: JobQueueActiveSpawnOptions<P, R>): ActiveJobQueue<P, R>;
  static spawn<P extends unknown[], R extends unknown[]>(options: JobQueuePassiveSpawnOptions<P, R> | JobQueueActiveSpawnOptions<P, R>): JobQueue<P, R> | ActiveJobQueue<P, R> {
    return new JobQueue<P, R>(options);
  }

  /** The queue's session id. */
  get ID(): SessionId {
    return this.#session.ID;
  }

  /** The queue's alias. */
  get alias(): string {
    return this.#alias;
  }

  /** Jobs waiting for a worker (passive queues). */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Worker sessions running now (POE's worker count). */
  get running(): number {
    return this.#workers;
  }

  /**
   * Promise form: queues a job; resolves with the results the worker passes to its postback.
   * Rejects with `ERR_POE_JOBQUEUE_STOPPED` when the queue is stopped (before or while the job
   * waits, or the kernel stops), `ERR_POE_JOBQUEUE_WORKER_LOST` when the job's worker sessions
   * all end without answering, `ERR_POE_JOBQUEUE_TIMEOUT` after `jobTimeout`. Holds the calling
   * task or handler's session while it waits; from the main line it runs the kernel until the
   * answer. Not in POE.
   */
  enqueue(...params: P): Promise<R> {
    this.#passiveOnly('enqueue');
    if (this.#stopped || this.#session._phase !== Phase.Running) return Promise.reject(stoppedError('enqueue after stop: the queue takes no more jobs'));
    const leave = (): void => this.#left(job);
    const { wait, promise } = Wait.promise<unknown[]>(this.#kernel, 'JobQueue.enqueue', leave, undefined, this.enqueue);
    const job = this.#job([...params], undefined, wait, 0);
    this.#kernel.post(this.#session, 'enqueue_job', job);
    return promise as Promise<unknown> as Promise<R>;
  }

  /**
   * Event form, from a handler: posts POE's `enqueue` for the calling session, which gets
   * `responseEvent` with `([...params], [...results])` when the job is done.
   * POE: `$kernel->post($alias, 'enqueue', $response_event, @params)`.
   */
  request(responseEvent: string, ...params: P): void {
    this.#passiveOnly('request');
    if (typeof responseEvent !== 'string' || responseEvent === '') bad(`${WHAT}: expected request()'s response event to be an event name, got ${describe(responseEvent)}`);
    const active = this.#kernel._waiter();
    if (active === undefined) throw new PoeError('ERR_POE_KERNEL_NOT_IN_SESSION', `${WHAT}: request() must be called from a session's handler (the response goes to that session); enqueue() returns a promise`);
    if (this.#stopped || this.#session._phase !== Phase.Running) {
      this.#kernel._warn(`${WHAT}: dropped a job enqueued after stop`);
      return;
    }
    this.#kernel.post(this.#session, 'enqueue', responseEvent, ...params);
  }

  /**
   * Stops the queue: removes its alias and its poll timer, drops the waiting jobs (their
   * promises reject with `ERR_POE_JOBQUEUE_STOPPED`; event-form enqueuers are let go without a
   * response, as in POE) and takes no more; running jobs finish and answer. POE: `call($alias, 'stop')`.
   */
  stop(): void {
    if (this.#session._phase !== Phase.Stopped) this.#kernel.call(this.#session, 'stop');
  }

  // ------------------------------------------------------------------------------------------

  #passiveOnly(what: string): void {
    if (this.#passiveWorker === undefined) bad(`${WHAT}: ${what}() is for passive queues; an active queue's worker fetches its own jobs`);
  }

  #job(params: unknown[], target: AnonEvent<unknown> | undefined, wait: Wait<unknown[]> | undefined, ret: number): Job {
    const job: Job = { params, target, wait, ret, state: 'queued', answered: false, sessions: new Set(), timer: undefined };
    this.#jobs.add(job);
    return job;
  }

  #onEnqueue(ctx: Context<Untyped, Record<string, unknown>>, responseEvent: unknown, params: unknown[]): void {
    const k = ctx.kernel;
    if (this.#stopped) {
      k._warn(`${WHAT}: dropped a job enqueued after stop`);
      return;
    }
    if (responseEvent !== undefined && responseEvent !== null && (typeof responseEvent !== 'string' || responseEvent === '')) {
      k._warn(`${WHAT}: dropped a job whose response event is not an event name: ${describe(responseEvent)}`);
      return;
    }
    const sender = ctx.sender;
    let target: AnonEvent<unknown> | undefined;
    if (typeof responseEvent === 'string') {
      if (sender instanceof Session) target = sender.postback(responseEvent, ...params);
      else k._warn(`${WHAT}: a job enqueued from outside any session has no one to answer; its results are dropped`);
    }
    this.#insert(k, this.#job(params, target, undefined, 0));
  }

  /** Places a job by the prioritizer, as POE: scanning from the end, after the first it may follow. */
  #insert(k: Kernel, job: Job): void {
    if (this.#stopped) {
      this.#end(job, stoppedError('enqueue after stop: the queue takes no more jobs'));
      return;
    }
    if (job.state !== 'queued') return; // its waiter left before its turn
    const q = this.#queue;
    let i = q.length;
    const prioritizer = this.#prioritizer;
    if (prioritizer !== undefined) {
      while (i > 0 && !(prioritizer(q[i - 1]!.params, job.params) >= 0)) i--;
    }
    q.splice(i, 0, job);
    k.yield('dequeue');
  }

  #passiveDequeue(): void {
    while (!this.#stopped && this.#workers < this.#limit) {
      const job = this.#queue.shift();
      if (job === undefined) break;
      this.#run(job, () => this.#passiveWorker!(this.#postback(job), ...job.params));
    }
  }

  #activeDequeue(k: Kernel, timed: unknown): void {
    // One poll timer at most: a second `delay` would push the first one back, and polls could
    // be put off for ever (POE's pending_polls). This is that timer: none is pending now.
    if (timed === TIMED) this.#pendingPolls = 0;
    while (!this.#stopped && this.#workers < this.#limit) {
      const before = this.#workers;
      this.#run(undefined, () => this.#activeWorker!(this.#meta));
      if (this.#workers !== before) continue;
      // The worker found nothing: poll later, or (without polling) ask no more.
      if (this.#pollInterval !== undefined && this.#pendingPolls === 0) {
        this.#pendingPolls++;
        k.delay('dequeue', this.#pollInterval, TIMED);
      }
      if (this.#pollInterval === undefined) this.#latest = true;
      break;
    }
  }

  /** An active queue's meta-postback: a job, answered to the ack session if it exists now. */
  readonly #meta = (...params: unknown[]): JobPostback => {
    let target: AnonEvent<unknown> | undefined;
    if (this.#ackAlias !== undefined) {
      const ack = this.#kernel.aliasResolve(this.#ackAlias);
      if (ack instanceof Session) target = ack.postback(this.#ackState!, ...params);
    }
    const job = this.#job(params, target, undefined, target === undefined ? 1 : 0);
    this.#begin(job);
    return this.#postback(job);
  };

  /** Runs a worker call; the sessions it makes are the workers of the job it started. */
  #run(job: Job | undefined, call: () => void): void {
    if (job !== undefined) this.#begin(job);
    try {
      call();
    } finally {
      this.#starting = undefined;
      const started = this.#started;
      this.#started = [];
      // An answer made in the worker call itself with no session left behind ends the job
      // (POE frees the postback when the worker returns).
      for (const j of started) if (j.state === 'running' && j.answered && j.sessions.size === 0) this.#end(j, undefined);
    }
  }

  #begin(job: Job): void {
    job.state = 'running';
    this.#starting = job;
    this.#started.push(job);
    if (this.#timeout !== undefined) job.timer = this.#kernel._wakeAt(this.#session, this.#timeout, () => this.#timedOut(job));
  }

  #postback(job: Job): JobPostback {
    const fn = (...results: unknown[]): number => {
      const first = !job.answered;
      job.answered = true;
      if (first && job.timer !== undefined) {
        this.#kernel._dropWake(job.timer);
        job.timer = undefined;
      }
      if (job.wait !== undefined) {
        if (first) job.wait.settle(results);
      } else if (job.target !== undefined) job.target(...results);
      if (job.state === 'running' && job.sessions.size === 0 && !this.#started.includes(job)) this.#end(job, undefined);
      return job.ret;
    };
    return releasable(fn, () => job.target?.release());
  }

  #onChild(k: Kernel, op: string, child: Session): void {
    if (op === 'create' || op === 'gain') {
      this.#workers++;
      const job = this.#starting;
      if (op === 'create' && job !== undefined && job.state === 'running') {
        job.sessions.add(child);
        this.#jobOf.set(child, job);
      }
      return;
    }
    if (this.#workers > this.#limit) k._warn(`${WHAT}: worker count (${this.#workers}) exceeded the limit (${this.#limit})`);
    this.#workers--;
    const job = this.#jobOf.get(child);
    if (job !== undefined) {
      this.#jobOf.delete(child);
      job.sessions.delete(child);
    }
    if (job !== undefined && job.sessions.size === 0 && job.state === 'running') {
      if (job.answered) this.#end(job, undefined);
      else {
        k._warn(`${WHAT}: the worker sessions of job ${jobText(job)} ended without answering`);
        this.#end(job, new PoeError('ERR_POE_JOBQUEUE_WORKER_LOST', `${WHAT}: the job's worker sessions ended without answering`));
      }
    }
    if (!this.#latest && !this.#stopped) k.yield('dequeue');
  }

  #timedOut(job: Job): void {
    job.timer = undefined;
    if (job.state !== 'running') return;
    const sessions = [...job.sessions];
    this.#kernel._warn(`${WHAT}: job ${jobText(job)} timed out after ${this.#timeout} s${sessions.length > 0 ? '; its worker sessions get KILL' : ''}`);
    this.#end(job, new PoeError('ERR_POE_JOBQUEUE_TIMEOUT', `${WHAT}: the job did not finish within ${this.#timeout} s`));
    for (const s of sessions) this.#kernel.signal(s, 'KILL');
  }

  /** POE's `stop`: no alias, no poll timer, no waiting jobs, no more jobs. Returns 1, as POE's. */
  #onStop(k: Kernel): number {
    k.aliasRemove(this.#alias);
    k.alarmRemoveAll();
    this.#pendingPolls = 0;
    this.#stopped = true;
    const queued = this.#queue;
    this.#queue = [];
    for (const job of queued) this.#end(job, stoppedError('the queue was stopped before the job ran'));
    return 1;
  }

  /** A promise-form waiter's session went away: a waiting job leaves the queue. */
  #left(job: Job): void {
    if (job.state !== 'queued') return;
    const i = this.#queue.indexOf(job);
    if (i >= 0) this.#queue.splice(i, 1);
    job.state = 'done';
    this.#jobs.delete(job);
  }

  /** The job is over: its enqueuer is let go, and a promise that has no answer gets `error`. */
  #end(job: Job, error: PoeError | undefined): void {
    if (job.state === 'done') return;
    job.state = 'done';
    this.#jobs.delete(job);
    if (job.timer !== undefined) {
      this.#kernel._dropWake(job.timer);
      job.timer = undefined;
    }
    job.target?.release();
    if (error !== undefined && !job.answered) job.wait?.reject(error);
  }

  /** The queue's session is freed (after `stop`, or the kernel stopping everything). */
  #onFree(): void {
    this.#stopped = true;
    this.#queue = [];
    for (const job of [...this.#jobs]) {
      job.state = 'done';
      if (job.timer !== undefined) this.#kernel._dropWake(job.timer);
      job.target?.release();
      if (!job.answered) job.wait?.answerNow(false, stoppedError('the queue stopped with the job pending'));
    }
    this.#jobs.clear();
    this.#jobOf.clear();
  }
}
