/**
 * PoeEmitter: the EventEmitter face for code that is not a session. Events reaching its session
 * are emitted with their arguments; post/call/act send as its session, so a component answers
 * to it; postbacks and forwarded handlers reach listeners; it keeps the kernel running until
 * closed; an unheard `error` is a DIE, not silence; bad input has exact codes.
 */
import { once } from 'node:events';
import * as net from 'node:net';
import { describe, expect, test } from 'vitest';
import { startResponder } from '../../bench/anchors/dns/delay_dns_server.mjs';
import { PoeEmitter, Resolver, ServerTCP, Session, type Context, type ResolverResponse, type ServerTCPClientContext, type ServerTCPListenerContext, type Untyped } from '../../src/index.js';
import { codeOf, id, listenerPort, makeKernel, realKernel } from '../kit/index.js';

type Ctx = Context<Untyped, Record<string, unknown>>;

/** A session with alias 'echo': `ping(reply, ...args)` posts `reply` back to its sender with the args. */
function echoService(kernel: Parameters<typeof Session.create>[0]['kernel']): void {
  Session.create({
    ...(kernel !== undefined ? { kernel } : {}),
    inlineStates: {
      _start: (ctx: Ctx) => void ctx.kernel.aliasSet('echo'),
      ping: (ctx: Ctx, reply: string, ...args: unknown[]) => void ctx.kernel.post(ctx.sender as Session, reply, ...args),
      twice: (_ctx: Ctx, n: number) => n * 2,
      done: (ctx: Ctx) => void ctx.kernel.aliasRemove('echo'),
    },
  });
}

describe('PoeEmitter', () => {
  test('a post as its session is answered to it: the reply is emitted with its arguments and context, then close() lets the kernel end', async () => {
    const k = makeKernel();
    echoService(k.kernel);
    const face = new PoeEmitter<{ pong: [number, string] }>({ kernel: k.kernel });
    face.on('pong', (n, s) => {
      k.say(`pong ${n} ${s} from ${id(face.context?.sender)} in ${id(face.context?.session)}`);
      if (n < 3) face.post('echo', 'ping', 'pong', n + 1, s);
      else {
        face.post('echo', 'done');
        face.close();
      }
    });
    face.on('close', () => k.say('close'));
    expect(face.post('echo', 'ping', 'pong', 1, 'a')).toBe(1);
    expect(face.call('echo', 'twice', 21)).toBe(42);
    await k.run();
    expect(k.log).toEqual([`pong 1 a from S1 in S${face.id}`, `pong 2 a from S1 in S${face.id}`, `pong 3 a from S1 in S${face.id}`, 'close']);
    expect(face.open).toBe(false);
    expect(face.context).toBeUndefined();
    expect(codeOf(() => face.post('echo', 'ping', 'pong', 1))).toBe('ERR_POE_EMITTER_CLOSED');
    expect(codeOf(() => face.act(() => 1))).toBe('ERR_POE_EMITTER_CLOSED');
  });

  test('an open emitter keeps the kernel running; what arrives after close() is not emitted', async () => {
    const k = makeKernel();
    const face = new PoeEmitter<{ tick: [number] }>({ kernel: k.kernel, alias: 'face' });
    const seen: number[] = [];
    face.on('tick', (n) => seen.push(n));
    Session.create({
      kernel: k.kernel,
      inlineStates: {
        _start: (ctx: Ctx) => void ctx.kernel.delay('go', 1),
        go: (ctx: Ctx) => {
          ctx.kernel.post('face', 'tick', 1);
          ctx.kernel.delay('later', 1);
        },
        later: (ctx: Ctx) => {
          face.close();
          // The alias went with close(): the name no longer resolves.
          expect(ctx.kernel.post('face', 'tick', 2)).toBeUndefined();
          expect(ctx.kernel.post(face.id, 'tick', 3)).toBe(1);
        },
      },
    });
    await k.run();
    expect(seen).toEqual([1]);
  });

  test('act() runs code as its session: a component event-form request answers to the emitter (Resolver, from outside any handler)', async () => {
    const responder = await startResponder({ delayMs: 0, records: { 'host.test': { A: ['192.0.2.7'] } } });
    try {
      const k = realKernel();
      const resolver = Resolver.spawn({ kernel: k.kernel, nameservers: [`127.0.0.1:${responder.port}`], timeout: 0.5, tries: 1 });
      const face = new PoeEmitter<{ answer: [ResolverResponse<'A'>] }>({ kernel: k.kernel });
      const answered = once(face, 'answer') as Promise<[ResolverResponse<'A'>]>;
      face.act(() => resolver.resolve({ event: 'answer', host: 'host.test', context: 'ctx' }));
      const run = k.run();
      const [r] = await answered;
      expect([r.host, r.context, r.response, r.error]).toEqual(['host.test', 'ctx', ['192.0.2.7'], undefined]);
      face.close();
      resolver.shutdown();
      await run;
    } finally {
      await responder.close();
    }
  });

  test('postback(): calling it from plain Node code emits the event with [created] and [given]', async () => {
    const k = makeKernel();
    const face = new PoeEmitter<{ done: [unknown[], unknown[]] }>({ kernel: k.kernel });
    const pb = face.postback('done', 'job-1');
    face.on('done', (created, given) => {
      k.say(`done ${JSON.stringify(created)} ${JSON.stringify(given)}`);
      face.close();
    });
    setImmediate(() => {
      pb('result', 7);
      pb.release();
    });
    await k.run();
    expect(k.log).toEqual(['done ["job-1"] ["result",7]']);
  });

  test('forward(): ServerTCP handler options emit to listeners, which answer through the context', async () => {
    const k = realKernel();
    type In = [ctx: ServerTCPClientContext, line: string];
    const face = new PoeEmitter<{ input: In; listening: [ServerTCPListenerContext] }>({ kernel: k.kernel });
    // `started` runs in the listener's _start, inside create().
    const listening = once(face, 'listening') as Promise<[ServerTCPListenerContext]>;
    const listener = ServerTCP.create({
      kernel: k.kernel,
      address: '127.0.0.1',
      port: 0,
      clientInput: face.forward('input'),
      started: face.forward('listening'),
    });
    face.on('input', (ctx, line) => {
      k.say(`input ${line} in S${ctx.session.ID}`);
      ctx.heap.client?.put(`echo: ${line}`);
    });
    const run = k.run();
    const [ctx] = await listening;
    const socket = net.connect(listenerPort(ctx), '127.0.0.1');
    socket.setEncoding('utf8');
    socket.write('hello\r\n');
    const [reply] = (await once(socket, 'data')) as [string];
    socket.end();
    expect(reply).toBe('echo: hello\r\n');
    expect(k.log).toEqual([expect.stringMatching(/^input hello in S\d+$/)]);
    face.post(listener, 'shutdown');
    face.close();
    await run;
  });

  test("an 'error' event with no listener throws in the dispatch: the kernel's DIE, and run() rejects (nothing is dropped)", async () => {
    const k = makeKernel();
    const face = new PoeEmitter<{ error: [Error] }>({ kernel: k.kernel });
    face.post(face.id, 'error', new Error('boom'));
    face.on('close', () => k.say('close'));
    await expect(k.kernel.run()).rejects.toThrow('boom');
    expect(k.log).toEqual(['close']);
  });

  test('bad input: exact codes', () => {
    const k = makeKernel();
    expect(codeOf(() => new PoeEmitter(null as never))).toBe('ERR_POE_INVALID_ARGUMENT');
    expect(codeOf(() => new PoeEmitter({ kernel: k.kernel, nope: 1 } as never))).toBe('ERR_POE_UNKNOWN_OPTION');
    expect(codeOf(() => new PoeEmitter({ kernel: k.kernel, alias: '' }))).toBe('ERR_POE_KERNEL_BAD_ALIAS');
    const a = new PoeEmitter({ kernel: k.kernel, alias: 'taken' });
    expect(codeOf(() => new PoeEmitter({ kernel: k.kernel, alias: 'taken' }))).toBe('ERR_POE_KERNEL_BAD_ALIAS');
    expect(codeOf(() => a.act(42 as never))).toBe('ERR_POE_INVALID_ARGUMENT');
    a.close();
    a.close();
    return k.run();
  });
});
