import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { Kernel, ManualClock } from '../../src/index.js';
import { start } from '../../samples/tick-tock.js';
import { expectNoLeaks } from '../kit/index.js';

const built = fileURLToPath(new URL('../../build/samples/tick-tock.js', import.meta.url));

/** Runs the built sample; resolves with its stdout lines and exit code. `onLine` may act on output. */
function runSample(env: Record<string, string>, onLine?: (line: string, child: ReturnType<typeof spawn>) => void) {
  return new Promise<{ lines: string[]; code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const child = spawn(process.execPath, [built], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buffered = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sample did not finish; output so far: ${lines.join(' | ')}`));
    }, 15_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        onLine?.(line, child);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ lines, code, signal });
    });
  });
}

describe('samples/tick-tock', () => {
  test('plays every volley, then both players leave and run() settles', async () => {
    const kernel = new Kernel({ clock: new ManualClock({ autoAdvance: true }) });
    const out: string[] = [];
    await start({ rounds: 4, interval: 0.5, kernel, out: (l) => out.push(l) }).done;
    expect(out).toEqual(['tock 1', 'tick 2', 'tock 3', 'tick 4', 'tock leaves', 'tick leaves']);
    expectNoLeaks(kernel);
  });

  test('runs as a program: node build/samples/tick-tock.js', async () => {
    const { lines, code } = await runSample({ ROUNDS: '3', INTERVAL: '0.01' });
    expect(lines).toEqual(['tock 1', 'tick 2', 'tock 3', 'tick leaves', 'tock leaves', 'game over']);
    expect(code).toBe(0);
  });

  test('SIGINT stops every session and the program exits 0', async () => {
    let sent = false;
    const { lines, code } = await runSample({ ROUNDS: '1000', INTERVAL: '0.01' }, (line, child) => {
      if (!sent && line === 'tick 2') {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(code).toBe(0);
    const tail = lines.slice(lines.indexOf('tick 2') + 1).filter((l) => !/^(tick|tock) \d+$/.test(l));
    expect(tail.sort()).toEqual(['game over', 'tick got SIGINT', 'tick leaves', 'tock got SIGINT', 'tock leaves'].sort());
    expect(lines.at(-1)).toBe('game over');
  });
});
