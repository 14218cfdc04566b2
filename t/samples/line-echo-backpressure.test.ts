/**
 * Issue 9, "Backpressure": the built line-echo sample as a real process with a 256 MB heap
 * (`node --max-old-space-size=256`). One client writes lines as fast as the server takes them
 * and never reads; meanwhile a second client talks line by line and must get every answer.
 * The server must stay alive with its RSS bounded, answer the talker while the flooder is
 * stalled, and, once the flooder reads, send back every line it was sent: the pause dropped
 * nothing. Before ReadWrite paused reading on a full output queue, the server read the flood
 * without limit and queued its replies until the heap ran out.
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { alive, bounded, builtSample, ensureBuilt, killLeftovers, type Program, run } from '../kit/index.js';

const built = builtSample('line-echo');

const MiB = 1024 * 1024;
/** One flood line: 99 octets and LF; the server answers it upper-cased, octet for octet as long. */
const LINE = `${'abcdefghij'.repeat(9)}abcdefghi\n`;
const REPLY = Buffer.from(LINE.toUpperCase());
/** What the flooder writes at a time: whole lines only, so no line is ever left half-sent. */
const CHUNK = Buffer.from(LINE.repeat(640));
/** The flood stops after this much (or at FLOOD_MS, or once the server stops taking it). */
const FLOOD_BUDGET = 200 * MiB;
const FLOOD_MS = 15_000;
/**
 * The flood counts as stalled once a write has waited this long for 'drain': with the
 * backpressure the server stops reading the flooder, so the awaited event is one that must
 * not come, and only a time limit can say so. A server still reading would drain the socket
 * within milliseconds; a false stall would only end the flood early, not pass a test.
 */
const STALL_MS = 1500;
/**
 * The server's RSS must stay under this. The flooder's connection may cost the default
 * `readPauseMark` (1 MiB) of queued replies, one read's worth more (64 KiB) and Node's socket
 * buffers; the rest is Node itself (about 50 MB for this sample) and the garbage of parsing the
 * lines it did read (the flood stalls after about 8 MB), which V8 may keep a while. Measured
 * with the backpressure: 70-80 MB, so the bound leaves room for a slower machine and late GC.
 * Without it the server queued the whole flood: 540 MB of RSS after 200 MB of lines.
 */
const RSS_BOUND = 200 * MiB;

/** The process's resident set in octets (Linux: /proc/<pid>/status), or undefined once it is gone. */
function rssOf(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The built sample with a 256 MB heap, once it listens, and its port. */
async function startServer(): Promise<Program & { port: number }> {
  const p = run(built, [], { nodeArgs: ['--max-old-space-size=256'], env: { PORT: '0', HOST: '127.0.0.1' } });
  const [, port] = await p.line(/^line-echo listening on 127\.0\.0\.1:(\d+)$/);
  return { ...p, port: Number(port) };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

type FloodEnd = 'budget' | 'deadline' | 'stalled' | 'closed';

/**
 * Writes CHUNK after CHUNK, waiting for 'drain' whenever the socket says it is full (the test
 * process itself never holds more than a chunk or two), and never reads.
 */
async function flood(socket: net.Socket): Promise<{ written: number; end: FloodEnd }> {
  const deadline = Date.now() + FLOOD_MS;
  let written = 0;
  const closed = new Promise<'closed'>((resolve) => socket.once('close', () => resolve('closed')));
  while (written < FLOOD_BUDGET) {
    if (Date.now() > deadline) return { written, end: 'deadline' };
    if (socket.destroyed) return { written, end: 'closed' };
    const room = socket.write(CHUNK);
    written += CHUNK.length;
    let timer: NodeJS.Timeout | undefined;
    const next = room
      ? new Promise<'drain'>((resolve) => setImmediate(() => resolve('drain'))) // let the talker and the sampler run
      : Promise.race([
          new Promise<'drain'>((resolve) => socket.once('drain', () => resolve('drain'))),
          new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), STALL_MS))),
          closed,
        ]);
    const got = await next;
    clearTimeout(timer);
    if (got !== 'drain') return { written, end: got };
  }
  return { written, end: 'budget' };
}

/** A client that sends `ping N` and waits for `PING N` before the next, until `stop()`. */
function talker(socket: net.Socket) {
  let data = '';
  let waiter: (() => void) | undefined;
  let want = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    data += d;
    if (waiter !== undefined && data.endsWith(want)) waiter();
  });
  let stopped = false;
  let rounds = 0;
  const ask = async (i: number): Promise<void> => {
    want = `PING ${i}\n`;
    const answered = new Promise<void>((resolve) => (waiter = resolve));
    socket.write(`ping ${i}\n`);
    await bounded(answered, 5000, () => `the answer to ping ${i}; got ${JSON.stringify(data.slice(-200))}`);
    waiter = undefined;
  };
  const running = (async () => {
    // Bounded in count as well as by the flood's own limits.
    while (!stopped && rounds < 100_000) await ask(rounds++);
  })();
  // A failure surfaces through stop(); until then it must not count as unhandled.
  running.catch(() => undefined);
  return {
    /** Ends the loop, then asks once more; resolves with every round's transcript check. */
    stop: async () => {
      stopped = true;
      await running;
      await ask(rounds++);
      return { rounds, data };
    },
  };
}

const linux = process.platform === 'linux';

describe.skipIf(!linux)('samples/line-echo under a client that never reads (issue 9)', () => {
  beforeAll(() => ensureBuilt(built), 120_000);

  afterEach(async () => {
    expect(await killLeftovers(), 'processes left behind').toEqual([]);
  });

  test('reading the flooder pauses: RSS bounded, the other client answered, every flooded line answered once read', async () => {
    const server = await startServer();
    let maxRss = rssOf(server.pid) ?? 0;
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssOf(server.pid) ?? 0)), 50);
    const sockets: net.Socket[] = [];
    try {
      const flooder = await connect(server.port);
      const other = await connect(server.port);
      sockets.push(flooder, other);
      for (const s of sockets) s.on('error', () => undefined);
      const talk = talker(other);

      const { written, end } = await flood(flooder);
      const { rounds, data } = await talk.stop();
      maxRss = Math.max(maxRss, rssOf(server.pid) ?? 0);

      const seen = `max RSS ${(maxRss / MiB).toFixed(1)} MiB; flood ${(written / MiB).toFixed(1)} MiB, then ${end}`;
      expect({ alive: alive(server.pid), rssUnderBound: maxRss < RSS_BOUND, end, stderr: server.stderr }, seen).toEqual({ alive: true, rssUnderBound: true, end: 'stalled', stderr: [] });
      expect(data).toBe(Array.from({ length: rounds }, (_, i) => `PING ${i}\n`).join(''));
      expect(rounds).toBeGreaterThan(1);
      // The server took more than its pause mark before stalling: it did read, then stopped.
      expect(written).toBeGreaterThan(1 * MiB);

      // Now the flooder reads: the server drains, reads on, and answers every line it was sent.
      let received = 0;
      let wrong = -1;
      const all = new Promise<void>((resolve) => {
        flooder.on('data', (chunk: Buffer) => {
          for (let i = 0; i < chunk.length && wrong < 0; i++) if (chunk[i] !== REPLY[(received + i) % REPLY.length]) wrong = received + i;
          received += chunk.length;
          if (received >= written || wrong >= 0) resolve();
        });
      });
      await bounded(all, 15_000, () => `the flooder's ${written} octets of replies; got ${received}`);
      expect({ received, wrong }).toEqual({ received: written, wrong: -1 });
      maxRss = Math.max(maxRss, rssOf(server.pid) ?? 0);
      expect(maxRss).toBeLessThan(RSS_BOUND);
    } finally {
      clearInterval(sampler);
      for (const s of sockets) s.destroy();
    }

    server.child.kill('SIGINT');
    const [code, signal] = await bounded(server.exited, 10_000, () => 'line-echo to stop');
    expect({ code, signal, last: server.lines.at(-1), stderr: server.stderr }).toEqual({ code: 0, signal: null, last: 'line-echo stopped', stderr: [] });
  }, 30_000);
});
