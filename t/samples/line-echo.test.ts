/**
 * samples/line-echo (Cookbook recipe 17.14 done with Server::TCP), end to end on 127.0.0.1 and
 * port 0: several clients at once, CRLF and LF lines answered with their own ending, `quit`,
 * clients that vanish mid-line and mid-reply, a line over the limit, stop(), and the built
 * program under `node`.
 */
import * as net from 'node:net';
import { constants } from 'node:os';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { start, type LineEcho } from '../../samples/line-echo.js';
import { builtSample, cleanup, ensureBuilt, exitOf, expectNoLeaks, realKernel, run } from '../kit/index.js';

const built = builtSample('line-echo');
const LISTENING = /^line-echo listening on 127\.0\.0\.1:(\d+)$/;

/** A client: what it reads, and a promise of everything read once the server closes. */
function client(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  let data = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  socket.on('data', (d: string) => {
    data += d;
    for (let i = waiters.length - 1; i >= 0; i--) if (data.includes(waiters[i]!.text)) waiters.splice(i, 1)[0]!.resolve();
  });
  const closed = new Promise<string>((resolve) => {
    socket.once('end', () => resolve(data));
    socket.once('close', () => resolve(data));
  });
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return {
    socket,
    connected,
    closed,
    get data() {
      return data;
    },
    waitFor: (text: string) => (data.includes(text) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ text, resolve }))),
  };
}

/** A started server with its log, and a way to wait for a log line. */
async function server(options: { maxLineLength?: number } = {}) {
  const log: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  const { kernel, warnings } = realKernel();
  const s: LineEcho = await start({
    ...options,
    port: 0,
    host: '127.0.0.1',
    kernel,
    log: (line) => {
      log.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!.re.test(line)) waiters.splice(i, 1)[0]!.resolve(line);
    },
  });
  const logged = (re: RegExp) => {
    const line = log.find((l) => re.test(l));
    return line !== undefined ? Promise.resolve(line) : new Promise<string>((resolve) => waiters.push({ re, resolve }));
  };
  /** Stops the server and checks it ended cleanly. */
  const finish = async () => {
    s.stop();
    await s.done;
    expect(warnings).toEqual([]);
    expect(s.connections()).toBe(0);
    expectNoLeaks(kernel);
  };
  return { s, log, logged, finish };
}

describe('samples/line-echo', () => {
  test('several clients at once: each line upper-cased with the ending it came with', async () => {
    const { s, log, finish } = await server();
    const a = client(s.port);
    const b = client(s.port);
    const c = client(s.port);
    a.socket.write('hello\r\nworld\n');
    b.socket.write('lf only\nand ');
    c.socket.write('crlf\r\n');
    b.socket.write('a split line\n');
    a.socket.write('ünïcödé\r\n');
    await Promise.all([a.waitFor('ÜNÏCÖDÉ\r\n'), b.waitFor('AND A SPLIT LINE\n'), c.waitFor('CRLF\r\n')]);
    expect(a.data).toBe('HELLO\r\nWORLD\nÜNÏCÖDÉ\r\n');
    expect(b.data).toBe('LF ONLY\nAND A SPLIT LINE\n');
    expect(c.data).toBe('CRLF\r\n');
    expect(s.connections()).toBe(3);
    for (const x of [a, b, c]) x.socket.end();
    await Promise.all([a.closed, b.closed, c.closed]);
    expect(log.filter((l) => l.startsWith('connection from 127.0.0.1:'))).toHaveLength(3);
    await finish();
  });

  test('a line starting with quit closes the connection at once; the rest of that read is ignored', async () => {
    const { s, finish } = await server();
    const a = client(s.port);
    const b = client(s.port);
    a.socket.write('first\nquit now please\r\nnever answered\n');
    b.socket.write('quitting?\n');
    expect(await a.closed).toBe('FIRST\n');
    expect(await b.closed).toBe('');
    // The server closed them: later writes go nowhere and the server carries on.
    const c = client(s.port);
    c.socket.write('still here\n');
    await c.waitFor('STILL HERE\n');
    c.socket.end();
    await c.closed;
    await finish();
  });

  test('clients that vanish mid-line and mid-reply: logged, and everyone else is still served', async () => {
    const { s, log, logged, finish } = await server();
    const steady = client(s.port);
    steady.socket.write('before\n');
    await steady.waitFor('BEFORE\n');

    // Half a line, then a reset.
    const half = client(s.port);
    await half.connected;
    const halfPort = half.socket.localPort;
    half.socket.write('no newline yet');
    half.socket.resetAndDestroy();
    await logged(new RegExp(`:${halfPort} disconnected$`));

    // A flood of lines and gone without reading the replies: the writes fail.
    const flood = client(s.port);
    await flood.connected;
    const floodPort = flood.socket.localPort;
    flood.socket.write('x'.repeat(100).concat('\n').repeat(20_000));
    flood.socket.resetAndDestroy();
    await logged(new RegExp(`:${floodPort} disconnected$`));

    steady.socket.write('after\n');
    await steady.waitFor('AFTER\n');
    expect(steady.data).toBe('BEFORE\nAFTER\n');
    // The half line is dropped with the connection (Node may report the reset as a plain EOF);
    // the flood's replies fail to write. Whatever was logged is a reset or a broken pipe.
    const errors = log.filter((l) => / (read|write) error \d+ /.test(l));
    expect(errors.some((l) => l.includes(`:${floodPort} `))).toBe(true);
    for (const line of errors) expect(line).toMatch(new RegExp(`^127\\.0\\.0\\.1:(${halfPort}|${floodPort}) (read|write) error (${constants.errno.ECONNRESET}|${constants.errno.EPIPE}) `));
    steady.socket.end();
    await steady.closed;
    await finish();
  });

  test('a line over the limit gets an error line and the connection closes; the others carry on', async () => {
    const { s, log, finish } = await server({ maxLineLength: 1024 });
    const other = client(s.port);
    other.socket.write('one\n');
    await other.waitFor('ONE\n');
    const long = client(s.port);
    long.socket.write(`ok\n${'z'.repeat(4096)}`);
    expect(await long.closed).toBe('OK\nERROR line longer than 1024 bytes\n');
    other.socket.write('two\n');
    await other.waitFor('TWO\n');
    expect(log.filter((l) => l.includes(' read error '))).toEqual([expect.stringMatching(new RegExp(`read error ${constants.errno.EMSGSIZE} \\(Line: maxLength exceeded`))]);
    other.socket.end();
    await other.closed;
    await finish();
  });

  test('stop() closes open connections after their pending replies', async () => {
    const { s, finish } = await server();
    const a = client(s.port);
    a.socket.write('bye\n');
    await a.waitFor('BYE\n');
    await finish();
    expect(await a.closed).toBe('BYE\n');
  });

  test('start() rejects when the port is taken', async () => {
    const { s, finish } = await server();
    const { kernel } = realKernel();
    await expect(start({ port: s.port, host: '127.0.0.1', kernel })).rejects.toThrow(`line-echo: cannot listen on 127.0.0.1:${s.port}: bind error ${constants.errno.EADDRINUSE} (Address already in use)`);
    expectNoLeaks(kernel);
    await finish();
  });
});

describe('samples/line-echo as a program', () => {
  beforeAll(() => ensureBuilt(built), 120_000);
  afterEach(cleanup);

  test('out of descriptors: the accept error is logged once, and the server answers again when connections close', async () => {
    // Issue 9: Node closed the connections it had no descriptor for and nothing was logged.
    const p = run(built, [], { fdLimit: 64, env: { PORT: '0', HOST: '127.0.0.1' } });
    const { lines } = p;
    /** Resolves once `count` lines match `re`, checked as each line arrives; rejects after 10 s. */
    const seen = (re: RegExp, count = 1): Promise<void> => p.until(() => lines.filter((l) => re.test(l)).length >= count, 10_000, `${count} lines matching ${re}`);
    const port = Number((await p.line(LISTENING))[1]);
    const flood = Array.from({ length: 150 }, () => client(port));
    await seen(/^accept error /);
    const accepted = lines.filter((l) => l.startsWith('connection from ')).length;
    expect(accepted).toBeGreaterThan(0);
    expect(lines.filter((l) => !l.endsWith(' disconnected')).map((l) => l.replace(/:\d+$/, ':PORT'))).toEqual([
      'line-echo listening on 127.0.0.1:PORT',
      ...Array<string>(accepted).fill('connection from 127.0.0.1:PORT'),
      `accept error ${constants.errno.EMFILE} (Too many open files)`,
    ]);
    for (const c of flood) c.socket.destroy();
    await Promise.all(flood.map((c) => c.closed));
    // Descriptors come back as the server sees the hang-ups; then it answers again.
    await seen(/ disconnected$/, accepted);
    const c = client(port);
    c.socket.write('after\nquit\n');
    expect(await c.closed).toBe('AFTER\n');
    p.child.kill('SIGINT');
    const [code] = await exitOf(p);
    expect(code).toBe(0);
    expect(lines.filter((l) => l.startsWith('accept error '))).toHaveLength(1);
  });

  test('node build/samples/line-echo.js: PORT sets the port, SIGINT stops it', async () => {
    const p = run(built, [], { env: { PORT: '0', HOST: '127.0.0.1' } });
    const { lines } = p;
    const port = Number((await p.line(LISTENING))[1]);
    const c = client(port);
    c.socket.write('from the program\r\nquit\n');
    expect(await c.closed).toBe('FROM THE PROGRAM\r\n');
    p.child.kill('SIGINT');
    const [code] = await exitOf(p);
    expect(code).toBe(0);
    expect(lines[0]).toBe(`line-echo listening on 127.0.0.1:${port}`);
    expect(lines).toContain(`127.0.0.1:${c.socket.localPort} disconnected`);
    expect(lines.at(-1)).toBe('line-echo stopped');
  });
});
