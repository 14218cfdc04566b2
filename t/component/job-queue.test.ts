/**
 * JobQueue (POE::Component::JobQueue): each test runs the Perl program of the same name under
 * t/fixtures/job-queue/ line for line in poe-ts, on a manual clock, and compares the whole
 * output with what POE 1.370 and JobQueue 0.571 printed (times in tenths of a second). Then
 * what poe-ts adds: the promise form, workers that never answer, `jobTimeout`, and bad input.
 */
import { describe, expect, test } from 'vitest';
import { JobQueue, PoeArgumentError, PoeError, Session, errno, task, type JobPostback, type JobQueuePassiveSpawnOptions, type Kernel } from '../../src/index.js';
import { bounded, codeOf, makeKernel, type ManualTestKernel } from '../kit/index.js';
import { expectedLines } from '../kit/probe.js';

/**
 * The recorded lines, with what differs only in kind: Perl's `ref($postback)` is a class name
 * where JavaScript's `typeof` says `function`, and POE hands the prioritizer the waiting job
 * with its postback in front (`[POSTBACK,a,5]`) where poe-ts hands its parameters (`[a,5]`).
 */
function fixture(name: string, translations: Readonly<Record<string, string>> = {}): string[] {
  return expectedLines(new URL(`../fixtures/job-queue/${name}.expected`, import.meta.url), translations).map((line) =>
    line.replace('postback=POE::Session::AnonEvent', 'postback=function').replace('prioritizer([POSTBACK,', 'prioritizer(['),
  );
}

/** The Perl programs' `t()`: tenths of a second since start. */
function stamp(tk: ManualTestKernel): () => string {
  return () => `t=${Math.round(tk.clock.now() * 10)}`;
}

/** The programs' `show()`: arrays as `[a,b]`, postbacks as `POSTBACK`, undefined as `undef`. */
function show(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(show).join(',')}]`;
  if (typeof x === 'function') return 'POSTBACK';
  if (x === undefined) return 'undef';
  return typeof x === 'string' || typeof x === 'number' ? String(x) : JSON.stringify(x);
}

type Job = [name: string, tenths: number];

/** passive.pl: a worker session per job that answers after `tenths`. */
function passiveWorker(kernel: Kernel, say: (...p: unknown[]) => void, t: () => string) {
  return (postback: JobPostback<[string, number]>, name: string, tenths: number): void => {
    say(t(), ` worker(${name}, ${tenths}) postback=${typeof postback}`);
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          say(t(), ` ${name} start (session ${ctx.session.ID}, parent ${(ctx.sender as Session).ID})`);
          ctx.kernel.delay('done', tenths / 10);
        },
        done: () => {
          say(t(), ` ${name} done`);
          postback(`${name}-result`, tenths * 2);
        },
        _stop: () => say(t(), ` ${name} _stop`),
      },
    });
  };
}

function enqueuer(kernel: Kernel, say: (...p: unknown[]) => void, t: () => string, jobs: Job[]): void {
  Session.create({
    kernel,
    inlineStates: {
      _start: (ctx) => {
        for (const job of jobs) say(t(), ` enqueue ${job[0]} -> ${ctx.kernel.post('passive', 'enqueue', 'result', ...job)}`);
      },
      result: (_ctx, request: unknown, response: unknown) => say(t(), ` result request=${show(request)} response=${show(response)}`),
      _stop: () => say(t(), ' enqueuer _stop'),
    },
  });
}

describe('conformance with POE::Component::JobQueue 0.571', () => {
  test('passive.pl: WorkerLimit 2, five jobs: start and finish order and times, results as (request, response)', async () => {
    const tk = makeKernel();
    const { kernel, log, say, run } = tk;
    const t = stamp(tk);
    JobQueue.spawn({ kernel, alias: 'passive', workerLimit: 2, worker: passiveWorker(kernel, say, t), passive: {} });
    enqueuer(kernel, say, t, [['a', 3], ['b', 1], ['c', 2], ['d', 1], ['e', 1]]);
    await run();
    say(t(), ' run returned');
    expect(log).toEqual(fixture('passive'));
  });

  test('passive.pl prioritizer: the arguments it gets, and the order it makes (WorkerLimit 1)', async () => {
    const tk = makeKernel();
    const { kernel, log, say, run } = tk;
    const t = stamp(tk);
    JobQueue.spawn({
      kernel,
      alias: 'passive',
      workerLimit: 1,
      worker: passiveWorker(kernel, say, t),
      passive: {
        prioritizer: (queued, incoming) => {
          const r = Math.sign(queued[1] - incoming[1]);
          say(t(), ` prioritizer(${show(queued)}, ${show(incoming)}) -> ${r}`);
          return r;
        },
      },
    });
    enqueuer(kernel, say, t, [['a', 5], ['b', 3], ['c', 7], ['d', 3], ['e', 1]]);
    await run();
    say(t(), ' run returned');
    expect(log).toEqual(fixture('prioritizer'));
  });

  for (const mode of ['poll', 'nopoll'] as const) {
    test(`active.pl ${mode}: the worker asked for jobs${mode === 'poll' ? ' every PollInterval, results to AckAlias/AckState, then stop' : ', until the first empty fetch'}`, async () => {
      const tk = makeKernel();
      const { kernel, log, say, run } = tk;
      const t = stamp(tk);
      const jobs: Job[] = [['a', 3], ['b', 1], ['c', 2]];
      let results = 0;
      const queue = JobQueue.spawn({
        kernel,
        alias: 'active',
        workerLimit: 2,
        worker: (meta: (name: string, tenths: number) => JobPostback<[string]>) => {
          const job = jobs.shift();
          say(t(), ` worker(CODE) fetched ${show(job)}`);
          if (job === undefined) return;
          const [name, tenths] = job;
          const postback = meta(name, tenths);
          // POE's meta-postback makes a postback (POSTBACK) with an ack session, else `sub { 1 }` (CODE).
          say(t(), ` meta(${name}, ${tenths}) -> ${mode === 'poll' ? 'POSTBACK' : 'CODE'}`);
          Session.create({
            kernel,
            inlineStates: {
              _start: (ctx) => {
                say(t(), ` ${name} start (parent ${(ctx.sender as Session).ID})`);
                ctx.kernel.delay('done', tenths / 10);
              },
              done: () => say(t(), ` ${name} done -> ${postback(`${name}-result`)}`),
              _stop: () => say(t(), ` ${name} _stop`),
            },
          });
        },
        active: mode === 'poll' ? { pollInterval: 0.5, ackAlias: 'ack', ackState: 'ack' } : {},
      });
      Session.create({
        kernel,
        inlineStates: {
          _start: (ctx) => {
            ctx.kernel.aliasSet('ack');
            ctx.kernel.delay('refill', 1.2);
          },
          refill: () => {
            say(t(), ' refill');
            jobs.push(['d', 1], ['e', 1]);
          },
          ack: (ctx, request: unknown, response: unknown) => {
            say(t(), ` ack request=${show(request)} response=${show(response)}`);
            if (++results !== 5) return;
            say(t(), ' stop');
            queue.stop();
            ctx.kernel.aliasRemove('ack');
          },
          _stop: () => say(t(), ' ack session _stop'),
        },
      });
      await run();
      say(t(), ' run returned');
      expect(log).toEqual(fixture(`active-${mode}`));
    });
  }

  test('stop.pl: stop with jobs waiting: the running job answers, the rest are dropped, the enqueuer is let go; enqueue after stop', async () => {
    const tk = makeKernel();
    const { kernel, log, say, run, warnings } = tk;
    const t = stamp(tk);
    JobQueue.spawn({
      kernel,
      alias: 'passive',
      workerLimit: 1,
      worker: (postback: JobPostback<[string]>, name: string, tenths: number) => {
        Session.create({
          kernel,
          inlineStates: {
            _start: (ctx) => {
              say(t(), ` ${name} start`);
              ctx.kernel.delay('done', tenths / 10);
            },
            done: () => {
              say(t(), ` ${name} done`);
              postback(`${name}-result`);
            },
            _stop: () => say(t(), ` ${name} _stop`),
          },
        });
      },
      passive: {},
    });
    let queueId = 0;
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          queueId = (ctx.kernel.aliasResolve('passive') as Session).ID;
          for (const job of [['a', 2], ['b', 1], ['c', 1]] as Job[]) ctx.kernel.post('passive', 'enqueue', 'result', ...job);
          ctx.kernel.delay('stop', 0.1);
        },
        stop: (ctx) => {
          say(t(), ` stop -> ${show(ctx.kernel.call('passive', 'stop'))}`);
          const r = ctx.kernel.post('passive', 'enqueue', 'result', 'x', 1);
          say(t(), ` enqueue x by alias -> ${show(r)} (${ctx.kernel.errno === errno.ESRCH ? 'ESRCH' : ctx.kernel.errno})`);
          say(t(), ` enqueue y by id -> ${show(ctx.kernel.post(queueId, 'enqueue', 'result', 'y', 1))}`);
        },
        result: (_ctx, request: unknown, response: unknown) => say(t(), ` result request=${show(request)} response=${show(response)}`),
        _stop: () => say(t(), ' enqueuer _stop'),
      },
    });
    await run();
    say(t(), ' run returned');
    expect(log).toEqual(fixture('stop'));
    // POE drops the late job without a word; poe-ts says so.
    expect(warnings).toEqual(['JobQueue: dropped a job enqueued after stop']);
  });

  test('lost.pl: workers that end without answering, answer from the worker itself, drop the postback, or never end', async () => {
    const tk = makeKernel();
    const { kernel, log, say, warnings } = tk;
    const t = stamp(tk);
    JobQueue.spawn({
      kernel,
      alias: 'passive',
      workerLimit: 1,
      worker: (postback: JobPostback<[string]>, name: string) => {
        say(t(), ` worker(${name})`);
        if (name === 'c') {
          postback('c-result');
          return;
        }
        if (name === 'd') return;
        Session.create({
          kernel,
          inlineStates: {
            _start: (ctx) => {
              say(t(), ` ${name} start`);
              if (name !== 'e') ctx.kernel.delay('done', 0.1);
              else ctx.kernel.aliasSet('stuck');
            },
            done: () => {
              say(t(), ` ${name} done`);
              if (name === 'b') postback(`${name}-result`);
            },
            _stop: () => say(t(), ` ${name} _stop`),
          },
        });
      },
      passive: {},
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          for (const name of ['a', 'b', 'c', 'd', 'e']) ctx.kernel.post('passive', 'enqueue', 'result', name);
        },
        result: (_ctx, request: unknown, response: unknown) => say(t(), ` result request=${show(request)} response=${show(response)}`),
        _stop: () => say(t(), ' enqueuer _stop'),
      },
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => ctx.kernel.delay('watchdog', 1),
        // Perl's `exit 0`: the program ends here, whatever is still running (poe-ts's stop
        // then runs every _stop, which exit skips).
        watchdog: (ctx) => {
          say(t(), ' watchdog: still running');
          atExit = [...log];
          ctx.kernel.stop();
        },
      },
    });
    let atExit: string[] = [];
    await kernel.run();
    expect(atExit).toEqual(fixture('lost'));
    // e never ended and held its enqueuer (through its postback) until the end, as in POE.
    expect(log.slice(atExit.length)).toEqual(['t=10 e _stop', 't=10 enqueuer _stop']);
    // Where POE is silent, the kernel's log says which job's worker never answered.
    // (e's too, when the kernel's stop ends it).
    expect(warnings).toEqual(["JobQueue: the worker sessions of job [ 'a' ] ended without answering", "JobQueue: the worker sessions of job [ 'e' ] ended without answering"]);
  });

  test('lost.pl die: a worker session that throws in _start ends the program as POE does (run() rejects)', async () => {
    const tk = makeKernel();
    const { kernel, log, say } = tk;
    const t = stamp(tk);
    JobQueue.spawn({
      kernel,
      alias: 'passive',
      workerLimit: 1,
      worker: (_postback: JobPostback, name: string) => {
        say(t(), ` worker(${name})`);
        Session.create({
          kernel,
          inlineStates: {
            _start: () => {
              say(t(), ` ${name} start`);
              throw new Error(`${name} failed`);
            },
            _stop: () => say(t(), ` ${name} _stop`),
          },
        });
      },
      passive: {},
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          for (const name of ['a', 'b']) ctx.kernel.post('passive', 'enqueue', 'result', name);
        },
        _stop: () => say(t(), ' enqueuer _stop'),
      },
    });
    Session.create({ kernel, inlineStates: { _start: (ctx) => ctx.kernel.delay('watchdog', 1), watchdog: () => say('watchdog') } });
    const error = await kernel.run().then(() => undefined, (err: unknown) => err);
    say((error as Error).message);
    expect(log).toEqual(fixture('lost-die'));
  });
});

/** A passive queue whose worker sessions answer `${name}-result` after `tenths`, or not at all with `tenths` < 0. */
function timedQueue(tk: ManualTestKernel, options: Partial<JobQueuePassiveSpawnOptions<Job, [string]>> = {}): JobQueue<Job, [string]> {
  const { kernel, say } = tk;
  const t = stamp(tk);
  return JobQueue.spawn({
    kernel,
    alias: 'q',
    workerLimit: 1,
    worker: (postback: JobPostback<[string]>, name: string, tenths: number) => {
      Session.create({
        kernel,
        inlineStates: {
          _start: (ctx) => {
            say(t(), ` ${name} start`);
            if (tenths >= 0) ctx.kernel.delay('done', tenths / 10);
            else ctx.kernel.aliasSet(`stuck-${name}`); // never ends by itself
          },
          done: () => postback(`${name}-result`),
          _stop: () => say(t(), ` ${name} _stop`),
        },
      });
    },
    passive: {},
    ...options,
  });
}

describe('the promise form (not in POE)', () => {
  test('a task awaits enqueue() for the results; jobs run by the limit, in order with posted ones', async () => {
    const tk = makeKernel();
    const { kernel, log, say, run } = tk;
    const t = stamp(tk);
    const queue = timedQueue(tk, { workerLimit: 2 });
    task(
      async () => {
        const results = await Promise.all([queue.enqueue('a', 3), queue.enqueue('b', 1), queue.enqueue('c', 1)]);
        say(t(), ` task got ${show(results)}`);
        queue.stop();
      },
      { kernel },
    );
    await run();
    expect(log).toEqual(['t=0 a start', 't=0 b start', 't=1 b _stop', 't=1 c start', 't=2 c _stop', 't=3 a _stop', 't=3 task got [[a-result],[b-result],[c-result]]']);
  });

  test('from the main line, enqueue() runs the kernel until the answer', async () => {
    const tk = makeKernel();
    const queue = timedQueue(tk);
    expect(await queue.enqueue('a', 2)).toEqual(['a-result']);
    expect(tk.clock.now()).toBeCloseTo(0.2);
    queue.stop();
    await tk.run();
    expect(tk.log).toEqual(['t=0 a start', 't=2 a _stop']);
  });

  test('stop rejects the waiting jobs and later ones with ERR_POE_JOBQUEUE_STOPPED; the running job still answers', async () => {
    const tk = makeKernel();
    const { kernel, log, say, run } = tk;
    const t = stamp(tk);
    const queue = timedQueue(tk);
    const outcome = (p: Promise<unknown>, name: string): void =>
      void p.then(
        (r) => say(t(), ` ${name} -> ${show(r)}`),
        (err: PoeError) => say(t(), ` ${name} -> ${err.constructor.name} ${err.code}`),
      );
    task(
      () => {
        outcome(queue.enqueue('a', 2), 'a');
        outcome(queue.enqueue('b', 1), 'b');
      },
      { kernel },
    );
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => ctx.kernel.delay('stop', 0.1),
        stop: () => {
          queue.stop();
          outcome(queue.enqueue('c', 1), 'c');
        },
      },
    });
    await run();
    expect(log).toEqual(['t=0 a start', 't=1 c -> PoeError ERR_POE_JOBQUEUE_STOPPED', 't=1 b -> PoeError ERR_POE_JOBQUEUE_STOPPED', 't=2 a _stop', 't=2 a -> [a-result]']);
  });

  test('a worker whose sessions end without answering: the promise rejects with ERR_POE_JOBQUEUE_WORKER_LOST, the next job runs', async () => {
    const tk = makeKernel();
    const { kernel, log, say, run, warnings } = tk;
    const t = stamp(tk);
    const queue = JobQueue.spawn({
      kernel,
      workerLimit: 1,
      worker: (postback: JobPostback<[string]>, name: string) => {
        Session.create({ kernel, inlineStates: { _start: (ctx) => ctx.kernel.delay('done', 0.1), done: () => (name === 'ok' ? postback('fine') : undefined) } });
      },
      passive: {},
    });
    task(
      async () => {
        const settled = await Promise.allSettled([queue.enqueue('lost'), queue.enqueue('ok')]);
        say(t(), ` ${settled.map((r) => (r.status === 'fulfilled' ? show(r.value) : (r.reason as PoeError).code)).join(' ')}`);
        queue.stop();
      },
      { kernel },
    );
    await run();
    expect(log).toEqual(['t=2 ERR_POE_JOBQUEUE_WORKER_LOST [fine]']);
    expect(warnings).toEqual(["JobQueue: the worker sessions of job [ 'lost' ] ended without answering"]);
  });
});

describe('jobTimeout (not in POE)', () => {
  test('a worker that never ends: its job fails at jobTimeout, its session gets KILL, the slot goes to the next job', async () => {
    const tk = makeKernel();
    const { kernel, log, say, run, warnings } = tk;
    const t = stamp(tk);
    const queue = timedQueue(tk, { jobTimeout: 0.5 });
    let held = true;
    // The event form: the enqueuer has nothing else to live for but its jobs.
    Session.create({
      kernel,
      inlineStates: {
        _start: () => {
          queue.request('result', 'stuck', -1);
          queue.request('result', 'next', 1);
        },
        result: (_ctx, request: unknown, response: unknown) => say(t(), ` result request=${show(request)} response=${show(response)}`),
        _stop: () => {
          held = false;
          say(t(), ' enqueuer _stop');
        },
      },
    });
    const p = queue.enqueue('late', 1).then(
      (r) => say(t(), ` late -> ${show(r)}`),
      (err: PoeError) => say(t(), ` late -> ${err.code}`),
    );
    expect(held).toBe(true);
    await bounded(p, 2000, 'the late job').catch((err: unknown) => {
      kernel.stop();
      throw err;
    });
    queue.stop();
    await run();
    expect(log).toEqual(['t=0 stuck start', 't=5 stuck _stop', 't=5 next start', 't=6 result request=[next,1] response=[next-result]', 't=6 next _stop', 't=6 enqueuer _stop', 't=6 late start', 't=7 late _stop', 't=7 late -> [late-result]']);
    expect(warnings).toEqual(["JobQueue: job [ 'stuck', -1 ] timed out after 0.5 s; its worker sessions get KILL"]);
  });

  test('the promise of a job that times out rejects with ERR_POE_JOBQUEUE_TIMEOUT', async () => {
    const tk = makeKernel();
    const queue = timedQueue(tk, { jobTimeout: 0.5 });
    const err = await bounded(queue.enqueue('stuck', -1), 2000, 'the timeout').catch((e: unknown) => {
      tk.kernel.stop();
      return e;
    });
    expect(err).toBeInstanceOf(PoeError);
    expect((err as PoeError).code).toBe('ERR_POE_JOBQUEUE_TIMEOUT');
    queue.stop();
    await tk.run();
    expect(tk.log).toEqual(['t=0 stuck start', 't=5 stuck _stop']);
  });
});

describe('the enqueuer is held as by a POE postback', () => {
  test('from enqueue until the worker session ends (not just until it answers)', async () => {
    const tk = makeKernel();
    const { kernel, log, say, run } = tk;
    const t = stamp(tk);
    const queue = JobQueue.spawn({
      kernel,
      worker: (postback: JobPostback<[string]>, name: string) => {
        Session.create({
          kernel,
          inlineStates: {
            _start: (ctx) => ctx.kernel.delay('answer', 0.1),
            answer: (ctx) => {
              postback(`${name}-result`);
              ctx.kernel.delay('end', 0.4);
            },
            end: () => undefined,
            _stop: () => say(t(), ` ${name} _stop`),
          },
        });
      },
      passive: {},
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: () => queue.request('result', 'a'),
        result: (_ctx, request: unknown, response: unknown) => say(t(), ` result request=${show(request)} response=${show(response)}`),
        _stop: () => {
          say(t(), ' enqueuer _stop');
          queue.stop();
        },
      },
    });
    await run();
    expect(log).toEqual(['t=1 result request=[a] response=[a-result]', 't=5 a _stop', 't=5 enqueuer _stop']);
  });
});

describe('bad input', () => {
  const worker = (): void => undefined;
  const cases: [string, string, unknown][] = [
    ['no worker', 'ERR_POE_INVALID_ARGUMENT', { passive: {} }],
    ['a worker that is not a function', 'ERR_POE_INVALID_ARGUMENT', { worker: 'x', passive: {} }],
    ['workerLimit 0', 'ERR_POE_INVALID_ARGUMENT', { worker, workerLimit: 0, passive: {} }],
    ['workerLimit -1', 'ERR_POE_INVALID_ARGUMENT', { worker, workerLimit: -1, passive: {} }],
    ['workerLimit 1.5', 'ERR_POE_INVALID_ARGUMENT', { worker, workerLimit: 1.5, passive: {} }],
    ['neither passive nor active', 'ERR_POE_INVALID_ARGUMENT', { worker }],
    ['both passive and active', 'ERR_POE_INVALID_ARGUMENT', { worker, passive: {}, active: {} }],
    ['POE spelling WorkerLimit', 'ERR_POE_UNKNOWN_OPTION', { worker, WorkerLimit: 2, passive: {} }],
    ['an unknown passive key', 'ERR_POE_UNKNOWN_OPTION', { worker, passive: { Prioritizer: worker } }],
    ['a prioritizer that is not a function', 'ERR_POE_INVALID_ARGUMENT', { worker, passive: { prioritizer: 1 } }],
    ['ackAlias without ackState', 'ERR_POE_INVALID_ARGUMENT', { worker, active: { ackAlias: 'ack' } }],
    ['pollInterval 0', 'ERR_POE_INVALID_ARGUMENT', { worker, active: { pollInterval: 0 } }],
    ['jobTimeout -1', 'ERR_POE_INVALID_ARGUMENT', { worker, passive: {}, jobTimeout: -1 }],
  ];
  test.each(cases)('%s: PoeArgumentError %s, no session left behind', (_name, code, options) => {
    const { kernel } = makeKernel();
    let thrown: unknown;
    try {
      JobQueue.spawn({ kernel, ...(options as object) } as JobQueuePassiveSpawnOptions<[], []>);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PoeArgumentError);
    expect((thrown as PoeArgumentError).code).toBe(code);
    expect(kernel.sessionCount).toBe(0);
  });

  test('bad-input.pl: every spawn POE refuses, poe-ts refuses too; the WorkerLimit POE turns into 8, poe-ts refuses', () => {
    const { kernel } = makeKernel();
    const worker = (): void => undefined;
    // bad-input.pl's cases, by the name it prints, in poe-ts's spelling.
    const perlCases: Record<string, object> = {
      'no Worker': { passive: {} },
      'Worker not code': { worker: 'x', passive: {} },
      'neither Active nor Passive': { worker },
      'both Active and Passive': { worker, active: {}, passive: {} },
      'unknown Passive key': { worker, passive: { prioritiser: worker } },
      'unknown key': { worker, passive: {}, alais: 'x' },
      'AckAlias without AckState': { worker, active: { ackAlias: 'x' } },
      'WorkerLimit 0': { worker, workerLimit: 0, passive: {} },
      'WorkerLimit -1': { worker, workerLimit: -1, passive: {} },
    };
    const seen: string[] = [];
    for (const line of fixture('bad-input')) {
      const name = line.startsWith('WorkerLimit') ? line.slice(0, line.indexOf(':')) : line.startsWith('postback:') ? undefined : line.slice(0, line.indexOf(':'));
      if (name === undefined) continue; // POE hands the worker an undefined postback for a job enqueued without a response event
      const perlRefused = line.includes(': POE::Component::JobQueue ');
      expect(perlRefused || /at most 8 workers at once$/.test(line)).toBe(true);
      const code = codeOf(() => JobQueue.spawn({ kernel, ...perlCases[name] } as JobQueuePassiveSpawnOptions<[], []>));
      seen.push(`${name}: ${code}`);
    }
    expect(seen).toEqual([
      'no Worker: ERR_POE_INVALID_ARGUMENT',
      'Worker not code: ERR_POE_INVALID_ARGUMENT',
      'neither Active nor Passive: ERR_POE_INVALID_ARGUMENT',
      'both Active and Passive: ERR_POE_INVALID_ARGUMENT',
      'unknown Passive key: ERR_POE_UNKNOWN_OPTION',
      'unknown key: ERR_POE_UNKNOWN_OPTION',
      'AckAlias without AckState: ERR_POE_INVALID_ARGUMENT',
      'WorkerLimit 0: ERR_POE_INVALID_ARGUMENT',
      'WorkerLimit -1: ERR_POE_INVALID_ARGUMENT',
    ]);
    expect(kernel.sessionCount).toBe(0);
  });

  test('enqueue() and request() on an active queue (the types refuse them too): ERR_POE_INVALID_ARGUMENT', async () => {
    const tk = makeKernel();
    const active = JobQueue.spawn({ kernel: tk.kernel, worker: () => undefined, active: {} }) as unknown as JobQueue;
    expect(codeOf(() => active.enqueue('x'))).toBe('ERR_POE_INVALID_ARGUMENT');
    expect(codeOf(() => active.request('result', 'x'))).toBe('ERR_POE_INVALID_ARGUMENT');
    await tk.run();
  });

  test('the messages name the option (no worker; workerLimit 0, which POE turns into 8)', () => {
    const { kernel } = makeKernel();
    const spawn = (o: object) => () => JobQueue.spawn({ kernel, ...o } as JobQueuePassiveSpawnOptions<[], []>);
    expect(spawn({ passive: {} })).toThrow('Expected JobQueue option `worker` to be a function that starts a job, got `undefined`');
    expect(spawn({ worker: () => undefined, workerLimit: 0, passive: {} })).toThrow('Expected JobQueue option `workerLimit` to be an integer >= 1, got `0` (number)');
    expect(spawn({ worker: () => undefined, passive: {}, active: {} })).toThrow('JobQueue needs exactly one of `passive` (a queue filled by enqueue) or `active` (a worker that fetches jobs); got both');
  });

  test('enqueue after stop: the promise rejects with ERR_POE_JOBQUEUE_STOPPED; request() and a posted enqueue are dropped with a warning', async () => {
    const tk = makeKernel();
    const queue = timedQueue(tk);
    queue.stop();
    expect(codeOf(() => queue.request('result', 'x', 1))).toBe('ERR_POE_KERNEL_NOT_IN_SESSION');
    const err = await queue.enqueue('x', 1).catch((e: unknown) => e);
    expect((err as PoeError).code).toBe('ERR_POE_JOBQUEUE_STOPPED');
    Session.create({
      kernel: tk.kernel,
      inlineStates: {
        _start: (ctx) => {
          queue.request('result', 'y', 1);
          // The alias is gone with stop (as in POE): a post by name finds nobody.
          tk.say(`post by alias -> ${show(ctx.kernel.post('q', 'enqueue', 'result', 'z', 1))} ${ctx.kernel.errno === errno.ESRCH ? 'ESRCH' : ctx.kernel.errno}`);
        },
      },
    });
    await tk.run();
    expect(tk.log).toEqual(['post by alias -> undef ESRCH']);
    expect(tk.warnings).toEqual(['JobQueue: dropped a job enqueued after stop']);
  });
});
