import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { start } from '../../samples/tick-tock.js';
import { builtSample, cleanup, ensureBuilt, exitOf, expectNoLeaks, makeKernel, run } from '../kit/index.js';

const built = builtSample('tick-tock');

beforeAll(() => ensureBuilt(built), 120_000);
afterEach(cleanup);

describe('samples/tick-tock', () => {
  test('plays every volley, then both players leave and run() settles', async () => {
    const { kernel } = makeKernel();
    const out: string[] = [];
    await start({ rounds: 4, interval: 0.5, kernel, out: (l) => out.push(l) }).done;
    expect(out).toEqual(['tock 1', 'tick 2', 'tock 3', 'tick 4', 'tock leaves', 'tick leaves']);
    expectNoLeaks(kernel);
  });

  test('runs as a program: node build/samples/tick-tock.js', async () => {
    const p = run(built, [], { env: { ROUNDS: '3', INTERVAL: '0.01' } });
    const [code] = await exitOf(p, 15_000);
    const { lines } = p;
    expect(lines).toEqual(['tock 1', 'tick 2', 'tock 3', 'tick leaves', 'tock leaves', 'game over']);
    expect(code).toBe(0);
  });

  test('SIGINT stops every session and the program exits 0', async () => {
    const p = run(built, [], { env: { ROUNDS: '1000', INTERVAL: '0.01' } });
    await p.line(/^tick 2$/);
    p.child.kill('SIGINT');
    const [code] = await exitOf(p, 15_000);
    const { lines } = p;
    expect(code).toBe(0);
    const tail = lines.slice(lines.indexOf('tick 2') + 1).filter((l) => !/^(tick|tock) \d+$/.test(l));
    expect(tail.sort()).toEqual(['game over', 'tick got SIGINT', 'tick leaves', 'tock got SIGINT', 'tock leaves'].sort());
    expect(lines.at(-1)).toBe('game over');
  });
});
