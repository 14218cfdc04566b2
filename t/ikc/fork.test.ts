/**
 * IKC between a pre-forking parent and its child over the IPC channel `kernel.fork()` opens
 * (ForkTransport), with real processes: posts in order, a call, Buffers, Maps and Dates both
 * ways, the child's clean end seen as its link going down; and a child SIGKILLed in the middle
 * of a stream of 10,000 posts: every post is echoed back by the child (in order) or reported
 * to the parent as an error, and a call in flight fails rather than hangs.
 * The fixture is t/fixtures/ikc/fork/prefork.mjs (dist/ build).
 */
import { afterEach, beforeAll, expect, test } from 'vitest';
import { cleanup, ensureBuilt, exitOf, root, run } from '../kit/index.js';

beforeAll(() => ensureBuilt(`${root}/dist/index.js`), 120_000);
afterEach(cleanup);

const of = (lines: string[], role: string): string[] => lines.filter((l) => l.startsWith(`${role}: `)).map((l) => l.slice(role.length + 2));

test('a parent and its forked child post and call each other; the child ending takes the link down', async () => {
  const p = run('ikc/fork/prefork.mjs', ['basics']);
  const [code, signal] = await exitOf(p);
  expect({ code, signal, stderr: p.stderr }).toEqual({ code: 0, signal: null, stderr: [] });
  const parent = of(p.lines, 'parent');
  expect(parent[0]).toMatch(/^forked \d+$/);
  // The link going down and the child's exit status come in either order.
  expect([...parent.slice(1, 4), ...parent.slice(4, 6).sort(), ...parent.slice(6)]).toEqual([
    'register peer',
    'double 42',
    'echoed true 00ff 0',
    'reaped status 0',
    'unregister peer',
    'done',
  ]);
  expect(of(p.lines, 'child')).toEqual(['register peer', 'echo true 00ff true true', 'seq 1000 in order', 'bye', 'done']);
}, 30_000);

test('a child SIGKILLed mid-stream (stuck at post 3000): each of 10,000 posts echoed in order or reported, the pending call fails', async () => {
  const p = run('ikc/fork/prefork.mjs', ['kill']);
  const [code, signal] = await exitOf(p);
  expect({ code, signal, stderr: p.stderr }).toEqual({ code: 0, signal: null, stderr: [] });
  const parent = of(p.lines, 'parent');
  expect(parent[0]).toMatch(/^forked \d+$/);
  expect(parent[1]).toBe('register peer');
  // At once, not after bufferTimeout (30 s): the link down, the call failed, the child reaped (killed: status 9).
  expect(parent.slice(2, 5).sort()).toEqual(['hang ERR_POE_IKC_LOST', 'reaped status 9', 'unregister peer']);
  const [, echoed] = /^echoed (\d+) in order, past the kill and short of the hang: true$/.exec(parent[5] ?? '') ?? [];
  expect(Number(echoed)).toBeGreaterThan(1000);
  // Every post the child did not echo is reported as lost; some echoed ones may be too (unconfirmed when it died).
  const [, lost] = /^reported \{"ERR_POE_IKC_LOST":(\d+)\}$/.exec(parent[6] ?? '') ?? [];
  expect(Number(lost) + Number(echoed)).toBeGreaterThanOrEqual(10_000);
  expect(parent.slice(7)).toEqual(['every post echoed or reported: true', 'done']);
  expect(of(p.lines, 'child')).toEqual(['register peer']);
}, 30_000);
