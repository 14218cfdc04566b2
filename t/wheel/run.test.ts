/**
 * Run (POE::Wheel::Run, spec 2.7): real child processes (`node -e` programs, a shell command,
 * functions in t/fixtures/run-functions.mjs) on a real-clock kernel. Each test waits for the
 * child's CHLD (so no process is left behind), runs its kernel to completion within a bound,
 * and checks it for leaks.
 *
 * Which comes first, the pipes' EOF (ErrorEvent, CloseEvent) or the process's end (CHLD), is up
 * to the operating system, in Node as in POE (G21). Tests that do not force an order log the
 * pipe events and CHLD apart and compare each exactly: the per-handle order is fixed.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { Context, RunOptions } from '../../src/index.js';
import { Kernel, Line, PoeArgumentError, PoeError, PoeSpawnError, Run, Session, Stream } from '../../src/index.js';
import { expectNoLeaks, realKernel } from '../kit/index.js';

const E = constants.errno;
const FUNCTIONS = new URL('../fixtures/run-functions.mjs', import.meta.url);

/** `node -e code`: a child program written in JavaScript. */
const node = (code: string): string[] => [process.execPath, '-e', code];

/** Echoes each stdin line as `echo: <line>`; exits when stdin ends. */
const ECHO = "require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => process.stdout.write('echo: ' + l + '\\n'));";
/** Counts stdin lines; at EOF prints `got N`. */
const COUNT = "let n = 0; require('node:readline').createInterface({ input: process.stdin }).on('line', () => n++).on('close', () => process.stdout.write('got ' + n + '\\n'));";

type Heap = { w?: Run<string, string, string> } & Record<string, unknown>;
type Ctx = Context<unknown, Heap>;
type States = Record<string, (ctx: Ctx, ...args: never[]) => unknown>;

/** A session with these states in `kernel`. */
function start(kernel: ReturnType<typeof realKernel>['kernel'], states: States): void {
  Session.create<unknown, Heap>({ kernel, heap: {}, inlineStates: states });
}

/** Destroys the heap's wheel: POE's `delete $heap->{wheel}`. */
function drop(ctx: Ctx): void {
  ctx.heap.w?.destroy();
  delete ctx.heap.w;
}

/** Throws unless no process `pid` exists any more. */
function expectGone(pid: number): void {
  expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
}

/** Makes the wheel in `_start` and returns what its constructor threw (or undefined). */
async function thrownBy(options: unknown): Promise<unknown> {
  const { kernel, run } = realKernel();
  let thrown: unknown;
  start(kernel, {
    _start(ctx) {
      try {
        ctx.heap.w = new Run(options as RunOptions<string, string, string>);
      } catch (err) {
        thrown = err;
      }
      // A wheel made by mistake would keep the session (and a child) alive.
      expect(ctx.heap.w).toBeUndefined();
    },
  });
  await run();
  return thrown;
}

/**
 * Runs one wheel made by `options` in a session whose extra `states` drive it; pipe events go
 * to `io`, CHLD to `chld`. Once both CloseEvent (or, without output pipes, nothing) and CHLD
 * came, `done` runs and the wheel is destroyed (its stdin writer holds the session, G26).
 */
async function conversation(
  options: RunOptions<string, string, string>,
  states: States = {},
  opts: { close?: boolean; done?: (ctx: Ctx) => void; io?: string[] } = {},
): Promise<{ io: string[]; chld: string[]; log: string[]; pid: number }> {
  const { kernel, log, say, run } = realKernel();
  const io: string[] = opts.io ?? [];
  const chld: string[] = [];
  let pid = 0;
  const waitClose = opts.close ?? true;
  const maybeDone = (ctx: Ctx): void => {
    if ((waitClose && !ctx.heap.closed) || !ctx.heap.reaped || ctx.heap.finished) return;
    ctx.heap.finished = true;
    opts.done?.(ctx);
    say('destroy');
    drop(ctx);
  };
  start(kernel, {
    _start(ctx) {
      const w = new Run<string, string, string>({
        stdoutEvent: 'out',
        stderrEvent: 'err',
        errorEvent: 'error',
        closeEvent: 'closed',
        ...options,
      });
      ctx.heap.w = w;
      pid = w.PID;
      ctx.kernel.sigChild(w.PID, 'chld');
      states._start?.(ctx);
    },
    out(ctx, line: string, id: number) {
      io.push(`out '${line}' ${id}`);
      (states.out as ((c: Ctx, l: string) => void) | undefined)?.(ctx, line);
    },
    err(ctx, line: string, id: number) {
      io.push(`err '${line}' ${id}`);
      (states.err as ((c: Ctx, l: string) => void) | undefined)?.(ctx, line);
    },
    error(ctx, op: string, errnum: number, errstr: string, id: number, handle: string) {
      io.push(`error ${op} ${errnum} '${errstr}' ${id} ${handle}`);
      (states.error as ((c: Ctx, op: string) => void) | undefined)?.(ctx, op);
    },
    closed(ctx, id: number) {
      io.push(`closed ${id}`);
      ctx.heap.closed = true;
      maybeDone(ctx);
    },
    chld(ctx, sig: string, childPid: number, status: number) {
      chld.push(`${sig} ${childPid === pid ? 'pid' : childPid} status=${status}`);
      ctx.heap.reaped = true;
      states.chld?.(ctx);
      maybeDone(ctx);
    },
    _stop() {
      say('_stop');
    },
    ...Object.fromEntries(Object.entries(states).filter(([k]) => !['_start', 'out', 'err', 'error', 'chld'].includes(k))),
  });
  await run();
  expectGone(pid);
  return { io, chld, log, pid };
}

describe('Run: stdin, stdout, stderr', () => {
  test('put() lines reach the child; its echoes are StdoutEvents; StdinEvent once they are written', async () => {
    const io: string[] = [];
    const { chld, log } = await conversation(
      { program: node(ECHO), stdinEvent: 'flushed', stderrEvent: undefined },
      {
        _start(ctx) {
          const w = ctx.heap.w!;
          expect(w.put('one', 'two')).toBe(0);
          // Queued, not yet written: POE's Line terminator for Run is "\n" (8 octets, a
          // chunk per record).
          expect([w.getDriverOutOctets(), w.getDriverOutMessages()]).toEqual([8, 2]);
        },
        flushed(ctx, id: number) {
          io.push(`flushed ${id} octets=${ctx.heap.w!.getDriverOutOctets()}`);
        },
        out(ctx, line: string) {
          if (line === 'echo: two') ctx.heap.w!.shutdownStdin();
        },
      },
      { io },
    );
    expect(io).toEqual(['flushed 1 octets=0', "out 'echo: one' 1", "out 'echo: two' 1", "error read 0 '' 1 STDOUT", 'closed 1']);
    expect(chld).toEqual(['CHLD pid status=0']);
    expect(log).toEqual(['destroy', '_stop']);
  });

  test('stderr lines are StderrEvents; each pipe ends with its EOF ErrorEvent; CloseEvent after the last', async () => {
    const { io, chld } = await conversation({
      program: node("process.stderr.write('e1\\ne2\\n'); process.stdout.write('o1\\n'); process.exitCode = 3;"),
    });
    // The two pipes are independent: each one's order is fixed, and CloseEvent is last.
    expect(io.filter((l) => l.startsWith("out '") || l.endsWith('STDOUT'))).toEqual(["out 'o1' 1", "error read 0 '' 1 STDOUT"]);
    expect(io.filter((l) => l.startsWith("err '") || l.endsWith('STDERR'))).toEqual(["err 'e1' 1", "err 'e2' 1", "error read 0 '' 1 STDERR"]);
    expect(io).toHaveLength(6);
    expect(io.at(-1)).toBe('closed 1');
    expect(chld).toEqual([`CHLD pid status=${3 << 8}`]);
  });

  test('shutdownStdin() sends EOF; put() afterwards throws ERR_POE_WHEEL_NO_STDIN', async () => {
    let thrown: unknown;
    const { io } = await conversation(
      { program: node(COUNT), stdinEvent: 'flushed' },
      {
        _start(ctx) {
          ctx.heap.w!.put('a', 'b', 'c');
        },
        flushed(ctx) {
          const w = ctx.heap.w!;
          w.shutdownStdin();
          w.shutdownStdin(); // a second call does nothing
          try {
            w.put('d');
          } catch (err) {
            thrown = err;
          }
        },
      },
    );
    expect(io.filter((l) => l.startsWith("out '"))).toEqual(["out 'got 3' 1"]);
    expect(thrown).toBeInstanceOf(PoeError);
    expect(thrown).toMatchObject({ code: 'ERR_POE_WHEEL_NO_STDIN' });
  });

  test('kept from POE: records put() in the same handler as shutdownStdin() are never written', async () => {
    const { io } = await conversation(
      { program: node(COUNT) },
      {
        _start(ctx) {
          ctx.heap.w!.put('lost');
          ctx.heap.w!.shutdownStdin();
        },
      },
    );
    expect(io.filter((l) => l.startsWith("out '"))).toEqual(["out 'got 0' 1"]);
  });

  test('a child that closed its stdin: the write fails with ("write", EPIPE, "Broken pipe", id, "STDIN")', async () => {
    const { io, chld } = await conversation(
      { program: node("require('node:fs').closeSync(0); process.stdout.write('closed\\n'); setInterval(() => {}, 1000);"), stderrEvent: undefined },
      {
        out(ctx) {
          ctx.heap.w!.put('x'.repeat(1 << 16));
        },
        error(ctx, op: string) {
          if (op === 'write') expect(ctx.heap.w!.kill()).toBe(1);
        },
      },
    );
    expect(io).toEqual(["out 'closed' 1", `error write ${E.EPIPE} 'Broken pipe' 1 STDIN`, "error read 0 '' 1 STDOUT", 'closed 1']);
    expect(chld).toEqual([`CHLD pid status=${constants.signals.SIGTERM}`]);
  });

  test('StdoutFilter and StderrFilter: records are what the filters make', async () => {
    const chunks: string[] = [];
    const { io } = await conversation(
      {
        program: node("process.stdout.write('a|b|'); process.stderr.write('x\\r\\ny\\r\\n');"),
        stdoutFilter: new Line({ literal: '|' }),
        stderrFilter: new Line(),
        stdoutEvent: 'out',
      },
      {
        out(_ctx, line: string) {
          chunks.push(line);
        },
      },
    );
    expect(chunks).toEqual(['a', 'b']);
    expect(io.filter((l) => l.startsWith("err '"))).toEqual(["err 'x' 1", "err 'y' 1"]);
  });

  test('setStdoutFilter() re-parses what the old filter held; event() renames an event at run time', async () => {
    const raw: string[] = [];
    const { io } = await conversation(
      { program: node("process.stdout.write('one\\ntwo\\nthree');"), stderrEvent: undefined },
      {
        out(ctx, line: string) {
          if (line !== 'one') return;
          ctx.heap.w!.event({ stdoutEvent: 'raw' });
          ctx.heap.w!.setStdoutFilter(new Stream() as never);
        },
        raw(_ctx, chunk: Buffer) {
          raw.push(chunk.toString());
        },
      },
    );
    expect(io).toEqual(["out 'one' 1", "error read 0 '' 1 STDOUT", 'closed 1']);
    expect(raw.join('')).toBe('two\nthree');
  });
});

describe('Run: CloseEvent and CHLD are independent (G21)', () => {
  test('the pipes can close long before the process ends: CloseEvent, then CHLD', async () => {
    const order: string[] = [];
    await conversation(
      {
        // Closes stdout and stderr, then lives on until its stdin ends.
        program: node("const fs = require('node:fs'); fs.closeSync(1); fs.closeSync(2); process.stdin.resume();"),
      },
      {
        closed(ctx) {
          order.push('CloseEvent');
          ctx.heap.closed = true;
          ctx.heap.w!.shutdownStdin();
        },
        chld(ctx) {
          order.push('CHLD');
          ctx.heap.w!.destroy();
        },
      },
      { close: false },
    );
    expect(order).toEqual(['CloseEvent', 'CHLD']);
  });

  test('the process can end before its output is read: CHLD, then the output and CloseEvent', async () => {
    const io: string[] = [];
    const { chld } = await conversation(
      { program: node("process.stdout.write('bye\\n');"), stderrEvent: undefined },
      {
        _start(ctx) {
          ctx.heap.w!.pauseStdout();
        },
        chld(ctx) {
          io.push('CHLD');
          ctx.heap.w!.resumeStdout();
        },
      },
      { io },
    );
    expect(io).toEqual(['CHLD', "out 'bye' 1", "error read 0 '' 1 STDOUT", 'closed 1']);
    expect(chld).toEqual(['CHLD pid status=0']);
  });

  test('the stdin writer keeps the session alive after both, until destroy() (G26)', async () => {
    let alive: string[] = [];
    const { log } = await conversation(
      { program: node("process.stdout.write('x\\n');"), stderrEvent: undefined },
      {},
      {
        done(ctx) {
          alive = ctx.kernel.ps().find((p) => p.id === ctx.session.ID)!.aliveBecause;
        },
      },
    );
    expect(alive).toEqual(['held by Run(1)']);
    expect(log).toEqual(['destroy', '_stop']);
  });

  test('with noStdin there is no writer: the session ends by itself after CloseEvent and CHLD', async () => {
    const { kernel, log, say, run } = realKernel();
    let pid = 0;
    let thrown: unknown;
    start(kernel, {
      _start(ctx) {
        const w = new Run({ program: node("process.stdout.write('x\\n');"), noStdin: true, stdoutEvent: 'out', closeEvent: 'closed' });
        ctx.heap.w = w as never;
        pid = w.PID;
        ctx.kernel.sigChild(w.PID, 'chld');
        try {
          w.put('nowhere');
        } catch (err) {
          thrown = err;
        }
      },
      out(_ctx, line: string) {
        say('out ', line);
      },
      closed() {
        say('closed');
      },
      chld() {
        say('chld');
      },
      _stop() {
        say('_stop');
      },
    });
    await run();
    expectGone(pid);
    expect(thrown).toMatchObject({ code: 'ERR_POE_WHEEL_NO_STDIN' });
    expect(log.at(-1)).toBe('_stop');
    expect(new Set(log)).toEqual(new Set(['out x', 'closed', 'chld', '_stop']));
  });
});

describe('Run: kill() and PID', () => {
  test('kill() sends TERM and returns 1; once the child is gone it returns 0', async () => {
    let after: unknown[] = [];
    const { chld } = await conversation(
      { program: node("process.stdout.write('ready\\n'); setInterval(() => {}, 1000);"), stderrEvent: undefined },
      {
        out(ctx) {
          expect(ctx.heap.w!.kill()).toBe(1);
        },
        chld(ctx) {
          const w = ctx.heap.w!;
          after = [w.kill(), w.kill('KILL'), w.kill('SIGINT'), w.kill(0)];
          expect(() => w.kill('NOPE')).toThrow(PoeArgumentError);
          expect(() => w.kill(-1)).toThrow(PoeArgumentError);
        },
      },
    );
    // $? for a process killed by a signal is the signal number.
    expect(chld).toEqual([`CHLD pid status=${constants.signals.SIGTERM}`]);
    expect(after).toEqual([0, 0, 0, 0]);
  });

  test('kill("KILL") and kill(9) by name or number; PID is the child process id', async () => {
    let pidSeen = 0;
    const { chld, pid } = await conversation(
      { program: node("process.stdout.write(process.pid + '\\n'); setInterval(() => {}, 1000);"), stderrEvent: undefined },
      {
        out(ctx, line: string) {
          pidSeen = Number(line);
          expect(ctx.heap.w!.kill(9)).toBe(1);
        },
      },
    );
    expect(pidSeen).toBe(pid);
    expect(chld).toEqual([`CHLD pid status=${constants.signals.SIGKILL}`]);
  });
});

describe('Run: process group', () => {
  /** The process group of the process reading /proc/self/stat (Linux): its fifth field. */
  const PGRP = "process.stdout.write(require('node:fs').readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[2] + '\\n');";
  const linux = existsSync('/proc/self/stat');

  test.runIf(linux)('the child leads a new process group, as POE\'s setpgrp(0, 0); noSetPgrp keeps it in ours', async () => {
    const ours = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[2];
    const own = await conversation({ program: node(PGRP), stderrEvent: undefined });
    expect(own.io[0]).toBe(`out '${own.pid}' 1`);
    const shared = await conversation({ program: node(PGRP), stderrEvent: undefined, noSetPgrp: true });
    expect(shared.io[0]).toBe(`out '${ours}' 1`);
  });
});

describe('Run: the module form (POE coderef Program)', () => {
  test('a module function reads stdin and writes stdout and stderr in a child Node process', async () => {
    const { io, chld } = await conversation(
      { program: { module: FUNCTIONS, export: 'shout' }, programArgs: ['> '], stdinEvent: 'flushed' },
      {
        _start(ctx) {
          ctx.heap.w!.put('hi', 'there');
        },
        flushed(ctx) {
          ctx.heap.w!.shutdownStdin();
        },
      },
    );
    expect(io.filter((l) => l.startsWith("out '"))).toEqual(["out '> HI' 1", "out '> THERE' 1"]);
    expect(io.filter((l) => l.startsWith("err '"))).toEqual(["err 'saw 2 line(s)' 1"]);
    expect(io.at(-1)).toBe('closed 1');
    expect(chld).toEqual(['CHLD pid status=0']);
  });

  test('the default export, with programArgs; the child exits 0 when it returns, timers or not', async () => {
    const { io, chld } = await conversation({ program: { module: FUNCTIONS.href }, programArgs: ['a', 'b'] });
    expect(io.filter((l) => l.startsWith("out '"))).toEqual(["out 'hello a,b' 1"]);
    expect(chld).toEqual(['CHLD pid status=0']);
  });

  test('a function that throws: its stack on stderr and exit status 255 (POE: warn $@; exit -1)', async () => {
    const { io, chld } = await conversation({ program: { module: FUNCTIONS, export: 'fail' } });
    const err = io.filter((l) => l.startsWith("err '"));
    expect(err[0]).toBe("err 'Error: boom in the child' 1");
    expect(err.some((l) => l.includes('run-functions.mjs'))).toBe(true);
    expect(chld).toEqual([`CHLD pid status=${255 << 8}`]);
  });

  // An async main (the usual shape of a Node program) ends when its promise settles: the
  // child waits for it, as POE's child ran the coderef to its end before _exit.
  test('an async function is awaited: its output after an await arrives, then exit 0', async () => {
    const { io, chld } = await conversation({ program: { module: FUNCTIONS, export: 'slowly' }, programArgs: ['x'] });
    expect(io.filter((l) => !l.startsWith('error read 0'))).toEqual(["out 'before the await' 1", "out 'after the await x' 1", 'closed 1']);
    expect(chld).toEqual(['CHLD pid status=0']);
  });

  test('an async function that rejects after an await: its stack on stderr and exit status 255', async () => {
    const { io, chld } = await conversation({ program: { module: FUNCTIONS, export: 'failLater' } });
    const err = io.filter((l) => l.startsWith("err '"));
    expect(err[0]).toBe("err 'Error: boom after an await' 1");
    expect(err.some((l) => l.includes('run-functions.mjs'))).toBe(true);
    expect(chld).toEqual([`CHLD pid status=${255 << 8}`]);
  });

  test('an export that is not a function: a message on stderr and exit status 255', async () => {
    const { io, chld } = await conversation({ program: { module: FUNCTIONS, export: 'answer' } });
    expect(io.filter((l) => l.startsWith("err '"))[0]).toMatch(/has no function export "answer"/);
    expect(chld).toEqual([`CHLD pid status=${255 << 8}`]);
  });
});

describe('Run: redirection', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  test('redirectStdout and redirectStdin: files instead of pipes; redirectOutput takes both outputs', async () => {
    dir = mkdtempSync(join(tmpdir(), 'poe-ts-run-'));
    const input = join(dir, 'in');
    const out = join(dir, 'out');
    const both = join(dir, 'both');
    writeFileSync(input, 'from a file\n');
    const copy = "process.stdin.on('data', (d) => process.stdout.write(d)); process.stderr.write('err\\n');";
    await conversation({ program: node(copy), redirectStdin: input, redirectStdout: out, stdoutEvent: undefined }, {}, { close: true });
    expect(readFileSync(out, 'utf8')).toBe('from a file\n');
    await conversation({ program: node(copy), redirectStdin: input, redirectOutput: both, stdoutEvent: undefined, stderrEvent: undefined }, {}, { close: false });
    expect(readFileSync(both, 'utf8').split('\n').sort()).toEqual(['', 'err', 'from a file']);
  });
});

describe('Run: failures', () => {
  test('a program that does not exist: the constructor throws PoeSpawnError ENOENT (no process, no pid)', async () => {
    for (const program of [['/nonexistent/poe-ts-no-such-program'], ['poe-ts-no-such-program', '-x']]) {
      const err = await thrownBy({ program, stdoutEvent: 'out' });
      expect(err).toBeInstanceOf(PoeSpawnError);
      expect(err).toMatchObject({ code: 'ERR_POE_WHEEL_SPAWN', errno: E.ENOENT, errnoName: 'ENOENT', program: program[0] });
      expect((err as Error).message).toBe(`Run: can't exec (${program.join(' ')}): No such file or directory`);
    }
    const err = await thrownBy({ program: { module: new URL('./no-such-module.mjs', FUNCTIONS) } });
    expect(err).toMatchObject({ code: 'ERR_POE_WHEEL_SPAWN', errno: E.ENOENT });
    const cwd = await thrownBy({ program: node(''), cwd: '/nonexistent/poe-ts-dir' });
    expect(cwd).toMatchObject({ code: 'ERR_POE_WHEEL_SPAWN', errno: E.ENOENT });
  });

  test('a file that is not executable, or a directory: PoeSpawnError EACCES', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poe-ts-run-'));
    try {
      const file = join(dir, 'script.sh');
      writeFileSync(file, '#!/bin/sh\necho hi\n');
      chmodSync(file, 0o644);
      for (const program of [[file], [dir]]) {
        const err = await thrownBy({ program });
        expect(err).toMatchObject({ code: 'ERR_POE_WHEEL_SPAWN', errno: E.EACCES, errnoName: 'EACCES' });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a command string runs through the shell: a missing command is the shell\'s error and status 127', async () => {
    const { io, chld } = await conversation({ program: 'poe-ts-no-such-program', programArgs: ['--flag'] });
    expect(io.filter((l) => l.startsWith("err '"))).toEqual([expect.stringMatching(/poe-ts-no-such-program.*not found/)]);
    expect(chld).toEqual([`CHLD pid status=${127 << 8}`]);
  });

  test('a shell command line with programArgs appended', async () => {
    const { io } = await conversation({ program: 'echo "$0" one', programArgs: ['two', 'three'] });
    expect(io.filter((l) => l.startsWith("out '"))).toEqual([expect.stringMatching(/^out '.+ one two three' 1$/)]);
  });
});

describe('Run: options are checked at the door', () => {
  const program = node('');
  const cases: [string, unknown, string, RegExp][] = [
    ['POE spelling', { Program: program }, 'ERR_POE_UNKNOWN_OPTION', /did you mean `program`/],
    ['unknown option', { program, bogus: 1 }, 'ERR_POE_UNKNOWN_OPTION', /Unknown Run option `bogus`/],
    ['POE option without counterpart', { program, Winsize: [80, 24] }, 'ERR_POE_UNKNOWN_OPTION', /`Winsize` has no poe-ts counterpart.*pty/],
    ['deprecated Filter', { program, Filter: new Line() }, 'ERR_POE_UNKNOWN_OPTION', /stdioFilter/],
    ['camelCase of a POE-only option', { program, priority: 5 }, 'ERR_POE_UNKNOWN_OPTION', /`priority` has no poe-ts counterpart.*os\.setPriority/],
    ['an Object.prototype name', { program, constructor: 1 }, 'ERR_POE_UNKNOWN_OPTION', /Unknown Run option `constructor`/],
    ['no program', {}, 'ERR_POE_INVALID_ARGUMENT', /needs a `program`/],
    ['coderef program', { program: () => undefined }, 'ERR_POE_INVALID_ARGUMENT', /cannot be a function.*module/],
    ['empty command', { program: '' }, 'ERR_POE_INVALID_ARGUMENT', /non-empty command/],
    ['empty array', { program: [] }, 'ERR_POE_INVALID_ARGUMENT', /\[file, \.\.\.args\]/],
    ['array of non-strings', { program: ['ls', 1] }, 'ERR_POE_INVALID_ARGUMENT', /\[file, \.\.\.args\]/],
    ['module key', { program: { module: FUNCTIONS, exports: 'x' } }, 'ERR_POE_INVALID_ARGUMENT', /Unknown Run `program` key `exports`/],
    ['module path', { program: { module: 42 } }, 'ERR_POE_INVALID_ARGUMENT', /program\.module/],
    ['programArgs', { program, programArgs: 'x' }, 'ERR_POE_INVALID_ARGUMENT', /`programArgs` to be an array of strings/],
    ['pty conduit', { program, conduit: 'pty' }, 'ERR_POE_INVALID_ARGUMENT', /not supported.*pseudo-terminals/],
    ['inet conduit', { program, conduit: 'inet' }, 'ERR_POE_INVALID_ARGUMENT', /not supported/],
    ['unknown conduit', { program, conduit: 'carrier-pigeon' }, 'ERR_POE_INVALID_ARGUMENT', /'pipe' or 'socketpair'/],
    ['stdioFilter with stdoutFilter', { program, stdioFilter: new Line(), stdoutFilter: new Line() }, 'ERR_POE_INVALID_ARGUMENT', /`stdioFilter` cannot be combined with `stdoutFilter`/],
    ['stdioFilter with stdinFilter', { program, stdioFilter: new Line(), stdinFilter: new Line() }, 'ERR_POE_INVALID_ARGUMENT', /`stdioFilter` cannot be combined with `stdinFilter`/],
    ['not a filter', { program, stderrFilter: {} }, 'ERR_POE_INVALID_ARGUMENT', /`stderrFilter` to be a filter/],
    ['not a driver', { program, stdioDriver: {} }, 'ERR_POE_INVALID_ARGUMENT', /`stdioDriver` to be a driver/],
    ['event name', { program, stdoutEvent: 5 }, 'ERR_POE_INVALID_ARGUMENT', /`stdoutEvent` to be an event name/],
    ['redirect with event', { program, redirectStdout: '/dev/null', stdoutEvent: 'out' }, 'ERR_POE_INVALID_ARGUMENT', /`redirectStdout` and `stdoutEvent` are mutually exclusive/],
    ['redirectOutput with event', { program, redirectOutput: '/dev/null', stderrEvent: 'err' }, 'ERR_POE_INVALID_ARGUMENT', /`redirectOutput` and `stderrEvent`/],
    ['redirect target', { program, redirectStdin: -1 }, 'ERR_POE_INVALID_ARGUMENT', /file path or a file descriptor/],
    ['noStdin with stdinEvent', { program, noStdin: true, stdinEvent: 'in' }, 'ERR_POE_INVALID_ARGUMENT', /`noStdin` and `stdinEvent`/],
    ['noStdin type', { program, noStdin: 'yes' }, 'ERR_POE_INVALID_ARGUMENT', /`noStdin` to be a boolean/],
    ['user id', { program, user: 'root' }, 'ERR_POE_INVALID_ARGUMENT', /`user` to be a numeric id/],
    ['env', { program, env: 'PATH=/bin' }, 'ERR_POE_INVALID_ARGUMENT', /`env` to be an object/],
    ['cwd', { program, cwd: 7 }, 'ERR_POE_INVALID_ARGUMENT', /`cwd` to be a directory path/],
  ];
  test.each(cases)('%s', async (_name, options, code, message) => {
    const err = await thrownBy(options);
    expect(err).toBeInstanceOf(PoeArgumentError);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(message);
  });

  test('outside a session: ERR_POE_WHEEL_NO_SESSION, and no child is started', () => {
    expect(() => new Run({ program: node('') })).toThrow(expect.objectContaining({ code: 'ERR_POE_WHEEL_NO_SESSION' }));
    expectNoLeaks(Kernel.default);
  });

  test('POE snake_case methods are the same functions; put() after destroy() throws', async () => {
    const { io } = await conversation(
      { program: node("process.stdout.write('x\\n');"), stderrEvent: undefined },
      {
        _start(ctx) {
          const w = ctx.heap.w!;
          expect(w.shutdown_stdin).toBe(w.shutdownStdin);
          expect(w.get_stdout_filter).toBe(w.getStdoutFilter);
          expect(w.set_stdio_filter).toBe(w.setStdioFilter);
          expect(w.pause_stderr).toBe(w.pauseStderr);
          expect(w.get_driver_out_messages).toBe(w.getDriverOutMessages);
          // One Line filter for stdin and stdout, as POE's default StdioFilter; stderr its own.
          expect(w.getStdinFilter()).toBe(w.getStdoutFilter());
          expect(w.getStderrFilter()).not.toBe(w.getStdoutFilter());
        },
      },
      {
        done(ctx) {
          const w = ctx.heap.w!;
          w.destroy();
          expect(() => w.put('late')).toThrow(expect.objectContaining({ code: 'ERR_POE_WHEEL_DESTROYED' }));
        },
      },
    );
    expect(io).toEqual(["out 'x' 1", "error read 0 '' 1 STDOUT", 'closed 1']);
  });
});
