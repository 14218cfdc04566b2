/**
 * Smoke test of the benchmark harness: `node bench/run.mjs kernel` (and `io`) at a tiny scale
 * prints one JSON line per case with the right shape. It asserts shape only, never speed.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, root } from '../kit/index.js';

const KERNEL_CASES = ['kernel.yield', 'kernel.post', 'kernel.delay_burst', 'kernel.delay_chain', 'kernel.idle_session_heap'];
const IO_CASES = ['io.line_echo', 'io.line_filter', 'io.line_echo_rss'];

describe('bench harness', () => {
  beforeAll(() => ensureBuilt('dist/index.js'), 120_000);

  it('prints one JSON line per kernel case', () => {
    const r = spawnSync(process.execPath, [join(root, 'bench', 'run.mjs'), 'kernel'], {
      cwd: root,
      env: { ...process.env, BENCH_N_SCALE: '0.001', BENCH_RUNS: '3' },
      encoding: 'utf8',
      timeout: 110_000,
    });
    expect(r.error, r.stderr).toBeUndefined();
    expect(r.status, r.stderr).toBe(0);

    const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((x) => x.case)).toEqual(KERNEL_CASES);

    // The yardstick is in the repository (bench/anchors/), so every timed case has a baseline.
    for (const rec of records) {
      expect(rec, String(rec.case)).toMatchObject({ perSecond: expect.any(Number), n: expect.any(Number), unit: expect.any(String) });
      expect(rec.perSecond as number).toBeGreaterThan(0);
      expect(rec).not.toHaveProperty('errors');
      expect(rec.runs).toHaveLength(3);
      if (rec.case === 'kernel.idle_session_heap') {
        expect(rec.baselinePerSecond).toBeNull();
        expect(rec.ratio).toBeNull();
      } else {
        expect(rec.baselinePerSecond).toEqual(expect.any(Number));
        expect(rec.ratio).toEqual(expect.any(Number));
        expect(rec.baselineRuns).toHaveLength(3);
      }
    }
    const heap = records.find((x) => x.case === 'kernel.idle_session_heap')!;
    expect(heap.bytesPerSession).toEqual(expect.any(Number));
  }, 120_000);

  it('prints one JSON line per io case', () => {
    const r = spawnSync(process.execPath, [join(root, 'bench', 'run.mjs'), 'io'], {
      cwd: root,
      env: { ...process.env, BENCH_N_SCALE: '0.001', BENCH_RUNS: '1' },
      encoding: 'utf8',
      timeout: 110_000,
    });
    expect(r.error, r.stderr).toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    const records = r.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((x) => x.case)).toEqual(IO_CASES);
    for (const rec of records) {
      expect(rec, String(rec.case)).toMatchObject({
        perSecond: expect.any(Number),
        baselinePerSecond: expect.any(Number),
        ratio: expect.any(Number),
        n: expect.any(Number),
        unit: expect.any(String),
      });
      expect(rec).not.toHaveProperty('errors');
      expect(rec.runs).toHaveLength(1);
      expect(rec.baselineRuns).toHaveLength(1);
    }
    const rss = records.find((x) => x.case === 'io.line_echo_rss')!;
    expect(rss.rssGrowthMB).toEqual(expect.any(Number));
  }, 120_000);

  it('rejects an unknown suite', () => {
    const r = spawnSync(process.execPath, [join(root, 'bench', 'run.mjs'), 'no-such-suite'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/unknown suite "no-such-suite"; suites: .*kernel/);
  });
});
