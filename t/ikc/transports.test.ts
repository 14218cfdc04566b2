/**
 * IKC between two kernels over each transport (issue 14, acceptance 1): order between a pair
 * of sessions, call results and timeouts (promise and POE form), errors for unknown sessions,
 * unpublished events and unsendable arguments, publish/subscribe, monitor events on connect,
 * disconnect and reconnect, and the bounded buffer. Kernel `b` is t/fixtures/ikc/remote.mjs,
 * run in this process (in-process pair) or in a worker thread (its own kernel, dist/ build).
 */
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import * as lib from '../../src/index.js';
import { Kernel, Responder, Session, ThreadTransport, InProcessTransport, TcpTransport, listenTcp, remote, type ResponderOptions } from '../../src/index.js';
import { NatsIkc } from '../../src/index.js';
import { hasNatsServer, natsServer, stopNatsServers, type NatsServer } from './nats-kit.js';
import { ensureBuilt, expectNoLeaks, root, runBounded } from '../kit/index.js';
import { ForkTransport } from '../../src/index.js';
import { fixture, track, until } from '../kit/index.js';
// @ts-expect-error -- a plain .mjs fixture, shared with the worker
import { startRemote } from '../fixtures/ikc/remote.mjs';

const workerFile = new URL('../fixtures/ikc/worker.mjs', import.meta.url);

interface Echo {
  seq: (n: number, count: number) => void;
  double: (n: number) => number;
  seen: () => number;
  slow: () => Promise<string>;
  release: () => void;
  echo: (...args: unknown[]) => void;
  publish_late: () => void;
  retract_late: () => void;
  stop: () => void;
}
const echo = remote<Echo>('b', 'echo');

/** Kernel `a` (here) and kernel `b` over one transport, with a way to cut and restore the link. */
interface Rig {
  a: Kernel;
  ikc: Responder;
  warnings: string[];
  /** Takes the link down (in-process: a cut; thread: the worker is terminated). */
  cut(): void;
  /** Brings it back (in-process: the same `b`; thread: a new worker, a new `b`). */
  restore(): void;
  /** Runs `a` to its end and waits for `b` to end. */
  done(): Promise<void>;
}

type Make = (aOptions?: Omit<ResponderOptions, 'kernel'>) => Rig;

function sideA(aOptions: Omit<ResponderOptions, 'kernel'> = {}): { a: Kernel; ikc: Responder; warnings: string[] } {
  const warnings: string[] = [];
  const a = new Kernel({ name: 'a', log: (line) => warnings.push(line) });
  const ikc = Responder.spawn({ kernel: a, ...aOptions });
  return { a, ikc, warnings };
}

const inProcess: Make = (aOptions) => {
  const { a, ikc, warnings } = sideA(aOptions);
  const [ta, tb] = InProcessTransport.pair();
  const b = startRemote(lib, tb) as { kernel: Kernel };
  ikc.connect(ta);
  return {
    a,
    ikc,
    warnings,
    cut: () => ta.disconnect(),
    restore: () => ta.reconnect(),
    done: async () => {
      await Promise.all([runBounded(a, 15_000), runBounded(b.kernel, 15_000)]);
      expectNoLeaks(b.kernel);
    },
  };
};

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

const thread: Make = (aOptions) => {
  const { a, ikc, warnings } = sideA(aOptions);
  const exits = new Map<Worker, Promise<number>>();
  const track = (w: Worker): Worker => {
    workers.push(w);
    exits.set(w, new Promise<number>((resolve) => w.once('exit', resolve)));
    w.on('error', (err) => warnings.push(`worker error: ${String(err)}`));
    return w;
  };
  let worker = track(new Worker(workerFile));
  const transport = new ThreadTransport(worker);
  ikc.connect(transport);
  return {
    a,
    ikc,
    warnings,
    cut: () => void worker.terminate(),
    restore: () => {
      worker = track(new Worker(workerFile));
      transport.attach(worker);
    },
    done: async () => {
      await runBounded(a, 15_000);
      // The last worker (`b` as it is now) ends by itself once its responder is shut down.
      const code = await exits.get(worker);
      expect({ code, warnings }).toEqual({ code: 0, warnings: [] });
    },
  };
};

/** `a` listens, `b` (here, in its own kernel) connects; a cut closes the listener, a restore listens again on its port. */
const tcp: Make = (aOptions) => {
  const { a, ikc, warnings } = sideA(aOptions);
  const secret = 'transports test';
  let listener = listenTcp(ikc, { secret });
  const port = listener.port()!;
  const b = startRemote(lib, (kernel: Kernel) => new TcpTransport({ port, secret, kernel, reconnectMax: 0.2 })) as { kernel: Kernel };
  return {
    a,
    ikc,
    warnings,
    cut: () => listener.close(),
    restore: () => void (listener = listenTcp(ikc, { secret, port })),
    done: async () => {
      await Promise.all([runBounded(a, 15_000), runBounded(b.kernel, 15_000)]);
      expectNoLeaks(b.kernel);
    },
  };
};

let broker: NatsServer | undefined;
let prefixes = 0;
/** Over a nats-server of this file's own (skipped without one): a cut kills it (SIGKILL), a restore starts it again on its port. */
const nats: Make = (aOptions) => {
  const { a, ikc, warnings } = sideA(aOptions);
  const options = { servers: broker!.url, prefix: `t${++prefixes}`, reconnectWait: 0.05 };
  const b = startRemote(lib, (_kernel: Kernel, bIkc: Responder) => void NatsIkc.connect(bIkc, options)) as { kernel: Kernel };
  NatsIkc.connect(ikc, options).catch((err: unknown) => warnings.push(String(err)));
  return {
    a,
    ikc,
    warnings,
    cut: () => void broker!.stop('SIGKILL'),
    restore: () => void broker!.start(),
    done: async () => {
      await Promise.all([runBounded(a, 15_000), runBounded(b.kernel, 15_000)]);
      expectNoLeaks(b.kernel);
    },
  };
};

/** Kernel `b` in a child `a.fork()` starts: cut is a SIGKILL, restore a new fork attached in its place. */
const forked: Make = (aOptions) => {
  const { a, ikc, warnings } = sideA(aOptions);
  a.forkProgram = fixture('ikc/fork/remote.mjs');
  const start = (): number => {
    const pid = a.fork();
    if (pid === undefined || pid === 0) throw new Error(`fork failed: errno ${a.errno}`);
    track(pid);
    return pid;
  };
  let pid = start();
  const transport = ForkTransport.toChild(pid, a);
  ikc.connect(transport);
  const alive = (p: number): boolean => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  };
  return {
    a,
    ikc,
    warnings,
    cut: () => process.kill(pid, 'SIGKILL'),
    restore: () => {
      pid = start();
      transport.attach(pid);
    },
    done: async () => {
      await runBounded(a, 15_000);
      // The last child (`b` as it is now) ends by itself once its responder is shut down.
      const last = pid;
      await until(() => !alive(last), 10_000, `child ${last} to end`);
      expect(warnings).toEqual([]);
    },
  };
};

beforeAll(() => ensureBuilt(`${root}/dist/index.js`), 120_000);
beforeAll(async () => {
  if (hasNatsServer) broker = await natsServer();
});
afterAll(stopNatsServers);

/** The collector: kernel `a`'s session that logs what comes back, published so `b` can post to it. */
function collector(rig: Rig, log: string[], states: Record<string, (ctx: { kernel: Kernel; session: Session }, ...args: never[]) => unknown>): void {
  Session.create({
    kernel: rig.a,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('collector');
        rig.ikc.publish('collector');
        rig.ikc.monitor('*', { register: 'register', unregister: 'unregister', reconnect: 'reconnect' });
      },
      ikc_error: (_ctx, code: string, address: string) => void log.push(`ikc_error ${code} ${address}`),
      seq_done: (_ctx, count: number, inOrder: boolean) => void log.push(`seq_done ${count} ${inOrder}`),
      finish(ctx) {
        ctx.kernel.post(echo, 'stop');
        ctx.kernel.aliasRemove('collector');
        rig.ikc.shutdown();
      },
      ...states,
    },
  });
}

describe.each([
  ['in-process', inProcess],
  ['thread', thread],
  ['tcp', tcp],
  ['fork', forked],
  ...(hasNatsServer ? [['nats', nats] as const] : []),
] as const)('IKC over %s', (_name, make) => {
  test('1000 posts arrive in order; a call between them answers in its place', async () => {
    const rig = make();
    const log: string[] = [];
    collector(rig, log, {
      register(ctx, name: string) {
        log.push(`register ${name}`);
        for (let i = 0; i < 500; i++) ctx.kernel.post(echo, 'seq', i, 1000);
        void ctx.kernel.call(echo, 'seen').then((v) => log.push(`seen ${v} before the call`));
        for (let i = 500; i < 1000; i++) ctx.kernel.post(echo, 'seq', i, 1000);
      },
      seq_done(ctx, count: number, inOrder: boolean) {
        log.push(`seq_done ${count} ${inOrder}`);
        ctx.kernel.yield('finish');
      },
    });
    await rig.done();
    expect(log).toEqual(['register b', 'seen 500 before the call', 'seq_done 1000 true']);
    expect(rig.warnings).toEqual([]);
    expectNoLeaks(rig.a);
  });

  test('call: promise and POE form (rsvp), and timeouts in both', async () => {
    const rig = make({ callTimeout: 0.3 });
    const log: string[] = [];
    let round = 0;
    collector(rig, log, {
      async register(ctx) {
        log.push(`double ${await ctx.kernel.call(echo, 'double', 5)}`);
        ctx.kernel.post('IKC', 'call', 'poe://b/echo/double', [4], 'poe:answer');
      },
      async answer(ctx, value: unknown, err: lib.PoeIkcError | undefined) {
        log.push(`answer ${String(value)} ${err === undefined ? '-' : `${err.code} ${err.address}`}`);
        if (++round === 1) {
          try {
            const pending = ctx.kernel.call(echo, 'slow');
            // A pending remote call holds its session and says so; the link holds the responder.
            const ps = rig.a.ps();
            log.push(`ps collector ${ps.find((r) => r.aliases.includes('collector'))!.waitingOn.join(', ')}`);
            log.push(`ps IKC ${ps.find((r) => r.aliases.includes('IKC'))!.waitingOn.filter((w) => !w.startsWith('IKC NATS ')).map((w) => w.replace(/ over .* \(/, ' over (transport) (')).join(', ')}`);
            await pending;
          } catch (e) {
            const x = e as lib.PoeIkcError;
            log.push(`slow ${x.name} ${x.code} ${x.address}`);
          }
          // The late answer finds its call gone.
          ctx.kernel.post(echo, 'release');
          ctx.kernel.post('IKC', 'call', 'poe://b/echo/slow', [], 'poe:answer');
        } else {
          ctx.kernel.post(echo, 'release');
          ctx.kernel.yield('finish');
        }
      },
    });
    await rig.done();
    expect(log).toEqual([
      'double 10',
      'answer 8 -',
      'ps collector ikc call poe://b/echo/slow',
      'ps IKC IKC link to b over (transport) (up, 1 waiting)',
      'slow PoeIkcError ERR_POE_IKC_CALL_TIMEOUT poe://b/echo/slow',
      'answer undefined ERR_POE_IKC_CALL_TIMEOUT poe://b/echo/slow',
    ]);
    expectNoLeaks(rig.a);
  });

  test('unknown sessions, unpublished sessions and events, unknown kernels, unsendable arguments', async () => {
    const rig = make();
    const log: string[] = [];
    const codeOf = (fn: () => unknown): string => {
      try {
        return `returned ${String(fn())}`;
      } catch (e) {
        return `threw ${(e as lib.PoeError).code}`;
      }
    };
    collector(rig, log, {
      async register(ctx) {
        ctx.kernel.post('poe://b/nosuch', 'x');
        ctx.kernel.post('poe://b/secret', 'x');
        ctx.kernel.post('poe://b/limited', 'other');
        ctx.kernel.post('poe://b/limited', 'ok');
        log.push(`function ${codeOf(() => ctx.kernel.post(echo, 'echo', () => 1))}`);
        log.push(`class ${codeOf(() => ctx.kernel.post(echo, 'echo', { deep: [new (class Socketish {})()] }))}`);
        log.push(`event address ${codeOf(() => ctx.kernel.post('poe://b/echo/x', 'y'))}`);
        log.push(`unknown kernel ${codeOf(() => ctx.kernel.post('poe://zz/echo', 'x'))} ${lib.errnoName(ctx.kernel.errno)}`);
        for (const [what, dest] of [
          ['unpublished', 'poe://b/secret'],
          ['unknown kernel', 'poe://zz/echo'],
        ] as const) {
          try {
            await ctx.kernel.call(dest, 'x');
          } catch (e) {
            log.push(`call ${what} ${(e as lib.PoeIkcError).code} ${(e as lib.PoeIkcError).address}`);
          }
        }
        const when = new Date(1_000_000_000_000);
        const m = new Map<unknown, unknown>([['k', { n: [1, 2n, new Set(['s'])] }]]);
        ctx.kernel.post(echo, 'echo', Buffer.from([0, 255, 10]), m, when, { a: { b: [null, undefined, -0] } });
      },
      echoed(ctx, buf: Buffer, m: Map<string, unknown>, when: Date, rec: unknown) {
        log.push(`echoed ${Buffer.isBuffer(buf)} ${buf.toString('hex')} ${m instanceof Map} ${when instanceof Date} ${when.getTime()}`);
        expect(m).toEqual(new Map([['k', { n: [1, 2n, new Set(['s'])] }]]));
        expect(rec).toEqual({ a: { b: [null, undefined, -0] } });
        ctx.kernel.yield('finish');
      },
    });
    await rig.done();
    expect(log).toEqual([
      'function threw ERR_POE_IKC_UNSENDABLE',
      'class threw ERR_POE_IKC_UNSENDABLE',
      'event address threw ERR_POE_IKC_BAD_ADDRESS',
      'unknown kernel returned undefined ESRCH',
      'ikc_error ERR_POE_IKC_NO_SESSION poe://b/nosuch/x',
      'ikc_error ERR_POE_IKC_NO_SESSION poe://b/secret/x',
      'ikc_error ERR_POE_IKC_NO_EVENT poe://b/limited/other',
      'call unpublished ERR_POE_IKC_NO_SESSION poe://b/secret/x',
      'call unknown kernel ERR_POE_IKC_UNKNOWN_KERNEL poe://zz/echo/x',
      'echoed true 00ff0a true true 1000000000000',
    ]);
    expectNoLeaks(rig.a);
  });

  test('subscribe: told when a remote session is published and retracted', async () => {
    const rig = make();
    const log: string[] = [];
    collector(rig, log, {
      register(ctx) {
        log.push('register b');
        rig.ikc.subscribe('poe://b/late', 'late');
        ctx.kernel.post(echo, 'publish_late');
      },
      late(ctx, address: string, up: boolean) {
        log.push(`late ${address} ${up}`);
        ctx.kernel.post(echo, up ? 'retract_late' : 'stop');
        if (!up) ctx.kernel.yield('finish');
      },
    });
    await rig.done();
    expect(log).toEqual(['register b', 'late poe://b/late true', 'late poe://b/late false']);
    expectNoLeaks(rig.a);
  });

  test('monitor: register, unregister, reconnect; posts made while down arrive in order', async () => {
    const rig = make();
    const log: string[] = [];
    collector(rig, log, {
      register(_ctx, name: string) {
        log.push(`register ${name}`);
        rig.cut();
      },
      unregister(ctx, name: string) {
        log.push(`unregister ${name}`);
        for (let i = 0; i < 10; i++) ctx.kernel.post(echo, 'seq', i, 10);
        rig.restore();
      },
      reconnect: (_ctx, name: string) => void log.push(`reconnect ${name}`),
      seq_done(ctx, count: number, inOrder: boolean) {
        log.push(`seq_done ${count} ${inOrder}`);
        ctx.kernel.yield('finish');
      },
    });
    await rig.done();
    expect(log).toEqual(['register b', 'unregister b', 'reconnect b', 'seq_done 10 true']);
    expectNoLeaks(rig.a);
  });

  test('the buffer bound: posts past it and posts that wait too long are reported to their sender', async () => {
    const rig = make({ bufferLimit: 3, bufferTimeout: 0.2 });
    const log: string[] = [];
    let expired = 0;
    collector(rig, log, {
      register(_ctx, name: string) {
        log.push(`register ${name}`);
        rig.cut();
      },
      unregister(ctx) {
        log.push('unregister b');
        for (let i = 0; i < 5; i++) log.push(`post ${i} ${String(ctx.kernel.post(echo, 'seq', i, 5))} ${lib.errnoName(ctx.kernel.errno)}`);
      },
      ikc_error(ctx, code: string, address: string) {
        log.push(`ikc_error ${code} ${address}`);
        if (code === 'ERR_POE_IKC_EXPIRED' && ++expired === 3) {
          rig.restore();
        }
      },
      reconnect(ctx) {
        log.push('reconnect b');
        for (let i = 0; i < 3; i++) ctx.kernel.post(echo, 'seq', i, 3);
      },
      seq_done(ctx, count: number, inOrder: boolean) {
        log.push(`seq_done ${count} ${inOrder}`);
        ctx.kernel.yield('finish');
      },
    });
    await rig.done();
    expect(log).toEqual([
      'register b',
      'unregister b',
      'post 0 1 0',
      'post 1 1 0',
      'post 2 1 0',
      'post 3 undefined ENOBUFS',
      'post 4 undefined ENOBUFS',
      'ikc_error ERR_POE_IKC_BUFFER_FULL poe://b/echo/seq',
      'ikc_error ERR_POE_IKC_BUFFER_FULL poe://b/echo/seq',
      'ikc_error ERR_POE_IKC_EXPIRED poe://b/echo/seq',
      'ikc_error ERR_POE_IKC_EXPIRED poe://b/echo/seq',
      'ikc_error ERR_POE_IKC_EXPIRED poe://b/echo/seq',
      'reconnect b',
      'seq_done 3 true',
    ]);
    expectNoLeaks(rig.a);
  });
});
