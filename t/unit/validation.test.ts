import { describe, expect, test } from 'vitest';
import { Kernel, ManualClock, PoeArgumentError, PoeErrnoError, PoeError, Session, errno } from '../../src/index.js';
import { makeKernel } from '../kit/index.js';

function thrown(fn: () => unknown): PoeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PoeError);
    return err as PoeError;
  }
  throw new Error('expected a PoeError, nothing was thrown');
}

/** Runs `body` inside a session's _start, where timer and alias calls are legal. */
async function inSession(body: (k: Kernel) => void): Promise<void> {
  const { kernel, run } = makeKernel();
  Session.create({ kernel, inlineStates: { _start: (ctx) => body(ctx.kernel) } });
  await run();
}

describe('bad input gets a coded PoeError', () => {
  test('unknown Session.create key, with a hint for POE spellings', () => {
    const { kernel } = makeKernel();
    const e = thrown(() => Session.create({ kernel, inline_states: { _start: () => 0 } } as never));
    expect(e).toBeInstanceOf(PoeArgumentError);
    expect(e.code).toBe('ERR_POE_UNKNOWN_OPTION');
    expect(e.message).toBe('Unknown Session.create option `inline_states`; did you mean `inlineStates`?');
    const e2 = thrown(() => Session.create({ kernel, Heap: {} } as never));
    expect(e2.message).toBe('Unknown Session.create option `Heap`; did you mean `heap`?');
    const e3 = thrown(() => Session.create({ kernel, bogus: 1 } as never));
    expect(e3.message).toMatch(/^Unknown Session.create option `bogus`; expected one of `inlineStates`/);
  });

  test('unknown Kernel option, with a hint', () => {
    const e = thrown(() => new Kernel({ CatchExceptions: false } as never));
    expect(e.code).toBe('ERR_POE_UNKNOWN_OPTION');
    expect(e.message).toBe('Unknown Kernel option `CatchExceptions`; did you mean `catchExceptions`?');
    expect(thrown(() => new Kernel({ batchLimit: 0 })).message).toBe('Expected `batchLimit` to be a positive integer, got `0` (number)');
    expect(thrown(() => new Kernel({ assert: 'yes' } as never)).message).toBe('Expected `assert` to be a boolean, got `"yes"` (string)');
    expect(thrown(() => new ManualClock({ auto: true } as never)).message).toBe('Unknown ManualClock option `auto`; expected one of `autoAdvance`, `epoch`');
  });

  test('a handler that is not a function', () => {
    const { kernel } = makeKernel();
    const e = thrown(() => Session.create({ kernel, inlineStates: { _start: () => 0, tick: 42 as never } }));
    expect(e.code).toBe('ERR_POE_SESSION_BAD_HANDLER');
    expect(e.message).toBe('Expected handler for `tick` in `inlineStates` to be a function, got `42` (number)');
    const e2 = thrown(() => Session.create({ kernel, objectStates: [{}, ['_start']] }));
    expect(e2.code).toBe('ERR_POE_SESSION_BAD_HANDLER');
    expect(e2.message).toBe('`objectStates`: the target has no method `_start` for event `_start`');
    const e3 = thrown(() => Session.create({ kernel, objectStates: [{}] }));
    expect(e3.code).toBe('ERR_POE_SESSION_BAD_PARAMS');
    const e4 = thrown(() => Session.create({ kernel, inlineStates: { _start: () => 0, _signal: () => 0 } }));
    expect(e4.code).toBe('ERR_POE_SESSION_BAD_HANDLER');
    expect(kernel.sessionCount).toBe(0);
  });

  test('negative or non-finite times', async () => {
    const codes: string[] = [];
    await inSession((k) => {
      for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5' as never]) {
        codes.push(thrown(() => k.delay('x', bad)).message);
      }
      codes.push(thrown(() => k.alarmSet('x', -5)).code);
      codes.push(thrown(() => k.delayAdd('x', Number.NaN)).code);
      const id = k.delaySet('x', 1)!;
      codes.push(thrown(() => k.alarmAdjust(id, Number.NaN)).code);
      codes.push(thrown(() => k.delayAdjust(id, -1)).code);
      k.alarmRemoveAll();
    });
    expect(codes).toEqual([
      'Expected `delay seconds` to be a finite number of seconds >= 0, got `-1` (number)',
      'Expected `delay seconds` to be a finite number of seconds >= 0, got `NaN` (number)',
      'Expected `delay seconds` to be a finite number of seconds >= 0, got `Infinity` (number)',
      'Expected `delay seconds` to be a finite number of seconds >= 0, got `"5"` (string)',
      'ERR_POE_KERNEL_BAD_TIME',
      'ERR_POE_KERNEL_BAD_TIME',
      'ERR_POE_KERNEL_BAD_TIME',
      'ERR_POE_KERNEL_BAD_TIME',
    ]);
  });

  test('an alias that is not a string; an event name that is not a string', async () => {
    const seen: string[] = [];
    await inSession((k) => {
      const e = thrown(() => k.aliasSet(42 as never));
      seen.push(`${e.code}: ${e.message}`);
      seen.push(thrown(() => k.aliasRemove({} as never)).code);
      seen.push(thrown(() => k.yield(7 as never)).code);
      seen.push(thrown(() => k.post('nobody', undefined as never)).code);
      seen.push(thrown(() => k.sig('')).code);
    });
    expect(seen).toEqual([
      'ERR_POE_KERNEL_BAD_ALIAS: Expected alias to be a string, got `42` (number)',
      'ERR_POE_KERNEL_BAD_ALIAS',
      'ERR_POE_KERNEL_BAD_EVENT',
      'ERR_POE_KERNEL_BAD_EVENT',
      'ERR_POE_KERNEL_BAD_SIGNAL',
    ]);
  });

  test('starting a kernel twice', async () => {
    const { kernel } = makeKernel();
    Session.create({ kernel, inlineStates: { _start: (ctx) => void ctx.kernel.delay('x', 1), x: () => 0 } });
    const first = kernel.run();
    await expect(kernel.run()).rejects.toMatchObject({ code: 'ERR_POE_KERNEL_RUNNING' });
    await first;
  });
});

describe('assert mode turns POE failure values into thrown errors', () => {
  test('option assert: post ESRCH, alias_set EEXIST, alarm_remove EPERM', async () => {
    const { kernel, run } = makeKernel({ assert: true });
    const seen: string[] = [];
    Session.create({ kernel, inlineStates: { _start: (ctx) => void ctx.kernel.aliasSet('taken'), bye: (ctx) => void ctx.kernel.aliasRemove('taken') } });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          for (const fn of [() => ctx.kernel.post('nobody', 'x'), () => ctx.kernel.aliasSet('taken'), () => ctx.kernel.alarmRemove(9999)]) {
            try {
              fn();
              seen.push('no throw');
            } catch (err) {
              expect(err).toBeInstanceOf(PoeErrnoError);
              const e = err as PoeErrnoError;
              seen.push(`${e.code} ${e.errnoName} ${e.errno}`);
            }
          }
          ctx.kernel.post('taken', 'bye');
        },
      },
    });
    await run();
    expect(seen).toEqual([`ERR_POE_KERNEL_ERRNO ESRCH ${errno.ESRCH}`, `ERR_POE_KERNEL_ERRNO EEXIST ${errno.EEXIST}`, `ERR_POE_KERNEL_ERRNO ESRCH ${errno.ESRCH}`]);
  });

  test('POE_ASSERT_DEFAULT=1 turns it on; a session without _start then throws', () => {
    const saved = process.env.POE_ASSERT_DEFAULT;
    process.env.POE_ASSERT_DEFAULT = '1';
    try {
      const kernel = new Kernel({ clock: new ManualClock(), log: () => {} });
      expect(thrown(() => kernel.post('nobody', 'x')).code).toBe('ERR_POE_KERNEL_ERRNO');
      expect(thrown(() => Session.create({ kernel, inlineStates: { foo: () => 0 } })).code).toBe('ERR_POE_SESSION_NO_START');
    } finally {
      if (saved === undefined) delete process.env.POE_ASSERT_DEFAULT;
      else process.env.POE_ASSERT_DEFAULT = saved;
    }
  });

  test('without assert the same failures are return values and errno', () => {
    const { kernel, warnings } = makeKernel();
    expect(kernel.post('nobody', 'x')).toBeUndefined();
    expect(kernel.errno).toBe(errno.ESRCH);
    expect(Session.create({ kernel, inlineStates: { foo: () => 0 } })).toBeUndefined();
    expect(warnings).toEqual(["discarding session - no '_start' state"]);
  });
});
