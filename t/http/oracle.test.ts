/**
 * The oracle (issue 4, acceptance 2): every corpus request, good or bad, and seeded random
 * mutations of the good ones, go both to the HTTPD filter and to Node's own http.Server
 * (llhttp, strict: http.createServer's defaults). The accept/reject verdicts must agree on
 * every case, and the filter must never yield more requests than llhttp parsed.
 *
 * When both refuse an input, the filter may have yielded fewer requests than Node emitted:
 * Node answers a missing Host or a bad Expect with an error status but keeps parsing the
 * requests after it; the filter stops at the first bad request.
 */
import { describe, expect, test } from 'vitest';
import { BAD_CASES, GOOD_CASES, STRICTER } from './corpus.js';
import type { Verdict } from './llhttp.js';
import { filterVerdict, mutate, nodeVerdict, prng } from './llhttp.js';

const MUTATIONS = 400;
const SEED = 0x90e;

const show = (b: Buffer) => JSON.stringify(b.toString('latin1'));

/** Agreement: same verdict; same request count when accepted, never more when refused. */
function agrees(filter: Verdict, node: Verdict): boolean {
  if (filter.rejected !== node.rejected) return false;
  return node.rejected ? filter.requests <= node.requests : filter.requests === node.requests;
}

describe('HTTPD against llhttp', () => {
  test(`the corpus has at least 60 requests (${GOOD_CASES.length} good, ${BAD_CASES.length} bad)`, () => {
    expect(GOOD_CASES.length + BAD_CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set([...GOOD_CASES, ...BAD_CASES].map((c) => c.name)).size).toBe(GOOD_CASES.length + BAD_CASES.length);
  });

  for (const c of GOOD_CASES) {
    test(`accepted by both: ${c.name}`, async () => {
      const input = Buffer.from(c.input, 'latin1');
      const node = await nodeVerdict(input);
      const filter = filterVerdict(input);
      expect(node.rejected, node.detail).toBe(false);
      expect(node.requests, node.detail).toBeGreaterThan(0);
      expect({ requests: filter.requests, rejected: filter.rejected }, `${filter.detail} / ${node.detail}`).toEqual({ requests: node.requests, rejected: false });
    });
  }

  for (const c of BAD_CASES) {
    test(`refused by both: ${c.name}`, async () => {
      const input = Buffer.from(c.input, 'latin1');
      const node = await nodeVerdict(input);
      const filter = filterVerdict(input);
      expect(node.rejected, node.detail).toBe(true);
      expect(filter.rejected, `${filter.detail} / ${node.detail}`).toBe(true);
      expect(filter.requests, `${filter.detail} / ${node.detail}`).toBeLessThanOrEqual(node.requests);
    });
  }

  test(`${MUTATIONS} seeded mutations of the good requests get the same verdicts`, async () => {
    const rnd = prng(SEED);
    const disagreements: string[] = [];
    const stricter: string[] = [];
    let refused = 0;
    for (let i = 0; i < MUTATIONS; i++) {
      const base = GOOD_CASES[i % GOOD_CASES.length]!;
      let input: Buffer = Buffer.from(base.input, 'latin1');
      const edits = 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) input = mutate(input, rnd);
      const node = await nodeVerdict(input);
      const filter = filterVerdict(input);
      if (node.rejected) refused++;
      if (agrees(filter, node)) continue;
      const line = `${base.name} #${i}: ${show(input)}\n    ${filter.detail}\n    ${node.detail}`;
      // Only the documented stricter cases may differ, and only towards refusing.
      if (!node.rejected && filter.rejected && STRICTER.some((s) => s.reason.test(filter.detail))) stricter.push(line);
      else disagreements.push(line);
    }
    expect(disagreements, disagreements.join('\n')).toEqual([]);
    // The mutations must reach the error paths, not only harmless edits.
    expect(refused).toBeGreaterThan(MUTATIONS / 4);
    expect(stricter.length, stricter.join('\n')).toBeLessThan(MUTATIONS / 50);
  }, 60_000);

  for (const c of STRICTER) {
    test(`stricter than Node 20 on purpose: ${c.name}`, async () => {
      const input = Buffer.from(c.input, 'latin1');
      const node = await nodeVerdict(input);
      const filter = filterVerdict(input);
      expect(node.rejected, `${node.detail}: ${c.why}`).toBe(false);
      expect(filter.rejected, filter.detail).toBe(true);
      expect(filter.detail).toMatch(c.reason);
      expect(filter.requests).toBe(0);
    });
  }
});
