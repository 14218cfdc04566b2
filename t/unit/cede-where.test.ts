/**
 * ps() shows where each task waits (Coro::Debug's Where column) when the kernel records
 * callers: a task that ceded is shown at its `cede()`, as one waiting on a primitive is shown
 * at its `down()` or `get()`, and the running one at the line that called `ps()`.
 */
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { cede, task } from '../../src/index.js';
import { makeKernel } from '../kit/index.js';

/** This file's line that calls `here()`, from the same stack formatting the kernel reads. */
const here = (): number => Number(/:(\d+):\d+\)?$/.exec(new Error().stack!.split('\n')[2]!)![1]);

test('a task that ceded is shown in ps() at the line of its cede()', async () => {
  const { kernel, run } = makeKernel({ callerInfo: true });
  const file = fileURLToPath(import.meta.url);
  let line = 0;
  let rows: { id: number; state: string; where: string | undefined }[] = [];
  task(async () => { line = here(); await cede(); }, { kernel, desc: 'cedes' });
  let psLine = 0;
  task(() => { psLine = here(); rows = kernel.ps().map(({ id, state, where }) => ({ id, state, where })); }, { kernel, desc: 'looks' });
  await run();
  expect(line).toBeGreaterThan(0);
  expect(rows).toEqual([
    { id: 1, state: 'ready', where: `${file}:${line}` },
    { id: 2, state: 'running', where: `${file}:${psLine}` },
  ]);
});
