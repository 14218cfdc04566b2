/**
 * Helpers for the TCP component tests: a kernel with its log captured, a raw `node:net` peer
 * that records what it reads, and the bound port of a Server::TCP listener.
 */
import * as net from 'node:net';
import { Kernel, type ServerTCPListenerContext } from '../../src/index.js';

export function kernelWithLog(): { kernel: Kernel; warnings: string[] } {
  const warnings: string[] = [];
  return { kernel: new Kernel({ log: (line) => warnings.push(line) }), warnings };
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
