/**
 * Sockets for tests: a connected loopback TCP pair (and the in-memory pair beside it), a listening
 * server, a raw peer that records what it reads, a temporary directory for unix sockets, and
 * whether this machine has IPv6.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { duplexPair, type ServerTCPListenerContext } from '../../src/index.js';

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'poe-ts-sock-'));
  return { dir, path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Resolves true when a TCP server can listen on ::1 here. */
export function hasIPv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '::1', port: 0 }, () => server.close(() => resolve(true)));
  });
}

/**
 * Resolves true when an IPv6 listener on `::` also takes IPv4 connections here (dual stack:
 * IPv6 present and `bindv6only` off), so a client on 127.0.0.1 reaches it as `::ffff:127.0.0.1`.
 */
export function hasDualStack(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', () => resolve(false));
    server.listen({ host: '::', port: 0 }, () => {
      const client = net.connect({ host: '127.0.0.1', port: portOf(server) });
      const done = (ok: boolean): void => {
        client.destroy();
        server.close(() => resolve(ok));
      };
      client.once('connect', () => done(true));
      client.once('error', () => done(false));
    });
  });
}

/** A net.Server listening on 127.0.0.1 and an ephemeral port, once it is listening. */
export function listeningServer(options: net.ServerOpts = {}, host = '127.0.0.1'): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer(options);
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      server.removeListener('error', reject);
      resolve(server);
    });
  });
}

/** The port of a listening server. */
export function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

/** An empty heap of type `T`, for `Session.create({ heap: newHeap<MyHeap>() })`. */
export function newHeap<T extends object>(): T {
  return {} as T;
}

/** Two connected loopback TCP sockets: [client, server side]. The listener is closed. */
export async function tcpPair(options: net.ServerOpts = {}): Promise<[net.Socket, net.Socket]> {
  const server = await listeningServer(options);
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect({ host: '127.0.0.1', port: portOf(server), allowHalfOpen: options.allowHalfOpen ?? false });
  await once(client, 'connect');
  const [peer] = await accepted;
  // Stops listening; the server object goes once both sockets are closed.
  server.close();
  return [client, peer];
}

/**
 * The in-memory pair and a loopback TCP pair, named, for `test.each`: a test of what duplexPair()
 * does runs over the sockets too, whose behaviour duplexPair() must match.
 */
export const streamPairs: [name: string, make: () => Promise<[Duplex, Duplex]>][] = [
  ['duplexPair', () => Promise.resolve(duplexPair())],
  ['a TCP socket pair', () => tcpPair()],
];

/** Shows CR and LF the way the probes print them. */
export function visible(s: string | Buffer): string {
  return String(s).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/** The port Server::TCP bound, read in its `started` callback (POE: `getsockname`). */
export function listenerPort(ctx: ServerTCPListenerContext): number {
  const name = ctx.heap.listener?.getsockname();
  if (name === undefined || !('port' in name)) throw new Error('the listener is not bound to a port');
  return name.port;
}

export interface Peer {
  socket: net.Socket;
  /** Everything read so far (latin1). */
  readonly data: string;
  /** Settles with everything read once the server closed its side (or the socket closed). */
  ended: Promise<string>;
  /** Settles once `data` includes `text`. */
  waitFor: (text: string) => Promise<string>;
}

/**
 * A raw client on 127.0.0.1 (or a unix path): records what it reads; `onData` may answer.
 * `ended` settles on EOF or close, never rejects (a reset is an end too).
 */
export function peer(target: number | string, onData?: (data: string, socket: net.Socket) => void): Peer {
  const socket = typeof target === 'number' ? net.connect({ host: '127.0.0.1', port: target, allowHalfOpen: true }) : net.connect({ path: target, allowHalfOpen: true });
  let data = '';
  const waiters: { text: string; resolve: (d: string) => void }[] = [];
  socket.setEncoding('latin1');
  socket.on('error', () => undefined);
  socket.on('data', (chunk: string) => {
    data += chunk;
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (data.includes(waiters[i]!.text)) waiters.splice(i, 1)[0]!.resolve(data);
    }
    onData?.(data, socket);
  });
  const ended = new Promise<string>((resolve) => {
    const done = (): void => {
      if (!socket.destroyed) socket.end();
      resolve(data);
    };
    socket.once('end', done);
    socket.once('close', done);
  });
  return {
    socket,
    get data() {
      return data;
    },
    ended,
    waitFor: (text) => (data.includes(text) ? Promise.resolve(data) : new Promise((resolve) => waiters.push({ text, resolve }))),
  };
}
