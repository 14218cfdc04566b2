import { expect, test } from 'vitest';
import { Session } from '../../src/session/session.js';
import { remote } from '../../src/ikc/address.js';
import { InProcessTransport } from '../../src/ikc/in-process.js';
import type { Transport, TransportSink } from '../../src/ikc/transport.js';
import { pair, runBoth, side } from './kit.js';

interface Echo {
  ping: (n: number) => void;
  double: (n: number) => number;
}

test('a post and a call between two kernels in one process', async () => {
  const { a, b } = pair();
  const log: string[] = [];
  Session.create({
    kernel: b.kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('echo');
        b.ikc.publish('echo');
      },
      ping(ctx, n: number) {
        log.push(`b ping ${n} from ${ctx.sender === b.ikc.session ? 'IKC' : 'other'}`);
      },
      double: (_ctx, n: number) => n * 2,
      stop(ctx) {
        ctx.kernel.aliasRemove('echo');
        b.ikc.shutdown();
      },
    },
  });
  Session.create({
    kernel: a.kernel,
    inlineStates: {
      _start() {
        a.ikc.monitor('b', { register: 'up' });
      },
      async up(ctx, name: string) {
        log.push(`a up ${name}`);
        const echo = remote<Echo>('b', 'echo');
        ctx.kernel.post(echo, 'ping', 1);
        const v = await ctx.kernel.call(echo, 'double', 21);
        log.push(`a double ${v}`);
        ctx.kernel.post('poe://b/echo', 'stop');
        a.ikc.shutdown();
      },
    },
  });
  await runBoth(a, b);
  expect(log).toEqual(['a up b', 'b ping 1 from IKC', 'a double 42']);
});

test('a link that comes up again without going down (a repeated hello) is no news: monitors hear register once', async () => {
  const a = side('a');
  const b = side('b');
  const [ta, tb] = InProcessTransport.pair();
  // b's end, with its sink kept so the test can say "up" a second time.
  let bSink: TransportSink | undefined;
  const wrapped: Transport = {
    description: tb.description,
    start: (sink) => tb.start((bSink = sink)),
    send: (bytes) => tb.send(bytes),
    close: () => tb.close(),
  };
  a.ikc.connect(ta);
  b.ikc.connect(wrapped);
  const log: string[] = [];
  Session.create({
    kernel: b.kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('echo');
        b.ikc.publish('echo');
      },
      double: (_ctx, n: number) => n * 2,
      stop(ctx) {
        ctx.kernel.aliasRemove('echo');
        b.ikc.shutdown();
      },
    },
  });
  Session.create({
    kernel: a.kernel,
    inlineStates: {
      _start() {
        a.ikc.monitor('b', { register: 'register', unregister: 'unregister', reconnect: 'reconnect' });
      },
      async register(ctx, name: string) {
        log.push(`register ${name}`);
        bSink!.up();
        const v = await ctx.kernel.call(remote<Echo>('b', 'echo'), 'double', 21);
        log.push(`double ${v}`);
        ctx.kernel.post('poe://b/echo', 'stop');
        a.ikc.shutdown();
      },
      unregister: (_ctx, name: string) => void log.push(`unregister ${name}`),
      reconnect: (_ctx, name: string) => void log.push(`reconnect ${name}`),
    },
  });
  await runBoth(a, b);
  expect(log).toEqual(['register b', 'double 42']);
});
