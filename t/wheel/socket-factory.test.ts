/**
 * SocketFactory on real sockets (spec 2.3): TCP over IPv4 and IPv6, unix sockets, UDP; the
 * whole event sequence of each; failures found in `new` arriving after it returns (G8);
 * ECONNREFUSED; pausing accept; option validation. Real clock, loopback, port 0.
 */
import { existsSync, writeFileSync } from 'node:fs';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { constants } from 'node:os';
import { beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { PoeArgumentError, Session, SocketFactory, inetAton, inetNtoa } from '../../src/index.js';
import type { Context, PoeError, SocketFactoryOptions } from '../../src/index.js';
import { expectNoLeaks, hasIPv6Loopback, id, listeningServer, newHeap, portOf, realKernel, runBounded, tempDir, thrownInSession } from '../kit/index.js';

const { EADDRINUSE, ECONNREFUSED, EADDRNOTAVAIL, ENOENT } = constants.errno;

/** `addr` as the tests print it: `undef`, a path, or the unpacked address and its byte count. */
function showAddr(addr: unknown): string {
  if (addr === undefined) return 'undef';
  if (typeof addr === 'string') return `path:${addr}`;
  return `${inetNtoa(addr as Buffer)}/${(addr as Buffer).length}`;
}

/** A one-shot postback for a Node callback: posts once, then lets the session go. */
function once(ctx: Context, event: string): (...args: unknown[]) => void {
  const pb = ctx.session.postback(event);
  return (...args) => {
    pb(...args);
    pb.release();
  };
}

/** Whether a handler runs as a wheel event must: SENDER is the session itself. */
function senderIsSelf(ctx: Context): string {
  return ctx.sender === ctx.session ? 'self' : id(ctx.sender);
}

let ipv6 = false;
beforeAll(async () => {
  ipv6 = await hasIPv6Loopback();
});

describe('TCP', () => {
  test('IPv4: listener, client, accept and connect args, data both ways, destroy', async () => {
    const { kernel, log, say, warnings } = realKernel();
    let serverPort = 0;
    let clientLocalPort: number | undefined;
    Session.create({
      kernel,
      heap: newHeap<{ srv?: SocketFactory; cli?: SocketFactory; server?: net.Socket; client?: net.Socket }>(),
      inlineStates: {
        _start(ctx) {
          const srv = new SocketFactory({ bindAddress: '127.0.0.1', successEvent: 'accepted', failureEvent: 'failed' });
          ctx.heap.srv = srv;
          const name = srv.getsockname();
          serverPort = name?.family === 'IPv4' ? name.port : -1;
          say('listening ', name?.family, ' ', name && 'address' in name ? name.address : '?', ' wheel=', srv.ID, ' listener=', srv.listener instanceof net.Server);
          ctx.heap.cli = new SocketFactory({ remoteAddress: '127.0.0.1', remotePort: serverPort, successEvent: 'connected', failureEvent: 'failed' });
          say('client wheel=', ctx.heap.cli.ID);
        },
        accepted(ctx, sock: net.Socket, addr: Buffer, port: number, wid: number) {
          say('accepted ', showAddr(addr), ' port-is-client=', port === clientLocalPort || clientLocalPort === undefined, ' wheel=', wid, ' sender=', senderIsSelf(ctx));
          ctx.heap.server = sock;
          // The server talks first; the client answers; then both close.
          sock.write('hello from server\n');
          sock.once('data', once(ctx, 'server_got'));
          ctx.heap.srv!.destroy();
          say('listener closed; getsockname=', JSON.stringify(ctx.heap.srv!.getsockname()));
        },
        connected(ctx, sock: net.Socket, addr: Buffer, port: number, wid: number) {
          clientLocalPort = sock.localPort;
          say('connected ', showAddr(addr), ' port-matches=', port === serverPort, ' wheel=', wid, ' sender=', senderIsSelf(ctx));
          ctx.heap.client = sock;
          sock.once('data', once(ctx, 'client_got'));
          ctx.heap.cli!.destroy();
        },
        client_got(ctx, _context: unknown[], [chunk]: [Buffer]) {
          say('client got ', JSON.stringify(chunk.toString()));
          ctx.heap.client!.write('hello from client\n');
        },
        server_got(ctx, _context: unknown[], [chunk]: [Buffer]) {
          say('server got ', JSON.stringify(chunk.toString()));
          ctx.heap.client!.destroy();
          ctx.heap.server!.destroy();
        },
        failed(_ctx, ...args: unknown[]) {
          say('failed ', args.join(' '));
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual([
      'listening IPv4 127.0.0.1 wheel=1 listener=true',
      'client wheel=2',
      'accepted 127.0.0.1/4 port-is-client=true wheel=1 sender=self',
      'listener closed; getsockname=undefined',
      'connected 127.0.0.1/4 port-matches=true wheel=2 sender=self',
      'client got "hello from server\\n"',
      'server got "hello from client\\n"',
    ]);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });

  test('IPv6 on ::1: 16-byte packed addresses both ways (skipped only when this machine has no ::1)', async (t) => {
    if (!ipv6) t.skip();
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ srv?: SocketFactory; cli?: SocketFactory; port?: number }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.srv = new SocketFactory({ socketDomain: 'AF_INET6', bindAddress: '::1', successEvent: 'accepted', failureEvent: 'failed' });
          const name = ctx.heap.srv.getsockname();
          ctx.heap.port = name && 'port' in name ? name.port : 0;
          say('listening ', name?.family, ' ', name && 'address' in name ? name.address : '?');
          ctx.heap.cli = new SocketFactory({ socketDomain: 'PF_INET6', remoteAddress: '::1', remotePort: ctx.heap.port, successEvent: 'connected', failureEvent: 'failed' });
        },
        accepted(ctx, sock: net.Socket, addr: Buffer, port: number) {
          say('accepted ', showAddr(addr), ' port=', typeof port);
          sock.destroy();
          ctx.heap.srv!.destroy();
        },
        connected(ctx, sock: net.Socket, addr: Buffer, port: number) {
          say('connected ', showAddr(addr), ' port-matches=', port === ctx.heap.port, ' packed=', addr.equals(inetAton('::1')!));
          sock.destroy();
          ctx.heap.cli!.destroy();
        },
        failed(_ctx, ...args: unknown[]) {
          say('failed ', args.join(' '));
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['listening IPv6 ::1', 'accepted ::1/16 port=number', 'connected ::1/16 port-matches=true packed=true']);
    expectNoLeaks(kernel);
  });

  test('an inet6 listener on :: reports an IPv4 client as a 16-byte v4-mapped address (skipped only without IPv6)', async (t) => {
    if (!ipv6) t.skip();
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ srv?: SocketFactory }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.srv = new SocketFactory({ socketDomain: 'inet6', successEvent: 'accepted', failureEvent: 'failed' });
          const name = ctx.heap.srv.getsockname();
          say('listening on ', name && 'address' in name ? name.address : '?');
          const port = name && 'port' in name ? name.port : 0;
          // A plain Node client: the test only looks at the listener's side.
          net.connect({ host: '127.0.0.1', port }).on('connect', function (this: net.Socket) {
            this.destroy();
          });
        },
        accepted(ctx, sock: net.Socket, addr: Buffer) {
          say('accepted ', showAddr(addr), ' ', addr.equals(inetAton('::ffff:127.0.0.1')!));
          sock.destroy();
          ctx.heap.srv!.destroy();
        },
        failed(_ctx, ...args: unknown[]) {
          say('failed ', args.join(' '));
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['listening on ::', 'accepted ::ffff:127.0.0.1/16 true']);
    expectNoLeaks(kernel);
  });

  test('bind to a port in use: new returns, FailureEvent(bind, EADDRINUSE) is yielded from new', async () => {
    const { kernel, log, say } = realKernel();
    const other = await listeningServer();
    onTestFinished(() => void other.close());
    Session.create({
      kernel,
      heap: newHeap<{ dup?: SocketFactory }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.dup = new SocketFactory({ bindAddress: '127.0.0.1', bindPort: portOf(other), successEvent: 'accepted', failureEvent: 'failed' });
          say('new returned wheel ', ctx.heap.dup.ID, '; getsockname=', JSON.stringify(ctx.heap.dup.getsockname()));
          // POE yields the failure inside new(): it is queued ahead of this yield.
          ctx.kernel.yield('after_new');
        },
        after_new() {
          say('after_new');
        },
        failed(ctx, op: string, errnum: number, errstr: string, wid: number) {
          say(`failed ${op} ${errnum === EADDRINUSE ? 'EADDRINUSE' : errnum} '${errstr}' wheel=${wid} sender=${senderIsSelf(ctx)}`);
          ctx.heap.dup!.destroy();
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['new returned wheel 1; getsockname=undefined', "failed bind EADDRINUSE 'Address already in use' wheel=1 sender=self", 'after_new']);
    expectNoLeaks(kernel);
  });

  test('connect to a closed port: FailureEvent(connect, ECONNREFUSED, Connection refused), then the wheel lets go', async () => {
    const { kernel, log, say } = realKernel();
    // A port that was just free: listen, note it, close.
    const probe = await listeningServer();
    const port = portOf(probe);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    Session.create({
      kernel,
      heap: newHeap<{ cli?: SocketFactory }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.cli = new SocketFactory({ remoteAddress: '127.0.0.1', remotePort: port, successEvent: 'connected', failureEvent: 'failed' });
          say('connecting wheel ', ctx.heap.cli.ID);
        },
        connected() {
          say('connected?!');
        },
        failed(ctx, op: string, errnum: number, errstr: string, wid: number) {
          say(`failed ${op} ${errnum === ECONNREFUSED ? 'ECONNREFUSED' : errnum} '${errstr}' wheel=${wid} sender=${senderIsSelf(ctx)}`);
          // Not destroyed on purpose: a one-shot client stops holding the session by itself.
        },
        _stop() {
          say('_stop');
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['connecting wheel 1', "failed connect ECONNREFUSED 'Connection refused' wheel=1 sender=self", '_stop']);
    expectNoLeaks(kernel);
  });

  test('a client may bind its local end (packed bindAddress) before connecting', async () => {
    const { kernel, log, say } = realKernel();
    const server = await listeningServer();
    onTestFinished(() => void server.close());
    server.on('connection', (s: net.Socket) => s.destroy());
    Session.create({
      kernel,
      heap: newHeap<{ cli?: SocketFactory }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.cli = new SocketFactory({ bindAddress: Buffer.from([127, 0, 0, 1]), bindPort: 0, remoteAddress: '127.0.0.1', remotePort: portOf(server), successEvent: 'connected', failureEvent: 'failed' });
        },
        connected(ctx, sock: net.Socket, addr: Buffer) {
          say('connected ', showAddr(addr), ' from ', sock.localAddress);
          sock.destroy();
          ctx.heap.cli!.destroy();
        },
        failed(_ctx, ...args: unknown[]) {
          say('failed ', args.join(' '));
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['connected 127.0.0.1/4 from 127.0.0.1']);
    expectNoLeaks(kernel);
  });

  test('a port given by an unknown service name fails with getservbyname EADDRNOTAVAIL', async () => {
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ w?: SocketFactory }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.w = new SocketFactory({ bindPort: 'no-such-service-poe-ts', successEvent: 'ok', failureEvent: 'failed' });
        },
        failed(ctx, op: string, errnum: number, errstr: string) {
          say(op, ' ', errnum === EADDRNOTAVAIL ? 'EADDRNOTAVAIL' : errnum, ' ', errstr);
          ctx.heap.w!.destroy();
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['getservbyname EADDRNOTAVAIL Cannot assign requested address']);
    expectNoLeaks(kernel);
  });

  test('a host name is looked up without blocking: bind and connect by name', async () => {
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ srv?: SocketFactory; cli?: SocketFactory }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.srv = new SocketFactory({ bindAddress: 'localhost', successEvent: 'accepted', failureEvent: 'failed' });
          // Not bound yet: the name is being looked up. The listener says when it listens.
          say('bound at new: ', ctx.heap.srv.getsockname() !== undefined);
          ctx.heap.srv.listener!.once('listening', once(ctx, 'bound'));
        },
        bound(ctx) {
          const name = ctx.heap.srv!.getsockname()!;
          say('bound ', 'address' in name ? name.address : '?');
          ctx.heap.cli = new SocketFactory({ remoteAddress: 'localhost', remotePort: 'port' in name ? name.port : 0, successEvent: 'connected', failureEvent: 'failed' });
        },
        accepted(ctx, sock: net.Socket, addr: Buffer) {
          say('accepted ', showAddr(addr));
          sock.destroy();
          ctx.heap.srv!.destroy();
        },
        connected(ctx, sock: net.Socket, addr: Buffer) {
          say('connected ', showAddr(addr));
          sock.destroy();
          ctx.heap.cli!.destroy();
        },
        failed(_ctx, ...args: unknown[]) {
          say('failed ', args.join(' '));
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['bound at new: false', 'bound 127.0.0.1', 'accepted 127.0.0.1/4', 'connected 127.0.0.1/4']);
    expectNoLeaks(kernel);
  });

  test('event() renames SuccessEvent between connections; unsetting is refused', async () => {
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ srv?: SocketFactory; port?: number }>(),
      inlineStates: {
        _start(ctx) {
          const srv = new SocketFactory({ bindAddress: '127.0.0.1', successEvent: 'first', failureEvent: 'failed' });
          ctx.heap.srv = srv;
          ctx.heap.port = (srv.getsockname() as { port: number }).port;
          try {
            srv.event({ successEvent: undefined });
          } catch (err) {
            say('unset: ', (err as PoeError).code);
          }
          net.connect({ host: '127.0.0.1', port: ctx.heap.port }).on('connect', function (this: net.Socket) {
            this.destroy();
          });
        },
        first(ctx, sock: net.Socket) {
          say('first');
          sock.destroy();
          ctx.heap.srv!.event({ successEvent: 'second' });
          net.connect({ host: '127.0.0.1', port: ctx.heap.port! }).on('connect', function (this: net.Socket) {
            this.destroy();
          });
        },
        second(ctx, sock: net.Socket) {
          say('second');
          sock.destroy();
          ctx.heap.srv!.destroy();
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['unset: ERR_POE_INVALID_ARGUMENT', 'first', 'second']);
    expectNoLeaks(kernel);
  });
});

describe('pause and resume accept', () => {
  test('paused: the port stays bound, connections are held unreported, then delivered in order on resume', async () => {
    const { kernel, log, say } = realKernel();
    const clients: net.Socket[] = [];
    Session.create({
      kernel,
      heap: newHeap<{ srv?: SocketFactory; dup?: SocketFactory; port?: number; accepted: number }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.accepted = 0;
          const srv = new SocketFactory({ bindAddress: '127.0.0.1', successEvent: 'accepted', failureEvent: 'failed' });
          ctx.heap.srv = srv;
          ctx.heap.port = (srv.getsockname() as { port: number }).port;
          srv.pauseAccept();
          say('paused');
          // Whenever Node accepts one, tell the session (the wheel's own listener ran first).
          let seen = 0;
          const note = ctx.session.postback('node_accepted');
          srv.listener!.on('connection', () => {
            seen++;
            note(seen);
            if (seen === 2) note.release();
          });
          // Client 2 connects once Node has accepted client 1, which fixes the arrival order.
          clients.push(net.connect({ host: '127.0.0.1', port: ctx.heap.port }));
        },
        node_accepted(ctx, _context: unknown[], [seen]: [number]) {
          const srv = ctx.heap.srv!;
          say(`node accepted #${seen}; held=${srv.pendingAccepts}; still bound=${srv.getsockname() !== undefined}`);
          if (seen === 1) {
            // A second bind to the paused listener's port still fails: the port is held.
            ctx.heap.dup = new SocketFactory({ bindAddress: '127.0.0.1', bindPort: ctx.heap.port!, successEvent: 'accepted', failureEvent: 'failed' });
            clients.push(net.connect({ host: '127.0.0.1', port: ctx.heap.port! }));
            return;
          }
          say('resume');
          srv.resumeAccept();
          say('resume returned');
        },
        accepted(ctx, sock: net.Socket, addr: Buffer, port: number) {
          const n = clients.findIndex((c) => c.localPort === port) + 1;
          say(`accepted client ${n} from ${showAddr(addr)}`);
          sock.destroy();
          if (++ctx.heap.accepted === 2) {
            ctx.heap.srv!.destroy();
            for (const c of clients) c.destroy();
          }
        },
        failed(ctx, op: string, errnum: number, _errstr: string, wid: number) {
          say(`failed ${op} ${errnum === EADDRINUSE ? 'EADDRINUSE' : errnum} wheel=${wid}`);
          ctx.heap.dup!.destroy();
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual([
      'paused',
      'node accepted #1; held=1; still bound=true',
      'failed bind EADDRINUSE wheel=2',
      'node accepted #2; held=2; still bound=true',
      'resume',
      'resume returned',
      'accepted client 1 from 127.0.0.1/4',
      'accepted client 2 from 127.0.0.1/4',
    ]);
    expectNoLeaks(kernel);
  });

  test('beyond listenQueue held connections are reset; destroy() while paused closes the held ones', async () => {
    const { kernel, log, say } = realKernel();
    const closed: string[] = [];
    Session.create({
      kernel,
      heap: newHeap<{ srv?: SocketFactory }>(),
      inlineStates: {
        _start(ctx) {
          const srv = new SocketFactory({ bindAddress: '127.0.0.1', listenQueue: 1, successEvent: 'accepted', failureEvent: 'failed' });
          ctx.heap.srv = srv;
          srv.pauseAccept();
          const port = (srv.getsockname() as { port: number }).port;
          // Each client reports how it ended; the session waits for both.
          const ended = ctx.session.postback('client_ended');
          let count = 0;
          const connect = (n: number) => {
            const c = net.connect({ host: '127.0.0.1', port });
            c.on('error', (err: NodeJS.ErrnoException) => closed.push(`client ${n}: ${err.code}`));
            c.on('end', () => closed.push(`client ${n}: EOF`));
            c.on('close', () => {
              ended(n);
              if (++count === 2) ended.release();
            });
            return c;
          };
          let seen = 0;
          srv.listener!.on('connection', () => {
            seen++;
            if (seen === 1) connect(2);
            else ctx.kernel.post(ctx.session, 'both_arrived');
          });
          connect(1);
        },
        both_arrived(ctx) {
          say('held=', ctx.heap.srv!.pendingAccepts);
          ctx.heap.srv!.destroy();
          say('destroyed');
        },
        client_ended(_ctx, _context: unknown[], [n]: [number]) {
          closed.push(`client ${n} closed`);
        },
        accepted() {
          say('accepted?!');
        },
      },
    });
    await runBounded(kernel);
    // Client 2 was over the limit and reset at once; client 1 was held until destroy(). The
    // clients' own events race with the server's, so only their outcomes are compared.
    expect(log).toEqual(['held=1', 'destroyed']);
    expect(closed.sort()).toEqual(['client 1 closed', 'client 1: EOF', 'client 2 closed', 'client 2: ECONNRESET']);
    expectNoLeaks(kernel);
  });
});

describe('unix sockets', () => {
  // 0 is every port option's documented default, so a unix socket takes it as no port.
  test.each([
    ['no ports', {}, {}],
    ['bindPort 0 and remotePort 0', { bindPort: 0 }, { remotePort: '0' }],
  ])('server and client on a path (%s): accept gives (socket, undef, undef), connect gives the path', async (_name, serverPort, clientPort) => {
    const tmp = tempDir();
    onTestFinished(tmp.cleanup);
    const path = tmp.path('sf.sock');
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ srv?: SocketFactory; cli?: SocketFactory; server?: net.Socket; client?: net.Socket }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.srv = new SocketFactory({ socketDomain: 'AF_UNIX', bindAddress: path, ...serverPort, successEvent: 'accepted', failureEvent: 'failed' });
          say('listening ', JSON.stringify(ctx.heap.srv.getsockname()) === JSON.stringify({ family: 'unix', path }));
          ctx.heap.cli = new SocketFactory({ socketDomain: 'unix', remoteAddress: path, ...clientPort, successEvent: 'connected', failureEvent: 'failed' });
        },
        accepted(ctx, sock: net.Socket, addr: unknown, port: unknown) {
          say('accepted ', showAddr(addr), ' ', String(port));
          ctx.heap.server = sock;
          sock.once('data', once(ctx, 'server_got'));
          ctx.heap.srv!.destroy();
        },
        connected(ctx, sock: net.Socket, addr: unknown, port: unknown) {
          say('connected ', showAddr(addr) === `path:${path}`, ' ', String(port));
          ctx.heap.client = sock;
          sock.write('over unix');
          ctx.heap.cli!.destroy();
        },
        server_got(ctx, _context: unknown[], [chunk]: [Buffer]) {
          say('server got ', chunk.toString());
          ctx.heap.server!.destroy();
          ctx.heap.client!.destroy();
        },
        failed(_ctx, ...args: unknown[]) {
          say('failed ', args.join(' '));
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['listening true', 'accepted undef undefined', 'connected true undefined', 'server got over unix']);
    // libuv unlinks the socket file when the listener closes.
    expect(existsSync(path)).toBe(false);
    expectNoLeaks(kernel);
  });

  test('bind on an existing path: bind EADDRINUSE; connect to a missing path: connect ENOENT; both yielded', async () => {
    const tmp = tempDir();
    onTestFinished(tmp.cleanup);
    const taken = tmp.path('taken');
    writeFileSync(taken, '');
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ wheels: SocketFactory[] }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.wheels = [
            new SocketFactory({ socketDomain: 'unix', bindAddress: taken, successEvent: 'ok', failureEvent: 'failed' }),
            new SocketFactory({ socketDomain: 'unix', remoteAddress: tmp.path('missing'), successEvent: 'ok', failureEvent: 'failed' }),
            // POE refuses to bind a unix client: a made-up bind EADDRINUSE.
            new SocketFactory({ socketDomain: 'unix', bindAddress: tmp.path('c'), remoteAddress: taken, successEvent: 'ok', failureEvent: 'failed' }),
          ];
          say('new returned');
        },
        failed(ctx, op: string, errnum: number, errstr: string, wid: number) {
          const name = errnum === EADDRINUSE ? 'EADDRINUSE' : errnum === ENOENT ? 'ENOENT' : String(errnum);
          say(`${wid}: ${op} ${name} '${errstr}' sender=${senderIsSelf(ctx)}`);
          ctx.heap.wheels[wid - 1]!.destroy();
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual([
      'new returned',
      "1: bind EADDRINUSE 'Address already in use' sender=self",
      "3: bind EADDRINUSE 'Address already in use' sender=self",
      "2: connect ENOENT 'No such file or directory' sender=self",
    ]);
    expectNoLeaks(kernel);
  });
});

describe('UDP', () => {
  test('a bound socket is yielded as (socket, undef, undef, id); a client is connected; datagrams both ways', async () => {
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ a?: SocketFactory; b?: SocketFactory; aSock?: dgram.Socket; bSock?: dgram.Socket }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.a = new SocketFactory({ socketProtocol: 'udp', bindAddress: '127.0.0.1', successEvent: 'a_ready', failureEvent: 'failed' });
          say('new returned');
        },
        a_ready(ctx, sock: dgram.Socket, addr: unknown, port: unknown, wid: number) {
          say(`a ready ${showAddr(addr)} ${String(port)} wheel=${wid} sender=${senderIsSelf(ctx)} dgram=${sock instanceof dgram.Socket} ${sock.address().family}`);
          ctx.heap.aSock = sock;
          const pb = ctx.session.postback('a_got');
          sock.on('message', (msg, rinfo) => {
            pb(msg.toString(), rinfo.port);
            pb.release();
          });
          ctx.heap.a!.destroy(); // the socket was handed over: destroy leaves it open
          ctx.heap.b = new SocketFactory({
            socketType: 'SOCK_DGRAM',
            remoteAddress: '127.0.0.1',
            remotePort: sock.address().port,
            successEvent: 'b_ready',
            failureEvent: 'failed',
          });
        },
        b_ready(ctx, sock: dgram.Socket, addr: Buffer, port: number, wid: number) {
          say(`b ready ${showAddr(addr)} port-is-a=${port === ctx.heap.aSock!.address().port} wheel=${wid} sender=${senderIsSelf(ctx)}`);
          ctx.heap.bSock = sock;
          const pb = ctx.session.postback('b_got');
          sock.on('message', (msg) => {
            pb(msg.toString());
            pb.release();
          });
          ctx.heap.b!.destroy();
          sock.send('ping');
        },
        a_got(ctx, _context: unknown[], [text, port]: [string, number]) {
          say('a got ', text, ' from b: ', port === ctx.heap.bSock!.address().port);
          ctx.heap.aSock!.send('pong', port, '127.0.0.1');
        },
        b_got(ctx, _context: unknown[], [text]: [string]) {
          say('b got ', text);
          ctx.heap.aSock!.close();
          ctx.heap.bSock!.close();
        },
        failed(_ctx, ...args: unknown[]) {
          say('failed ', args.join(' '));
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual([
      'new returned',
      'a ready undef undefined wheel=1 sender=self dgram=true IPv4',
      'b ready 127.0.0.1/4 port-is-a=true wheel=2 sender=self',
      'a got ping from b: true',
      'b got pong',
    ]);
    expectNoLeaks(kernel);
  });

  test('UDP bind to a port in use without reuse: bind EADDRINUSE', async () => {
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ a?: SocketFactory; b?: SocketFactory; sock?: dgram.Socket }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.a = new SocketFactory({ socketProtocol: 17, bindAddress: '127.0.0.1', successEvent: 'a_ready', failureEvent: 'failed' });
        },
        a_ready(ctx, sock: dgram.Socket) {
          ctx.heap.sock = sock;
          ctx.heap.a!.destroy();
          ctx.heap.b = new SocketFactory({ socketProtocol: 'udp', bindAddress: '127.0.0.1', bindPort: sock.address().port, successEvent: 'b_ready', failureEvent: 'failed' });
        },
        b_ready() {
          say('b ready?!');
        },
        failed(ctx, op: string, errnum: number, errstr: string, wid: number) {
          say(`failed ${op} ${errnum === EADDRINUSE ? 'EADDRINUSE' : errnum} '${errstr}' wheel=${wid}`);
          ctx.heap.b!.destroy();
          ctx.heap.sock!.close();
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(["failed bind EADDRINUSE 'Address already in use' wheel=2"]);
    expectNoLeaks(kernel);
  });
});

describe('adopting a listener (handle)', () => {
  test('a listening net.Server is accepted on and closed by destroy(); listener is that server', async () => {
    const server = await listeningServer({ allowHalfOpen: true });
    onTestFinished(() => void server.close());
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ srv?: SocketFactory }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.srv = new SocketFactory({ handle: server, successEvent: 'accepted', failureEvent: 'failed' });
          say('same server: ', ctx.heap.srv.listener === server, '; port: ', (ctx.heap.srv.getsockname() as { port: number }).port === portOf(server));
          net.connect({ host: '127.0.0.1', port: portOf(server) }).on('connect', function (this: net.Socket) {
            this.destroy();
          });
        },
        accepted(ctx, sock: net.Socket, addr: Buffer) {
          say('accepted ', showAddr(addr));
          sock.destroy();
          ctx.heap.srv!.destroy();
          say('listening after destroy: ', server.listening);
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['same server: true; port: true', 'accepted 127.0.0.1/4', 'listening after destroy: false']);
    expectNoLeaks(kernel);
  });
});

describe('running out of descriptors', () => {
  // Node on Linux reports nothing (t/process/emfile.test.ts runs that for real, under a real
  // limit); where a Node does report accept EMFILE or ENFILE, each episode is reported once.
  test('accept errors Node reports: EMFILE and ENFILE once until a connection is accepted again, others every time', async () => {
    const server = await listeningServer({ allowHalfOpen: true });
    onTestFinished(() => void server.close());
    const { kernel, log, say } = realKernel();
    const acceptError = (code: string): Error => Object.assign(new Error(`accept ${code}`), { code, errno: -constants.errno[code as 'EMFILE'], syscall: 'accept' });
    Session.create({
      kernel,
      heap: newHeap<{ srv?: SocketFactory }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.srv = new SocketFactory({ handle: server, successEvent: 'accepted', failureEvent: 'failed' });
          for (const code of ['EMFILE', 'EMFILE', 'ENFILE', 'ENOBUFS', 'ENOBUFS']) server.emit('error', acceptError(code));
          net.connect({ host: '127.0.0.1', port: portOf(server) }).on('connect', function (this: net.Socket) {
            this.destroy();
          });
        },
        accepted(ctx, sock: net.Socket) {
          say('accepted');
          sock.destroy();
          for (const code of ['ENFILE', 'EMFILE']) server.emit('error', acceptError(code));
          ctx.heap.srv!.destroy();
        },
        failed(ctx, op: string, errnum: number, errstr: string, wheelId: number) {
          say(`${op} ${errnum} ${errstr} ${wheelId === ctx.heap.srv!.ID ? 'id' : wheelId}`);
        },
      },
    });
    await runBounded(kernel);
    const { EMFILE, ENFILE, ENOBUFS } = constants.errno;
    expect(log).toEqual([
      `accept ${EMFILE} Too many open files id`,
      `accept ${ENOBUFS} No buffer space available id`,
      `accept ${ENOBUFS} No buffer space available id`,
      'accepted',
      `accept ${ENFILE} Too many open files in system id`,
    ]);
    expectNoLeaks(kernel);
  });
});

describe('options', () => {
  /** Runs `make` inside a handler and returns what it threw. */
  const thrownInHandler = (make: () => unknown): Promise<unknown> =>
    thrownInSession(() => {
      const w = make();
      if (w instanceof SocketFactory) w.destroy();
    });

  const base: SocketFactoryOptions = { successEvent: 's', failureEvent: 'f' };
  const cases: [string, unknown, string, RegExp][] = [
    ['missing successEvent', { failureEvent: 'f' }, 'ERR_POE_INVALID_ARGUMENT', /successEvent` is required/],
    ['missing failureEvent', { successEvent: 's' }, 'ERR_POE_INVALID_ARGUMENT', /failureEvent` is required/],
    ['POE spelling SuccessEvent', { SuccessEvent: 's', failureEvent: 'f' }, 'ERR_POE_UNKNOWN_OPTION', /did you mean `successEvent`/],
    ['event name not a string', { ...base, successEvent: 3 }, 'ERR_POE_INVALID_ARGUMENT', /successEvent/],
    ['unknown domain', { ...base, socketDomain: 'AF_APPLETALK' }, 'ERR_POE_INVALID_ARGUMENT', /socketDomain/],
    ['unknown protocol', { ...base, socketProtocol: 'sctp' }, 'ERR_POE_INVALID_ARGUMENT', /socketProtocol/],
    ['stream socket for udp', { ...base, socketProtocol: 'udp', socketType: 'stream' }, 'ERR_POE_INVALID_ARGUMENT', /stream socket for protocol udp/],
    ['remoteAddress without remotePort', { ...base, remoteAddress: '127.0.0.1' }, 'ERR_POE_INVALID_ARGUMENT', /remotePort` is required/],
    ['port out of range', { ...base, bindPort: 70000 }, 'ERR_POE_INVALID_ARGUMENT', /bindPort/],
    ['bindPort for unix', { ...base, socketDomain: 'unix', bindAddress: '/tmp/x', bindPort: 1 }, 'ERR_POE_INVALID_ARGUMENT', /`bindPort` has no meaning for unix sockets .*got `1`/],
    ['remotePort for unix', { ...base, socketDomain: 'unix', remoteAddress: '/tmp/x', remotePort: 'http' }, 'ERR_POE_INVALID_ARGUMENT', /`remotePort` has no meaning for unix sockets \(only 0 is accepted\), got `"http"`/],
    ['unix server without a path', { ...base, socketDomain: 'unix' }, 'ERR_POE_INVALID_ARGUMENT', /bindAddress/],
    ['listenQueue for udp', { ...base, socketProtocol: 'udp', listenQueue: 5 }, 'ERR_POE_INVALID_ARGUMENT', /listenQueue/],
    ['bad listenQueue', { ...base, listenQueue: 0 }, 'ERR_POE_INVALID_ARGUMENT', /listenQueue/],
    ['bad reuse', { ...base, reuse: {} }, 'ERR_POE_INVALID_ARGUMENT', /reuse/],
    ['handle with bindPort', { ...base, handle: new net.Server(), bindPort: 1 }, 'ERR_POE_INVALID_ARGUMENT', /handle.*bindPort/],
    ['handle of the wrong kind', { ...base, handle: 'fd 3' }, 'ERR_POE_INVALID_ARGUMENT', /handle/],
    ['a TCP client bound to a host name', { ...base, bindAddress: 'localhost', remoteAddress: '127.0.0.1', remotePort: 1 }, 'ERR_POE_INVALID_ARGUMENT', /address literal/],
    ['packed address of the wrong size', { ...base, bindAddress: Buffer.alloc(5) }, 'ERR_POE_INVALID_ARGUMENT', /bindAddress/],
  ];
  test.each(cases)('%s -> PoeArgumentError %s', async (_name, options, code, message) => {
    const err = await thrownInHandler(() => new SocketFactory(options as SocketFactoryOptions));
    expect(err).toBeInstanceOf(PoeArgumentError);
    expect((err as PoeError).code).toBe(code);
    expect((err as Error).message).toMatch(message);
  });

  test("POE's snake_case spellings are the very same functions", () => {
    expect(SocketFactory.prototype.pause_accept).toBe(SocketFactory.prototype.pauseAccept);
    expect(SocketFactory.prototype.resume_accept).toBe(SocketFactory.prototype.resumeAccept);
  });

  test('outside a handler -> PoeError ERR_POE_WHEEL_NO_SESSION, and no wheel id is taken', async () => {
    const { kernel, log, say } = realKernel();
    expect(() => new SocketFactory({ ...base, bindAddress: '127.0.0.1' })).toThrow(expect.objectContaining({ code: 'ERR_POE_WHEEL_NO_SESSION' }) as PoeError);
    Session.create({
      kernel,
      inlineStates: {
        _start() {
          const w = new SocketFactory({ ...base, bindAddress: '127.0.0.1' });
          say('first wheel id ', w.ID);
          w.destroy();
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['first wheel id 1']);
    expectNoLeaks(kernel);
  });

  test('an inet address of the other family fails like inet_aton / getaddrinfo do (yielded)', async () => {
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      heap: newHeap<{ w: SocketFactory[] }>(),
      inlineStates: {
        _start(ctx) {
          ctx.heap.w = [
            new SocketFactory({ ...base, failureEvent: 'failed', bindAddress: '::1' }),
            new SocketFactory({ ...base, failureEvent: 'failed', socketDomain: 'inet6', remoteAddress: '127.0.0.1', remotePort: 1 }),
          ];
        },
        failed(ctx, op: string, errnum: number, _errstr: string, wid: number) {
          say(`${wid}: ${op} ${errnum === EADDRNOTAVAIL ? 'EADDRNOTAVAIL' : errnum}`);
          ctx.heap.w[wid - 1]!.destroy();
        },
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['1: inet_aton EADDRNOTAVAIL', '2: getaddrinfo EADDRNOTAVAIL']);
    expectNoLeaks(kernel);
  });
});

describe('packed addresses', () => {
  test('inetAton / inetNtoa round trips', () => {
    expect(inetAton('127.0.0.1')).toEqual(Buffer.from([127, 0, 0, 1]));
    expect(inetAton('::1')).toEqual(Buffer.from([...new Array<number>(15).fill(0), 1]));
    expect(inetAton('::ffff:10.1.2.3')).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]));
    expect(inetAton('fe80::1%lo')).toEqual(Buffer.from([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]));
    expect(inetAton('localhost')).toBeUndefined();
    for (const ip of ['127.0.0.1', '::1', '::', '2001:db8::8:800:200c:417a', '2001:db8:0:0:1::1'.replace('0:0:1::1', '0:0:1:0:0:1')]) {
      expect(inetNtoa(inetAton(ip)!)).toBe(net.isIPv6(ip) ? new URL(`http://[${ip}]`).hostname.slice(1, -1) : ip);
    }
    expect(() => inetNtoa(Buffer.alloc(5))).toThrow(RangeError);
  });
});
