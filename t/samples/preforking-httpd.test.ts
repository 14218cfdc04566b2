/**
 * samples/preforking-httpd (the seed's pre-forking HTTP server), end to end: the built program
 * run with `node` on 127.0.0.1, port 0 and two children. Several PIDs answer; the page carries
 * the request headers, the PID and a GMT time; a malformed request gets the filter's 400 and
 * its connection closes; a SIGKILLed child is reaped and replaced; churning children lose no
 * request; SIGINT to the process group ends every process with status 0 once in-flight requests
 * are answered; SIGTERM to the parent alone ends the whole server; a port in use ends the
 * server through got_error; a slow request gets 408. Also `start()` in this process, without
 * forking, for the exact sequence of the seed's log lines.
 *
 * The server leads its own process group (spawned detached). Every pid its log names is
 * tracked; afterEach kills any still alive and fails the test if there was one. Waits are on
 * log lines and socket events, each bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import { constants } from 'node:os';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Kernel } from '../../src/index.js';
import { gmtime, start } from '../../samples/preforking-httpd.js';
import { alive, bounded, builtSample, ensureBuilt, expectNoLeaks, killLeftovers, listeningServer, nodeCommand, onLines, portOf, track, trackChild, until as poll } from '../kit/index.js';

const built = builtSample('preforking-httpd');

beforeAll(() => ensureBuilt(built), 120_000);

/** Every pid a server's log named in this test (all are tracked too, so afterEach kills them). */
const pids = new Set<number>();

afterEach(async () => {
  pids.clear();
  expect(await killLeftovers(), 'processes left behind').toEqual([]);
});

interface Server {
  child: ChildProcess;
  /** The parent's pid; also its process group. */
  pid: number;
  port: number;
  /** stderr lines of the parent and every child, in arrival order. */
  lines: string[];
  /** The first line from index `from` on matching `re` (seen already or still to come). */
  line: (re: RegExp, options?: { from?: number; ms?: number }) => Promise<RegExpExecArray>;
  /** Pids of the children forked so far (from "forked child" lines). */
  forked: () => number[];
  /** Resolves once `check()` holds, re-checked at every new line; rejects after `ms`. */
  until: (check: () => boolean, what: string, ms?: number) => Promise<void>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

const PID_IN_LINE = /^(?:Server|Client handler) (\d+)/;

/**
 * Runs the built sample with DEBUG on, two children, port 0 on 127.0.0.1 and no churn unless
 * `env` says otherwise; resolves once it listens and has forked `children` children. With
 * `fdLimit`, a shell sets that limit on open descriptors and then becomes the sample (`exec`).
 */
async function startServer(
  env: Record<string, string> = {},
  { children = 2, fdLimit, listening = true }: { children?: number; fdLimit?: number; listening?: boolean } = {},
): Promise<Server> {
  const [command, ...args] = nodeCommand(built, [], { fdLimit });
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, DEBUG: '1', MAX_PROCESSES: '2', PORT: '0', BIND_ADDRESS: '127.0.0.1', TESTING_CHURN: '0', ...env },
  });
  trackChild(child);
  if (child.pid === undefined) throw new Error('could not start the sample');
  pids.add(child.pid);
  const lines: string[] = [];
  const waiters: { re: RegExp; from: number; resolve: (found: [RegExpExecArray, number]) => void }[] = [];
  const checks: { check: () => boolean; resolve: () => void }[] = [];
  onLines(child.stderr, (text) => {
    const index = lines.push(text) - 1;
    const who = PID_IN_LINE.exec(text);
    const forked = /forked child (\d+)/.exec(text);
    for (const pid of [who?.[1], forked?.[1]]) {
      if (pid === undefined) continue;
      pids.add(Number(pid));
      track(Number(pid));
    }
    for (const w of [...waiters]) {
      const m = index >= w.from ? w.re.exec(text) : null;
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve([m, index]);
      }
    }
    for (const c of [...checks]) {
      if (c.check()) {
        checks.splice(checks.indexOf(c), 1);
        c.resolve();
      }
    }
  });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
  /** The first line from `from` on matching `re`, and its index. */
  const lineAt = (re: RegExp, { from = 0, ms = 10_000 }: { from?: number; ms?: number } = {}): Promise<[RegExpExecArray, number]> => {
    for (let i = from; i < lines.length; i++) {
      const m = re.exec(lines[i]!);
      if (m) return Promise.resolve([m, i]);
    }
    const found = new Promise<[RegExpExecArray, number]>((resolve) => waiters.push({ re, from, resolve }));
    return bounded(found, ms, () => `a line matching ${re}; log so far:\n${lines.join('\n')}`);
  };
  const line = async (re: RegExp, options?: { from?: number; ms?: number }): Promise<RegExpExecArray> => (await lineAt(re, options))[0];
  const forked = () => lines.flatMap((l) => /^Server \d+ forked child (\d+)$/.exec(l)?.slice(1).map(Number) ?? []);
  const until = (check: () => boolean, what: string, ms = 10_000): Promise<void> => {
    if (check()) return Promise.resolve();
    const done = new Promise<void>((resolve) => checks.push({ check, resolve }));
    return bounded(done, ms, () => `${what}; log so far:\n${lines.join('\n')}`);
  };
  if (!listening) return { child, pid: child.pid, port: 0, lines, line, forked, until, exited };
  const m = await line(new RegExp(`^Server ${child.pid} has begun listening on port (\\d+)$`));
  // The first children: the seed forks them right after it begins listening.
  let from = 0;
  for (let n = 0; n < children; n++) from = (await lineAt(/^Server \d+ forked child \d+$/, { from }))[1] + 1;
  return { child, pid: child.pid, port: Number(m[1]), lines, line, forked, until, exited };
}

interface Reply {
  status: number;
  version: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  pid: number;
}

/** One GET on a fresh connection. */
function get(port: number, headers: Record<string, string> = {}): Promise<Reply> {
  const request = new Promise<Reply>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/probe?x=1', agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('error', reject);
      res.on('end', () => {
        const pid = Number(/<tr><td>PID<\/td><td>(\d+)<\/td><\/tr>/.exec(body)?.[1]);
        resolve({ status: res.statusCode!, version: res.httpVersion, headers: res.headers, body, pid });
      });
    });
    req.on('error', reject);
  });
  return bounded(request, 10_000, `GET on port ${port}`);
}

/** `n` GETs, `concurrency` at a time; resolves with every reply (rejects on the first failure). */
async function load(port: number, n: number, concurrency: number): Promise<Reply[]> {
  const replies: Reply[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      replies.push(await get(port));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return replies;
}

/** Loads the server until every process named in `want` has answered; bounded. */
async function untilAnswered(server: Server, want: number[], ms = 15_000): Promise<Set<number>> {
  const seen = new Set<number>();
  const end = Date.now() + ms;
  while (!want.every((pid) => seen.has(pid))) {
    if (Date.now() > end) throw new Error(`only ${[...seen].join(', ')} answered; wanted ${want.join(', ')}`);
    for (const r of await load(server.port, 12, 6)) seen.add(r.pid);
  }
  return seen;
}

/**
 * No connection is being served, every child that stopped has been reaped, and the parent has
 * its full count of children: nothing is about to exit or be forked.
 */
function quiescent(server: Server): boolean {
  const started = new Set<string>();
  const stoppedChildren = new Set<number>();
  const reaped = new Set<number>();
  for (const l of server.lines) {
    const client = /^Client handler (\d+\/\d+) (started|stopped)\.$/.exec(l);
    if (client) {
      if (client[2] === 'started') started.add(client[1]!);
      else started.delete(client[1]!);
      continue;
    }
    const stopped = /^Server (\d+) stopped\.$/.exec(l);
    if (stopped && Number(stopped[1]) !== server.pid) stoppedChildren.add(Number(stopped[1]));
    const r = /^Server \d+ reaped child (\d+)\.$/.exec(l);
    if (r) reaped.add(Number(r[1]));
  }
  return started.size === 0 && [...stoppedChildren].every((pid) => reaped.has(pid)) && server.forked().length - reaped.size === 2;
}

/** A raw client: what it reads, and when the server ends the connection. */
function rawClient(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  let data = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (data += d));
  socket.on('error', () => undefined);
  const ended = new Promise<string>((resolve) => {
    socket.once('end', () => resolve(data));
    socket.once('close', () => resolve(data));
  });
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, connected, ended: (ms = 10_000) => bounded(ended, ms, 'the server to close the connection') };
}

/** Waits until none of `list` is alive; bounded. */
function allGone(list: number[], ms = 10_000): Promise<void> {
  return poll(() => !list.some(alive), ms, () => `every process to exit; still alive: ${list.filter(alive).join(', ')}`);
}

/** Ctrl-C: SIGINT to the whole process group; resolves with the parent's exit. */
async function interrupt(server: Server): Promise<[number | null, NodeJS.Signals | null]> {
  process.kill(-server.pid, 'SIGINT');
  return bounded(server.exited, 10_000, () => `the server to exit after SIGINT; log:\n${server.lines.slice(-40).join('\n')}`);
}

describe('samples/preforking-httpd', () => {
  test('gmtime() is Perl scalar(gmtime)', () => {
    expect(gmtime(new Date(Date.UTC(1999, 8, 9, 1, 46, 40)))).toBe('Thu Sep  9 01:46:40 1999');
    expect(gmtime(new Date(Date.UTC(2024, 1, 29, 23, 5, 9)))).toBe('Thu Feb 29 23:05:09 2024');
  });

  test('start() without children logs the seed lines in the seed order and leaks nothing', async () => {
    const out: string[] = [];
    const kernel = new Kernel();
    const server = start({ kernel, port: 0, bindAddress: '127.0.0.1', maxProcesses: 0, warn: (text) => out.push(text) });
    expect(server.port).toEqual(expect.any(Number));
    const reply = await get(server.port!, { 'X-Probe': 'hello' });
    expect(reply.status).toBe(200);
    expect(reply.pid).toBe(process.pid);
    server.stop();
    await bounded(server.done, 10_000, 'the server to stop');
    const me = process.pid;
    expect(out.join('').split('\n').filter(Boolean)).toEqual([
      `Server ${me} has begun listening on port ${server.port}`,
      `Server ${me} received a connection.`,
      `Client handler ${me}/2 started.`,
      `Client handler ${me}/2 is handling a request.`,
      `Client handler ${me}/2 flushed its response.`,
      `Client handler ${me}/2 is shutting down.`,
      `Client handler ${me}/2 stopped.`,
      `Server ${me} received SIGINT.`,
      `Server ${me} stopped.`,
    ]);
    expect(server.failure()).toBeUndefined();
    expectNoLeaks(kernel);
  });

  test('several PIDs answer, each with a page of the request headers, its PID and a GMT time', async () => {
    const server = await startServer();
    const children = server.forked();
    expect(children).toHaveLength(2);
    const seen = await untilAnswered(server, children);
    expect([...seen].every((pid) => pid === server.pid || children.includes(pid))).toBe(true);

    const before = Date.now();
    const reply = await get(server.port, { 'X-Probe': 'hello <world>' });
    expect(reply.status).toBe(200);
    expect(reply.version).toBe('1.1');
    expect(reply.headers.connection).toBe('close');
    expect(reply.headers['content-type']).toBe('text/html');
    expect(Number(reply.headers['content-length'])).toBe(Buffer.byteLength(reply.body));
    expect(reply.body).toMatch(/^<html><head><title>POE Pre-Forking Server Example<\/title><\/head><body><table border=1>/);
    expect(reply.body).toContain(`<tr><td>Host</td><td>127.0.0.1:${server.port}</td></tr>`);
    expect(reply.body).toContain('<tr><td>X-Probe</td><td>hello &lt;world&gt;</td></tr>');
    expect(reply.body).toContain(`<tr><td>PID</td><td>${reply.pid}</td></tr>`);
    const time = /<tr><td>time<\/td><td>(\w{3}) (\w{3}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\d{4}) GMT<\/td><\/tr><\/table><\/body><\/html>$/.exec(reply.body);
    expect(time, reply.body).not.toBeNull();
    const [, , mon, day, hh, mm, ss, year] = time!;
    const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].indexOf(mon!);
    const at = Date.UTC(Number(year), month, Number(day), Number(hh), Number(mm), Number(ss));
    expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);

    const [code] = await interrupt(server);
    expect(code).toBe(0);
    await allGone([...pids]);
  });

  test('a malformed request gets the filter 400 and the connection closes', async () => {
    const server = await startServer();
    const c = rawClient(server.port);
    await c.connected;
    c.socket.write('GET / HTTP/1.1\r\nHost : example\r\n\r\n');
    const data = await c.ended();
    expect(data).toMatch(/^HTTP\/1\.[01] 400 Bad Request\r\n/);
    expect(data).toMatch(/\r\nConnection: close\r\n/);
    await server.line(/^Client handler \d+\/\d+ flushed its response\.$/);
    // The server is unharmed.
    expect((await get(server.port)).status).toBe(200);
    expect((await interrupt(server))[0]).toBe(0);
    await allGone([...pids]);
  });

  test('a child killed with SIGKILL is reaped and replaced, and requests keep succeeding', async () => {
    const server = await startServer();
    const [victim, other] = server.forked();
    await untilAnswered(server, [victim!, other!]);
    const from = server.lines.length;
    process.kill(victim!, 'SIGKILL');
    await server.line(new RegExp(`^Server ${server.pid} reaped child ${victim}\\.$`), { from });
    const m = await server.line(new RegExp(`^Server ${server.pid} forked child (\\d+)$`), { from });
    const replacement = Number(m[1]);
    expect([victim, other]).not.toContain(replacement);
    expect(alive(victim!)).toBe(false);
    const replies = await load(server.port, 30, 6);
    expect(replies.map((r) => r.status)).toEqual(Array(30).fill(200));
    await untilAnswered(server, [replacement]);
    expect((await interrupt(server))[0]).toBe(0);
    await allGone([...pids]);
  });

  test('with TESTING_CHURN children retire and are replaced under load without one failed request', async () => {
    const server = await startServer({ TESTING_CHURN: '1', DEBUG: '1' });
    const replies = await load(server.port, 300, 8);
    expect(replies).toHaveLength(300);
    expect(replies.filter((r) => r.status !== 200)).toEqual([]);
    const reaped = server.lines.filter((l) => /^Server \d+ reaped child \d+\.$/.test(l));
    expect(reaped.length).toBeGreaterThan(0);
    expect(server.forked().length).toBeGreaterThan(2);
    // Ctrl-C once the churn has settled: every connection done, every retired child reaped
    // and replaced. (A replacement still starting handles SIGINT at its fork point; only a
    // child forked after the signal reached the group could miss it, in POE as here.)
    await server.until(() => quiescent(server), 'the churn to settle');
    expect((await interrupt(server))[0]).toBe(0);
    await allGone([...pids]);
  });

  test('SIGINT to the process group ends every process with status 0 once in-flight requests are answered', async () => {
    const server = await startServer();
    const children = server.forked();
    await untilAnswered(server, children);
    // A request in flight: its interactor has started, half its head has arrived.
    const from = server.lines.length;
    const c = rawClient(server.port);
    await c.connected;
    c.socket.write('GET /slow HTTP/1.1\r\n');
    await server.line(/^Client handler \d+\/\d+ started\.$/, { from });
    process.kill(-server.pid, 'SIGINT');
    for (const pid of [server.pid, ...children]) await server.line(new RegExp(`^Server ${pid} received SIGINT\\.$`), { from });
    c.socket.write('Host: example\r\n\r\n');
    const data = await c.ended();
    expect(data).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const [code, signal] = await bounded(server.exited, 10_000, 'the server to exit');
    expect([code, signal]).toEqual([0, null]);
    for (const pid of children) {
      await server.line(new RegExp(`^Server ${server.pid} reaped child ${pid}\\.$`), { from });
      await server.line(new RegExp(`^Server ${pid} stopped\\.$`), { from });
    }
    await server.line(new RegExp(`^Server ${server.pid} stopped\\.$`), { from });
    expect(server.lines.slice(from).filter((l) => /forked child/.test(l))).toEqual([]);
    await allGone([...pids]);
  });

  test('SIGINT while the children are still starting: nothing is forked after it and nothing is left', async () => {
    const server = await startServer();
    // A child still rebuilding keeps the SIGINT for its fork point, where its own watcher
    // handles it; one still inside Node's own start-up dies of it, as any Node program would.
    // The parent may learn of such a death before its own SIGINT (signals reach a process's
    // threads in no fixed order) and fork a replacement, which it then passes the signal on
    // to. Either way every child is reaped, nothing is forked once the parent has handled the
    // signal, and the parent exits with 0.
    const [code] = await interrupt(server);
    expect(code).toBe(0);
    const sigint = server.lines.findIndex((l) => l === `Server ${server.pid} received SIGINT.`);
    expect(sigint).toBeGreaterThan(0);
    expect(server.lines.slice(sigint).filter((l) => /forked child/.test(l)), server.lines.join('\n')).toEqual([]);
    for (const pid of server.forked()) await server.line(new RegExp(`^Server ${server.pid} reaped child ${pid}\\.$`));
    await allGone([...pids]);
  });

  test('SIGTERM to the parent alone ends the whole server', async () => {
    const server = await startServer();
    const children = server.forked();
    await untilAnswered(server, children);
    process.kill(server.pid, 'SIGTERM');
    const [, signal] = await bounded(server.exited, 10_000, 'the parent to exit');
    expect(signal).toBe('SIGTERM');
    // Orphaned children stop listening, finish and exit on their own.
    await allGone(children);
    for (const pid of children) await server.line(new RegExp(`^Server ${pid} stopped\\.$`));
    await allGone([...pids]);
  });

  test('the program says where to browse and how to stop it, once, after it listens', async () => {
    const server = await startServer();
    const at = server.lines.indexOf(`Server ${server.pid} has begun listening on port ${server.port}`);
    expect(server.lines[at + 1]).toBe(`Serving http://127.0.0.1:${server.port}/. Ctrl-C stops the server and its children.`);
    expect(server.lines.filter((l) => l.startsWith('Serving '))).toHaveLength(1);
    process.kill(-server.pid, 'SIGINT');
    expect(await bounded(server.exited, 10_000, 'the server to exit')).toEqual([0, null]);
    await allGone([...pids]);
  });

  test('a port in use goes through got_error with a clear message, and the server exits', async () => {
    const holder = await listeningServer();
    const port = portOf(holder);
    try {
      const server = await startServer({ PORT: String(port) }, { children: 0, listening: false });
      const pid = server.pid;
      const [code] = await bounded(server.exited, 10_000, 'the server to exit');
      expect(code).toBe(1);
      // Issue 9: no "has begun listening" before the bind error, and no URL to open.
      expect(server.lines).toEqual([
        `Server ${pid} got bind error ${constants.errno.EADDRINUSE}: Address already in use`,
        `Server ${pid} is shutting down.`,
        `Server ${pid} stopped.`,
      ]);
      // A server that is not listening forks no children.
      expect(server.forked()).toEqual([]);
      await allGone([...pids]);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  test('out of descriptors: the accept error is logged as the seed logs it, and the server shuts down', async () => {
    // Issue 9: Node closed the connections it had no descriptor for and nobody heard of it.
    // POE's accept() fails with EMFILE and the seed's got_error logs it and stops listening.
    const server = await startServer({ MAX_PROCESSES: '0' }, { children: 0, fdLimit: 64 });
    const pid = server.pid;
    const clients = Array.from({ length: 150 }, () => rawClient(server.port));
    const endings: string[] = [];
    for (const c of clients) void c.ended(20_000).then((data) => endings.push(data), () => undefined);
    await server.line(new RegExp(`^Server ${pid} is shutting down\\.$`));
    const accepted = server.lines.filter((l) => l === `Server ${pid} received a connection.`).length;
    expect(accepted).toBeGreaterThan(0);
    expect(server.lines.filter((l) => l.startsWith(`Server ${pid} `))).toEqual([
      `Server ${pid} has begun listening on port ${server.port}`,
      ...Array<string>(accepted).fill(`Server ${pid} received a connection.`),
      `Server ${pid} got accept error ${constants.errno.EMFILE}: Too many open files`,
      `Server ${pid} is shutting down.`,
    ]);
    // The connections it had no descriptor for were closed unanswered; the accepted ones wait
    // for a request until their clients hang up, and then the server ends, with status 1.
    await poll(() => endings.length >= clients.length - accepted, 10_000, `${clients.length - accepted} connections to be closed`);
    expect(endings).toEqual(Array<string>(clients.length - accepted).fill(''));
    for (const c of clients) c.socket.destroy();
    const [code] = await bounded(server.exited, 10_000, () => `the server to exit; log:\n${server.lines.slice(-20).join('\n')}`);
    expect(code).toBe(1);
    expect(server.lines.at(-1)).toBe(`Server ${pid} stopped.`);
    await allGone([...pids]);
  });

  test('a client that trickles its request or sends nothing gets 408 and is disconnected', async () => {
    const server = await startServer({ REQUEST_TIMEOUT: '0.5' });
    const trickle = rawClient(server.port);
    const idle = rawClient(server.port);
    await Promise.all([trickle.connected, idle.connected]);
    trickle.socket.write('GET / HTTP/1.1\r\nHost: exa');
    for (const c of [trickle, idle]) {
      const data = await c.ended();
      expect(data).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(data).toMatch(/\r\nConnection: close\r\n/);
    }
    await server.line(/^Client handler \d+\/\d+ timed out waiting for a request\.$/);
    expect((await get(server.port)).status).toBe(200);
    expect((await interrupt(server))[0]).toBe(0);
    await allGone([...pids]);
  });
});
