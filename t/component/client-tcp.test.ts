/**
 * Client::TCP (spec 4.2; PTL comp_tcp.pm): the callbacks in order with POE's arguments, the
 * shutdown sequence, reconnect and connect, connect errors and the connect timeout, PreConnect,
 * watermarks and option checks. Real sockets on 127.0.0.1 port 0; the servers are raw
 * `node:net` servers (and, for the timeout, a listener in a child process that never accepts).
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { constants } from 'node:os';
import { describe, expect, onTestFinished, test } from 'vitest';
import { ClientTCP, Line, PoeArgumentError, ReadWrite, Session, SocketFactory, type ClientTCPOptions } from '../../src/index.js';
import { expectNoLeaks, listeningServer, portOf, realKernel, runBounded, tempDir } from '../kit/index.js';

const E = constants.errno;

/** A raw server: `onConnection` gets each socket (latin1); closed after the test. */
async function rawServer(onConnection: (socket: net.Socket, n: number) => void): Promise<{ server: net.Server; port: number; received: string[]; ended: Promise<void>[] }> {
  const server = await listeningServer({ allowHalfOpen: true });
  const received: string[] = [];
  const ended: Promise<void>[] = [];
  let n = 0;
  server.on('connection', (socket) => {
    const i = n++;
    received[i] = '';
    socket.setEncoding('latin1');
    socket.on('error', () => undefined);
    socket.on('data', (d: string) => {
      received[i] += d;
    });
    ended[i] = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('end', () => socket.end());
    onConnection(socket, i);
  });
  onTestFinished(() => void server.close());
  return { server, port: portOf(server), received, ended };
}

/**
 * A listener that never accepts: a child process blocks its event loop right after listening
 * with a backlog of 1, and two connections fill the accept queue, so a further connect's SYN
 * is dropped and the connect hangs (as to a host that does not answer).
 */
async function blackhole(): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const s = require('net').createServer();
       s.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
         process.stdout.write(s.address().port + '\\n');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000);
         process.exit(0);
       });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const sockets: net.Socket[] = [];
  onTestFinished(() => {
    for (const s of sockets) s.destroy();
    child.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
  });
  // The first fills one slot (waited for); three more take the other and keep it full.
  const first = net.connect(port, '127.0.0.1');
  sockets.push(first);
  await new Promise((resolve) => first.once('connect', resolve));
  for (let i = 0; i < 3; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    sockets.push(s);
  }
  return port;
}

describe('Client::TCP callbacks', () => {
  test('Started, Connected (SocketFactory args), ServerInput, ServerFlushed, shutdown waits for the flush, Disconnected', async () => {
    const { kernel, warnings, log } = realKernel();
    const srv = await rawServer((socket) => {
      socket.write('hello\r\n');
      socket.on('data', (d: string) => {
        if (d.includes('ping')) socket.write('echo: ping\r\n');
      });
    });
    const id = ClientTCP.create({
      kernel,
      remoteAddress: '127.0.0.1',
      remotePort: srv.port,
      alias: 'cli',
      args: ['a1', 'a2'],
      started: (ctx, ...args) => log.push(`started [${args.join(' ')}] server=${ctx.heap.server === undefined ? 'undefined' : 'set'} aliases=${ctx.kernel.aliasList().join()} shutdown_on_error=${ctx.heap.shutdown_on_error}`),
      connected: (ctx, socket, address, port, wheelId) => {
        log.push(
          `connected socket=${socket instanceof net.Socket} address=${(address as Buffer).length}-byte port=${port === srv.port} wheel=${Number.isInteger(wheelId)} heap.connected=${ctx.heap.connected} server=${ctx.heap.server instanceof ReadWrite}`,
        );
      },
      serverInput: (ctx, line, wheelId) => {
        log.push(`input '${line}' wheel=${wheelId === ctx.heap.server.ID}`);
        if (line === 'hello') ctx.heap.server.put('ping');
        else {
          ctx.heap.server.put('last');
          // `call`: shutdown finds the output still queued and waits for it.
          ctx.kernel.call(ctx.session, 'shutdown');
        }
      },
      serverFlushed: (ctx, wheelId) => log.push(`flushed wheel=${wheelId === ctx.heap.server.ID} shutdown=${ctx.heap.shutdown} connected=${ctx.heap.connected}`),
      disconnected: (ctx) => log.push(`disconnected server=${ctx.heap.server === undefined ? 'undefined' : 'set'} connected=${ctx.heap.connected} aliases=${ctx.kernel.aliasList().join()}`),
      serverError: (_ctx, op, errnum) => log.push(`error ${op} ${errnum}`),
      connectError: (_ctx, op, errnum) => log.push(`connectError ${op} ${errnum}`),
    });
    expect(Number.isInteger(id)).toBe(true);
    await runBounded(kernel);
    expect(log).toEqual([
      'started [a1 a2] server=undefined aliases=cli shutdown_on_error=true',
      'connected socket=true address=4-byte port=true wheel=true heap.connected=true server=true',
      "input 'hello' wheel=true",
      'flushed wheel=true shutdown=false connected=true',
      "input 'echo: ping' wheel=true",
      'flushed wheel=true shutdown=true connected=false',
      'disconnected server=undefined connected=false aliases=',
    ]);
    await Promise.all(srv.ended);
    expect(srv.received).toEqual(['ping\r\nlast\r\n']);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });

  test('the default ServerError warns even for a normal disconnection, and shuts down', async () => {
    const { kernel, warnings, log } = realKernel();
    const srv = await rawServer((socket) => socket.end('bye\n'));
    const id = ClientTCP.create({
      kernel,
      remoteAddress: '127.0.0.1',
      remotePort: srv.port,
      serverInput: (_ctx, line) => log.push(`input ${line}`),
      disconnected: (ctx) => log.push(`disconnected got_an_error=${ctx.heap.got_an_error}`),
    });
    await runBounded(kernel);
    expect(log).toEqual(['input bye', 'disconnected got_an_error=true']);
    expect(warnings).toEqual([`Client ${id} got read error 0 (Normal disconnection)`]);
    expectNoLeaks(kernel);
  });

  test('undefined remoteAddress means 127.0.0.1; input after shutdown is ignored', async () => {
    const { kernel, warnings, log } = realKernel();
    const srv = await rawServer((socket) => socket.write('one\ntwo\nthree\n'));
    ClientTCP.create({
      kernel,
      remoteAddress: undefined,
      remotePort: srv.port,
      serverInput: (ctx, line) => {
        log.push(`input ${line}`);
        if (line === 'one') ctx.kernel.call(ctx.session, 'shutdown');
      },
      disconnected: () => log.push('disconnected'),
    });
    await runBounded(kernel);
    expect(log).toEqual(['input one', 'disconnected']);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });
});

describe('Client::TCP over a unix socket', () => {
  // POE needs the RemotePort key even for a unix path and ignores its value; 0 is what a port
  // of such a program passes, and the port's documented default.
  test.each([
    ['remotePort: undefined', undefined],
    ['remotePort: 0', 0],
  ])('%s: connects to the path; Connected gets the path and no port', async (_name, remotePort) => {
    const dir = tempDir();
    onTestFinished(dir.cleanup);
    const path = dir.path('srv.sock');
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => undefined);
      socket.on('end', () => socket.end());
      socket.end('hello\r\n');
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    onTestFinished(() => void server.close());
    const { kernel, warnings, log } = realKernel();
    ClientTCP.create({
      kernel,
      domain: 'unix',
      remoteAddress: path,
      remotePort,
      connected: (_ctx, _socket, address, port) => log.push(`connected ${address === path ? 'path' : String(address)} ${String(port)}`),
      serverInput: (ctx, line) => {
        log.push(`input ${line}`);
        ctx.kernel.yield('shutdown');
      },
      disconnected: () => log.push('disconnected'),
      connectError: (_ctx, op, errnum) => log.push(`connectError ${op} ${errnum}`),
    });
    await runBounded(kernel);
    expect(log).toEqual(['connected path undefined', 'input hello', 'disconnected']);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });
});

describe('Client::TCP reconnect and connect', () => {
  test('reconnect from Disconnected: a new connection each time', async () => {
    const { kernel, warnings, log } = realKernel();
    const srv = await rawServer((socket, n) => socket.end(`you are #${n}\n`));
    let rounds = 0;
    ClientTCP.create({
      kernel,
      remoteAddress: '127.0.0.1',
      remotePort: srv.port,
      connected: (ctx) => log.push(`connected shutdown=${ctx.heap.shutdown}`),
      serverInput: (_ctx, line) => log.push(`input ${line}`),
      serverError: (_ctx, op, errnum) => log.push(`error ${op} ${errnum}`),
      disconnected: (ctx) => {
        log.push('disconnected');
        if (++rounds < 3) ctx.kernel.yield('reconnect');
      },
    });
    await runBounded(kernel);
    const round = (n: number) => ['connected shutdown=false', `input you are #${n}`, 'error read 0', 'disconnected'];
    expect(log).toEqual([...round(0), ...round(1), ...round(2)]);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });

  test('connect(address, port) moves the client to another server', async () => {
    const { kernel, warnings, log } = realKernel();
    const a = await rawServer((socket) => socket.write('this is a\n'));
    const b = await rawServer((socket) => socket.end('this is b\n'));
    ClientTCP.create({
      kernel,
      remoteAddress: '127.0.0.1',
      remotePort: a.port,
      connected: (_ctx, _socket, _address, port) => log.push(`connected to ${port === a.port ? 'a' : port === b.port ? 'b' : port}`),
      serverInput: (ctx, line) => {
        log.push(`input ${line}`);
        if (line === 'this is a') ctx.kernel.yield('connect', '127.0.0.1', b.port);
      },
      serverError: (_ctx, op, errnum) => log.push(`error ${op} ${errnum}`),
      disconnected: () => log.push('disconnected'),
    });
    await runBounded(kernel);
    // The wheel on a is replaced by the new factory (as POE overwrites $heap->{server}): no
    // Disconnected for a.
    expect(log).toEqual(['connected to a', 'input this is a', 'connected to b', 'input this is b', 'error read 0', 'disconnected']);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });
});

describe('Client::TCP connect failures', () => {
  test('a refused connect: ConnectError(connect, ECONNREFUSED, text, id); the default warns', async () => {
    const { kernel, warnings, log } = realKernel();
    const closed = await listeningServer();
    const port = portOf(closed);
    await new Promise((resolve) => closed.close(resolve));
    ClientTCP.create({
      kernel,
      remoteAddress: '127.0.0.1',
      remotePort: port,
      serverInput: () => undefined,
      connectError: (ctx, op, errnum, errstr, wheelId) => log.push(`connectError ${op} ${errnum} '${errstr}' wheel=${wheelId === (ctx.heap.server as SocketFactory).ID} connected=${ctx.heap.connected}`),
    });
    const quiet = ClientTCP.create({ kernel, remoteAddress: '127.0.0.1', remotePort: port, serverInput: () => undefined });
    await runBounded(kernel);
    expect(log).toEqual([`connectError connect ${E.ECONNREFUSED} 'Connection refused' wheel=true connected=false`]);
    expect(warnings).toEqual([`Client ${quiet} got connect error ${E.ECONNREFUSED} (Connection refused)`]);
    expectNoLeaks(kernel);
  });

  test('connectTimeout: ConnectError(connect, ETIMEDOUT) and the pending connect is dropped', async () => {
    const port = await blackhole();
    const { kernel, warnings, log } = realKernel();
    const t0 = Date.now();
    ClientTCP.create({
      kernel,
      remoteAddress: '127.0.0.1',
      remotePort: port,
      connectTimeout: 0.2,
      started: (ctx) => log.push(`started timeout=${ctx.heap.ctimeout_id === undefined ? 'not yet' : 'set'}`),
      connected: () => log.push('connected (unexpected)'),
      serverInput: () => undefined,
      connectError: (ctx, op, errnum, errstr, wheelId) => {
        log.push(`connectError ${op} ${errnum} '${errstr}' ${wheelId} timeout=${ctx.heap.ctimeout_id} server=${ctx.heap.server instanceof SocketFactory}`);
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['started timeout=not yet', `connectError connect ${E.ETIMEDOUT} 'Connection timed out' undefined timeout=undefined server=true`]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });

  test('a connect that succeeds cancels the timeout', async () => {
    const { kernel, warnings, log } = realKernel();
    const srv = await rawServer((socket) => socket.end('hi\n'));
    ClientTCP.create({
      kernel,
      remoteAddress: '127.0.0.1',
      remotePort: srv.port,
      connectTimeout: 30,
      connected: (ctx) => log.push(`connected timeout=${ctx.heap.ctimeout_id}`),
      serverInput: (_ctx, line) => log.push(`input ${line}`),
      serverError: () => undefined,
      disconnected: () => log.push('disconnected'),
    });
    await runBounded(kernel);
    expect(log).toEqual(['connected timeout=undefined', 'input hi', 'disconnected']);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });

  test('shutdown while connecting drops the factory: no callbacks, the alias goes', async () => {
    const port = await blackhole();
    const { kernel, warnings, log } = realKernel();
    ClientTCP.create({
      kernel,
      remoteAddress: '127.0.0.1',
      remotePort: port,
      alias: 'cli',
      connectTimeout: 10,
      started: (ctx) => {
        log.push('started');
        // After the queued reconnect: the factory exists and the connect hangs.
        ctx.kernel.yield('shutdown');
      },
      connected: () => log.push('connected'),
      connectError: () => log.push('connectError'),
      disconnected: () => log.push('disconnected'),
      serverInput: () => undefined,
      inlineStates: {
        _stop: (ctx) => log.push(`_stop server=${ctx.heap.server === undefined ? 'undefined' : 'set'} aliases=${ctx.kernel.aliasList().join()}`),
      },
    });
    await runBounded(kernel);
    expect(log).toEqual(['started', '_stop server=undefined aliases=']);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });

  test('PreConnect returning false gives up the connection; returning the socket goes on', async () => {
    const { kernel, warnings, log } = realKernel();
    const srv = await rawServer((socket, n) => socket.end(`server #${n}\n`));
    for (const accept of [false, true]) {
      ClientTCP.create({
        kernel,
        remoteAddress: '127.0.0.1',
        remotePort: srv.port,
        preConnect: (_ctx, socket, address, port) => {
          log.push(`preConnect ${accept} address=${(address as Buffer).length}-byte port=${port === srv.port}`);
          return accept && socket;
        },
        connected: () => log.push('connected'),
        serverInput: (_ctx, line) => log.push(`input ${line.replace(/\d/, 'N')}`),
        serverError: () => undefined,
        disconnected: () => log.push('disconnected'),
      });
    }
    await runBounded(kernel);
    expect(log.filter((l) => l.startsWith('preConnect')).sort()).toEqual(['preConnect false address=4-byte port=true', 'preConnect true address=4-byte port=true']);
    expect(log.filter((l) => !l.startsWith('preConnect'))).toEqual(['connected', 'input server #N', 'disconnected']);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });
});

describe('Client::TCP filters and watermarks', () => {
  test('a filter object is cloned; ServerHigh and ServerLow are the wheel events', async () => {
    const { kernel, warnings, log } = realKernel();
    let serverSide!: net.Socket;
    let total = 0;
    const srv = await rawServer((socket) => {
      serverSide = socket;
      socket.pause();
      socket.on('data', (d: string) => {
        total += d.length;
      });
    });
    srv.received.length = 0;
    const proto = new Line({ literal: '|' });
    const block = 'y'.repeat(1024 * 1024 - 1);
    ClientTCP.create({
      kernel,
      remoteAddress: '127.0.0.1',
      remotePort: srv.port,
      filter: proto,
      highMark: 64 * 1024 * 1024,
      lowMark: 64 * 1024,
      connected: (ctx) => {
        log.push(`cloned=${ctx.heap.server.getInputFilter() !== proto}`);
        for (let i = 0; i < 8; i++) ctx.heap.server.put(block);
        ctx.heap.server.setHighMark(1024 * 1024);
      },
      serverHigh: () => {
        log.push('high');
        serverSide.resume();
      },
      serverLow: () => log.push('low'),
      serverFlushed: (ctx) => {
        log.push('flushed');
        ctx.kernel.yield('shutdown');
      },
      serverInput: () => undefined,
      disconnected: () => log.push('disconnected'),
    });
    await runBounded(kernel, 15_000);
    expect(log).toEqual(['cloned=true', 'high', 'low', 'flushed', 'disconnected']);
    await new Promise((resolve) => (serverSide.readableEnded ? resolve(undefined) : serverSide.once('end', resolve)));
    expect(total).toBe(8 * 1024 * 1024);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });
});

describe('Client::TCP read pause (readPauseMark, not in POE)', () => {
  test.each([
    ['by default the client stops reading while 1 MiB it sent waits, and reads on once it drains', {}, ['server reads', 'input hello with at most 512 KiB queued']],
    ['readPauseMark false: the input is read at once, however much is queued (POE)', { readPauseMark: false }, ['input hello with more than 512 KiB queued', 'server reads']],
  ] as const)('%s', async (_name, options, expected) => {
    const { kernel, warnings, log } = realKernel();
    let serverSide!: net.Socket;
    let total = 0;
    const srv = await rawServer((socket) => {
      serverSide = socket;
      socket.pause();
      socket.on('data', (d: string) => (total += d.length));
      socket.write('hello\n');
    });
    srv.received.length = 0;
    // 16 MiB with CRLF: more than the loopback socket buffers take while the server reads nothing.
    const block = 'y'.repeat(1024 * 1024 - 2);
    const blocks = 16;
    ClientTCP.create({
      kernel,
      remoteAddress: '127.0.0.1',
      remotePort: srv.port,
      ...options,
      connected: (ctx) => {
        for (let i = 0; i < blocks; i++) ctx.heap.server.put(block);
        ctx.kernel.delay('server_reads', 0.2);
      },
      inlineStates: {
        server_reads: () => {
          log.push('server reads');
          serverSide.resume();
        },
      },
      serverInput: (ctx, line) => {
        log.push(`input ${line} with ${ctx.heap.server.getDriverOutOctets() <= 512 * 1024 ? 'at most' : 'more than'} 512 KiB queued`);
        ctx.kernel.yield('shutdown');
      },
      disconnected: () => log.push('disconnected'),
    });
    await runBounded(kernel, 15_000);
    expect(log).toEqual([...expected, 'disconnected']);
    await new Promise((resolve) => (serverSide.readableEnded ? resolve(undefined) : serverSide.once('end', resolve)));
    expect(total).toBe(blocks * 1024 * 1024);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });
});

describe('Client::TCP options are checked when create is called', () => {
  const ok = { remoteAddress: '127.0.0.1', remotePort: 1, serverInput: () => undefined } as const;
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['missing remoteAddress', { remotePort: 1, serverInput: () => undefined }, /needs a `remoteAddress` option/],
    ['missing remotePort', { remoteAddress: '127.0.0.1', serverInput: () => undefined }, /needs a `remotePort` option/],
    ['missing serverInput', { remoteAddress: '127.0.0.1', remotePort: 1 }, /needs a `serverInput` handler/],
    ['PascalCase POE key', { ...ok, ServerInput: () => undefined }, /Unknown ClientTCP option `ServerInput`; did you mean `serverInput`\?/],
    ['POE ConnectTimeout', { ...ok, ConnectTimeout: 5 }, /did you mean `connectTimeout`/],
    ['callback not a function', { ...ok, connected: true }, /Expected ClientTCP option `connected` to be a handler function/],
    ['negative timeout', { ...ok, connectTimeout: -1 }, /Expected ClientTCP option `connectTimeout` to be a number of seconds >= 0/],
    ['bad port', { ...ok, remotePort: -5 }, /Expected ClientTCP option `remotePort` to be a port/],
    ['unix with a remote port', { ...ok, domain: 'unix', remoteAddress: '/tmp/x.sock', remotePort: 80 }, /`remotePort` has no meaning for a unix-domain client \(only 0 is accepted\), got `80`/],
    ['unix with a bind port', { ...ok, domain: 'unix', remoteAddress: '/tmp/x.sock', remotePort: 0, bindPort: '1' }, /`bindPort` has no meaning for a unix-domain client \(only 0 is accepted\), got `"1"`/],
    ['args not an array', { ...ok, args: 'x' }, /Expected ClientTCP option `args` to be an array/],
    ['some watermark options', { ...ok, lowMark: 1, serverLow: () => undefined }, /you must give all four .*missing `highMark`, `serverHigh`/],
    ['not a filter', { ...ok, filter: {} }, /Expected ClientTCP option `filter` to be a filter object/],
    ['readPauseMark 0', { ...ok, readPauseMark: 0 }, /^Expected ClientTCP option `readPauseMark` to be a positive integer \(octets\), `Infinity` or `false`, got `0` \(number\)$/],
    ['readResumeMark negative', { ...ok, readResumeMark: -1 }, /^Expected ClientTCP option `readResumeMark` to be an integer >= 0 \(octets\), got `-1` \(number\)$/],
    ['reserved inline state', { ...ok, inlineStates: { reconnect: () => undefined } }, /`inlineStates` may not define `reconnect`/],
  ];
  test.each(cases)('%s', (_name, options, message) => {
    const { kernel } = realKernel();
    let thrown: unknown;
    try {
      ClientTCP.create({ kernel, ...options } as never);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PoeArgumentError);
    expect((thrown as Error).message).toMatch(message);
    expect(kernel.sessionCount).toBe(0);
  });

  test('created from a handler, the client joins the running kernel', async () => {
    const { kernel, warnings } = realKernel();
    const srv = await rawServer((socket) => socket.end('x\n'));
    const got: string[] = [];
    Session.create({
      kernel,
      inlineStates: {
        _start: () => {
          ClientTCP.create({ remoteAddress: '127.0.0.1', remotePort: srv.port, serverInput: (_ctx, line) => void got.push(line), serverError: () => undefined });
        },
      },
    });
    await runBounded(kernel);
    expect(got).toEqual(['x']);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });

  test('typed callbacks: the connected heap has the wheel', () => {
    const options: ClientTCPOptions = {
      remoteAddress: '127.0.0.1',
      remotePort: 1,
      serverInput: (ctx, line) => {
        ctx.heap.server.put(line.toUpperCase());
      },
      started: (ctx) => {
        // @ts-expect-error before the connection `server` may be a SocketFactory
        ctx.heap.server.put('x');
      },
    };
    void options;
    expect(true).toBe(true);
  });
});
