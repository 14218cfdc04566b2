/**
 * JobQueue (POE::Component::JobQueue): each test runs the Perl program of the same name under
 * t/fixtures/job-queue/ line for line in poe-ts, on a manual clock, and compares the whole
 * output with what POE 1.370 and JobQueue 0.571 printed (times in tenths of a second). Then
 * what poe-ts adds: the promise form, workers that never answer, `jobTimeout`, and bad input.
 */
import { describe, expect, test } from 'vitest';
import { JobQueue, PoeArgumentError, Session, type JobPostback, type Kernel } from '../../src/index.js';
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
});
