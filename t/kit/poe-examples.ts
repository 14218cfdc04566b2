/**
 * POE's own examples (`/usr/share/doc/libpoe-perl/examples/*.perl`) and their ports under
 * samples/poe-examples/: how each one is driven, so that POE and the port are driven the same way.
 * t/fixtures/poe-examples/record.ts runs the Perl programs with these drives and writes the
 * fixtures; t/samples/poe-examples.test.ts runs the ports with them and compares.
 *
 * Both sides run with stdout and stderr on one pipe (the order of `print` and `warn` lines is
 * kept), and Perl with autoflush on (`$| = 1`, set by the wrapper that runs the unchanged
 * program), so that "after N lines" means the same on both sides.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import * as net from 'node:net';
import { track, trackChild } from './process.js';

/** How one example is run and when it is told to stop. */
export interface Drive {
  /** Send SIGINT once this many lines have been printed; the program must then exit. */
  sigintAfterLines?: number;
  /** Send SIGINT `ms` after the first line matching `line` (for what follows it at no fixed time). */
  sigintAfter?: { line: RegExp; ms: number };
  /** Environment over the test's. */
  env?: Record<string, string>;
  /** Arguments after the program; `PORT` is the recording's fixed port, or 0 for the port. */
  args?: string[];
  /** Bound on the whole run, ms. */
  ms?: number;
  /**
   * From the first line matching this on, POE's order varies from run to run (its signal
   * dispatch walks a Perl hash, whose order Perl randomises per process), so these lines are
   * compared as a sorted list on both sides.
   */
  unorderedFrom?: RegExp;
  /**
   * A run of a repeating block whose count depends on how fast the peer reads (a flow-control
   * cycle): each match becomes one `(repeated)` line on both sides.
   */
  repeats?: RegExp;
  /** Compare only this many lines: what POE printed after them is not POE's contract (a POE bug). */
  firstLines?: number;
  /**
   * A rot13 line server the example connects to: listening on the recording's fixed port for
   * Perl (POE's examples hard-code theirs), on port 0 for the port, which reads it from env.
   */
  rot13Server?: { env: string };
  /** Steps on the program's stdin: wait for text in its output, then send or end. */
  stdin?: { waitFor?: string; send?: string; end?: boolean }[];
  /**
   * A client for a server example: connects once the program listens (the port given by
   * `fixedPort` for Perl, read from /proc for the port) and does its part.
   */
  client?: (port: number, output: () => string) => Promise<string | undefined>;
}

/**
 * The seed of the shared pseudo-random sequence (Park-Miller, 16807 * x mod 2^31-1): the Perl
 * wrapper replaces `rand` with it and the ports use it in place of Math.random() when
 * POE_EXAMPLE_SEED is set, so programs that roll dice print the same lines on both sides.
 */
export const SEED = '20260'; // forkbomb's; queue has its own (below)

/**
 * The watermark examples' flow-control cycle, "writes are paused" then "is resuming", repeated
 * as often as the client's reading makes it. The run ends with the client's EOF, which lands
 * after a pause, or (rarely in POE, often here) between a resume and the next pause: timing,
 * not behaviour, so the optional last pause belongs to the run.
 */
const WRITE_CYCLES = /(?:Chargen session (\d+) writes are paused\.\nChargen session \1 is resuming\.\n)+(?:Chargen session \1 writes are paused\.\n)?/;

export const drives: Record<string, Drive> = {
  create: {},
  sessions: {},
  objmaps: {},
  objsessions: {},
  packagesessions: {},
  forkbomb: { env: { POE_EXAMPLE_SEED: SEED } },
  // SIGINT after the last line of a burst, half a second before the next. Not later: at one
  // second the first session's alarm and the second's second alarm fall due a few
  // microseconds apart, and whether one batch takes both (and so which of their lines comes
  // first) is a race of wake-up latencies, in POE as here. POE delivers a signal to sessions
  // in Perl hash order (G25; poe-ts: newest first), so from the first delivery on the lines are
  // compared as a set.
  signals: { sigintAfterLines: 5, unorderedFrom: /caught SIGQUUX/ },
  // SIGINT before the first timers: from then on five clients' timers fall due a second after
  // one burst, microseconds apart, and how many of them one batch finds due is a race of wake
  // latencies (docs/differences.md, 25). SIGINT stops the sessions in hash order.
  names: { sigintAfterLines: 17, unorderedFrom: /caught and handled SIGINT/ },
  // The client hangs up after six lines; the server finds out at its next write and may get
  // SIGPIPE after that, at no fixed time: SIGINT comes half a second after the loss.
  selects: {
    env: { CHARGEN_PORT: '0' },
    sigintAfter: { line: /server has lost a child/, ms: 500 },
  },
  // A rot13 server to talk to; a line typed once the session has begun, and the end of input
  // once its answer is back.
  wheels2: {
    rot13Server: { env: 'ROT13_PORT' },
    stdin: [{ waitFor: 'Begun terminal session.', send: 'Hello, World\n' }, { waitFor: 'Uryyb', end: true }],
  },
  // A login: an empty name (asked again), a name, a password; then the client hangs up, and
  // SIGINT ends the server (nobody watches INT: the default action).
  fakelogin: {
    args: ['PORT'],
    client: (port) =>
      converse(port, [
        { waitFor: 'login: ', send: '\r\n' },
        { waitFor: 'login: ', count: 2, send: 'root\r\n' },
        { waitFor: 'Password: ', send: 'toor\r\n' },
        { waitFor: 'login: ', count: 3 },
      ]),
    sigintAfter: { line: /Client closed connection/, ms: 200 },
  },
  // A client that reads a while, then closes its side: the server throttles and resumes as the
  // client drains it, as many times as timing makes it, then sees EOF.
  watermarks: {
    env: { CHARGEN_PORT: '0' },
    client: (port) => chargenClient(port, 20_000),
    repeats: WRITE_CYCLES,
    sigintAfter: { line: /encountered/, ms: 300 },
  },
  tcp_watermarks: {
    env: { CHARGEN_PORT: '0' },
    client: (port) => chargenClient(port, 20_000),
    repeats: WRITE_CYCLES,
    sigintAfter: { line: /encountered/, ms: 300 },
  },
  // A benchmark: it prints its rate every ten seconds. SIGINT after the first report (INT is
  // watched but not handled: every session stops). POE 1.37 then often dies inside the kernel
  // ("please report this stacktrace": the pool starts a new client from _child while the
  // signal is stopping it, and POE dispatches _child to a session already gone), as the
  // recording shows; the port stops cleanly, as POE does when it does not die. Only the report
  // is compared.
  thrash: { env: { THRASH_PORT: '0' }, sigintAfterLines: 1, firstLines: 1, ms: 40_000 },
  // No session watches INT: the signal's default action ends the program at once. Children
  // wake at whole seconds after one another, so two timers due in the same second would be
  // ordered by microseconds, in POE as here; with this seed the first six wakes fall in six
  // different seconds, and SIGINT comes after the sixth one's lines.
  queue: { sigintAfterLines: 46, env: { POE_EXAMPLE_SEED: '13063' } },
};

/**
 * The Perl side: runs the installed example unchanged, with autoflush, and with `rand` replaced
 * by the shared sequence when POE_EXAMPLE_SEED is set (CORE::GLOBAL::rand, installed before
 * the program is compiled by `do`).
 */
export const PERL_WRAPPER = [
  'BEGIN {',
  '  if (defined $ENV{POE_EXAMPLE_SEED}) {',
  '    my $x = $ENV{POE_EXAMPLE_SEED};',
  '    *CORE::GLOBAL::rand = sub (;$) { $x = ($x * 16807) % 2147483647; (@_ && $_[0] ? $_[0] : 1) * $x / 2147483647 };',
  '  }',
  '}',
  '$| = 1;',
  'my $file = shift;',
  '$0 = $file;',
  'do $file; die $@ if $@;',
].join('\n');

/** The same normalisation on both sides: pids, times, ports and Perl's reference addresses. */
export function normalise(text: string): string {
  return text
    .replace(/\(0x[0-9a-f]+\)/g, '(0xADDR)')
    .replace(/\bpid \d+/g, 'pid PID')
    // POE's kernel id: host name, time and pid in hex
    .replace(/"[\w.-]+-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}"/g, '"KERNEL-ID"')
    // Perl's scalar(gmtime)
    .replace(/\b(Sun|Mon|Tue|Wed|Thu|Fri|Sat) \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\b/g, 'TIME')
    .replace(/\bport \d+/g, 'port PORT')
    // thrash's measurement: connections in so many seconds, and their rate
    .replace(/^bench: \d+ \/ \d+ = [\d.e+]+$/gm, 'bench: COUNT / SECONDS = RATE')
    .replace(/(\d+\.\d+\.\d+\.\d+):\d+/g, '$1:PORT');
}

/**
 * The lines of `text` in the form compared: runs of `drive.repeats` as one line, and the lines
 * from `drive.unorderedFrom` on sorted.
 */
export function comparable(text: string, drive: Drive): string[] {
  if (drive.repeats) text = text.replace(new RegExp(drive.repeats.source, 'g'), (run) => `${/^.*/.exec(run)![0]} (repeated)\n`);
  let lines = text.split('\n');
  if (drive.firstLines !== undefined) lines = lines.slice(0, drive.firstLines);
  if (!drive.unorderedFrom) return lines;
  const from = lines.findIndex((l) => drive.unorderedFrom!.test(l));
  if (from < 0) return lines;
  return [...lines.slice(0, from), '--- in any order:', ...lines.slice(from).sort()];
}

/** The TCP ports `pid` listens on (Linux: its socket inodes matched in /proc/net/tcp{,6}). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is f[1] (ADDR:PORT in hex), st is f[3] (0A = LISTEN), inode is f[9].
      if (f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/**
 * A client conversation: connect to `port`, then for each step wait until what came in has
 * `count` occurrences of `waitFor` (the prompts repeat) and send `send`; at the end, hang up
 * and resolve with everything received.
 */
export function converse(port: number, steps: { waitFor: string; count?: number; send?: string }[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const next = (): void => {
      while (steps.length > 0 && received.split(steps[0]!.waitFor).length - 1 >= (steps[0]!.count ?? 1)) {
        const { send } = steps.shift()!;
        if (send !== undefined) socket.write(send);
      }
      if (steps.length === 0) {
        socket.end();
        socket.removeListener('data', onData);
        resolve(received);
      }
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('latin1');
      next();
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

/** True when `text` is chargen output: 72-character lines, each starting one character later. */
function isChargen(text: string): boolean {
  const lines = text.split('\r\n').slice(0, -1);
  let first = lines[0]?.charCodeAt(0) ?? 32;
  for (const line of lines) {
    let expected = '';
    for (let c = first; c <= first + 71; c++) expected += String.fromCharCode(c > 0x7e ? c - 0x5f : c);
    if (line !== expected) return false;
    if (++first > 126) first = 32;
  }
  return lines.length > 0;
}

/**
 * A chargen client: reads until `bytes` arrived, then closes its sending side (the server sees
 * EOF, with no reset) and reads on until the server hangs up. Resolves with a check of what it
 * got: how much varies with timing, whether it is chargen does not.
 */
export function chargenClient(port: number, bytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.length >= bytes && !socket.writableEnded) socket.end();
    });
    socket.on('end', () => resolve(`${received.length >= bytes ? `at least ${bytes} bytes` : `${received.length} bytes`} of chargen: ${isChargen(received) ? 'well formed' : 'MALFORMED'}`));
    socket.on('error', reject);
  });
}

async function rot13Server(port: number): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      socket.write(chunk.toString('latin1').replace(/[a-z]/gi, (c) => String.fromCharCode(((c.charCodeAt(0) & 31) + 12) % 26 + (c.charCodeAt(0) & 96) + 1)));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return server;
}

/** Options of {@link runDriven}. */
export interface RunDrivenOptions {
  cwd?: string;
  /** The port a Perl example hard-codes (its servers and clients use it), else port 0. */
  fixedPort?: number;
}

/** Runs `command` as `drive` says and resolves with its normalised output (stdout and stderr together). */
export async function runDriven(command: string[], drive: Drive, { cwd, fixedPort }: RunDrivenOptions = {}): Promise<string> {
  const server = drive.rot13Server ? await rot13Server(fixedPort ?? 0) : undefined;
  const env = { ...drive.env };
  if (server && drive.rot13Server) env[drive.rot13Server.env] = String((server.address() as net.AddressInfo).port);
  try {
    return await runProgram(command, drive, env, cwd, fixedPort);
  } finally {
    server?.close();
  }
}

function runProgram(command: string[], drive: Drive, env: Record<string, string>, cwd: string | undefined, fixedPort: number | undefined): Promise<string> {
  const [file, ...args] = command;
  const extra = (drive.args ?? []).map((a) => (a === 'PORT' ? String(fixedPort ?? 0) : a));
  // One pipe for both streams: `2>&1` in a shell that then becomes the program.
  const child = spawn('/bin/sh', ['-c', 'exec "$@" 2>&1', 'sh', file!, ...args, ...extra], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
    cwd,
  });
  trackChild(child);
  if (child.pid !== undefined) track(child.pid);
  let out = '';
  let lines = 0;
  let signalled = false;
  let armed = false;
  const steps = [...(drive.stdin ?? [])];
  const step = (): void => {
    while (steps.length > 0 && (steps[0]!.waitFor === undefined || out.includes(steps[0]!.waitFor))) {
      const { send, end } = steps.shift()!;
      if (send !== undefined) child.stdin.write(send);
      if (end) child.stdin.end();
    }
  };
  child.stdin.on('error', () => undefined);
  step();
  if (drive.stdin === undefined && drive.client === undefined) child.stdin.end();
  let clientError: Error | undefined;
  let transcript: string | undefined;
  if (drive.client) {
    const client = drive.client;
    const started = Date.now();
    const poll = setInterval(() => {
      let port = fixedPort;
      if (port === undefined) {
        try {
          port = listeningPorts(child.pid!)[0];
        } catch {
          port = undefined;
        }
      } else {
        // Perl's port is fixed: wait until the program listens on it.
        try {
          if (!listeningPorts(child.pid!).includes(port)) port = undefined;
        } catch {
          port = undefined;
        }
      }
      if (port === undefined && Date.now() - started < 10_000) return;
      clearInterval(poll);
      if (port === undefined) {
        clientError = new Error('the program never listened');
        child.kill('SIGKILL');
        return;
      }
      client(port, () => normalise(out)).then((received) => {
        transcript = received;
      }, (err: unknown) => {
        clientError = err instanceof Error ? err : new Error(String(err));
        child.kill('SIGKILL');
      });
    }, 20);
    child.on('exit', () => clearInterval(poll));
  }
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    step();
    lines += chunk.split('\n').length - 1;
    if (!signalled && drive.sigintAfterLines !== undefined && lines >= drive.sigintAfterLines) {
      signalled = true;
      child.kill('SIGINT');
    }
    const after = drive.sigintAfter;
    if (!armed && after && out.split('\n').some((l) => after.line.test(l))) {
      armed = true;
      setTimeout(() => {
        if (!signalled) child.kill('SIGINT');
        signalled = true;
      }, after.ms);
    }
  });
  const ms = drive.ms ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command.join(' ')}: still running after ${ms} ms; output:\n${out}`));
    }, ms);
    // What the client received is part of the behaviour: it follows the program's output.
    const done = (): void =>
      clientError === undefined ? resolve(normalise(out) + (transcript === undefined ? '' : `--- the client received:\n${JSON.stringify(transcript)}\n`)) : reject(clientError);
    child.on('exit', () => {
      clearTimeout(timer);
      // Whatever the pipe still holds arrives before 'close'.
      child.stdout.on('close', done);
      if (child.stdout.closed) done();
    });
  });
}
