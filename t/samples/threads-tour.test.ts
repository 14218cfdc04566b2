import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { start } from '../../samples/threads-tour.js';
import { builtSample, cleanup, ensureBuilt, exitOf, run } from '../kit/index.js';

const built = builtSample('threads-tour');

beforeAll(() => ensureBuilt(built), 120_000);
afterEach(cleanup);

/** The tour's output, thread ids and all: tids are given out in creation order from 1. */
const TOUR = [
  '== create and join',
  'Thread started: argument (tid 1)',
  'main thread is tid 0',
  '== list context',
  'results: a b c',
  '== a thread that dies',
  'Thread error: the work went wrong',
  '== detach',
  'detached thread 4: is_detached true, listed 0',
  '== list by state, kill with a signal handler',
  'running 3, joinable 0',
  'running 0, joinable 3',
  'thread 5 got SIGTERM',
  'thread 6 got SIGTERM',
  'thread 7 got SIGTERM',
  'listed after the joins: 0',
  "== cancellation: $thr->kill('KILL')",
  'joined: undefined',
  '== Thread::Queue pipeline',
  'label: 1',
  'label: 4',
  'label: 9',
  'label: 16',
  'label: 25',
  'stages handled 5 and 5 items',
];

describe('samples/threads-tour', () => {
  test('runs as a program: every example in order, and it exits at once with a detached thread still asleep', async () => {
    const p = run(built);
    const [code] = await exitOf(p, 20_000);
    expect([code, p.lines, p.stderr]).toEqual([0, [...TOUR, 'tour over'], []]);
  });

  test('start() drives the same tour (thread functions from the built file)', async () => {
    const out: string[] = [];
    await start({ out: (l) => out.push(l), module: pathToFileURL(built) }).done;
    // In this process, earlier tests' threads took tids: compare with the tids masked.
    const mask = (l: string): string => l.replace(/\b(tid|thread) \d+/g, '$1 N');
    expect(out.map(mask)).toEqual(TOUR.map(mask));
  });
});
