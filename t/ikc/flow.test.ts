/**
 * Flow control of an IKC link: a producer far faster than its peer streams any number of posts
 * without meeting the buffer bound, by pausing while `congested(kernel)` and going on at the
 * monitor's `drain` event; and the peer acknowledges posts only once they were dispatched, so
 * the window follows the receiving kernel, not the transport.
 */
import { expect, test } from 'vitest';
import { Session } from '../../src/index.js';
import { pair, runBoth } from './kit.js';

test('200,000 posts through a 1,000-frame buffer: paced by congested/drain, all arrive in order, none refused', async () => {
  const N = 200_000;
  const { a, b } = pair({ bufferLimit: 1000 });
  const log: string[] = [];
  let got = 0;
  let inOrder = true;
  Session.create({
    kernel: b.kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('sink');
        b.ikc.publish('sink');
      },
      take(ctx, i: number) {
        if (i !== got) inOrder = false;
        got = i + 1;
        if (got === N) {
          ctx.kernel.aliasRemove('sink');
          b.ikc.shutdown();
        }
      },
    },
  });
  let drains = 0;
  let maxWaiting = 0;
  Session.create({
    kernel: a.kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('source');
        a.ikc.monitor('b', { register: 'go', drain: 'drain', unregister: 'gone' });
      },
      go(ctx) {
        ctx.kernel.yield('more', 0);
      },
      more(ctx, from: number) {
        let i = from;
        // Past half the bound the link says so; the producer stops and waits for `drain`.
        while (i < N && !a.ikc.congested('b')) {
          if (ctx.kernel.post('poe://b/sink', 'take', i) !== 1) log.push(`post ${i} refused`);
          i++;
        }
        maxWaiting = Math.max(maxWaiting, a.ikc.waiting('b'));
        if (i < N) ctx.heap.paused = i;
      },
      drain(ctx, name: string) {
        drains++;
        if (drains === 1) log.push(`drain ${name} waiting ${a.ikc.waiting('b') <= 250}`);
        const from = ctx.heap.paused as number | undefined;
        ctx.heap.paused = undefined;
        if (from !== undefined) ctx.kernel.yield('more', from);
      },
      gone(ctx) {
        log.push(`unregister; b got ${got} in order ${inOrder}`);
        ctx.kernel.aliasRemove('source');
        a.ikc.shutdown();
      },
      ikc_error: (_ctx, code: string) => void log.push(`ikc_error ${code}`),
    },
  });
  await runBoth(a, b, 60_000);
  expect(log).toEqual(['drain b waiting true', `unregister; b got ${N} in order true`]);
  // Paused at half the bound: never near it, and many times over.
  expect(maxWaiting).toBe(500);
  expect(drains).toBeGreaterThan(N / 1000);
  expect({ a: a.warnings, b: b.warnings }).toEqual({ a: [], b: [] });
}, 90_000);
