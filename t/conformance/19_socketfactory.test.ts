/**
 * Conformance: probe 19_socketfactory (spec 2.3, 1.3, G8, G31).
 *
 * A listener on 127.0.0.1 port 0 reports its port through getsockname() at once; a second
 * factory on the same port returns an object, and its bind failure (EADDRINUSE) is yielded,
 * so it arrives after the accept and connect events of the first timeslice; the accepted
 * and connected SuccessEvents carry packed 4-byte addresses and numeric ports; connecting to
 * the closed port fails with ('connect', ECONNREFUSED, 'Connection refused').
 *
 * Real sockets and the real clock. Translations of the Perl, line by line:
 * - `unpack_sockaddr_in($wheel->getsockname)` -> `wheel.getsockname()?.port` (poe-ts returns
 *   the address unpacked);
 * - `inet_ntoa($addr)` -> `inetNtoa(addr)`, `length($addr)` -> `addr.length`;
 * - `delete $heap->{wheel}` -> `destroy()` (no refcount DESTROY in JavaScript), and the
 *   accepted/connected sockets, which Perl closes when `$sock` goes out of scope, are
 *   destroyed explicitly.
 * The expected lines need no translation.
 */
import type * as net from 'node:net';
import { expect, test } from 'vitest';
import { Session, SocketFactory, inetNtoa } from '../../src/index.js';
import { expectedLines, expectNoLeaks, newHeap, probeExpected, realKernel, runBounded } from '../kit/index.js';

interface Heap {
  srv?: SocketFactory;
  dup?: SocketFactory;
  cli?: SocketFactory;
  cli2?: SocketFactory;
  port?: number;
  port_closed?: number;
}

test('19_socketfactory: accept/connect args, bind failure yielded after the I/O events, ECONNREFUSED', async () => {
  const { kernel, warnings, log: out, say } = realKernel();

  Session.create({
    kernel,
    heap: newHeap<Heap>(),
    inlineStates: {
      _start(ctx) {
        const h = ctx.heap;
        h.srv = new SocketFactory({ bindAddress: '127.0.0.1', bindPort: 0, reuse: 'yes', successEvent: 'accepted', failureEvent: 'failed' });
        const name = h.srv.getsockname();
        const port = name !== undefined && 'port' in name ? name.port : 0;
        h.port = port;
        say('listener wheel id ', h.srv.ID, ' bound (port is nonzero: ', port ? 'yes' : 'no', ')');
        h.dup = new SocketFactory({ bindAddress: '127.0.0.1', bindPort: port, successEvent: 'accepted', failureEvent: 'failed' });
        say('second bind to same port: new() returned an object, failure comes later');
        h.cli = new SocketFactory({ remoteAddress: '127.0.0.1', remotePort: port, successEvent: 'connected', failureEvent: 'failed' });
      },
      accepted(ctx, sock: net.Socket, addr: Buffer, port: number, id: number) {
        say('accepted: peer=', inetNtoa(addr), ' addr-bytes=', addr.length, ' port-numeric=', Number.isInteger(port) ? 'yes' : 'no', ' wheel=', id);
        sock.destroy();
        ctx.heap.srv?.destroy();
        delete ctx.heap.srv;
        ctx.heap.port_closed = ctx.heap.port;
        ctx.kernel.delay('try_refused', 0.05);
      },
      connected(ctx, sock: net.Socket, addr: Buffer, port: number, id: number) {
        say('connected: remote=', inetNtoa(addr), ' remote-port-matches=', port === ctx.heap.port ? 'yes' : 'no', ' wheel=', id);
        sock.destroy();
        ctx.heap.cli?.destroy();
        delete ctx.heap.cli;
      },
      try_refused(ctx) {
        ctx.heap.cli2 = new SocketFactory({ remoteAddress: '127.0.0.1', remotePort: ctx.heap.port_closed!, successEvent: 'connected', failureEvent: 'failed' });
      },
      failed(ctx, op: string, errnum: number, errstr: string, id: number) {
        say('failure: op=', op, ' errnum=', errnum, " errstr='", errstr, "' wheel=", id);
        if (id === 2) {
          ctx.heap.dup?.destroy();
          delete ctx.heap.dup;
        }
        ctx.heap.cli2?.destroy();
        delete ctx.heap.cli2;
      },
    },
  });
  await runBounded(kernel);
  say('run returned');

  expect(out).toEqual(expectedLines(probeExpected('19_socketfactory')));
  expect(warnings).toEqual([]);
  expectNoLeaks(kernel);
});
