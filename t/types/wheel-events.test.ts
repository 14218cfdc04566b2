/**
 * Type tests: wheel event names (issue 9). Given the handler's context first, a wheel checks
 * its event-name options (and `event()` renames) against the session's event map, as
 * `ctx.kernel.yield` checks its event; without it, any string goes, as before. `npm run
 * typecheck` checks every `@ts-expect-error`; the runtime part checks the context is the
 * making handler's own.
 */
import { describe, expect, expectTypeOf, test } from 'vitest';
import net from 'node:net';
import {
  FollowTail,
  ListenAccept,
  ReadLine,
  ReadWrite,
  Run,
  Session,
  SocketFactory,
  duplexPair,
  type ReadWriteErrorArgs,
  type ReadWriteInputArgs,
  type WheelId,
} from '../../src/index.js';
import { makeKernel } from '../kit/index.js';

interface Lines {
  _start: () => void;
  got_line: (...args: ReadWriteInputArgs<string>) => void;
  got_error: (...args: ReadWriteErrorArgs) => void;
  flushed: (id: WheelId) => void;
}

const never = false as boolean;

describe('typed wheel event names', () => {
  test('ReadWrite: names from the session’s map compile, others do not; the untyped form takes any string', () => {
    if (never) {
      Session.create<Lines>({
        inlineStates: {
          _start: (ctx) => {
            const [end] = duplexPair();
            const w = new ReadWrite(ctx, { handle: end, inputEvent: 'got_line', errorEvent: 'got_error', flushedEvent: 'flushed' });
            // @ts-expect-error 'got_lien' is not an event of the session
            new ReadWrite(ctx, { handle: end, inputEvent: 'got_lien' });
            // @ts-expect-error nor is 'oops' as the ErrorEvent
            new ReadWrite(ctx.session, { handle: end, errorEvent: 'oops' });
            w.event({ inputEvent: 'got_line', flushedEvent: undefined });
            // @ts-expect-error renamed events are checked too
            w.event({ inputEvent: 'got_lien' });
            // Untyped, as before: any string.
            new ReadWrite({ handle: end, inputEvent: 'anything' });
          },
          got_line: (_ctx, line, id) => {
            expectTypeOf(line).toEqualTypeOf<string>();
            expectTypeOf(id).toEqualTypeOf<WheelId>();
          },
          got_error: () => {},
          flushed: () => {},
        },
      });
    }
  });

  test('SocketFactory, ListenAccept, FollowTail, ReadLine and Run check theirs the same way', () => {
    if (never) {
      Session.create<Lines>({
        inlineStates: {
          _start: (ctx) => {
            const la = new ListenAccept(ctx, { handle: net.createServer(), acceptEvent: 'got_line', errorEvent: 'got_error' });
            // @ts-expect-error not an event of the session
            new ListenAccept(ctx, { handle: net.createServer(), acceptEvent: 'accepted' });
            // @ts-expect-error renames are checked
            la.event({ errorEvent: 'nope' });
            const ft = new FollowTail(ctx, { filename: '/tmp/x', inputEvent: 'got_line', resetEvent: 'flushed' });
            // @ts-expect-error not an event of the session
            new FollowTail(ctx, { filename: '/tmp/x', inputEvent: 'got_lines' });
            // @ts-expect-error renames are checked
            ft.event({ idleEvent: 'idle' });
            new ReadLine(ctx, { inputEvent: 'got_line' });
            // @ts-expect-error not an event of the session
            new ReadLine(ctx, { inputEvent: 'typed' });
            const run = new Run(ctx, { program: 'true', stdoutEvent: 'got_line', closeEvent: 'flushed' });
            // @ts-expect-error not an event of the session
            new Run(ctx, { program: 'true', stderrEvent: 'got_stderr' });
            // @ts-expect-error renames are checked
            run.event({ closeEvent: 'closed' });
            const sf = new SocketFactory(ctx, { bindPort: 0, successEvent: 'got_line', failureEvent: 'got_error' });
            // @ts-expect-error not an event of the session
            new SocketFactory(ctx, { bindPort: 0, successEvent: 'got_connection', failureEvent: 'got_error' });
            // @ts-expect-error renames are checked
            sf.event({ failureEvent: 'failed' });
            ctx.kernel.select_read(process.stdin, 'got_line');
            // @ts-expect-error raw watchers on a typed kernel are checked too
            ctx.kernel.select_read(process.stdin, 'readable');
          },
          got_line: () => {},
          got_error: () => {},
          flushed: () => {},
        },
      });
    }
  });

  test('a context from another session is refused when the wheel is made', async () => {
    const { kernel, log, say, run } = makeKernel();
    let foreign: unknown;
    Session.create({ kernel, inlineStates: { _start: (ctx) => void (foreign = ctx) } });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const [end] = duplexPair();
          try {
            new ReadWrite(foreign as typeof ctx, { handle: end, inputEvent: 'in' });
          } catch (err) {
            say(`${(err as { code: string }).code}: ${(err as Error).message}`);
          }
          try {
            new ListenAccept(42 as never, {} as never);
          } catch (err) {
            say(`${(err as { code: string }).code}`);
          }
          const w = new ReadWrite(ctx, { handle: end, inputEvent: 'in' });
          say(`own context: wheel of session ${w.session.ID}`);
          w.destroy();
        },
      },
    });
    await run();
    expect(log).toEqual([
      'ERR_POE_WHEEL_WRONG_SESSION: ReadWrite was given the context of session 1 but is made in a handler of session 2; a wheel belongs to the session whose handler makes it',
      'ERR_POE_INVALID_ARGUMENT',
      'own context: wheel of session 2',
    ]);
  });
});
