/**
 * The Node internals poe-ts relies on (src/driver/node-internals.ts), each exercised against
 * the running Node. A failure here means a Node release changed one: its message names the
 * internal and what in poe-ts depends on it.
 */
import { closeSync, fstatSync, openSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterEach, expect, test } from 'vitest';
import { LISTEN_ERROR_CHANNEL, handleFd, listenError, listenOnAddress, tlsParent } from '../../src/driver/node-internals.js';
import { portOf, tempDir } from '../kit/index.js';

const open: (net.Server | net.Socket)[] = [];
afterEach(async () => {
  const handles = open.splice(0);
  // Sockets first: a server's close() waits for its connections.
  for (const handle of handles) if (handle instanceof net.Socket) handle.destroy();
  for (const handle of handles) if (handle instanceof net.Server && handle.listening) await new Promise((resolve) => handle.close(resolve));
});

function server(): net.Server {
  const s = net.createServer();
  open.push(s);
  return s;
}

function nextEvent<T>(emitter: net.Server | net.Socket, name: string): Promise<T> {
  return new Promise((resolve) => emitter.once(name, resolve as (value: unknown) => void));
}

test("handleFd: a server's and its sockets' descriptors (`_handle.fd`), -1 once closed or without one", async () => {
  const listener = server();
  listener.listen(0, '127.0.0.1');
  await nextEvent(listener, 'listening');
  const client = net.connect(portOf(listener), '127.0.0.1');
  open.push(client);
  const [peer] = await Promise.all([nextEvent<net.Socket>(listener, 'connection'), nextEvent(client, 'connect')]);
  open.push(peer);

  const fds = [handleFd(listener), handleFd(client), handleFd(peer)];
  const what =
    "Node no longer keeps a socket's descriptor at `_handle.fd`: handleFd() (src/driver/node-internals.ts) needs another way to read it, " +
    'or fileno(), listener sharing with forked children and the EMFILE report of SocketFactory and ListenAccept stop working';
  expect(
    fds.map((fd) => fd >= 0 && fstatSync(fd).isSocket()),
    what,
  ).toEqual([true, true, true]);
  expect(new Set(fds).size, `${what} (three handles, not three distinct descriptors: ${fds.join(', ')})`).toBe(3);

  client.destroy();
  await nextEvent(client, 'close');
  expect(handleFd(client)).toBe(-1);
  expect([handleFd(net.createServer()), handleFd({}), handleFd(new net.Socket())]).toEqual([-1, -1, -1]);
});

test('listenOnAddress: bound and listening on the address asked for before it returns (`_listen2`)', async () => {
  expect(
    typeof (net.Server.prototype as unknown as { _listen2?: unknown })._listen2,
    "net.Server#_listen2 is gone: listenOnAddress() (src/driver/node-internals.ts) falls back to listen(), which binds a tick later, so SocketFactory's getsockname() right after new (probe 19) finds no port",
  ).toBe('function');
  const s = server();
  const listening = nextEvent(s, 'listening');
  listenOnAddress(s, '127.0.0.1', 0, 511);
  const address = s.address() as net.AddressInfo | null;
  expect(
    [s.listening, address?.address, address?.family, typeof address?.port === 'number' && address.port > 0],
    "net.Server#_listen2 no longer binds and listens synchronously: SocketFactory's getsockname() right after new (probe 19) depends on it",
  ).toEqual([true, '127.0.0.1', 'IPv4', true]);
  await listening; // and Node still says so as usual
});

test(`listenError: a failed listen is published on ${LISTEN_ERROR_CHANNEL} inside listen(), for an address, a path and an fd`, async () => {
  const taken = server();
  listenOnAddress(taken, '127.0.0.1', 0, 511);
  const port = portOf(taken);
  const sock = tempDir();
  writeFileSync(sock.path('in-use'), '');
  const file = openSync(sock.path('in-use'), 'r');
  try {
    const cases: [string, (s: net.Server) => void, string][] = [
      ['an address in use', (s) => listenOnAddress(s, '127.0.0.1', port, 511), 'EADDRINUSE'],
      ['a path in use', (s) => s.listen({ path: sock.path('in-use') }), 'EADDRINUSE'],
      ['an fd that is no socket', (s) => s.listen({ fd: file }), 'EINVAL'],
    ];
    for (const [what, start, code] of cases) {
      const s = net.createServer();
      const later = nextEvent<Error>(s, 'error');
      const err: NodeJS.ErrnoException | undefined = listenError(s, () => start(s));
      expect(
        [what, err?.code, err?.syscall],
        `Node no longer publishes a failed listen on '${LISTEN_ERROR_CHANNEL}' inside listen(): listenError() (src/driver/node-internals.ts) finds nothing, ` +
          "and SocketFactory's bind failures arrive a tick late, after what the handler queued next (G8, probe 19)",
      ).toEqual([what, code, 'listen']);
      // The 'error' event Node emits next is that very error.
      expect(await later).toBe(err);
    }
  } finally {
    closeSync(file);
    sock.cleanup();
  }

  const fine = server();
  expect(listenError(fine, () => listenOnAddress(fine, '127.0.0.1', 0, 511))).toBeUndefined();
  expect(fine.listening).toBe(true);
});

test('tlsParent: the socket a tls.Server was handed is the TLS socket it reports (`_parent`)', async () => {
  // No certificate needed: the TLS socket exists (and fails its handshake) without one.
  const tlsServer = tls.createServer({ handshakeTimeout: 10_000 });
  const plain = server();
  plain.listen({ host: '127.0.0.1', port: 0 });
  await nextEvent(plain, 'listening');
  const accepted = nextEvent<net.Socket>(plain, 'connection');
  const client = net.connect({ host: '127.0.0.1', port: portOf(plain) });
  open.push(client);
  client.on('error', () => undefined);
  const raw = await accepted;
  open.push(raw);
  const failed = new Promise<tls.TLSSocket>((resolve) => tlsServer.once('tlsClientError', (_err, socket) => resolve(socket)));
  tlsServer.emit('connection', raw);
  client.write('not a TLS hello\n');
  const socket = await failed;
  socket.destroy();
  expect(
    tlsParent(socket) === raw,
    "Node's TLSSocket no longer keeps the socket it wraps as `_parent`: tlsParent() (src/driver/node-internals.ts) finds nothing, " +
      'and a TLS SocketFactory stops tracking running handshakes, which then outlive a destroyed listener until they time out',
  ).toBe(true);
});
