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
import { track, trackChild } from './process.js';

/** How one example is run and when it is told to stop. */
export interface Drive {
  /** Send SIGINT once this many lines have been printed; the program must then exit. */
  sigintAfterLines?: number;
  /** Send SIGINT `ms` after the first line matching `line` (for what follows it at no fixed time). */
  sigintAfter?: { line: RegExp; ms: number };
  /** Environment over the test's. */
  env?: Record<string, string>;
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
   * A behaviour of poe-ts that differs from POE's and makes this port's output differ: the
   * test expects the comparison to fail (`test.fails`) until it is fixed, and names it.
   */
  knownDifference?: string;
}

/**
 * The seed of the shared pseudo-random sequence (Park-Miller, 16807 * x mod 2^31-1): the Perl
 * wrapper replaces `rand` with it and the ports use it in place of Math.random() when
 * POE_EXAMPLE_SEED is set, so programs that roll dice print the same lines on both sides.
 */
export const SEED = '20260';

export const drives: Record<string, Drive> = {
  create: {},
  sessions: {},
  objmaps: {},
  objsessions: {},
  packagesessions: {},
  forkbomb: { env: { POE_EXAMPLE_SEED: SEED } },
  // SIGINT after the last line of a burst: the next timer is half a second or more away.
  signals: { sigintAfterLines: 10, unorderedFrom: /caught SIGINT/ },
  // SIGINT before the first timers: from then on five clients' timers fall due a second after
  // one burst, microseconds apart, and how many of them one batch finds due is a race of wake
  // latencies (see the report in docs/differences.md).
  names: { sigintAfterLines: 17, unorderedFrom: /caught and handled SIGINT/ },
  // No session watches INT: the signal's default action ends the program at once. Children
  // wake at whole seconds after one another, so two timers due in the same second would be
  // ordered by microseconds, in POE as here; with this seed the first six wakes fall in six
  // different seconds, and SIGINT comes after the sixth one's lines.
  // The client hangs up after six lines; the server finds out at its next write and may get
  // SIGPIPE after that, at no fixed time: SIGINT comes half a second after the loss.
  selects: {
    env: { CHARGEN_PORT: '0' },
    sigintAfter: { line: /server has lost a child/, ms: 500 },
    knownDifference:
      "a raw write watcher (select_write) fires again as a zero-delay kernel event, so the server writes until Node's buffer is full " +
      'before the client is polled: the client reads 512 bytes (six lines and part of a seventh) where POE reads six lines, and ' +
      'hangs up on unread data, so the server gets ECONNRESET (104) where POE gets EPIPE (32) and then SIGPIPE',
  },
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
    // Perl's scalar(gmtime)
    .replace(/\b(Sun|Mon|Tue|Wed|Thu|Fri|Sat) \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\b/g, 'TIME')
    .replace(/\bport \d+/g, 'port PORT')
    .replace(/(\d+\.\d+\.\d+\.\d+):\d+/g, '$1:PORT');
}

/** The lines of `text` in the form compared: those from `drive.unorderedFrom` on, sorted. */
export function comparable(text: string, drive: Drive): string[] {
  const lines = text.split('\n');
  if (!drive.unorderedFrom) return lines;
  const from = lines.findIndex((l) => drive.unorderedFrom!.test(l));
  if (from < 0) return lines;
  return [...lines.slice(0, from), '--- in any order:', ...lines.slice(from).sort()];
}

/** Runs `command` as `drive` says and resolves with its normalised output (stdout and stderr together). */
export function runDriven(command: string[], drive: Drive, cwd?: string): Promise<string> {
  const [file, ...args] = command;
  // One pipe for both streams: `2>&1` in a shell that then becomes the program.
  const child = spawn('/bin/sh', ['-c', 'exec "$@" 2>&1', 'sh', file!, ...args, ...(drive.args ?? [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...drive.env },
    cwd,
  });
  trackChild(child);
  if (child.pid !== undefined) track(child.pid);
  let out = '';
  let lines = 0;
  let signalled = false;
  let armed = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
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
    child.on('exit', () => {
      clearTimeout(timer);
      // Whatever the pipe still holds arrives before 'close'.
      child.stdout.on('close', () => resolve(normalise(out)));
      if (child.stdout.closed) resolve(normalise(out));
    });
  });
}
