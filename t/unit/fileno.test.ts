/**
 * fileno(): POE's `fileno($fh)` on Node handles. For sockets and servers it reads Node's
 * private libuv handle (handleFd, src/driver/node-internals.ts, whose own test names the
 * internal if Node ever changes it).
 */
import { closeSync, createReadStream, openSync, fstatSync } from 'node:fs';
import net from 'node:net';
import { expect, onTestFinished, test } from 'vitest';
import { duplexPair, fileno } from '../../src/index.js';
import { listeningServer, portOf, tempDir } from '../kit/index.js';

test('stdio, fs streams, sockets and servers have one; a duplexPair end and a closed socket do not', async () => {
  expect(fileno(process.stdin)).toBe(0);
  expect(fileno(process.stdout)).toBe(1);
  expect(fileno(process.stderr)).toBe(2);
  const tmp = tempDir();
  onTestFinished(tmp.cleanup);
  const path = tmp.path('file');
  closeSync(openSync(path, 'w'));
  const file = createReadStream(path);
  await new Promise((resolve) => file.once('open', resolve));
  expect(fstatSync(fileno(file)!).isFile()).toBe(true);
  file.destroy();

  const server = await listeningServer();
  const serverFd = fileno(server);
  expect(serverFd).toEqual(expect.any(Number));
  expect(fstatSync(serverFd!).isSocket()).toBe(true);
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect(portOf(server), '127.0.0.1');
  await new Promise((resolve) => client.once('connect', resolve));
  const peer = await accepted;
  const fds = [fileno(client), fileno(peer)];
  expect(fds.every((fd) => typeof fd === 'number' && fstatSync(fd).isSocket())).toBe(true);
  expect(new Set([serverFd, ...fds]).size).toBe(3);
  client.destroy();
  peer.destroy();
  await new Promise((resolve) => client.once('close', resolve));
  expect(fileno(client)).toBeUndefined();
  await new Promise<void>((resolve) => server.close(() => resolve()));

  expect(fileno(duplexPair()[0])).toBeUndefined();
  expect(fileno(undefined)).toBeUndefined();
  expect(fileno({})).toBeUndefined();
});
