/**
 * samples/tld-sweep (the column's AnyEvent::DNS example): the built program against the
 * loopback responder, its output compared line by line with what the Perl original
 * (bench/anchors/dns/tld_sweep.pl on AnyEvent::DNS) printed for the same list, the seconds
 * figure normalised; the lookups the responder saw; the list from a URL; and the start
 * function in-process with each domain's result.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startResponder, type Responder } from '../../bench/anchors/dns/delay_dns_server.mjs';
import { start } from '../../samples/tld-sweep.js';
import { builtSample, cleanup, ensureBuilt, exitOf, expectNoLeaks, fixture, realKernel, root, run } from '../kit/index.js';

const built = builtSample('tld-sweep');
const TLDS = join(root, 'samples', 'tlds.txt');
/** The TLDs the program looks up: the list without its comment and XN-- lines. */
const LOOKED_UP = ['ARPA', 'COM', 'EXAMPLE', 'INVALID', 'LOCALHOST', 'NET', 'ORG', 'TEST'];

const normalise = (lines: string[]): string[] => lines.map((l) => l.replace(/ in \d+(\.\d+)?(e-\d+)? seconds\.$/, ' in S seconds.'));
const recorded = normalise(readFileSync(fixture('dns/tld-sweep.expected'), 'utf8').split('\n').filter(Boolean));

let responder: Responder | undefined;
async function dnsServer(): Promise<Responder> {
  responder = await startResponder({ delayMs: 1, zones: ['test', 'example'], log: true });
  return responder;
}

beforeAll(() => ensureBuilt(built), 120_000);
afterEach(async () => {
  await responder?.close();
  responder = undefined;
  await cleanup();
});

describe('samples/tld-sweep', () => {
  test('prints what the Perl original prints, after one A query per TLD', async () => {
    const server = await dnsServer();
    const p = run(built, ['example', TLDS], { env: { DNS_SERVER: `127.0.0.1:${server.port}` } });
    const [code] = await exitOf(p, 15_000);
    expect(p.stderr).toEqual([]);
    expect(code).toBe(0);
    expect(recorded).toEqual(['7 domains looked up in S seconds.']);
    expect(normalise(p.lines)).toEqual(recorded);
    expect(p.lines[0]).toMatch(/^7 domains looked up in 0\.\d+ seconds\.$/);
    // c-ares sends names in lower case (AnyEvent::DNS as given): DNS names are case-blind.
    expect(server.stats.queries.map((q) => `${q.type} ${q.name.toLowerCase()}`).sort()).toEqual(LOOKED_UP.map((t) => `A example.${t.toLowerCase()}`).sort());
  });

  test('reads the list from a URL', async () => {
    const server = await dnsServer();
    const web = http.createServer((_req, res) => res.end(readFileSync(TLDS)));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = web.address() as { port: number };
      const p = run(built, ['example', `http://127.0.0.1:${port}/TLD/tlds-alpha-by-domain.txt`], { env: { DNS_SERVER: `127.0.0.1:${server.port}` } });
      const [code] = await exitOf(p, 15_000);
      expect(code).toBe(0);
      expect(normalise(p.lines)).toEqual(recorded);
      expect(server.stats.queries).toHaveLength(LOOKED_UP.length);
    } finally {
      web.close();
    }
  });

  test('start(): each domain resolved under the zones the server has, the rest did not resolve; nothing leaks', async () => {
    const server = await dnsServer();
    const { kernel } = realKernel();
    const out: string[] = [];
    const results = await start({ name: 'example', domainlist: readFileSync(TLDS, 'utf8'), server: `127.0.0.1:${server.port}`, kernel, out: (l) => out.push(l) }).done;
    expect(normalise(out)).toEqual(recorded);
    expect(Object.keys(results).sort()).toEqual(LOOKED_UP);
    const resolved = Object.entries(results).filter(([, v]) => v !== 'did not resolve');
    expect(resolved.map(([k]) => k).sort()).toEqual(['EXAMPLE', 'TEST']);
    for (const [, v] of resolved) expect(v).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expectNoLeaks(kernel);
  });
});
