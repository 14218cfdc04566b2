/**
 * Spec 5.3 behaviour 2: timer ordering. Equal due times stay FIFO; past-due timers jump ahead
 * of queued posts; `delay(x, 0)` does not; `alarm`/`delay` supersede by name. Mirrors probe
 * 05_alarm_ordering and PTL k_alarms.pm (paths 1-11).
 */
import { describe, expect, test } from 'vitest';
import { Session } from '../../src/index.js';
import { expectedLines, makeKernel, probeExpected } from '../kit/index.js';

const PROBE = probeExpected('05_alarm_ordering');

describe('probe 05_alarm_ordering', () => {
  test('equal-time FIFO, past alarms first, delay(0) after earlier yields, supersede, clear', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    // Perl's Time::HiRes time(): the clock's epoch time.
    const time = () => clock.wall();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const k = ctx.kernel;
          const t = time() + 0.2;
          k.yield('ev', 'yield-1');
          k.alarmSet('ev', t, 'equal-A');
          k.alarmSet('ev', t, 'equal-B');
          k.alarmAdd('ev', t, 'equal-C');
          k.delayAdd('ev', 0, 'delay0-after-yield1');
          k.yield('ev', 'yield-2');
          k.alarmSet('ev', time() - 100, 'past-alarm');
          k.alarmSet('ev', 0, 'epoch-zero-alarm');
          // name-based replace: only the last 'tick' survives
          k.delay('tick', 0.1, 'first');
          k.delay('tick', 0.1, 'second');
          k.delayAdd('tick', 0.1, 'third (added)');
          // set then clear
          k.delay('cleared', 0.05);
          k.delay('cleared');
          k.alarm('cleared2', time() + 0.05);
          k.alarm('cleared2');
        },
        ev: (_ctx, what) => say('ev ', what),
        tick: (_ctx, what) => say('tick ', what),
        cleared: () => say('ERROR cleared fired'),
        cleared2: () => say('ERROR cleared2 fired'),
      },
    });
    await run();
    expect(log).toEqual(expectedLines(PROBE));
  });
});

describe('PTL k_alarms.pm', () => {
  test('paths 1-10: alarm/delay supersede by name, alarm_add/delay_add keep, clearing by name', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    const time = () => clock.wall();
    const path = (name: string) => (_ctx: unknown, arg: unknown) => say(name, ' ', arg);
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const k = ctx.kernel;
          k.alarm('path_one', time() + 2, 1.1);
          k.alarm('path_two', time() + 2, 2.1);
          k.alarm('path_two', time() + 2, 2.2);
          k.alarmAdd('path_three', time() + 2, 3.1);
          k.alarmAdd('path_three', time() + 2, 3.2);
          k.alarm('path_four', time() + 2, 4.1);
          k.alarmAdd('path_four', time() + 2, 4.2);
          k.alarm('path_four', time() + 2, 4.3);
          k.alarmAdd('path_four', time() + 2, 4.4);
          k.alarm('path_five', time() + 2, 5.1);
          k.alarm('path_five');
          k.delay('path_six', 2, 6.1);
          k.delay('path_seven', 2, 7.1);
          k.delay('path_seven', 2, 7.2);
          k.delayAdd('path_eight', 2, 8.1);
          k.delayAdd('path_eight', 2, 8.2);
          // As in k_alarms.pm, path 9 uses alarm() with epoch 2: long past, so it rings first.
          k.alarm('path_nine', 2, 9.1);
          k.alarmAdd('path_nine', 2, 9.2);
          k.alarm('path_nine', 2, 9.3);
          k.alarmAdd('path_nine', 2, 9.4);
          // A delay cleared by the name-based alarm(): both APIs manage the same timers.
          k.delay('path_ten', 2, 10.1);
          k.alarm('path_ten');
        },
        path_one: path('path_one'),
        path_two: path('path_two'),
        path_three: path('path_three'),
        path_four: path('path_four'),
        path_five: path('path_five'),
        path_six: path('path_six'),
        path_seven: path('path_seven'),
        path_eight: path('path_eight'),
        path_nine: path('path_nine'),
        path_ten: path('path_ten'),
      },
    });
    await run();
    expect(log).toEqual([
      'path_nine 9.3',
      'path_nine 9.4',
      'path_one 1.1',
      'path_two 2.2',
      'path_three 3.1',
      'path_three 3.2',
      'path_four 4.3',
      'path_four 4.4',
      'path_six 6.1',
      'path_seven 7.2',
      'path_eight 8.1',
      'path_eight 8.2',
    ]);
  });

  test('path 11: alarms enqueue in time order among 600 filler alarms, with micro-adjusts', async () => {
    const { kernel, log, say, run } = makeKernel();
    // k_alarms.pm fills with rand(300); a fixed linear congruential sequence keeps it repeatable.
    let seed = 12345;
    const rand300 = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % 300;
    };
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const k = ctx.kernel;
          const id253 = k.alarmSet('path_eleven_025_3', 25);
          k.alarmSet('path_eleven_025_2', 25);
          const id251 = k.alarmSet('path_eleven_025_1', 25);
          k.alarmAdjust(id251, -0.01);
          k.alarmAdjust(id253, 0.01);
          for (let count = 0; count < 600; count++) {
            let t = 0;
            while (t === 0) t = rand300();
            k.alarm(`path_eleven_fill_${count}`, t);
          }
          for (const t of [100, 200, 300, 50, 150, 250, 350, 75, 175, 275, 325, 225, 125]) {
            k.alarm(`path_eleven_${String(t).padStart(3, '0')}`, t);
          }
          const id206 = k.alarmSet('path_eleven_206', 205);
          k.alarmSet('path_eleven_205', 205);
          const id204 = k.alarmSet('path_eleven_204', 205);
          k.alarmAdjust(id204, -0.01);
          k.alarmAdjust(id206, 0.01);
          for (let count = 0; count < 600; count++) k.alarm(`path_eleven_fill_${count}`);
          // queue_peek_alarms (a test-only POE internal) becomes alarm_remove_all, which
          // reports the session's timers in due order and clears them, as the test then does.
          for (const [name] of k.alarmRemoveAll()) say(name);
        },
      },
    });
    await run();
    expect(log).toEqual([
      'path_eleven_025_1',
      'path_eleven_025_2',
      'path_eleven_025_3',
      'path_eleven_050',
      'path_eleven_075',
      'path_eleven_100',
      'path_eleven_125',
      'path_eleven_150',
      'path_eleven_175',
      'path_eleven_200',
      'path_eleven_204',
      'path_eleven_205',
      'path_eleven_206',
      'path_eleven_225',
      'path_eleven_250',
      'path_eleven_275',
      'path_eleven_300',
      'path_eleven_325',
      'path_eleven_350',
    ]);
  });
});

describe('spec 1.5: supersede by name across APIs', () => {
  test('alarm(name) and delay(name) clear timers of that name however made, but not a pending post', async () => {
    const { kernel, clock, log, say, run } = makeKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          const k = ctx.kernel;
          k.yield('x', 'posted');
          k.alarmSet('x', clock.wall() + 1, 'alarm_set');
          k.delaySet('x', 1, 'delay_set');
          k.delayAdd('x', 1, 'delay_add');
          k.alarmAdd('x', clock.wall() + 1, 'alarm_add');
          k.delay('x', 2, 'delay supersedes');
          k.alarmSet('y', clock.wall() + 1, 'y kept');
          k.delaySet('z', 3, 'z');
          k.delay('z');
        },
        x: (_ctx, what) => say('x ', what),
        y: (_ctx, what) => say('y ', what),
        z: (_ctx, what) => say('z ', what),
      },
    });
    await run();
    expect(log).toEqual(['x posted', 'y y kept', 'x delay supersedes']);
  });

  test('timer names are per session: another session clearing the same name leaves ours', async () => {
    const { kernel, log, say, run } = makeKernel();
    for (const who of ['A', 'B']) {
      Session.create({
        kernel,
        inlineStates: {
          _start: (ctx) => {
            ctx.kernel.delay('ring', who === 'A' ? 1 : 2, who);
            if (who === 'B') ctx.kernel.yield('clear');
          },
          clear: (ctx) => {
            ctx.kernel.delay('ring');
            say('B cleared its ring');
          },
          ring: (_ctx, w) => say('ring ', w),
        },
      });
    }
    await run();
    expect(log).toEqual(['B cleared its ring', 'ring A']);
  });
});
