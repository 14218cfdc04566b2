/**
 * Issue 14, acceptance 2, over TCP: a peer process killed with SIGKILL during a stream of
 * 10,000 posts, then started again on its port. Every post is either handled by the peer (in
 * order, once) or reported to its sender, and the two counts add up to 10,000. The peer is
 * t/fixtures/ikc/tcp/receiver.mjs (the dist/ build) in a real child process; the sender is
 * this process's kernel.
 */
import { afterEach, beforeAll, expect, test } from 'vitest';
import { Kernel, Responder, Session, TcpTransport } from '../../src/index.js';
import { cleanup, ensureBuilt, exitOf, root, run, runBounded, expectNoLeaks, until } from '../kit/index.js';

const TOTAL = 10_000;
const HALF = TOTAL / 2;
const SECRET = 'fault test';

beforeAll(() => ensureBuilt(`${root}/dist/index.js`), 120_000);
afterEach(cleanup);

const handled = (lines: string[]): number[] => lines.filter((l) => l.startsWith('n ')).map((l) => Number(l.slice(2)));

test('SIGKILL to the peer during 10,000 posts: each post is handled once, in order, or reported to its sender', async () => {
  const r1 = run('ikc/tcp/receiver.mjs', [], { env: { SECRET } });
  const port = Number((await r1.line(/^listening (\d+)$/))[1]);
  const warnings: string[] = [];
  const kernel = new Kernel({ name: 'a', log: (line) => warnings.push(line) });
  const ikc = Responder.spawn({ kernel });
  const reported: string[] = [];
  const monitor: string[] = [];
  let next = 0;
  let finished: (() => void) | undefined;
  const streamed = new Promise<void>((resolve) => (finished = resolve));
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('src');
        ikc.monitor('r', { register: 'register', unregister: 'unregister', reconnect: 'reconnect' });
      },
      register(ctx) {
        monitor.push('register');
        if (next === 0) ctx.kernel.yield('more');
      },
      unregister(ctx) {
        monitor.push('unregister');
        if (next === HALF) ctx.kernel.yield('more');
      },
      reconnect: () => void monitor.push('reconnect'),
      // 100 posts a slice, a slice every 2 ms; past the first half only once the peer is gone,
      // so the kill always falls inside the stream.
      more(ctx) {
        const end = Math.min(next + 100, TOTAL);
        while (next < end) ctx.kernel.post('poe://r/sink', 'n', next++);
        if (next === TOTAL) finished!();
        else if (next !== HALF || monitor.includes('unregister')) ctx.kernel.delay('more', 0.002);
      },
      ikc_error: (_ctx, code: string) => void reported.push(code),
      end(ctx) {
        ctx.kernel.post('poe://r/sink', 'done');
        ctx.kernel.aliasRemove('src');
        ikc.shutdown();
      },
    },
  });
  ikc.connect(new TcpTransport({ port, secret: SECRET, kernel, reconnectMax: 0.2 }));
  const ran = runBounded(kernel, 60_000);

  await r1.until(() => handled(r1.lines).length >= 1000, 30_000, 'the first receiver to handle 1000 posts');
  r1.child.kill('SIGKILL');
  expect(await exitOf(r1)).toEqual([null, 'SIGKILL']);
  const r2 = run('ikc/tcp/receiver.mjs', [], { env: { SECRET, PORT: String(port) } });
  await r2.line(/^listening \d+$/);
  await streamed;
  await until(() => monitor.includes('reconnect'), 30_000, () => `the sender to reconnect: ${monitor.join(', ')}`);
  kernel.post('src', 'end');
  await ran;
  expect(await exitOf(r2)).toEqual([0, null]);
  expectNoLeaks(kernel);

  const first = handled(r1.lines);
  const second = handled(r2.lines);
  const inOrder = (xs: number[]): boolean => xs.every((x, i) => i === 0 || x === xs[i - 1]! + 1);
  // The first peer took a prefix of the stream, the new one the rest after a gap, each in
  // order; the gap is exactly what was reported.
  const summary = {
    firstFromZero: first[0] === 0,
    firstInOrder: inOrder(first),
    secondInOrder: inOrder(second),
    secondToEnd: second[second.length - 1] === TOTAL - 1,
    gap: (second[0] ?? TOTAL) - first.length,
    reported: reported.length,
    sum: first.length + second.length + reported.length,
    codes: [...new Set(reported)],
    monitor,
    r2done: r2.lines.includes('done'),
    warnings,
  };
  expect(first.length).toBeLessThan(TOTAL);
  expect(summary).toEqual({
    firstFromZero: true,
    firstInOrder: true,
    secondInOrder: true,
    secondToEnd: true,
    gap: reported.length,
    reported: reported.length,
    sum: TOTAL,
    codes: reported.length > 0 ? ['ERR_POE_IKC_LOST'] : [],
    monitor: ['register', 'unregister', 'reconnect'],
    r2done: true,
    warnings: [],
  });
}, 90_000);
