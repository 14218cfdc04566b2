/**
 * Helpers for wheel tests on real sockets: a bounded `run()`, a temporary directory for unix
 * sockets, and whether this machine has IPv6 loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kernel } from '../../src/index.js';

/**
 * Runs the kernel to completion, or stops it and fails after `ms` milliseconds: a test that
 * waits on an event that never comes ends with a clear error instead of the runner's timeout.
 */
export async function runBounded(kernel: Kernel, ms = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      kernel.stop();
      reject(new Error(`kernel.run() did not settle within ${ms} ms`));
    }, ms);
  });
  try {
    await Promise.race([kernel.run(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

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
      const client = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
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
