/**
 * Spec 1.9 and 5.3 behaviour 10: alias API return codes; resolution precedence session (object
 * or its string) > ID > alias > kernel; resolution at post time. Mirrors probe 24_aliases.
 */
import { describe, expect, test } from 'vitest';
import { Kernel, Session, errno } from '../../src/index.js';
import { expectedLines, id, makeKernel, probeExpected } from '../kit/index.js';

const PROBE = probeExpected('24_aliases');

/** The probe's `en()`: errno by name. */
function en(e: number): string {
  return e === errno.ESRCH ? 'ESRCH' : e === errno.EPERM ? 'EPERM' : e === errno.EEXIST ? 'EEXIST' : String(e);
}

describe('probe 24_aliases', () => {
  test('alias_set/remove/resolve/list return values; a session ID shadows an alias spelled like it', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.aliasSet('taken');
        },
        hello: () => say('S1 got hello'),
        bye: (ctx) => {
          for (const a of ctx.kernel.aliasList()) ctx.kernel.aliasRemove(a);
        },
      },
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const k = ctx.kernel;
          say('alias_set new -> ', k.aliasSet('zeta'));
          k.aliasSet('1');
          say('alias_set same again -> ', k.aliasSet('zeta'));
          say("alias_set 'alpha' -> ", k.aliasSet('alpha'));
          const r = k.aliasSet('taken');
          say(`alias_set owned by other -> ${r} (EEXIST=${errno.EEXIST})`);
          say('alias_list (sorted) -> ', k.aliasList().join(','));
          // Perl's scalar(alias_list) is the first alias; poe-ts returns the list, so take [0].
          say('alias_list scalar -> ', k.aliasList()[0]);
          say('alias_list of other by name -> ', k.aliasList('taken').join(','));
          say(`alias_remove missing -> ${k.aliasRemove('nope')} (ESRCH=${errno.ESRCH})`);
          say(`alias_remove other's -> ${k.aliasRemove('taken')} (EPERM=${errno.EPERM})`);
          say('alias_remove own -> ', k.aliasRemove('alpha'));
          k.errno = 0;
          const s = k.aliasResolve('nope');
          say(`alias_resolve missing -> ${s !== undefined ? 'session' : 'undef'} errno=${en(k.errno)}`);
          say("alias_resolve('2') resolves session ID -> ", id(k.aliasResolve('2')));
          // "$session" in Perl is the session's string form; String(session) in poe-ts.
          say('alias_resolve("$session") stringified ref -> ', id(k.aliasResolve(String(ctx.session))));
          say("alias_resolve('1') (alias '1' belongs to S2, but session ID 1 wins) -> ", id(k.aliasResolve('1')));
          k.aliasRemove('1');
          k.post('taken', 'hello');
          k.post('taken', 'bye');
          k.aliasRemove('zeta');
        },
      },
    });
    await run();
    expect(log).toEqual(expectedLines(PROBE));
  });
});

describe('spec 1.1: resolution precedence (5.3 behaviour 10)', () => {
  test('session string > ID > alias > kernel, for post, call and alias_resolve alike', async () => {
    const { kernel, log, say, run } = makeKernel();
    const s1 = Session.create({
      kernel,
      inlineStates: {
        _start: () => {},
        who: (ctx) => `S${ctx.session.ID}`,
      },
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const k = ctx.kernel;
          // Aliases spelled like S1's string, like S1's ID, like an unused ID and like the kernel.
          for (const a of [String(s1), '1', '7', k.ID]) say(`alias_set ${a === k.ID ? 'kernel-id' : a} -> ${k.aliasSet(a)}`);
          const name = (x: unknown) => (x === k.ID ? 'kernel-id' : String(x));
          for (const dest of [String(s1), '1', 1, '7', 7, k.ID]) {
            const r = k.aliasResolve(dest);
            say(`${typeof dest} ${name(dest)}: resolve -> ${id(r)}; call who -> ${String(k.call(dest as string, 'who'))}`);
          }
          say('kernel object resolves to itself: ', Kernel.isKernel(k.aliasResolve(k)));
          say('post to the kernel object -> ', k.post(k, 'who'), ' (accepted and ignored)');
          for (const a of k.aliasList()) k.aliasRemove(a);
        },
        who: (ctx) => `S${ctx.session.ID}`,
      },
    });
    await run();
    expect(log).toEqual([
      'alias_set POE::Session(1) -> 0',
      'alias_set 1 -> 0',
      'alias_set 7 -> 0',
      'alias_set kernel-id -> 0',
      'string POE::Session(1): resolve -> S1; call who -> S1',
      'string 1: resolve -> S1; call who -> S1',
      'number 1: resolve -> S1; call who -> S1',
      'string 7: resolve -> S2; call who -> S2',
      'number 7: resolve -> S2; call who -> S2',
      'string kernel-id: resolve -> S2; call who -> S2',
      'kernel object resolves to itself: true',
      'post to the kernel object -> 1 (accepted and ignored)',
    ]);
  });

  test('resolution happens at post time: removing the alias afterwards does not stop the queued event', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.aliasSet('svc');
        },
        ping: (ctx, n) => say(`svc got ping ${String(n)} from S${(ctx.sender as Session).ID}`),
        unalias: (ctx) => say('svc alias_remove -> ', ctx.kernel.aliasRemove('svc')),
      },
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const k = ctx.kernel;
          say('post ping 1 -> ', k.post('svc', 'ping', 1));
          k.call('svc', 'unalias');
          k.errno = 0;
          say(`post ping 2 -> ${k.post('svc', 'ping', 2) ?? 'undef'} errno=${en(k.errno)}`);
        },
      },
    });
    await run();
    expect(log).toEqual(['post ping 1 -> 1', 'svc alias_remove -> 0', 'post ping 2 -> undef errno=ESRCH', 'svc got ping 1 from S2']);
  });

  test('aliases go with their session, and an alias freed that way can be taken by another', async () => {
    const { kernel, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.aliasSet('a');
          ctx.kernel.aliasSet('b');
          ctx.kernel.yield('go');
        },
        go: (ctx) => {
          // Remove both; the session ends at this timeslice's GC sweep.
          ctx.kernel.aliasRemove('a');
          ctx.kernel.aliasRemove('b');
        },
        _stop: (ctx) => say(`S1 _stop aliases=[${ctx.kernel.aliasList().join(',')}]`),
      },
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          say(`S2 alias_set a while S1 has it -> ${ctx.kernel.aliasSet('a')}`);
          ctx.kernel.delay('later', 1);
        },
        later: (ctx) => {
          say(`S2 later: resolve a -> ${id(ctx.kernel.aliasResolve('a'))}; alias_set a -> ${ctx.kernel.aliasSet('a')}`);
          say(`S2 alias_list S1 -> [${ctx.kernel.aliasList(1).join(',')}] errno=${en(ctx.kernel.errno)}`);
          ctx.kernel.aliasRemove('a');
        },
      },
    });
    await run();
    expect(log).toEqual([
      `S2 alias_set a while S1 has it -> ${errno.EEXIST}`,
      'S1 _stop aliases=[]',
      'S2 later: resolve a -> undef; alias_set a -> 0',
      'S2 alias_list S1 -> [] errno=ESRCH',
    ]);
  });
});
