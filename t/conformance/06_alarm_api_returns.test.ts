/**
 * Spec 5.3 behaviour 3: timer API return values, `alarm_remove` list vs scalar, adjust
 * arithmetic, EPERM/ESRCH. Mirrors probe 06_alarm_api_returns and the id-based session of
 * PTL k_alarms.pm.
 */
import { describe, expect, test } from 'vitest';
import { Session, errno, type AlarmId, type Kernel } from '../../src/index.js';
import { expectedLines, makeKernel, probeExpected } from '../kit/index.js';

const PROBE = probeExpected('06_alarm_api_returns');

/** The probe's `en()`: errno by name. */
function en(k: Kernel): string {
  const e = k.errno;
  return e === errno.EINVAL ? 'EINVAL' : e === errno.ESRCH ? 'ESRCH' : e === errno.EPERM ? 'EPERM' : String(e);
}

/** The probe's `d()`: a defined value quoted, else `undef`. */
function d(x: unknown): string {
  return x === undefined ? 'undef' : `'${typeof x === 'object' ? JSON.stringify(x) : (x as string | number)}'`;
}

/**
 * Perl's `scalar(@list)` for a call made in list context. Where POE returns the empty list
 * poe-ts returns undefined (there is no list context), which counts as 0 items.
 */
function items(x: unknown[] | number | undefined): number {
  return x === undefined ? 0 : Array.isArray(x) ? x.length : 1;
}

describe('probe 06_alarm_api_returns', () => {
  test('every timer call: return values and errno', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    const time = () => clock.wall();
    let otherAlarm: AlarmId | undefined;
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.aliasSet('other');
          otherAlarm = ctx.kernel.alarmSet('never', 2_000_000_000);
        },
        cleanup: (ctx) => {
          ctx.kernel.alarmRemoveAll();
          ctx.kernel.aliasRemove('other');
        },
      },
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const k = ctx.kernel;
          say('alarm() -> ', d(k.alarm('a', 1_900_000_000)));
          say('alarm_add() -> ', d(k.alarmAdd('a', 1_900_000_001)));
          say('delay() -> ', d(k.delay('b', 1000)));
          say('delay_add() -> ', d(k.delayAdd('b', 1000)));
          say('alarm(undef) -> ', d(k.alarm(undefined)), ' (EINVAL=', errno.EINVAL, ')');
          say('alarm_add(name, undef) -> ', d(k.alarmAdd('x', undefined)));
          const id1 = k.alarmSet('c', 1_800_000_000, 'p1', 'p2');
          const id2 = k.delaySet('c', 500, 'q');
          say(`alarm_set id is integer: ${Number.isInteger(id1) ? 'yes' : 'no'}; delay_set id > alarm_set id: ${id2! > id1! ? 'yes' : 'no'}`);
          k.errno = 0;
          const bad = k.alarmSet(undefined, 5);
          say('alarm_set(undef) -> ', d(bad), ' errno=', en(k));
          say('alarm_adjust(+10) -> ', d(k.alarmAdjust(id1, 10)));
          const nt = k.delayAdjust(id2, 20)!;
          say(`delay_adjust(id, 20) returns now+20: ${Math.abs(nt - (time() + 20)) < 1 ? 'yes' : 'no'}`);
          const rm = k.alarmRemove(id1)!;
          say(`alarm_remove list ctx -> name=${rm[0]} time=${rm[1]} args=[${rm[2].join(' ')}]`);
          k.errno = 0;
          const again = k.alarmRemove(id1);
          say(`alarm_remove again -> (${items(again)} items) errno=${en(k)}`);
          // Perl's scalar context gives an arrayref of (name, time, \@args); poe-ts always
          // returns that array, so the "scalar" call is the same call.
          const sc = k.alarmRemove(id2)!;
          say(`alarm_remove scalar ctx -> ref ${Array.isArray(sc) ? 'ARRAY' : typeof sc} [${sc[0]}, args=${sc[2].join(' ')}]`);
          k.errno = 0;
          const x = k.alarmRemove(otherAlarm);
          say("alarm_remove other session's alarm -> ", d(x), ' errno=', en(k));
          k.errno = 0;
          const y = k.alarmAdjust(otherAlarm, 1);
          say("alarm_adjust other session's alarm -> ", d(y), ' errno=', en(k));
          k.errno = 0;
          const z = k.alarmAdjust(987654, 1);
          say('alarm_adjust unknown id -> ', d(z), ' errno=', en(k));
          k.errno = 0;
          let da = k.delayAdjust(987654, 5);
          say(`delay_adjust unknown id -> (${items(da)} items) errno=${k.errno} (NOT set, unlike alarm_adjust)`);
          k.errno = 0;
          da = k.delayAdjust(otherAlarm, 5);
          say(`delay_adjust other session's alarm -> (${items(da)} items) errno=${k.errno}`);
          const all = k.alarmRemoveAll();
          say(`alarm_remove_all removed ${all.length} timers: ${all.map((t) => t[0]).sort().join(', ')}`);
          k.alarmSet('e', 1_700_000_000, 'arg1', 'arg2');
          const [one] = k.alarmRemoveAll();
          say(`alarm_remove_all item format: [${one!.map((v) => (Array.isArray(v) ? 'ARRAYREF' : String(v))).join(', ')}] (args flattened, unlike alarm_remove)`);
          k.delay('d', 100);
          k.delaySet('ds', 100);
          for (const t of k.alarmRemoveAll()) say(`alarm_remove_all: ${t[0]} reported time=${t[1] > 1e9 ? 'epoch-based' : t[1]}`);
          // Scalar context's arrayref: poe-ts returns the array in every case.
          const none = k.alarmRemoveAll();
          say(`alarm_remove_all scalar ctx -> ${Array.isArray(none) ? 'ARRAY' : typeof none} of ${none.length}`);
          k.post('other', 'cleanup');
        },
      },
    });
    await run();
    expect(log).toEqual(expectedLines(PROBE));
  });
});

describe('PTL k_alarms.pm: id-based API', () => {
  test('alarm_remove values, adjust arithmetic on small and 100-filler queues, and the resulting order', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    // ManualClock: time stands still in _start, as k_alarms.pm's `my $now = time` wishes.
    const now = clock.wall();
    const tests: unknown[] = [];
    Session.create({
      kernel,
      heap: { test13: undefined as AlarmId | undefined },
      inlineStates: {
        _start: (ctx) => {
          const k = ctx.kernel;
          ctx.heap.test13 = k.alarmSet('test_13', 1, 13);
          const test14 = k.alarmSet('test_14', 1, 14);
          const arr = k.alarmRemove(test14)!;
          say(`alarm 14 remove: [${arr[0]}, ${arr[1]}, [${arr[2].join(' ')}]]`);
          const test15 = k.delaySet('test_15', 1, 15);
          const sc = k.alarmRemove(test15)!;
          say(`alarm 15 remove: [${sc[0]}, now+${sc[1] - now}, [${sc[2].join(' ')}]]`);
        },
        test_13: (ctx, arg) => {
          const k = ctx.kernel;
          say(`alarm 13: ARG0=${String(arg)}`);
          k.delay('test_16', 1);
          k.delay('test_17', 1);
          say(`alarm_remove_all -> ${k.alarmRemoveAll().length}`);
          // Little queues.
          let id = k.alarmSet('test_18', 50, 18);
          say(`alarm 18: -1 -> ${k.alarmAdjust(id, -1)}, +1 -> ${k.alarmAdjust(id, 1)}`);
          id = k.alarmSet('test_19', 52, 19);
          say(`alarm 19: -4 -> ${k.alarmAdjust(id, -4)}, +4 -> ${k.alarmAdjust(id, 4)}`);
          id = k.alarmSet('test_20', 49, 20);
          say(`alarm 20: +2 -> ${k.alarmAdjust(id, 2)}, +2 -> ${k.alarmAdjust(id, 2)}, -2 -> ${k.alarmAdjust(id, -2)}`);
          // Big queue: 100 filler alarms at epochs 1..100.
          const filler: (AlarmId | undefined)[] = [];
          for (let t = 1; t <= 100; t++) filler.push(k.alarmSet('filler', t));
          id = k.alarmSet('test_21', 50, 21);
          say(`alarm 21: -10 -> ${k.alarmAdjust(id, -10)}, +20 -> ${k.alarmAdjust(id, 20)}, -100 -> ${k.alarmAdjust(id, -100)}`);
          id = k.alarmSet('test_22', 50, 22);
          say(`alarm 22: +100 -> ${k.alarmAdjust(id, 100)}`);
          for (const f of filler) k.alarmRemove(f);
        },
        test_14: () => say('alarm 14 should have been removed'),
        test_15: () => say('alarm 15 should have been removed'),
        test_16: () => say('alarm 16 should have been removed'),
        test_17: () => say('alarm 17 should have been removed'),
        _default: (ctx, ev, args) => {
          if (/^test_\d+$/.test(String(ev))) {
            tests.push(args[0]);
            say(`dispatched ${ev}`);
          }
        },
        _stop: () => say(`_stop: dispatched [${tests.join(' ')}]`),
      },
    });
    await run();
    expect(log).toEqual([
      'alarm 14 remove: [test_14, 1, [14]]',
      'alarm 15 remove: [test_15, now+1, [15]]',
      'alarm 13: ARG0=13',
      'alarm_remove_all -> 2',
      'alarm 18: -1 -> 49, +1 -> 50',
      'alarm 19: -4 -> 48, +4 -> 52',
      'alarm 20: +2 -> 51, +2 -> 53, -2 -> 51',
      'alarm 21: -10 -> 40, +20 -> 60, -100 -> -40',
      'alarm 22: +100 -> 150',
      'dispatched test_21',
      'dispatched test_18',
      'dispatched test_20',
      'dispatched test_19',
      'dispatched test_22',
      '_stop: dispatched [21 18 20 19 22]',
    ]);
  });

  test('alarm_adjust by 0 returns the time without moving the timer; delay_adjust re-bases on now', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const k = ctx.kernel;
          const base = clock.wall();
          const a = k.alarmSet('t', base + 5, 'a');
          const b = k.alarmSet('t', base + 5, 'b');
          say(`adjust a by 0 -> now+${k.alarmAdjust(a, 0)! - base}`);
          say(`delay_adjust b to 1 -> now+${k.delayAdjust(b, 1)! - base}`);
          const c = k.delaySet('t', 3, 'c');
          say(`alarm_adjust c by -2.5 -> now+${k.alarmAdjust(c, -2.5)! - base}`);
        },
        t: (_ctx, w) => say(`t ${String(w)} at now+${clock.now()}`),
      },
    });
    await run();
    expect(log).toEqual([
      'adjust a by 0 -> now+5',
      'delay_adjust b to 1 -> now+1',
      'alarm_adjust c by -2.5 -> now+0.5',
      't c at now+0.5',
      't b at now+1',
      't a at now+5',
    ]);
  });
});
