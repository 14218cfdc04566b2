import { describe, expect, test } from 'vitest';
import { Kernel, Session, SocketFactory } from '../../src/index.js';
import { expectNoLeaks } from '../kit/index.js';

describe('a stopped session destroys the wheels it owns (POE drops its watchers)', () => {
  test('kernel.stop() closes a listening SocketFactory that was never destroyed', async () => {
    const kernel = new Kernel({ log: () => {} });
    let factory: SocketFactory | undefined;
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          factory = new SocketFactory({ bindAddress: '127.0.0.1', bindPort: 0, successEvent: 'accepted', failureEvent: 'failed' });
          ctx.kernel.yield('quit');
        },
        quit: (ctx) => ctx.kernel.stop(),
        accepted: () => 0,
        failed: () => 0,
      },
    });
    await kernel.run();
    expect(factory?.destroyed).toBe(true);
    expect(factory?.listener?.listening ?? false).toBe(false);
    expectNoLeaks(kernel);
  });
});
