/**
 * Running out of file descriptors (issue 9), with real processes under a real limit: a fixture
 * listener started with `ulimit -n`, and more connections than its descriptor table holds.
 * POE's accept() fails with EMFILE and SocketFactory reports `('accept', 24, 'Too many open
 * files', id)`; Node closes the surplus connections itself and says nothing, so poe-ts must
 * report it: once for the fill, and again for the next fill after descriptors were freed, with
 * the listener answering in between. Also `fork()` under exhaustion: undefined with errno
 * EMFILE, as Perl's fork gives `$!`.
 *
 * The fixtures run from dist/. Every wait is on a line or a socket event, bounded; every burst
 * of connections is bounded in count and time; afterEach kills whatever still runs.
 */
import * as net from 'node:net';
import { constants } from 'node:os';
import { afterEach, describe, expect, test } from 'vitest';
import { strerror } from '../../src/index.js';
import { cleanup, exitOf, type Program, run, track } from '../kit/index.js';

afterEach(cleanup);

const EMFILE = constants.errno.EMFILE;
/** The fixture's descriptor limit: Node itself holds about twenty, connections get the rest. */
const LIMIT = 64;
/** Connections in one burst: well over what the table holds, well under the listen backlog. */
const BURST = 150;

/** 'hi', 'eof', 'timeout', an error code, or the unexpected data. */
type Outcome = string;

/** How each client of a burst fared: the server's "hi", EOF before any data, or an error. */
interface Burst {
  outcomes: Outcome[];
  sockets: net.Socket[];
}

/** Opens `n` connections at once; each settles on its first data, EOF, error, or after `ms`. */
async function burst(port: number, n: number, ms = 5_000): Promise<Burst> {
  const sockets: net.Socket[] = [];
  const outcomes = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Outcome>((resolve) => {
          const socket = net.connect(port, '127.0.0.1');
          sockets.push(socket);
          const timer = setTimeout(() => resolve('timeout'), ms);
          const settle = (outcome: Outcome): void => {
            clearTimeout(timer);
            resolve(outcome);
          };
          socket.setEncoding('utf8');
          socket.once('data', (text: string) => settle(text === 'hi\n' ? 'hi' : `data ${JSON.stringify(text)}`));
          socket.once('end', () => settle('eof'));
          socket.on('error', (err: NodeJS.ErrnoException) => settle(err.code ?? err.message));
        }),
    ),
  );
  return { outcomes, sockets };
}

/** Closes every socket of a burst (the server then frees their descriptors). */
function hangUp(b: Burst): void {
  for (const socket of b.sockets) socket.destroy();
}

/** Resolves once the program has printed `count` lines equal to `text`; rejects after 10 s. */
function lines(p: Program, text: string, count: number): Promise<void> {
  return p.until(() => p.lines.filter((l) => l === text).length >= count, 10_000, `${count} "${text}" lines`);
}

/** Counts of each outcome, for whole-burst comparisons. */
function tally(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  return counts;
}

/** The accept/failure lines of the program's output, in order. */
const acceptLog = (p: Program): string[] => p.lines.filter((l) => l === 'accepted' || l.startsWith('failure'));

describe('accepting with no descriptors left', () => {
  test.each([
    ['SocketFactory on its own listener', 'socket-factory', 'listen'],
    ['SocketFactory in a forked child, on the listener it inherited', 'socket-factory', 'fork'],
    ['ListenAccept', 'listen-accept', 'listen'],
  ])('%s: reports EMFILE once per fill and accepts again once descriptors are free', async (_what, wheel, mode) => {
    const p = run('emfile-server.mjs', [wheel, mode], { fdLimit: LIMIT });
    const [, port, wheelId, pid] = await p.line(/^listening (\d+) (\d+) (\d+)$/);
    track(Number(pid));
    const failure = `failure accept ${EMFILE} ${strerror(EMFILE)} ${wheelId}`;
    expect(strerror(EMFILE)).toBe('Too many open files');

    // First fill: some connections are answered, the rest closed unserved, and the session
    // hears of it once, right after the connection that took the last descriptor.
    const first = await burst(Number(port), BURST);
    const answered = first.outcomes.filter((o) => o === 'hi').length;
    expect(tally(first.outcomes)).toEqual({ hi: answered, eof: BURST - answered });
    expect(answered).toBeGreaterThan(0);
    await lines(p, failure, 1);
    expect(acceptLog(p)).toEqual([...Array<string>(answered).fill('accepted'), failure]);

    // Descriptors freed: the listener answers again.
    hangUp(first);
    await lines(p, 'closed', answered);
    const again = await burst(Number(port), 1);
    expect(again.outcomes).toEqual(['hi']);

    // A second fill is a second episode, reported again.
    const second = await burst(Number(port), BURST);
    const answered2 = second.outcomes.filter((o) => o === 'hi').length;
    expect(tally(second.outcomes)).toEqual({ hi: answered2, eof: BURST - answered2 });
    await lines(p, failure, 2);
    expect(acceptLog(p)).toEqual([
      ...Array<string>(answered).fill('accepted'),
      failure,
      'accepted',
      ...Array<string>(answered2).fill('accepted'),
      failure,
    ]);
    hangUp(again);
    hangUp(second);
  });
});

describe('fork() with no descriptors left', () => {
  test('returns undefined with errno EMFILE, and forks again once descriptors are free', async () => {
    const p = run('fork-emfile.mjs', [], { fdLimit: LIMIT });
    const [code, signal] = await exitOf(p);
    expect(p.stderr.filter((l) => !l.startsWith('poe-ts: fork failed'))).toEqual([]);
    expect(p.lines).toEqual([`full: fork undefined errno ${EMFILE} ${strerror(EMFILE)}`, 'freed: fork a pid errno 0', 'child: fork returned 0', 'reaped child status 0']);
    expect([code, signal]).toEqual([0, null]);
  });
});
