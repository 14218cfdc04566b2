/**
 * JobQueue (POE::Component::JobQueue): each test runs the Perl program of the same name under
 * t/fixtures/job-queue/ line for line in poe-ts, on a manual clock, and compares the whole
 * output with what POE 1.370 and JobQueue 0.571 printed (times in tenths of a second). Then
 * what poe-ts adds: the promise form, workers that never answer, `jobTimeout`, and bad input.
 */
import { describe, expect, test } from 'vitest';
import { JobQueue, PoeArgumentError, Session, errno, type JobPostback, type Kernel } from '../../src/index.js';
import { codeOf, makeKernel, type ManualTestKernel } from '../kit/index.js';
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
  return x === undefined ? 'undef' : String(x);
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
