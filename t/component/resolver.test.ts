/**
 * Resolver (POE::Component::Client::DNS on node:dns's Resolver): the response events in
 * order with POE's response fields, every record type, NXDOMAIN, bad requests answered with an
 * error, a server that never answers, a lost reply, an unreachable server, the limit on queries
 * in flight, cancel, shutdown, and the requesting session held while it waits. The server is
 * the loopback responder of bench/anchors/dns, started in-process on 127.0.0.1 port 0.
 */
import * as dgram from 'node:dgram';
import { afterEach, describe, expect, test } from 'vitest';
import { startResponder, type Responder, type ResponderOptions } from '../../bench/anchors/dns/delay_dns_server.mjs';
import { PoeArgumentError, PoeError, Resolver, Session, type Context, type ResolverOptions, type ResolverResponse, type Untyped } from '../../src/index.js';
import { realKernel, until, type RealKernel } from '../kit/index.js';

const RECORDS = {
  'host.test': {
    A: ['192.0.2.1', '192.0.2.2'],
    AAAA: ['2001:db8::1'],
    MX: [{ priority: 10, exchange: 'mail.host.test' }],
    TXT: [['v=spf1', '-all'], ['hello']],
    SRV: [{ priority: 1, weight: 5, port: 5060, name: 'sip.host.test' }],
    NS: ['ns1.host.test'],
  },
  'alias.test': { CNAME: ['host.test'] },
  '1.2.0.192.in-addr.arpa': { PTR: ['host.test'] },
  '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa': { PTR: ['six.host.test'] },
};

const responders: Responder[] = [];
afterEach(async () => {
  await Promise.all(responders.splice(0).map((r) => r.close()));
});

async function responder(options: ResponderOptions = {}): Promise<Responder> {
  const r = await startResponder({ delayMs: 0, records: RECORDS, log: true, ...options });
  responders.push(r);
  return r;
}

/** A UDP port with nothing bound to it: queries there get ICMP port unreachable. */
async function closedPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** One line per response: `context type host -> answers` or `context type host ! error`. */
function line(r: ResolverResponse): string {
  return `${String(r.context)} ${r.type} ${r.host} ${r.error === undefined ? `-> ${JSON.stringify(r.response)}` : `! ${r.error}`}`;
}

type Ctx = Context<Untyped, Record<string, unknown>>;

function spawn(k: RealKernel, server: Responder | number, options: Omit<ResolverOptions, 'kernel'> = {}): Resolver {
  const port = typeof server === 'number' ? server : server.port;
  return Resolver.spawn({ kernel: k.kernel, nameservers: [`127.0.0.1:${port}`], timeout: 0.5, tries: 2, ...options });
}

describe('Resolver: answers', () => {
  test('every record type, one request after another: the response events in order, then the session and the resolver end', async () => {
    const k = realKernel();
    const server = await responder();
    const resolver = spawn(k, server);
    const asks: [string, string][] = [
      ['host.test', 'A'],
      ['host.test', 'AAAA'],
      ['host.test', 'MX'],
      ['host.test', 'TXT'],
      ['host.test', 'SRV'],
      ['host.test', 'NS'],
      ['alias.test', 'CNAME'],
      ['192.0.2.1', 'PTR'],
      ['2001:db8::1', 'PTR'],
      ['nxhost.test', 'A'],
      ['host.test', 'CNAME'],
      ['elsewhere.example', 'A'],
    ];
    Session.create({
      kernel: k.kernel,
      inlineStates: {
        _start: (ctx: Ctx) => {
          ctx.kernel.yield('next', 0);
        },
        next: (_ctx: Ctx, i: number) => {
          const [host, type] = asks[i]!;
          expect(resolver.resolve({ event: 'answer', host, type: type as 'A', context: i })).toBeUndefined();
        },
        answer: (ctx: Ctx, r: ResolverResponse) => {
          k.say(line(r), r.class === 'IN' && ctx.sender === k.kernel.aliasResolve('resolver') ? '' : ' (bad class or sender)');
          const i = r.context as number;
          if (i + 1 < asks.length) ctx.kernel.yield('next', i + 1);
          else resolver.shutdown();
        },
        _stop: () => k.say('_stop'),
      },
    });
    await k.run();
    expect(k.log).toEqual([
      '0 A host.test -> ["192.0.2.1","192.0.2.2"]',
      '1 AAAA host.test -> ["2001:db8::1"]',
      '2 MX host.test -> [{"exchange":"mail.host.test","priority":10}]',
      '3 TXT host.test -> [["v=spf1","-all"],["hello"]]',
      '4 SRV host.test -> [{"name":"sip.host.test","port":5060,"priority":1,"weight":5}]',
      '5 NS host.test -> ["ns1.host.test"]',
      '6 CNAME alias.test -> ["host.test"]',
      '7 PTR 192.0.2.1 -> ["host.test"]',
      '8 PTR 2001:db8::1 -> ["six.host.test"]',
      '9 A nxhost.test ! ENOTFOUND',
      '10 CNAME host.test ! ENODATA',
      '11 A elsewhere.example ! ENOTFOUND',
      '_stop',
    ]);
    expect(server.stats.queries.map((q) => `${q.type} ${q.name}`)).toEqual([
      'A host.test',
      'AAAA host.test',
      'MX host.test',
      'TXT host.test',
      'SRV host.test',
      'NS host.test',
      'CNAME alias.test',
      'PTR 1.2.0.192.in-addr.arpa',
      `PTR ${RECORDS_V6_PTR}`,
      'A nxhost.test',
      'CNAME host.test',
      'A elsewhere.example',
    ]);
  });

  test('the promise form resolves with the same response, and never rejects', async () => {
    const k = realKernel();
    const server = await responder();
    const resolver = spawn(k, server);
    const got = await Promise.all([
      resolver.resolve({ host: 'host.test', type: 'MX', context: 'a' }),
      resolver.resolve({ host: 'nx.test', context: 'b' }),
      resolver.resolve({ host: '', context: 'c' }),
    ]);
    expect(got.map(line)).toEqual(['a MX host.test -> [{"exchange":"mail.host.test","priority":10}]', 'b A nx.test ! ENOTFOUND', 'c A  ! EBADNAME']);
    expect(got.map((r) => r.id)).toEqual([1, 2, 3]);
    resolver.shutdown();
    await k.run();
  });

  test('a request posted to the alias as POE\'s `resolve` event is answered to its sender', async () => {
    const k = realKernel();
    const server = await responder();
    const resolver = spawn(k, server, { alias: 'named' });
    Session.create({
      kernel: k.kernel,
      inlineStates: {
        _start: (ctx: Ctx) => {
          ctx.kernel.post('named', 'resolve', { event: 'answer', host: 'host.test', type: 'AAAA', context: 'posted' });
        },
        answer: (ctx: Ctx, r: ResolverResponse) => {
          k.say(line(r), ` from S${(ctx.sender as Session).ID}`);
          resolver.shutdown();
        },
      },
    });
    await k.run();
    expect(k.log).toEqual([`posted AAAA host.test -> ["2001:db8::1"] from S${resolver.ID}`]);
  });
});

describe('Resolver: bad requests are error responses, never exceptions', () => {
  test('empty host, a host over 253 bytes, a label over 63, an unknown type or class: errors in order, nothing sent', async () => {
    const k = realKernel();
    const server = await responder();
    const resolver = spawn(k, server);
    const long = `${'a'.repeat(50)}.`.repeat(5) + 'abc.test'; // 263 bytes
    Session.create({
      kernel: k.kernel,
      inlineStates: {
        _start: () => {
          resolver.resolve({ event: 'answer', host: '', context: 1 });
          resolver.resolve({ event: 'answer', host: long, context: 2 });
          resolver.resolve({ event: 'answer', host: `${'b'.repeat(64)}.test`, context: 3 });
          resolver.resolve({ event: 'answer', host: 'a..test', context: 4 });
          resolver.resolve({ event: 'answer', host: 'host.test', type: 'BOGUS' as 'A', context: 5 });
          resolver.resolve({ event: 'answer', host: 'host.test', class: 'CH', context: 6 });
          resolver.resolve({ event: 'answer', host: 42 as unknown as string, context: 7 });
          resolver.resolve({ event: 'answer', host: 'host.test', type: 'mx' as 'MX', context: 8 });
        },
        answer: (ctx: Ctx, r: ResolverResponse) => {
          // From the component's session, as every response (POE's SENDER).
          k.say(`${String(r.context)} ${r.error ?? JSON.stringify(r.response)}${(ctx.sender as Session).ID === resolver.ID ? '' : ' (wrong sender)'}`);
          if (r.context === 8) resolver.shutdown();
        },
      },
    });
    await k.run();
    expect(k.log).toEqual(['1 EBADNAME', '2 EBADNAME', '3 EBADNAME', '4 EBADNAME', '5 EBADQUERY', '6 EBADQUERY', '7 EBADNAME', '8 [{"exchange":"mail.host.test","priority":10}]']);
    expect(server.stats.queries).toEqual([{ name: 'host.test', type: 'MX' }]);
  });

  test('bad options are programmer errors: thrown at the call, with the option named', async () => {
    const k = realKernel();
    expect(() => Resolver.spawn({ kernel: k.kernel, Timeout: 5 } as ResolverOptions)).toThrow(expect.objectContaining({ code: 'ERR_POE_UNKNOWN_OPTION', message: expect.stringContaining('did you mean `timeout`') }));
    expect(() => Resolver.spawn({ kernel: k.kernel, maxOutstanding: 0 })).toThrow(PoeArgumentError);
    expect(() => Resolver.spawn({ kernel: k.kernel, tries: 1.5 })).toThrow(/`tries` to be an integer >= 1, got `1.5`/);
    expect(() => Resolver.spawn({ kernel: k.kernel, timeout: -1 })).toThrow(/`timeout` to be a number of seconds > 0/);
    expect(() => Resolver.spawn({ kernel: k.kernel, nameservers: ['not an address'] })).toThrow(expect.objectContaining({ code: 'ERR_POE_INVALID_ARGUMENT' }));
    const resolver = Resolver.spawn({ kernel: k.kernel, nameservers: ['127.0.0.1'] });
    expect(() => resolver.resolve({ host: 'a.test', timeot: 1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_POE_UNKNOWN_OPTION' }));
    // The event form needs a session to answer.
    expect(() => resolver.resolve({ event: 'x', host: 'a.test' })).toThrow(expect.objectContaining({ code: 'ERR_POE_KERNEL_NOT_IN_SESSION' }));
    expect(() => resolver.resolve({ event: 'x', host: 'a.test' })).toThrow(PoeError);
    resolver.shutdown();
    await k.run();
  });
});

describe('Resolver: faults', () => {
  test('a server that never answers: ETIMEOUT after `tries` queries; a lost reply is retried and answered', async () => {
    const k = realKernel();
    const server = await responder();
    const resolver = spawn(k, server, { timeout: 0.05, tries: 2 });
    const got = await Promise.all([resolver.resolve({ host: 'drop.test', context: 'never' }), resolver.resolve({ host: 'lose1.test', context: 'lost once' })]);
    expect(got.map(line)).toEqual(['never A drop.test ! ETIMEOUT', `lost once A lose1.test -> ${JSON.stringify(got[1].response)}`]);
    expect(got[1].response).toHaveLength(1);
    const count = (name: string): number => server.stats.queries.filter((q) => q.name === name).length;
    expect([count('drop.test'), count('lose1.test')]).toEqual([2, 2]);
    resolver.shutdown();
    await k.run();
  });

  test('an unreachable server: every pending request gets ECONNREFUSED, queued ones too', async () => {
    const k = realKernel();
    const resolver = spawn(k, await closedPort(), { maxOutstanding: 2 });
    Session.create({
      kernel: k.kernel,
      inlineStates: {
        _start: () => {
          for (let i = 0; i < 5; i++) resolver.resolve({ event: 'answer', host: `n${i}.test`, context: i });
        },
        answer: (_ctx: Ctx, r: ResolverResponse) => k.say(line(r)),
        _stop: () => resolver.shutdown(),
      },
    });
    await k.run();
    expect(k.log).toEqual([0, 1, 2, 3, 4].map((i) => `${i} A n${i}.test ! ECONNREFUSED`));
  });
});

describe('Resolver: maxOutstanding', () => {
  test.each([
    [4, 30],
    [10, 40],
  ])('at most %i queries in flight at the server for %i requests, answered in FIFO order', async (max, n) => {
    const k = realKernel();
    const server = await responder({ delayMs: 20 });
    const resolver = spawn(k, server, { maxOutstanding: max });
    const got = await Promise.all(Array.from({ length: n }, (_, i) => resolver.resolve({ host: `n${i}.test`, context: i })));
    expect(got.every((r) => r.error === undefined && r.response!.length === 1)).toBe(true);
    expect(server.stats.maxInFlight).toBe(max);
    expect(server.stats.queries.map((q) => q.name)).toEqual(Array.from({ length: n }, (_, i) => `n${i}.test`));
    resolver.shutdown();
    await k.run();
  });

  test('the default is 10', async () => {
    const k = realKernel();
    const server = await responder({ delayMs: 20 });
    const resolver = Resolver.spawn({ kernel: k.kernel, nameservers: [`127.0.0.1:${server.port}`] });
    await Promise.all(Array.from({ length: 25 }, (_, i) => resolver.resolve({ host: `n${i}.test` })));
    expect(server.stats.maxInFlight).toBe(10);
    resolver.shutdown();
    await k.run();
  });
});

describe('Resolver: lifetimes, cancel and shutdown', () => {
  test('a session whose only business is a pending request lives until its response, then stops', async () => {
    const k = realKernel();
    const server = await responder({ delayMs: 50 });
    const resolver = spawn(k, server);
    Session.create({
      kernel: k.kernel,
      inlineStates: {
        _start: (ctx: Ctx) => {
          resolver.resolve({ event: 'answer', host: 'host.test', type: 'A', context: 'c' });
          k.say(`waiting, refs ${JSON.stringify(ctx.kernel.ps().find((s) => s.id === ctx.session.ID)?.extrefs)}`);
        },
        answer: (ctx: Ctx, r: ResolverResponse) => {
          k.say(line(r), `, refs ${JSON.stringify(ctx.kernel.ps().find((s) => s.id === ctx.session.ID)?.extrefs)}`);
        },
        _stop: () => {
          k.say('_stop');
          resolver.shutdown();
        },
      },
    });
    await k.run();
    expect(k.log).toEqual(['waiting, refs {"POE::Component::Client::DNS":1}', 'c A host.test -> ["192.0.2.1","192.0.2.2"], refs {}', '_stop']);
  });

  test('cancel by id (queued and in flight) and by session: no events for those, the rest answered, the session freed', async () => {
    const k = realKernel();
    const server = await responder({ delayMs: 30 });
    const resolver = spawn(k, server, { maxOutstanding: 2 });
    Session.create({
      kernel: k.kernel,
      inlineStates: {
        _start: (ctx: Ctx) => {
          const ids = [0, 1, 2, 3].map((i) => resolver.request({ event: 'answer', host: `n${i}.test`, context: i }));
          // n0 and n1 are on the wire, n2 and n3 wait.
          k.say(`cancel ${resolver.cancel(ids[0])} ${resolver.cancel(ids[2])} ${resolver.cancel(ids[2])}, pending ${resolver.pending}`);
          ctx.kernel.delay('later', 0.001);
        },
        later: () => {
          resolver.resolve({ event: 'answer', host: 'n4.test', context: 4 });
          k.say(`cancel all ${resolver.cancel()}, pending ${resolver.pending}`);
        },
        answer: (_ctx: Ctx, r: ResolverResponse) => k.say(line(r)),
        _stop: () => {
          k.say('_stop');
          resolver.shutdown();
        },
      },
    });
    await k.run();
    expect(k.log).toEqual(['cancel 1 1 0, pending 2', 'cancel all 3, pending 0', '_stop']);
    // n0 and n1 were on the wire; once neither was wanted the channel's queries were dropped,
    // which freed their slots at once, and the queued ones were never sent.
    expect(server.stats.queries.map((q) => q.name)).toEqual(['n0.test', 'n1.test']);
  });

  test('an aborted promise-form request resolves with ECANCELLED', async () => {
    const k = realKernel();
    const server = await responder({ delayMs: 30 });
    const resolver = spawn(k, server);
    const ac = new AbortController();
    const p = resolver.resolve({ host: 'host.test', context: 'x', signal: ac.signal });
    const q = resolver.resolve({ host: 'host.test', type: 'AAAA', context: 'y' });
    ac.abort();
    expect((await p).error).toBe('ECANCELLED');
    expect(line(await q)).toBe('y AAAA host.test -> ["2001:db8::1"]');
    const already = await resolver.resolve({ host: 'host.test', context: 'z', signal: AbortSignal.abort() });
    expect(line(already)).toBe('z A host.test ! ECANCELLED');
    resolver.shutdown();
    await k.run();
  });

  test('shutdown: pending requests are still answered, later ones get EDESTRUCTION, then the resolver ends', async () => {
    const k = realKernel();
    const server = await responder({ delayMs: 30 });
    const resolver = spawn(k, server, { maxOutstanding: 1 });
    Session.create({
      kernel: k.kernel,
      inlineStates: {
        _start: () => {
          resolver.resolve({ event: 'answer', host: 'host.test', type: 'AAAA', context: 1 });
          resolver.resolve({ event: 'answer', host: 'host.test', type: 'NS', context: 2 });
          resolver.shutdown();
          resolver.resolve({ event: 'answer', host: 'host.test', context: 3 });
          k.say(`alias ${JSON.stringify(k.kernel.aliasList(resolver.ID))}`);
        },
        answer: (_ctx: Ctx, r: ResolverResponse) => k.say(line(r)),
        _stop: () => k.say('_stop'),
      },
    });
    await k.run();
    expect(k.log).toEqual(['alias []', '3 A host.test ! EDESTRUCTION', '1 AAAA host.test -> ["2001:db8::1"]', '2 NS host.test -> ["ns1.host.test"]', '_stop']);
  });

  test('kernel.stop() with requests pending: promises resolve with ECANCELLED and nothing leaks', async () => {
    const k = realKernel();
    const server = await responder();
    const resolver = spawn(k, server, { timeout: 5 });
    const p = resolver.resolve({ host: 'drop.test', context: 'stopped' });
    const running = k.run();
    await until(() => server.stats.received > 0, 5000, 'the query at the server');
    k.kernel.stop();
    await running;
    expect(line(await p)).toBe('stopped A drop.test ! ECANCELLED');
  });
});

const RECORDS_V6_PTR = '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa';
