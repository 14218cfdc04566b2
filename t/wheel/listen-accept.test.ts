/**
 * ListenAccept on real sockets (spec 2.4): AcceptEvent(socket, packed peer address, id) for
 * each connection on a server the program made; ErrorEvent; event(); destroy() leaves the
 * server open; the wheel holds its session until destroyed or the server closes.
 */
import * as net from 'node:net';
import { constants } from 'node:os';
import { describe, expect, onTestFinished, test } from 'vitest';
import { ListenAccept, PoeArgumentError, Session, inetNtoa } from '../../src/index.js';
import type { Context, ListenAcceptOptions, PoeError } from '../../src/index.js';
import { expectNoLeaks, listeningServer, newHeap, portOf, realKernel, runBounded, tempDir, thrownInSession } from '../kit/index.js';

const { EADDRINUSE } = constants.errno;

/** Connects a plain Node client that hangs up as soon as it is connected. */
function knock(options: net.NetConnectOpts): void {
  const c = net.connect(options);
  c.on('connect', () => c.destroy());
}

describe('ListenAccept', () => {
  test('AcceptEvent(socket, packed peer address, id) per connection; destroy leaves the server listening', async () => {
    const server = await listeningServer();
    onTestFinished(() => void server.close());
    const port = portOf(server);
    const { kernel, log, say, warnings } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ la?: ListenAccept; n: number }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.n = 0;
          ctx.heap.la = new ListenAccept({ handle: server, acceptEvent: 'accepted', errorEvent: 'error' });
          say('wheel ', ctx.heap.la.ID, ' on the same server: ', ctx.heap.la.handle === server);
          knock({ host: '127.0.0.1', port });
        },
        accepted(ctx: Context<unknown, { la?: ListenAccept; n: number }>, sock: net.Socket, peer: Buffer, wid: number) {
          say(`accepted from ${inetNtoa(peer)} (${peer.length} bytes) wheel=${wid} sender-is-self=${ctx.sender === ctx.session} socket=${sock instanceof net.Socket}`);
          sock.destroy();
          if (++ctx.heap.n === 1) {
            knock({ host: '127.0.0.1', port });
            return;
          }
          ctx.heap.la!.destroy();
          say('after destroy the server still listens: ', server.listening);
        },
        error(_ctx, ...args: unknown[]) {
          say('error ', args.join(' '));
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual([
      'wheel 1 on the same server: true',
      'accepted from 127.0.0.1 (4 bytes) wheel=1 sender-is-self=true socket=true',
      'accepted from 127.0.0.1 (4 bytes) wheel=1 sender-is-self=true socket=true',
      'after destroy the server still listens: true',
    ]);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });

  test('a unix server gives an undefined peer address', async () => {
    const tmp = tempDir();
    onTestFinished(tmp.cleanup);
    const path = tmp.path('la.sock');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ la?: ListenAccept }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.la = new ListenAccept({ handle: server, acceptEvent: 'accepted' });
          knock({ path });
        },
        accepted(ctx, sock: net.Socket, peer: unknown, wid: number) {
          say('accepted peer=', String(peer), ' wheel=', wid);
          sock.destroy();
          ctx.heap.la!.destroy();
          server.close();
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['accepted peer=undefined wheel=1']);
    expectNoLeaks(kernel);
  });

  test('a server that fails to listen: ErrorEvent(listen, EADDRINUSE, ...) and the session is let go', async () => {
    const taken = await listeningServer();
    onTestFinished(() => void taken.close());
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ la?: ListenAccept }>(),
      inlineStates: {
        _start(ctx) {
          const server = net.createServer();
          // Watched before it listens: the wheel reports the outcome.
          ctx.heap.la = new ListenAccept({ handle: server, acceptEvent: 'accepted', errorEvent: 'error' });
          server.listen({ host: '127.0.0.1', port: portOf(taken) });
        },
        error(ctx, op: string, errnum: number, errstr: string, wid: number) {
          say(`error ${op} ${errnum === EADDRINUSE ? 'EADDRINUSE' : errnum} '${errstr}' wheel=${wid} sender-is-self=${ctx.sender === ctx.session}`);
        },
        _stop() {
          say('_stop without destroy()');
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(["error listen EADDRINUSE 'Address already in use' wheel=1 sender-is-self=true", '_stop without destroy()']);
    expectNoLeaks(kernel);
  });

  test('the server closing under the wheel lets the session go', async () => {
    const server = await listeningServer();
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ la?: ListenAccept }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.la = new ListenAccept({ handle: server, acceptEvent: 'accepted' });
          server.close();
        },
        _stop() {
          say('_stop');
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['_stop']);
    expectNoLeaks(kernel);
  });

  test('event() renames AcceptEvent and unsets ErrorEvent; AcceptEvent cannot be unset', async () => {
    const server = await listeningServer();
    onTestFinished(() => void server.close());
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ la?: ListenAccept }>(),
      inlineStates: {
        _start(ctx) {
          const la = new ListenAccept({ handle: server, acceptEvent: 'first', errorEvent: 'error' });
          ctx.heap.la = la;
          try {
            la.event({ acceptEvent: undefined });
          } catch (err) {
            say('unset acceptEvent: ', (err as PoeError).code);
          }
          la.event({ acceptEvent: 'renamed', errorEvent: undefined });
          knock({ host: '127.0.0.1', port: portOf(server) });
        },
        first() {
          say('first?!');
        },
        renamed(ctx, sock: net.Socket) {
          say('renamed');
          sock.destroy();
          ctx.heap.la!.destroy();
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['unset acceptEvent: ERR_POE_INVALID_ARGUMENT', 'renamed']);
    expectNoLeaks(kernel);
  });

  describe('options', () => {
    const server = new net.Server();
    const cases: [string, unknown, string, RegExp][] = [
      ['missing handle', { acceptEvent: 'a' }, 'ERR_POE_INVALID_ARGUMENT', /handle/],
      ['handle not a server', { handle: 3, acceptEvent: 'a' }, 'ERR_POE_INVALID_ARGUMENT', /handle/],
      ['missing acceptEvent', { handle: server }, 'ERR_POE_INVALID_ARGUMENT', /acceptEvent` is required/],
      ['POE spelling AcceptEvent', { handle: server, AcceptEvent: 'a' }, 'ERR_POE_UNKNOWN_OPTION', /did you mean `acceptEvent`/],
      ['errorEvent not a string', { handle: server, acceptEvent: 'a', errorEvent: 1 }, 'ERR_POE_INVALID_ARGUMENT', /errorEvent/],
    ];
    test.each(cases)('%s -> PoeArgumentError %s', async (_name, options, code, message) => {
      const thrown = await thrownInSession(() => new ListenAccept(options as ListenAcceptOptions).destroy());
      expect(thrown).toBeInstanceOf(PoeArgumentError);
      expect((thrown as PoeError).code).toBe(code);
      expect((thrown as Error).message).toMatch(message);
    });
  });
});
