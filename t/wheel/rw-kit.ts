/**
 * Helpers for ReadWrite and driver tests: a real-clock kernel with an ordered log and a
 * leak-checked bounded run, and a connected pair of loopback TCP sockets.
 */
import { once } from 'node:events';
import * as net from 'node:net';
import { Kernel } from '../../src/index.js';
import { expectNoLeaks } from '../kit/index.js';
import { listeningServer, portOf, runBounded } from './net-kit.js';

export interface RealKernel {
  kernel: Kernel;
  /** Everything `say` recorded, in order. */
  log: string[];
  /** Lines the kernel logged (warnings). */
  warnings: string[];
  say: (...parts: unknown[]) => void;
  /** Runs the kernel to completion within `ms`, then checks that nothing leaked. */
  run: (ms?: number) => Promise<void>;
}

/**
 * A kernel on the system clock: I/O tests wait for real bytes, and a manual clock's
 * auto-advance would jump timers ahead of them.
 */
export function realKernel(): RealKernel {
  const warnings: string[] = [];
  const kernel = new Kernel({ log: (line) => warnings.push(line) });
  const log: string[] = [];
  const say = (...parts: unknown[]) => void log.push(parts.map((p) => (typeof p === 'string' ? p : String(p))).join(''));
  const run = async (ms = 5000) => {
    await runBounded(kernel, ms);
    expectNoLeaks(kernel);
  };
  return { kernel, log, warnings, say, run };
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

/** Shows CR and LF the way the probes print them. */
export function visible(s: string | Buffer): string {
  return String(s).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}
