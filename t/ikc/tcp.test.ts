/**
 * What is TCP's own in IKC over TCP (the shared cases are in transports.test.ts): reconnecting
 * after the listening side restarts (the same kernel: what was in flight is sent again; a new
 * kernel: each sender hears ERR_POE_IKC_LOST), TLS, a wrong shared secret, and bytes that are
 * not the protocol. A proxy between the two kernels holds and drops what is in flight, so a
 * batch is sent and never acknowledged, as when a network fails.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { Session, TcpTransport, listenTcp, type Kernel, type TcpListener, type TcpRefusal } from '../../src/index.js';
import { bounded, makeCertificates, runBounded, expectNoLeaks } from '../kit/index.js';
import { side, type Side } from './kit.js';

/** A TCP proxy on a free port: forwards to `target`; `hold` keeps client-to-server bytes back; `cut` drops them and every connection. */
class Proxy {
  readonly server: net.Server;
  target = 0;
  hold = false;
  held = 0;
  onHeld: (() => void) | undefined;
  readonly sockets = new Set<net.Socket>();
  constructor() {
    this.server = net.createServer((down) => {
      const up = net.connect(this.target, '127.0.0.1');
      for (const s of [down, up]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          down.destroy();
          up.destroy();
        });
      }
      down.on('data', (d: Buffer) => {
        if (!this.hold) return void up.write(d);
        this.held += d.length;
        this.onHeld?.();
      });
      up.on('data', (d: Buffer) => void down.write(d));
    });
  }
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }
  cut(): void {
    for (const s of this.sockets) s.destroy();
    this.hold = false;
  }
  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

/** Kernel `a`: a session `sink` (published) that logs each `n` it gets; `a` listens. */
function listening(log: string[], name = 'a', extra: Parameters<typeof listenTcp>[1] = {}): Side & { listener: TcpListener } {
  const s = side(name);
  Session.create({
    kernel: s.kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('sink');
        s.ikc.publish('sink');
        s.ikc.monitor('*', { register: 'register', unregister: 'unregister', reconnect: 'reconnect' });
      },
      n: (_ctx, n: number) => void log.push(`${name} n ${n}`),
      register: (_ctx, peer: string) => void log.push(`${name} register ${peer}`),
      unregister: (_ctx, peer: string) => void log.push(`${name} unregister ${peer}`),
      reconnect: (_ctx, peer: string) => void log.push(`${name} reconnect ${peer}`),
      done(ctx) {
        log.push(`${name} done`);
        ctx.kernel.aliasRemove('sink');
        s.ikc.shutdown();
      },
    },
  });
  const listener = listenTcp(s.ikc, extra);
  return { ...s, listener };
}

/** Kernel `b`, connected to `port`, with a session `src` whose states the test gives. */
function connecting(port: number, states: Record<string, (ctx: { kernel: Kernel }, ...args: never[]) => unknown>, extra: Partial<ConstructorParameters<typeof TcpTransport>[0]> = {}): Side {
  const s = side('b');
  Session.create({
    kernel: s.kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('src');
        s.ikc.monitor('*', { register: 'register', unregister: 'unregister', reconnect: 'reconnect' });
      },
      ...states,
    },
  });
  s.ikc.connect(new TcpTransport({ port, kernel: s.kernel, reconnectMax: 0.2, ...extra }));
  return s;
}

const runAll = async (...sides: Side[]): Promise<void> => {
  await Promise.all(sides.map((s) => runBounded(s.kernel, 15_000)));
  for (const s of sides) expectNoLeaks(s.kernel);
};

describe('IKC over TCP', () => {
  test('the listening kernel restarts its listener: posts in flight are sent again, each taken once, in order', async () => {
    const log: string[] = [];
    const proxy = new Proxy();
    proxies.push(proxy);
    const a = listening(log);
    proxy.target = a.listener.port()!;
    let a2: TcpListener | undefined;
    let round = 0;
    const b = connecting(await proxy.listen(), {
      register(ctx) {
        log.push('b register a');
        proxy.hold = true;
        proxy.onHeld = () => {
          proxy.onHeld = undefined;
          // In flight and never to arrive: the listener goes and comes back on another port.
          proxy.cut();
          a.listener.close();
          a2 = listenTcp(a.ikc, {});
          proxy.target = a2.port()!;
        };
        for (let i = 0; i < 5; i++) ctx.kernel.post('poe://a/sink', 'n', i);
      },
      unregister: () => void log.push('b unregister a'),
      reconnect(ctx) {
        log.push('b reconnect a');
        if (++round === 1) {
          ctx.kernel.post('poe://a/sink', 'done');
          ctx.kernel.aliasRemove('src');
          b.ikc.shutdown();
        }
      },
      ikc_error: (_ctx, code: string, address: string) => void log.push(`b ikc_error ${code} ${address}`),
    });
    await runAll(a, b);
    expect(proxy.held).toBeGreaterThan(0);
    // The two kernels' lines interleave; each kernel's own are in order.
    expect(log.filter((l) => l.startsWith('b '))).toEqual(['b register a', 'b unregister a', 'b reconnect a']);
    expect(log.filter((l) => l.startsWith('a '))).toEqual(['a register b', 'a unregister b', 'a reconnect b', 'a n 0', 'a n 1', 'a n 2', 'a n 3', 'a n 4', 'a done', 'a unregister b']);
    expect([a.warnings, b.warnings]).toEqual([[], []]);
  });

  test('a new kernel answers in its place: each post in flight is ERR_POE_IKC_LOST to its sender, later ones reach the new kernel', async () => {
    const log: string[] = [];
    const proxy = new Proxy();
    proxies.push(proxy);
    const a = listening(log);
    proxy.target = a.listener.port()!;
    let fresh: (Side & { listener: TcpListener }) | undefined;
    let lost = 0;
    let freshRun: Promise<void> | undefined;
    const b = connecting(await proxy.listen(), {
      register(ctx) {
        log.push('b register a');
        if (fresh !== undefined) return;
        proxy.hold = true;
        proxy.onHeld = () => {
          proxy.onHeld = undefined;
          proxy.cut();
          // `a` ends (its listener with it); another kernel named `a` listens.
          a.ikc.shutdown();
          a.kernel.post('sink', 'done');
          fresh = listening(log, 'a');
          proxy.target = fresh.listener.port()!;
          freshRun = runAll(fresh);
        };
        for (let i = 0; i < 5; i++) ctx.kernel.post('poe://a/sink', 'n', i);
      },
      unregister: () => void log.push('b unregister a'),
      reconnect: () => void log.push('b reconnect a'),
      ikc_error(ctx, code: string, address: string) {
        log.push(`b ikc_error ${code} ${address}`);
        if (++lost === 5) {
          ctx.kernel.post('poe://a/sink', 'n', 5);
          ctx.kernel.post('poe://a/sink', 'done');
          ctx.kernel.aliasRemove('src');
          b.ikc.shutdown();
        }
      },
    });
    await runAll(a, b);
    await freshRun;
    expect(log.filter((l) => l.startsWith('b '))).toEqual([
      'b register a',
      'b unregister a',
      ...Array<string>(5).fill('b ikc_error ERR_POE_IKC_LOST poe://a/sink/n'),
      'b reconnect a',
    ]);
    // The first `a` took nothing (its own shutdown tells its monitors nothing); the new one takes only what came after.
    expect(log.filter((l) => l.startsWith('a '))).toEqual(['a register b', 'a done', 'a register b', 'a n 5', 'a done', 'a unregister b']);
    expect([a.warnings, b.warnings, fresh!.warnings]).toEqual([[], [], []]);
  });

  test('TLS: a call over a link whose certificate the connecting kernel checks', async () => {
    const certs = makeCertificates();
    const log: string[] = [];
    const a = listening(log, 'a', { tls: { key: certs.server.key, cert: certs.server.cert }, secret: 'sesame' });
    Session.create({
      kernel: a.kernel,
      inlineStates: {
        _start(ctx) {
          ctx.kernel.aliasSet('math');
          a.ikc.publish('math');
        },
        double: (_ctx, n: number) => n * 2,
        stop: (ctx) => void ctx.kernel.aliasRemove('math'),
      },
    });
    const b = connecting(
      a.listener.port()!,
      {
        async register(ctx) {
          log.push(`b double ${String(await ctx.kernel.call('poe://a/math', 'double', 21))}`);
          ctx.kernel.post('poe://a/math', 'stop');
          ctx.kernel.post('poe://a/sink', 'done');
          ctx.kernel.aliasRemove('src');
          b.ikc.shutdown();
        },
      },
      { tls: { ca: certs.ca, servername: 'localhost' }, secret: 'sesame' },
    );
    await runAll(a, b);
    expect(log).toEqual(['a register b', 'b double 42', 'a done', 'a unregister b']);
    expect([a.warnings, b.warnings]).toEqual([[], []]);
    expect(b.ikc.kernels()).toEqual([]);
  });

  test('a wrong secret: refused with a log line and `refused` at both ends; neither kernel fails', async () => {
    const log: string[] = [];
    const refusals: string[] = [];
    const note = (who: string) => (r: TcpRefusal) => void refusals.push(`${who} ${r.kernel ?? '-'} ${r.reason}`);
    const a = listening(log, 'a', {
      secret: 'right',
      refused(r) {
        note('a')(r);
        a.kernel.post('sink', 'done');
      },
    });
    const bk: Side = connecting(
      a.listener.port()!,
      { register: () => void log.push('b register a') },
      {
        secret: 'wrong',
        refused(r) {
          note('b')(r);
          bk.ikc.shutdown();
        },
      },
    );
    await runAll(a, bk);
    expect(refusals).toEqual(['a b it does not know the shared secret', 'b - it refused this kernel: it does not know the shared secret']);
    expect(log).toEqual(['a done']);
    const port = String(a.listener.port());
    expect(a.warnings.map((w) => w.replace(/:\d+ /, ':PORT '))).toEqual(['IKC: refused a TCP peer from 127.0.0.1:PORT (kernel b): it does not know the shared secret']);
    expect(bk.warnings).toEqual([`IKC: refused the TCP link 127.0.0.1:${port}: it refused this kernel: it does not know the shared secret`]);
  });

  test('bytes that are not the protocol: the connection is dropped with a log line, and the kernel goes on', async () => {
    const log: string[] = [];
    const a = listening(log);
    const port = a.listener.port()!;
    const raw = async (bytes: Buffer): Promise<string> => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.write(bytes);
      let got = Buffer.alloc(0);
      s.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
      await bounded(new Promise((resolve) => s.on('close', resolve)), 10_000, 'the listener did not close the raw connection');
      return got.subarray(4).toString().replace(/"nonce":"[0-9a-f]+"/, '"nonce":"N"');
    };
    let b: Side | undefined;
    Session.create({
      kernel: a.kernel,
      inlineStates: {
        async _start() {
          const small = await raw(Buffer.from([0, 0, 0, 3, 0x61, 0x62, 0x63]));
          const http = await raw(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
          log.push(`small ${small.slice(0, small.indexOf('}') + 1)}`, `http ${http.slice(0, http.indexOf('}') + 1)}`);
          b = connecting(port, {
            register(ctx) {
              ctx.kernel.post('poe://a/sink', 'n', 1);
              ctx.kernel.post('poe://a/sink', 'done');
              ctx.kernel.aliasRemove('src');
              b!.ikc.shutdown();
            },
          });
          bRun = runAll(b);
        },
      },
    });
    let bRun: Promise<void> | undefined;
    await runAll(a);
    await bRun;
    expect(log).toEqual(['small {"p":"poe-ikc-tcp/1","nonce":"N"}', 'http {"p":"poe-ikc-tcp/1","nonce":"N"}', 'a register b', 'a n 1', 'a done', 'a unregister b']);
    expect(a.warnings.map((w) => w.replace(/:\d+:/, ':PORT:').replace(/:\d+ /, ':PORT '))).toEqual([
      'IKC: refused a TCP peer from 127.0.0.1:PORT: it did not speak the IKC TCP protocol',
      expect.stringMatching(/^IKC: dropped the TCP connection from 127\.0\.0\.1:PORT: read error: .*/),
    ]);
  });
});
