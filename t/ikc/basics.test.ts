import { expect, test } from 'vitest';
import { Session } from '../../src/session/session.js';
import { remote } from '../../src/ikc/address.js';
import { pair, runBoth } from './kit.js';

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
