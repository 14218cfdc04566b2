/**
 * IKC over NATS (issue 14): kernels found through the broker as they come, go (saying bye, or
 * killed) and come back; credentials refused; messages that do not decode dropped with a log
 * line; and the broker killed (SIGKILL) in the middle of 10,000 posts and started again on its
 * port: every post is delivered in order, once, or reported to its sender. The other kernels
 * are processes of their own (t/fixtures/ikc/nats/kernel.mjs, dist/ build); each test has its
 * own nats-server. Skipped where nats-server is not installed.
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { PoeIkcError} from '../../src/index.js';
import { Kernel, NatsIkc, Responder, Session, type NatsIkcOptions } from '../../src/index.js';
import { writeFileSync } from 'node:fs';
import { cleanup, ensureBuilt, exitOf, expectNoLeaks, root, run, runBounded, tempDir } from '../kit/index.js';
import { NO_NATS, hasNatsServer, natsServer, stopNatsServers } from './nats-kit.js';

beforeAll(() => ensureBuilt(`${root}/dist/index.js`), 120_000);
afterEach(async () => {
  await cleanup();
  await stopNatsServers();
});

function kernelA(options: ConstructorParameters<typeof Kernel>[0] = {}): { a: Kernel; ikc: Responder; warnings: string[] } {
  const warnings: string[] = [];
  const a = new Kernel({ name: 'a', log: (line) => warnings.push(line), ...options });
  return { a, ikc: Responder.spawn({ kernel: a, bufferLimit: 3000 }), warnings };
}

/** Kernel `name` in a process of its own, connected with `options`. */
function other(name: string, options: NatsIkcOptions): ReturnType<typeof run> {
  return run('ikc/nats/kernel.mjs', [name, JSON.stringify(options)]);
}

describe.skipIf(!hasNatsServer)(`IKC over NATS${hasNatsServer ? '' : ` (${NO_NATS})`}`, () => {
  test('discovery: kernels are registered as they come, unregistered as they leave or die, and reconnected when they come back', async () => {
    const broker = await natsServer();
    const options = { servers: broker.url, heartbeat: 0.1, peerTimeout: 0.5, reconnectWait: 0.05 };
    const { a, ikc, warnings } = kernelA();
    const log: string[] = [];
    const procs: Record<string, ReturnType<typeof run>> = {};
    const exits: string[] = [];
    Session.create({
      kernel: a,
      inlineStates: {
        _start(ctx) {
          ctx.kernel.aliasSet('watcher');
          ikc.monitor('*', { register: 'register', unregister: 'unregister', reconnect: 'reconnect' });
          NatsIkc.connect(ikc, options).then(
            () => ctx.kernel.post('watcher', 'connected'),
            (err: unknown) => log.push(`connect failed ${String(err)}`),
          );
        },
        connected() {
          procs.b = other('b', options);
        },
        register(ctx, name: string) {
          log.push(`register ${name} [${ikc.kernels().sort().join(' ')}]`);
          if (name === 'b') procs.c = other('c', options);
          // c leaves with a bye.
          else ctx.kernel.post('poe://c/sink', 'stop');
        },
        async unregister(ctx, name: string) {
          log.push(`unregister ${name} [${ikc.kernels().sort().join(' ')}]`);
          const [code, signal] = await exitOf(procs[name]!);
          exits.push(`${name} ${code} ${signal}`);
          if (name === 'c') {
            // b dies without a word: its silence says it is gone.
            procs.b!.child.kill('SIGKILL');
          } else if (exits.length === 2) {
            procs.b = other('b', options);
          } else {
            ctx.kernel.aliasRemove('watcher');
            ikc.shutdown();
          }
        },
        reconnect(ctx, name: string) {
          log.push(`reconnect ${name} [${ikc.kernels().sort().join(' ')}]`);
          ctx.kernel.post('poe://b/sink', 'stop');
        },
      },
    });
    await runBounded(a, 20_000);
    expect(log).toEqual(['register b [b]', 'register c [b c]', 'unregister c [b]', 'unregister b []', 'reconnect b [b]', 'unregister b []']);
    expect(exits).toEqual(['c 0 null', 'b null SIGKILL', 'b 0 null']);
    expect(warnings).toEqual([]);
    expectNoLeaks(a);
  }, 30_000);

  test('credentials: a wrong or missing password or token is refused at connect; the right one connects', async () => {
    const withPass = await natsServer(['--user', 'poe', '--pass', 's3cret']);
    const withToken = await natsServer(['--auth', 't0ken']);
    const { a, ikc, warnings } = kernelA();
    const log: string[] = [];
    const attempt = async (what: string, options: NatsIkcOptions): Promise<void> => {
      try {
        const hub = await NatsIkc.connect(ikc, { ...options, heartbeat: 0.1 });
        log.push(`${what}: connected`);
        await hub.close();
      } catch (err) {
        const e = err as PoeIkcError;
        log.push(`${what}: ${e.name} ${e.code} ${e.address === withPass.url || e.address === withToken.url} ${/Authorization/i.test(e.message)}`);
      }
    };
    Session.create({
      kernel: a,
      inlineStates: {
        async _start(ctx) {
          ctx.kernel.aliasSet('tester');
          await attempt('no password', { servers: withPass.url });
          await attempt('wrong password', { servers: withPass.url, user: 'poe', pass: 'nope' });
          await attempt('password', { servers: withPass.url, user: 'poe', pass: 's3cret' });
          await attempt('wrong token', { servers: withToken.url, token: 'nope' });
          await attempt('token', { servers: withToken.url, token: 't0ken' });
          ctx.kernel.aliasRemove('tester');
          ikc.shutdown();
        },
      },
    });
    await runBounded(a, 20_000);
    expect(log).toEqual([
      'no password: PoeIkcError ERR_POE_IKC_CONNECT true true',
      'wrong password: PoeIkcError ERR_POE_IKC_CONNECT true true',
      'password: connected',
      'wrong token: PoeIkcError ERR_POE_IKC_CONNECT true true',
      'token: connected',
    ]);
    expect(warnings).toEqual([]);
    expectNoLeaks(a);
  }, 30_000);

  test('a message that does not decode is dropped with a log line; the link goes on', async () => {
    const broker = await natsServer();
    const options = { servers: broker.url, reconnectWait: 0.05 };
    const { a, ikc, warnings } = kernelA();
    const b = other('b', options);
    const raw = await (await import('@nats-io/transport-node')).connect({ servers: broker.url });
    const log: string[] = [];
    Session.create({
      kernel: a,
      inlineStates: {
        _start(ctx) {
          ctx.kernel.aliasSet('tester');
          ikc.monitor('b', { register: 'register' });
          void NatsIkc.connect(ikc, options);
        },
        async register(ctx) {
          raw.publish('poe.ikc.all', 'not json');
          raw.publish('poe.ikc.all', '{"t":1}');
          raw.publish('poe.ikc.k.a.x', new Uint8Array([0, 0, 0, 0, 1, 0xff, 0xfe]));
          raw.publish('poe.ikc.k.a.x', new Uint8Array([7]));
          await raw.flush();
          for (let i = 0; i < 3; i++) ctx.kernel.post('poe://b/sink', 'take', i);
          log.push(`report ${JSON.stringify(await ctx.kernel.call('poe://b/sink', 'report'))}`);
          ctx.kernel.post('poe://b/sink', 'stop');
          ctx.kernel.aliasRemove('tester');
          ikc.shutdown();
        },
      },
    });
    await runBounded(a, 20_000);
    await raw.close();
    expect(log).toEqual(['report [0,1,2]']);
    expect(warnings.slice().sort()).toEqual([
      `IKC: dropped a batch from nats:x@127.0.0.1:${broker.port}: Undecodable IKC batch of 2 bytes: Unable to deserialize cloned data due to invalid or unsupported version.`,
      'IKC: dropped a malformed NATS message from x (1 bytes)',
      'IKC: dropped a malformed announcement on poe.ikc.all',
      'IKC: dropped an undecodable announcement on poe.ikc.all',
    ]);
    expect(await exitOf(b)).toEqual([0, null]);
    expectNoLeaks(a);
  }, 30_000);

  test('a message missing from a stream restarts both ends of the link; nothing is lost', async () => {
    const broker = await natsServer();
    const options = { servers: broker.url, reconnectWait: 0.05 };
    const { a, ikc, warnings } = kernelA();
    const b = other('b', options);
    const raw = await (await import('@nats-io/transport-node')).connect({ servers: broker.url });
    const log: string[] = [];
    Session.create({
      kernel: a,
      inlineStates: {
        _start(ctx) {
          ctx.kernel.aliasSet('tester');
          ikc.monitor('b', { register: 'register', unregister: 'unregister', reconnect: 'reconnect' });
          void NatsIkc.connect(ikc, options);
        },
        async register(ctx) {
          log.push('register b');
          for (let i = 0; i < 100; i++) ctx.kernel.post('poe://b/sink', 'take', i);
          // As if b's messages up to this number had been lost: a sees a gap in b's stream.
          const forged = new Uint8Array(5);
          forged[0] = 0;
          new DataView(forged.buffer).setUint32(1, 0x7fffffff);
          raw.publish('poe.ikc.k.a.b', forged);
          await raw.flush();
        },
        unregister: () => void log.push('unregister b'),
        async reconnect(ctx) {
          log.push('reconnect b');
          for (let i = 100; i < 200; i++) ctx.kernel.post('poe://b/sink', 'take', i);
          const got = (await ctx.kernel.call('poe://b/sink', 'report')) as number[];
          log.push(`report ${got.length} ${got.every((v, i) => v === i)}`);
          ctx.kernel.post('poe://b/sink', 'stop');
          ctx.kernel.aliasRemove('tester');
          ikc.shutdown();
        },
      },
    });
    await runBounded(a, 20_000);
    await raw.close();
    expect(log).toEqual(['register b', 'unregister b', 'reconnect b', 'report 200 true']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^IKC: a message from b over NATS was lost \(expected \d+, got 2147483647\); restarting the link$/);
    expect(await exitOf(b)).toEqual([0, null]);
    expectNoLeaks(a);
  }, 30_000);

  test('a batch larger than the broker takes (max_payload) crosses in parts, both ways', async () => {
    const tmp = tempDir();
    writeFileSync(tmp.path('nats.conf'), 'max_payload: 4096\n');
    const broker = await natsServer(['-c', tmp.path('nats.conf')]);
    const options = { servers: broker.url, reconnectWait: 0.05 };
    const { a, ikc, warnings } = kernelA();
    const b = other('b', options);
    const big = Buffer.alloc(100_000, 7);
    big.writeUInt32BE(0xdeadbeef, 99_990);
    const log: string[] = [];
    Session.create({
      kernel: a,
      inlineStates: {
        _start(ctx) {
          ctx.kernel.aliasSet('tester');
          ikc.monitor('b', { register: 'register' });
          void NatsIkc.connect(ikc, options);
        },
        async register(ctx) {
          for (let i = 0; i < 3; i++) ctx.kernel.post('poe://b/sink', 'take', i === 1 ? big : i);
          const got = (await ctx.kernel.call('poe://b/sink', 'report')) as unknown[];
          log.push(`report ${got.length} ${got[0]} ${Buffer.isBuffer(got[1]) && big.equals(got[1])} ${got[2]}`);
          ctx.kernel.post('poe://b/sink', 'stop');
          ctx.kernel.aliasRemove('tester');
          ikc.shutdown();
        },
      },
    });
    await runBounded(a, 20_000);
    tmp.cleanup();
    expect(log).toEqual(['report 3 0 true 2']);
    expect(warnings).toEqual([]);
    expect(await exitOf(b)).toEqual([0, null]);
    expectNoLeaks(a);
  }, 30_000);

  test('the broker killed (SIGKILL) during 10,000 posts and started again: each post delivered in order once, or reported to its sender', async () => {
    const broker = await natsServer();
    const options = { servers: broker.url, reconnectWait: 0.05, heartbeat: 0.2 };
    const { a, ikc, warnings } = kernelA();
    const b = other('b', options);
    const N = 10_000;
    const codes = new Map<string, number>();
    let reported = 0;
    let delivered: number[] = [];
    const log: string[] = [];
    let next = 0;
    let down = false;
    let paused: '' | 'down' | 'up' = '';
    let burst = -1;
    const settled: number[] = [];
    Session.create({
      kernel: a,
      inlineStates: {
        _start(ctx) {
          ctx.kernel.aliasSet('source');
          ikc.monitor('b', { register: 'register', unregister: 'unregister', reconnect: 'reconnect' });
          void NatsIkc.connect(ikc, options);
        },
        register(ctx) {
          log.push('register b');
          ctx.kernel.yield('more');
        },
        more(ctx) {
          if (down && burst < 0) {
            // Posted while the broker is away: more than the buffer holds. The rest waits for it to be back.
            burst = next;
            for (const end = next + 3500; next < end; next++) ctx.kernel.post('poe://b/sink', 'take', next);
            void broker.start();
            paused = 'up';
            return;
          }
          const to = Math.min(N, next + 100);
          for (; next < to; next++) ctx.kernel.post('poe://b/sink', 'take', next);
          // The broker dies with posts in flight; the stream goes on.
          if (next === 2000) void broker.stop('SIGKILL');
          if (next >= 6000 && !down) {
            paused = 'down';
            return;
          }
          if (next < N) ctx.kernel.yield('more');
          else ctx.kernel.yield('end');
        },
        unregister(ctx) {
          log.push('unregister b');
          down = true;
          if (paused === 'down') ctx.kernel.yield('more');
        },
        reconnect(ctx) {
          log.push('reconnect b');
          if (paused === 'up') ctx.kernel.yield('settle', 'more');
        },
        /** Waits for b to take all it will of what was posted so far (a call comes after the posts before it), then goes on to `then`. */
        async settle(ctx, then: string) {
          try {
            delivered = (await ctx.kernel.call('poe://b/sink', 'report')) as number[];
          } catch (err) {
            // The buffer is still full of the posts resent on reconnect: no event says when it has room.
            if ((err as PoeIkcError).code !== 'ERR_POE_IKC_BUFFER_FULL') throw err;
            ctx.kernel.delay('settle', 0.05, then);
            return;
          }
          settled.push(delivered.length);
          ctx.kernel.yield(then);
        },
        end(ctx) {
          ctx.kernel.yield('settle', 'finish');
        },
        finish(ctx) {
          ctx.kernel.post('poe://b/sink', 'stop');
          ctx.kernel.aliasRemove('source');
          ikc.shutdown();
        },
        ikc_error(_ctx, code: string, address: string) {
          reported++;
          codes.set(`${code} ${address}`, (codes.get(`${code} ${address}`) ?? 0) + 1);
        },
      },
    });
    await runBounded(a, 60_000);
    expect(await exitOf(b)).toEqual([0, null]);
    expect(log).toEqual(['register b', 'unregister b', 'reconnect b']);
    // Posts made after the broker came back were delivered too.
    expect(settled.length === 2 && settled[1]! > settled[0]! && delivered.at(-1) === N - 1).toBe(true);
    const inOrder = delivered.every((v, i) => i === 0 || v > delivered[i - 1]!);
    expect({ inOrder, sum: delivered.length + reported, burstFrom: burst >= 2000 && burst <= 6000 }).toEqual({ inOrder: true, sum: N, burstFrom: true });
    // The buffer holds 3000: of the 3500 posted while the broker was away, 500 at least were refused at once.
    expect(codes.get('ERR_POE_IKC_BUFFER_FULL poe://b/sink/take')).toBeGreaterThanOrEqual(500);
    expect([...codes.keys()].filter((k) => !k.startsWith('ERR_POE_IKC_BUFFER_FULL '))).toEqual([]);
    console.log(`nats fault: ${delivered.length} delivered (${settled[0]} by the first report after the restart),  ${reported} reported (${[...codes].map(([k, n]) => `${k}: ${n}`).join(', ')}), burst from ${burst}`);
    expect(warnings.filter((w) => !w.startsWith('IKC: a message from b over NATS was lost'))).toEqual([]);
    expectNoLeaks(a);
  }, 90_000);
});
