import { execFile } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { Session, channels, type Kernel } from '../../src/index.js';
import { fixture, id, makeKernel, type ManualTestKernel } from '../kit/index.js';

const run = promisify(execFile);

describe('kernel.ps() says what keeps each session alive', () => {
  test('aliases, timers, children, extrefs, pending posts', async () => {
    const { kernel, run: finish } = makeKernel();
    let report: ReturnType<Kernel['ps']> = [];
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.aliasSet('boss');
          Session.create({ inlineStates: { _start: (c) => void c.kernel.delay('later', 5), later: () => 0 } });
          ctx.kernel.refcountIncrement(ctx.session.ID, 'job');
          ctx.kernel.yield('look');
        },
        look: (ctx) => {
          report = ctx.kernel.ps();
          ctx.kernel.aliasRemove('boss');
          ctx.kernel.refcountDecrement(ctx.session.ID, 'job');
        },
      },
    });
    await finish();
    expect(report).toEqual([
      {
        id: 1,
        parent: 'kernel',
        aliases: ['boss'],
        phase: 'running',
        // The deferred GC marker queued after _start is still pending (spec 1.6 step 6).
        queued: 1,
        sent: 0,
        timers: 0,
        children: [2],
        extrefs: { job: 1 },
        holds: 0,
        aliveBecause: ['1 event(s) queued to it', '1 child session(s)', 'alias(es) boss', 'extra reference(s) job'],
        state: 'running',
        waitingOn: [],
        uses: 1,
        desc: undefined,
        where: undefined,
      },
      {
        id: 2,
        parent: 1,
        aliases: [],
        phase: 'running',
        queued: 1,
        sent: 0,
        timers: 1,
        children: [],
        extrefs: {},
        holds: 0,
        aliveBecause: ['1 event(s) queued to it'],
        state: 'ready',
        waitingOn: [],
        uses: 0,
        desc: undefined,
        where: undefined,
      },
    ]);
  });
});

describe('diagnostics_channel', () => {
  test('dispatch, session start/stop, signal and error channels carry the story', async () => {
    const { kernel, run: finish } = makeKernel();
    const seen: string[] = [];
    const onDispatch = (m: unknown) => {
      const d = m as { session: Session; event: string };
      seen.push(`dispatch ${id(d.session)} ${d.event}`);
    };
    const onStart = (m: unknown) => seen.push(`start ${id((m as { session: Session }).session)}`);
    const onStop = (m: unknown) => seen.push(`stop ${id((m as { session: Session }).session)}`);
    const onSignal = (m: unknown) => {
      const s = m as { signal: string; handled: boolean };
      seen.push(`signal ${s.signal} handled=${s.handled}`);
    };
    const onError = (m: unknown) => seen.push(`error ${(m as { error: Error }).error.message}`);
    subscribe('poe:dispatch', onDispatch);
    subscribe('poe:session:start', onStart);
    subscribe('poe:session:stop', onStop);
    subscribe('poe:signal', onSignal);
    subscribe('poe:error', onError);
    try {
      Session.create({
        kernel,
        inlineStates: {
          _start: (ctx) => {
            ctx.kernel.sig('DIE', 'died');
            ctx.kernel.yield('boom');
          },
          boom: () => {
            throw new Error('kaboom');
          },
          died: (ctx) => ctx.kernel.sigHandled(),
        },
      });
      await finish();
    } finally {
      unsubscribe('poe:dispatch', onDispatch);
      unsubscribe('poe:session:start', onStart);
      unsubscribe('poe:session:stop', onStop);
      unsubscribe('poe:signal', onSignal);
      unsubscribe('poe:error', onError);
    }
    expect(channels.dispatch.hasSubscribers).toBe(false);
    expect(seen).toEqual(['dispatch S1 _start', 'start S1', 'dispatch S1 boom', 'error kaboom', 'dispatch S1 died', 'signal DIE handled=true', 'stop S1']);
  });
});

describe('traces', () => {
  test('POE_TRACE_EVENTS and POE_TRACE_SESSIONS write to the kernel log', async () => {
    const saved = { ...process.env };
    process.env.POE_TRACE_EVENTS = '1';
    process.env.POE_TRACE_SESSIONS = '1';
    let k: ManualTestKernel;
    try {
      k = makeKernel();
    } finally {
      delete process.env.POE_TRACE_EVENTS;
      delete process.env.POE_TRACE_SESSIONS;
      Object.assign(process.env, saved);
    }
    const { kernel, warnings: lines } = k;
    Session.create({ kernel, inlineStates: { _start: (ctx) => void ctx.kernel.yield('hi'), hi: () => 0 } });
    await kernel.run();
    expect(lines).toEqual([
      '<ss> session 1 created by the kernel',
      "<ev> dispatching '_start' to session 1",
      "<ev> dispatching 'hi' to session 1",
      '<ss> garbage-collecting session 1',
      '<ss> session 1 freed',
    ]);
  });

  test('session option trace logs each dispatch with the caller; default warns on dropped events', async () => {
    const { kernel, warnings, run: finish } = makeKernel({ callerInfo: true });
    Session.create({
      kernel,
      options: { trace: 'on', default: 'yes' },
      inlineStates: { _start: (ctx) => void ctx.kernel.yield('nobody_handles_this') },
    });
    await finish();
    const file = fileURLToPath(import.meta.url);
    expect(warnings.map((w) => w.replace(file, 'THIS_FILE').replace(/ at \d+/, ' at LINE'))).toEqual([
      '1 -> _start (from ? at ?)',
      "a 'nobody_handles_this' event was sent from THIS_FILE at LINE to session 1 but session 1 has neither a handler for it nor one for _default",
      // POE's `default` option warns for every dropped event but _signal, _stop included.
      "a '_stop' event was sent from ? at ? to session 1 but session 1 has neither a handler for it nor one for _default",
    ]);
  });

  // NODE_DEBUG is read by Node once, at start-up: each case runs in a fresh process.
  const traced = async (env: Record<string, string>): Promise<string[]> => {
    const script = `
      import { Kernel, ReadWrite, Session, duplexPair } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
      const kernel = new Kernel();
      Session.create({ kernel, inlineStates: {
        _start: (ctx) => { ctx.kernel.sig('DIE', 'd'); ctx.kernel.refcountIncrement(ctx.session.ID, 'tag'); ctx.kernel.yield('x'); },
        x: (ctx) => { ctx.kernel.refcountDecrement(ctx.session.ID, 'tag'); const w = new ReadWrite({ handle: duplexPair()[0] }); w.destroy(); throw new Error('oops'); },
        d: (ctx) => { ctx.kernel.sigHandled(); ctx.kernel.sig('DIE'); } } });
      await kernel.run();`;
    const { stderr } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, NODE_DEBUG: '', ...env }, timeout: 10_000 });
    return stderr.trim().split('\n').filter(Boolean);
  };
  const everything = [
    '<ss> session 1 created by the kernel',
    "<ev> dispatching '_start' to session 1",
    '<rc> session 1 extref tag = 1',
    "<ev> dispatching 'x' to session 1",
    '<rc> session 1 extref tag = 0',
    '<fh> ReadWrite(1) made in session 1',
    '<fh> ReadWrite(1) of session 1 destroyed',
    "<ex> handler 'x' of session 1 threw: oops",
    "<sg> DIE: handler 'x' of session 1 threw",
    '<sg> DIE: dispatching to session 1 as \'d\'',
    "<ev> dispatching 'd' to session 1",
    '<ss> garbage-collecting session 1',
    '<ss> session 1 freed',
  ];

  test('NODE_DEBUG=poe turns on every trace, as POE_TRACE_DEFAULT=1 does, in the kernel log', async () => {
    expect(await traced({ NODE_DEBUG: 'poe' })).toEqual(everything);
    expect(await traced({ POE_TRACE_DEFAULT: '1' })).toEqual(everything);
  });

  test('NODE_DEBUG=poe-<category> and POE_TRACE_<NAME> turn on one category each', async () => {
    const only = (prefix: string) => everything.filter((l) => l.startsWith(prefix));
    expect(await traced({ NODE_DEBUG: 'poe-events' })).toEqual(only('<ev>'));
    expect(await traced({ NODE_DEBUG: 'poe-exceptions,poe-files' })).toEqual(everything.filter((l) => /^<(ex|fh)>/.test(l)));
    expect(await traced({ POE_TRACE_FILES: '1' })).toEqual(only('<fh>'));
    expect(await traced({ POE_TRACE_REFCNT: '1', POE_TRACE_SIGNALS: '1' })).toEqual(everything.filter((l) => /^<(rc|sg)>/.test(l)));
    expect(await traced({})).toEqual([]);
  });
});

describe('process-level behaviour (built package, child processes)', () => {
  test.each([
    ['extref', 'extra reference(s) waiting-for-godot'],
    ['async', 'async handler(s) still running: _start'],
    ['wheel', 'held by ReadWrite(1)'],
  ])('a kernel that can never wake rejects run() with ERR_POE_KERNEL_STALLED, naming the hold (%s)', async (what, why) => {
    const { stdout } = await run(process.execPath, [fixture('stall.mjs'), what], { timeout: 10_000 });
    expect(stdout.trim().split('\n')).toEqual(['_stop', `rejected ERR_POE_KERNEL_STALLED: session 1: ${why}`]);
  });

  test('the ESM and CJS builds share one default kernel, and instanceof on their errors and kernels holds across them, exactly', async () => {
    const { stdout } = await run(process.execPath, [fixture('dual-build.cjs')], { timeout: 10_000 });
    const across = (from: string, to: string) => [
      `${from} PoeError is ${to}: PoeError`,
      `${from} PoeArgumentError is ${to}: PoeError PoeArgumentError`,
      `${from} PoeErrnoError is ${to}: PoeError PoeErrnoError`,
      `${from} PoeSpawnError is ${to}: PoeError PoeSpawnError`,
      `${from} PoeStallError is ${to}: PoeError PoeStallError`,
      `${from} FilterLimitError is ${to}: PoeError FilterLimitError`,
      `${from} new Kernel() is ${to}: Kernel`,
    ];
    expect(stdout.trim().split('\n')).toEqual([
      'same default kernel: true',
      'isKernel across builds: true true',
      ...across('cjs', 'esm'),
      ...across('esm', 'cjs'),
      'not branded: - - -',
      'own subclass: true false PoeError',
      'dispatched: from cjs',
    ]);
  });
});
