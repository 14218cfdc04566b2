// The DNS cases of the coro suite (run.mjs skips this file: it is a helper). bench/coro.mjs
// lists them with its own cases and hands them here.
//
//   dns.sweep       861 A lookups (every 4th NXDOMAIN) through poe-ts's Resolver, 10 in flight,
//                   against the loopback responder answering after 10 ms
//   dns.sweep_fast  the same with no delay: what each client costs per lookup
//
// The baseline is AnyEvent::DNS at the same settings (bench/anchors/dns/ae_dns.pl: one
// condvar, begin/end per lookup, max_outstanding 10), and for dns.sweep_fast also
// POE::Component::Client::DNS (poe_dns.pl: every lookup posted at once from one session).
// AnyEvent::DNS asks port 53 only, so the responder binds 127.0.53.53:53 (root needed); when
// that fails or Perl's AnyEvent is missing, the baseline is a bare node:dns Resolver limited to
// 10 in flight (node_dns.mjs) and `baselineFallback` says why. Every run is a fresh child;
// sides alternate (ABBA...); medians are reported.
//
//   node bench/coro.mjs --worker dns N SERVER     the poe-ts side (prints one JSON line)
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout } from 'node:timers';
import { alternate, anchorPath, caseRecord, emit, emitCase, median, note, now, perlHas, ratio, runJsonChild, scaled, secondsSince } from './_lib.mjs';

/** AnyEvent::DNS's default max_outstanding, and the Resolver's. */
const IN_FLIGHT = 10;

export const DNS_CASES = [
  { name: 'dns.sweep', base: 861, delayMs: 10, unit: 'lookups/s' },
  { name: 'dns.sweep_fast', base: 861, delayMs: 0, unit: 'lookups/s', poe: true },
];

// ------------------------------------------------------------------------------------------
// the poe-ts side (child)

/** POE's way, as poe_dns.pl: one session asks for every name at once; the Resolver keeps 10 in flight. */
export async function dnsWorker(n, server) {
  const { Kernel, Resolver, Session } = await import('../dist/index.js');
  const { benchNames } = await import('./anchors/dns/names.mjs');
  const kernel = new Kernel();
  const resolver = Resolver.spawn({ kernel, nameservers: [server], timeout: 2, tries: 2, maxOutstanding: IN_FLIGHT });
  const names = benchNames(n);
  let got = 0;
  let resolved = 0;
  let t0;
  let sec;
  Session.create({
    kernel,
    inlineStates: {
      _start: () => {
        t0 = now();
        for (const host of names) resolver.resolve({ event: 'answer', host, type: 'A', context: {} });
      },
      answer: (_ctx, r) => {
        got++;
        if (r.response !== undefined && r.response.length > 0) resolved++;
        if (got === names.length) {
          sec = secondsSince(t0);
          resolver.shutdown();
        }
      },
    },
  });
  await kernel.run();
  emit({ n, resolved, sec, perSecond: Math.round(n / sec) });
}

// ------------------------------------------------------------------------------------------
// orchestrator side

/** Starts the responder child on `host:port`; resolves with its address and `stop`, or null if it cannot bind. */
function startResponder(host, port, delayMs) {
  const script = anchorPath('dns/delay_dns_server.mjs');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { env: { ...process.env, HOST: host, PORT: String(port), DELAY_MS: String(delayMs) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let settled = false;
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err = (err + d).slice(-2000);
    });
    const stop = () =>
      new Promise((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        child.once('close', () => res());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (settled) return;
      try {
        const a = JSON.parse(line);
        settled = true;
        resolve({ host: a.host, port: a.port, stop });
      } catch {
        // not the address line
      }
    });
    child.on('close', () => {
      if (settled) return;
      settled = true;
      note(`dns: responder on ${host}:${port} did not start: ${err.trim().split('\n').slice(-1)[0] ?? ''}`);
      resolve(null);
    });
    child.on('error', () => undefined);
  });
}

export async function measureDns(c, self) {
  const n = scaled(c.base);
  const errors = [];
  let fallback;
  let responder = null;
  const perl = perlHas(['AnyEvent', 'AnyEvent::DNS']);
  if (!perl) fallback = 'perl with AnyEvent::DNS is missing';
  else {
    responder = await startResponder('127.0.53.53', 53, c.delayMs);
    if (responder === null) fallback = 'cannot bind 127.0.53.53:53 (AnyEvent::DNS asks port 53 only; needs root)';
  }
  responder ??= await startResponder('127.0.0.1', 0, c.delayMs);
  if (responder === null) {
    emit({ case: c.name, perSecond: null, baselinePerSecond: null, ratio: null, unit: c.unit, n, errors: ['the responder did not start'] });
    return false;
  }
  const server = `${responder.host}:${responder.port}`;
  const env = { ...process.env, DNS_SERVER: fallback === undefined ? responder.host : server };
  const withPoe = c.poe && fallback === undefined && perlHas(['POE', 'POE::Component::Client::DNS']);
  const runs = { poe: [], base: [], poco: [] };
  /** One run of an anchor (Perl's, or node_dns.mjs with no `interpreter`), its `per_sec` as `perSecond`. */
  const anchor = async (script, args, interpreter) => {
    const r = await runJsonChild(anchorPath(script), args, { interpreter, env });
    return r.error === undefined ? { n: r.n, resolved: r.resolved, sec: r.sec, perSecond: r.per_sec } : r;
  };
  const one = async (side) => {
    let r;
    if (side === 'poe') r = await runJsonChild(self, ['--worker', 'dns', String(n), server]);
    else if (side === 'poco') r = await anchor('dns/poe_dns.pl', [String(n)], 'perl');
    else if (fallback === undefined) r = await anchor('dns/ae_dns.pl', [String(n), String(IN_FLIGHT)], 'perl');
    else r = await anchor('dns/node_dns.mjs', [String(n), `limit=${IN_FLIGHT}`]);
    if (r.error !== undefined) errors.push(`${side}: ${r.error}`);
    else runs[side].push(r);
  };
  try {
    await alternate([() => one('poe'), () => one('base'), ...(withPoe ? [() => one('poco')] : [])]);
  } finally {
    await responder.stop();
  }
  const perSecond = median(runs.poe.map((r) => r.perSecond));
  const baselinePerSecond = median(runs.base.map((r) => r.perSecond));
  // POE::Component::Client::DNS sends every query at once and may lose replies under load
  // (what maxOutstanding is for): its count is reported, not checked.
  const resolved = new Set([...runs.poe, ...runs.base].map((r) => r.resolved));
  if (resolved.size > 1) errors.push(`the sides resolved different counts: ${[...resolved].join(' vs ')}`);
  const record = caseRecord(c, n, perSecond, baselinePerSecond, {
    delayMs: c.delayMs,
    inFlight: IN_FLIGHT,
    resolved: [...resolved][0] ?? null,
    runs: runs.poe.map((r) => r.perSecond),
    baselineRuns: runs.base.map((r) => r.perSecond),
    baseline: fallback === undefined ? 'AnyEvent::DNS, max_outstanding 10 (bench/anchors/dns/ae_dns.pl)' : 'node:dns Resolver, 10 in flight (bench/anchors/dns/node_dns.mjs)',
  });
  if (fallback !== undefined) record.baselineFallback = fallback;
  if (c.poe) {
    const poco = median(runs.poco.map((r) => r.perSecond));
    record.poeClientDnsPerSecond = poco;
    record.vsPoe = ratio(perSecond, poco);
    record.poeClientDnsResolved = runs.poco.map((r) => r.resolved);
    if (!withPoe) record.poeClientDnsMissing = fallback ?? 'perl with POE::Component::Client::DNS is missing';
  }
  return emitCase(record, errors);
}

