/**
 * FollowTail (spec 2.5, G32, G35): plain files polled on the kernel's timers (driven by the
 * manual clock), rotation and truncation, seek/seekBack, handles, streams and FIFOs.
 */
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FollowTail, Line, PoeArgumentError, Session, type PoeError } from '../../src/index.js';
import { expectNoLeaks, makeKernel } from '../kit/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'poe-ts-tail-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Lets the kernel's setImmediate-driven loop catch up (no time passes on the manual clock). */
async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

interface Heap {
  w?: FollowTail;
}

describe('starting position', () => {
  async function startAt(content: string, options: { seek?: number; seekBack?: number }, append: string): Promise<string[]> {
    const { kernel, log, say, run } = makeKernel();
    const file = join(dir, 'log');
    writeFileSync(file, content);
    Session.create<unknown, Heap>({
      kernel,
      heap: {},
      inlineStates: {
        _start(ctx) {
          ctx.heap.w = new FollowTail({ filename: file, inputEvent: 'got', pollInterval: 0.1, ...options });
          say(`tell ${String(ctx.heap.w.tell())}`);
          ctx.kernel.delay('append', 0.15);
        },
        append(ctx) {
          appendFileSync(file, append);
          ctx.kernel.delay('done', 0.3);
        },
        got(_ctx, line) {
          say(`got ${String(line)}`);
        },
        done(ctx) {
          say(`tell ${String(ctx.heap.w?.tell())}`);
          ctx.heap.w?.destroy();
        },
      },
    });
    await run();
    return log;
  }

  test('default: existing lines are skipped, a partial last line completes with the append (G32)', async () => {
    expect(await startAt('old1\nold2\npart', {}, 'ial\nnew\n')).toEqual(['tell 14', 'got partial', 'got new', 'tell 22']);
  });

  test('default on a big file: seeks back 4096 bytes and discards up to EOF', async () => {
    const big = 'x'.repeat(99) + '\n';
    expect(await startAt(big.repeat(100), {}, 'tail\n')).toEqual(['tell 10000', 'got tail', 'tell 10005']);
  });

  test('seekBack: 5 on "old1\\nold2\\n" reports old2 (probe 28)', async () => {
    expect(await startAt('old1\nold2\n', { seekBack: 5 }, 'new\n')).toEqual(['tell 5', 'got old2', 'got new', 'tell 14']);
  });

  test('seekBack beyond the start starts at 0; seekBack: 0 starts at the end', async () => {
    expect(await startAt('a\nb\n', { seekBack: 100 }, 'c\n')).toEqual(['tell 0', 'got a', 'got b', 'got c', 'tell 6']);
    expect(await startAt('a\nb\n', { seekBack: 0 }, 'c\n')).toEqual(['tell 4', 'got c', 'tell 6']);
  });

  test('seek: an offset from the start; past the end means at the end', async () => {
    expect(await startAt('a\nb\n', { seek: 2 }, 'c\n')).toEqual(['tell 2', 'got b', 'got c', 'tell 6']);
    expect(await startAt('a\nb\n', { seek: 0 }, 'c\n')).toEqual(['tell 0', 'got a', 'got b', 'got c', 'tell 6']);
    expect(await startAt('a\nb\n', { seek: 99 }, 'c\n')).toEqual(['tell 4', 'got c', 'tell 6']);
  });
});

test('polling on the manual clock: pollInterval after nothing new, at once after data', async () => {
  const { kernel, clock, log, say, run } = makeKernel({ autoAdvance: false });
  const file = join(dir, 'log');
  writeFileSync(file, 'old\n');
  let wheel: FollowTail | undefined;
  const session = Session.create<unknown, Heap>({
    kernel,
    heap: {},
    inlineStates: {
      _start() {
        wheel = new FollowTail({ filename: file, inputEvent: 'got', idleEvent: 'idle' });
      },
      got(_ctx, line, id) {
        say(`got ${String(line)} (wheel ${String(id)}) at ${clock.now()}`);
      },
      idle(_ctx, id) {
        say(`idle (wheel ${String(id)}) at ${clock.now()}`);
      },
      stop() {
        wheel?.destroy();
      },
    },
  });
  const done = run();
  await settle();
  const id = wheel!.ID;
  expect(log).toEqual([`idle (wheel ${id}) at 0`]);

  appendFileSync(file, 'one\ntwo\n');
  await settle();
  clock.advance(0.5);
  await settle();
  expect(log).toHaveLength(1); // the next poll is 1 s after the idle one

  clock.advance(0.5);
  await settle();
  expect(log.slice(1)).toEqual([`got one (wheel ${id}) at 1`, `got two (wheel ${id}) at 1`, `idle (wheel ${id}) at 1`]);
  expect(wheel!.tell()).toBe(12);

  clock.advance(1);
  await settle();
  expect(log.slice(4)).toEqual([`idle (wheel ${id}) at 2`]);

  kernel.post(session!, 'stop');
  await done;
  expectNoLeaks(kernel);
});

test('truncation (filename): closed, reopened from the start, ResetEvent on reopen', async () => {
  const { kernel, log, say, run } = makeKernel();
  const file = join(dir, 'log');
  writeFileSync(file, '');
  Session.create<unknown, Heap>({
    kernel,
    heap: {},
    inlineStates: {
      _start(ctx) {
        ctx.heap.w = new FollowTail({ filename: file, inputEvent: 'got', resetEvent: 'reset', pollInterval: 0.1 });
        ctx.kernel.delay('step', 0.15, 1);
      },
      step(ctx, n) {
        if (n === 1) appendFileSync(file, 'one\ntwo\n');
        if (n === 2) writeFileSync(file, 'x\n'); // shorter: a truncation
        if (n === 3) appendFileSync(file, 'y\n');
        if (n === 4) return ctx.heap.w?.destroy();
        ctx.kernel.delay('step', 0.3, Number(n) + 1);
      },
      got(_ctx, line) {
        say(`got ${String(line)}`);
      },
      reset(ctx, id) {
        say(`reset ${String(id === ctx.heap.w?.ID)}`);
      },
    },
  });
  await run();
  expect(log).toEqual(['got one', 'got two', 'reset true', 'got x', 'got y']);
});

test('rotation by rename and recreate: the old file is read to its end, then the new one from the start', async () => {
  const { kernel, log, say, run } = makeKernel();
  const file = join(dir, 'log');
  writeFileSync(file, 'before\n');
  Session.create<unknown, Heap>({
    kernel,
    heap: {},
    inlineStates: {
      _start(ctx) {
        ctx.heap.w = new FollowTail({ filename: file, inputEvent: 'got', resetEvent: 'reset', pollInterval: 0.1 });
        ctx.kernel.delay('rotate', 0.25);
      },
      rotate(ctx) {
        appendFileSync(file, 'last-old\n');
        renameSync(file, `${file}.1`);
        writeFileSync(file, 'new1\n');
        ctx.kernel.delay('more', 0.25);
      },
      more(ctx) {
        appendFileSync(`${file}.1`, 'lost\n'); // the old file is closed by now
        appendFileSync(file, 'new2\n');
        ctx.kernel.delay('done', 0.25);
      },
      got(_ctx, line) {
        say(`got ${String(line)}`);
      },
      reset() {
        say('reset');
      },
      done(ctx) {
        ctx.heap.w?.destroy();
      },
    },
  });
  await run();
  expect(log).toEqual(['got last-old', 'reset', 'got new1', 'got new2']);
});

test('a missing file: IdleEvent on each poll until it appears, then ResetEvent and its whole content', async () => {
  const { kernel, clock, log, say, run } = makeKernel();
  const file = join(dir, 'later.log');
  Session.create<unknown, Heap>({
    kernel,
    heap: {},
    inlineStates: {
      _start(ctx) {
        ctx.heap.w = new FollowTail({ filename: file, inputEvent: 'got', resetEvent: 'reset', idleEvent: 'idle', pollInterval: 0.1 });
        say(`tell ${String(ctx.heap.w.tell())}`);
        ctx.kernel.delay('create', 0.25);
      },
      create(ctx) {
        writeFileSync(file, 'hello\n');
        ctx.kernel.delay('done', 0.1);
      },
      got(_ctx, line) {
        say(`got ${String(line)} at ${clock.now().toFixed(2)}`);
      },
      idle() {
        say(`idle at ${clock.now().toFixed(2)}`);
      },
      reset() {
        say(`reset at ${clock.now().toFixed(2)}`);
      },
      done(ctx) {
        say(`tell ${String(ctx.heap.w?.tell())}`);
        ctx.heap.w?.destroy();
      },
    },
  });
  await run();
  expect(log).toEqual([
    'tell undefined',
    'idle at 0.00',
    'idle at 0.10',
    'idle at 0.20',
    'reset at 0.30',
    'got hello at 0.30',
    'idle at 0.30',
    'tell 6',
  ]);
});

test('handle mode: a truncated file is rewound with ResetEvent; the wheel leaves the descriptor open', async () => {
  const { kernel, log, say, run } = makeKernel();
  const file = join(dir, 'log');
  writeFileSync(file, 'one\ntwo\n');
  const fd = openSync(file, 'r');
  const writer = openSync(file, 'r+');
  Session.create<unknown, Heap>({
    kernel,
    heap: {},
    inlineStates: {
      _start(ctx) {
        ctx.heap.w = new FollowTail({ handle: fd, inputEvent: 'got', resetEvent: 'reset', seek: 0, pollInterval: 0.1 });
        ctx.kernel.delay('truncate', 0.25);
      },
      truncate(ctx) {
        ftruncateSync(writer, 0);
        writeSync(writer, 'again\n', 0);
        ctx.kernel.delay('done', 0.25);
      },
      got(_ctx, line) {
        say(`got ${String(line)}`);
      },
      reset() {
        say('reset');
      },
      done(ctx) {
        say(`tell ${String(ctx.heap.w?.tell())}`);
        ctx.heap.w?.destroy();
      },
    },
  });
  await run();
  expect(log).toEqual(['got one', 'got two', 'reset', 'got again', 'tell 6']);
  // Still open: the wheel never closes a handle it was given.
  expect(() => closeSync(fd)).not.toThrow();
  closeSync(writer);
});

test("ErrorEvent ('stat', errno, message, id) when the file's directory is replaced, and polling stops", async () => {
  const { kernel, log, say, run } = makeKernel();
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  const file = join(sub, 'log');
  writeFileSync(file, '');
  Session.create<unknown, Heap>({
    kernel,
    heap: {},
    inlineStates: {
      _start(ctx) {
        ctx.heap.w = new FollowTail({ filename: file, inputEvent: 'got', errorEvent: 'error', pollInterval: 0.1 });
        ctx.kernel.delay('break', 0.15);
      },
      break() {
        appendFileSync(file, 'last\n');
        renameSync(sub, `${sub}.old`);
        writeFileSync(sub, 'now a file');
      },
      got(_ctx, line) {
        say(`got ${String(line)}`);
      },
      error(ctx, op, errno, message, id) {
        say(`error ${String(op)} ${String(errno)} ${String(message)} ${String(id === ctx.heap.w?.ID)}`);
        ctx.heap.w?.destroy();
      },
      _stop() {
        say('_stop');
      },
    },
  });
  await run();
  expect(log).toEqual(['got last', `error stat ${osConstants.errno.ENOTDIR} Not a directory true`, '_stop']);
});

test('a filter over its limit is ErrorEvent (read, EMSGSIZE) and stops the wheel', async () => {
  const { kernel, log, say, run } = makeKernel();
  const file = join(dir, 'log');
  writeFileSync(file, '');
  Session.create<unknown, Heap>({
    kernel,
    heap: {},
    inlineStates: {
      _start(ctx) {
        ctx.heap.w = new FollowTail({ filename: file, inputEvent: 'got', errorEvent: 'error', filter: new Line({ maxLength: 8 }), pollInterval: 0.1 });
        ctx.kernel.delay('write', 0.15);
      },
      write() {
        appendFileSync(file, 'ok\nthis line is far too long\n');
      },
      got(_ctx, line) {
        say(`got ${String(line)}`);
      },
      error(_ctx, op, errno) {
        say(`error ${String(op)} ${String(errno === osConstants.errno.EMSGSIZE)}`);
      },
      _stop(ctx) {
        say('_stop');
        ctx.heap.w?.destroy();
      },
    },
  });
  await run();
  expect(log).toEqual(['got ok', 'error read true', '_stop']);
});

test('destroying the wheel in InputEvent: the rest of that read still arrives (G35), then nothing', async () => {
  const { kernel, log, say, run } = makeKernel();
  const file = join(dir, 'log');
  writeFileSync(file, 'a\nb\nc\n');
  Session.create<unknown, Heap>({
    kernel,
    heap: {},
    inlineStates: {
      _start(ctx) {
        ctx.heap.w = new FollowTail({ filename: file, inputEvent: 'got', idleEvent: 'idle', seek: 0, pollInterval: 0.1 });
      },
      got(ctx, line) {
        say(`got ${String(line)}`);
        ctx.heap.w?.destroy();
        delete ctx.heap.w;
      },
      idle() {
        say('idle');
      },
      _stop() {
        say('_stop');
      },
    },
  });
  await run();
  expect(log).toEqual(['got a', 'got b', 'got c', '_stop']);
});

test('event() renames events and turns optional ones off', async () => {
  const { kernel, log, say, run } = makeKernel();
  const file = join(dir, 'log');
  writeFileSync(file, 'a\nb\n');
  Session.create<unknown, Heap>({
    kernel,
    heap: {},
    inlineStates: {
      _start(ctx) {
        ctx.heap.w = new FollowTail({ filename: file, inputEvent: 'one', idleEvent: 'idle', seek: 0, pollInterval: 0.1 });
        try {
          ctx.heap.w.event({ inputEvent: undefined });
        } catch (err) {
          say(`${(err as PoeError).code}`);
        }
        try {
          ctx.heap.w.event({ InputEvent: 'x' } as never);
        } catch (err) {
          say(`${(err as Error).message}`);
        }
      },
      one(ctx, line) {
        say(`one ${String(line)}`);
        ctx.heap.w?.event({ inputEvent: 'two', idleEvent: undefined });
        ctx.kernel.delay('done', 0.35);
      },
      two(_ctx, line) {
        say(`two ${String(line)}`);
      },
      idle() {
        say('idle');
      },
      done(ctx) {
        ctx.heap.w?.destroy();
      },
    },
  });
  await run();
  expect(log).toEqual([
    'ERR_POE_INVALID_ARGUMENT',
    'Unknown FollowTail event() option `InputEvent`; did you mean `inputEvent`?',
    'one a',
    'two b',
  ]);
});

describe('streams (POE select mode)', () => {
  test('a Readable handle: records as they arrive; EOF on a pipe is IdleEvent and frees the session', async () => {
    const { kernel, log, say, run } = makeKernel();
    const pipe = new PassThrough();
    Session.create<unknown, Heap>({
      kernel,
      heap: {},
      inlineStates: {
        _start(ctx) {
          ctx.heap.w = new FollowTail({ handle: pipe, inputEvent: 'got', idleEvent: 'idle', errorEvent: 'error' });
          say(`tell ${String(ctx.heap.w.tell())}`);
          pipe.write('a\nb');
          pipe.end('\nc\n');
        },
        got(_ctx, line) {
          say(`got ${String(line)}`);
        },
        idle(ctx, id) {
          say(`idle ${String(id === ctx.heap.w?.ID)}`);
        },
        error() {
          say('error');
        },
        _stop(ctx) {
          say('_stop');
          ctx.heap.w?.destroy();
        },
      },
    });
    await run();
    expect(log).toEqual(['tell undefined', 'got a', 'got b', 'got c', 'idle true', '_stop']);
  });

  test("EOF on a terminal or socket is ErrorEvent ('read', 0, '')", async () => {
    const { kernel, log, say, run } = makeKernel();
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    Session.create<unknown, Heap>({
      kernel,
      heap: {},
      inlineStates: {
        _start(ctx) {
          ctx.heap.w = new FollowTail({ handle: tty, inputEvent: 'got', errorEvent: 'error' });
          tty.end('x\n');
        },
        got(_ctx, line) {
          say(`got ${String(line)}`);
        },
        error(_ctx, op, errno, message, id) {
          say(`error ${JSON.stringify([op, errno, message, typeof id])}`);
        },
        _stop(ctx) {
          ctx.heap.w?.destroy();
        },
      },
    });
    await run();
    expect(log).toEqual(['got x', 'error ["read",0,"","number"]']);
  });

  test('a FIFO filename is opened read-write and watched: writers come and go without EOF', async () => {
    const { kernel, log, say, run } = makeKernel();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const send = (text: string): void => {
      const w = openSync(fifo, 'w');
      writeSync(w, text);
      closeSync(w);
    };
    Session.create<unknown, Heap>({
      kernel,
      heap: {},
      inlineStates: {
        _start(ctx) {
          ctx.heap.w = new FollowTail({ filename: fifo, inputEvent: 'got', idleEvent: 'idle' });
          send('x\n');
        },
        got(ctx, line) {
          say(`got ${String(line)}`);
          if (line === 'x') send('y\n');
          else ctx.heap.w?.destroy();
        },
        idle() {
          say('idle');
        },
      },
    });
    await run();
    expect(log).toEqual(['got x', 'got y']);
  });
});

describe('validation', () => {
  test('a wheel must be created inside a handler', () => {
    expect(() => new FollowTail({ filename: join(dir, 'x'), inputEvent: 'got' })).toThrow(
      expect.objectContaining({ code: 'ERR_POE_WHEEL_NO_SESSION' }) as Error,
    );
  });

  test('options are checked at the door', async () => {
    const { kernel, log, say, run } = makeKernel();
    const file = join(dir, 'log');
    writeFileSync(file, '');
    const attempts: [string, () => unknown][] = [
      ['both', () => new FollowTail({ filename: file, handle: 0, inputEvent: 'got' })],
      ['neither', () => new FollowTail({ inputEvent: 'got' })],
      ['no inputEvent', () => new FollowTail({ filename: file } as never)],
      ['seek and seekBack', () => new FollowTail({ filename: file, inputEvent: 'got', seek: 1, seekBack: 1 })],
      ['PascalCase', () => new FollowTail({ Filename: file, inputEvent: 'got' } as never)],
      ['pollInterval', () => new FollowTail({ filename: file, inputEvent: 'got', pollInterval: -1 })],
      ['seekBack', () => new FollowTail({ filename: file, inputEvent: 'got', seekBack: -5 })],
      ['filter', () => new FollowTail({ filename: file, inputEvent: 'got', filter: {} as never })],
      ['directory', () => new FollowTail({ filename: dir, inputEvent: 'got' })],
      ['handle', () => new FollowTail({ handle: 'x' as never, inputEvent: 'got' })],
      ['seek on a stream', () => new FollowTail({ handle: new PassThrough(), inputEvent: 'got', seekBack: 3 })],
    ];
    Session.create({
      kernel,
      inlineStates: {
        _start() {
          for (const [what, make] of attempts) {
            try {
              make();
              say(`${what}: accepted`);
            } catch (err) {
              const e = err as PoeError;
              say(`${what}: ${e instanceof PoeArgumentError ? 'PoeArgumentError' : e.name} ${e.code} ${e.message}`);
            }
          }
        },
      },
    });
    await run();
    expect(log).toEqual([
      'both: PoeArgumentError ERR_POE_INVALID_ARGUMENT FollowTail requires a `handle` or a `filename` option, but not both',
      'neither: PoeArgumentError ERR_POE_INVALID_ARGUMENT FollowTail requires a `handle` or a `filename` option, but not both',
      'no inputEvent: PoeArgumentError ERR_POE_INVALID_ARGUMENT FollowTail requires an `inputEvent` option',
      'seek and seekBack: PoeArgumentError ERR_POE_INVALID_ARGUMENT FollowTail cannot have `seek` and `seekBack` at the same time',
      'PascalCase: PoeArgumentError ERR_POE_UNKNOWN_OPTION Unknown FollowTail option `Filename`; did you mean `filename`?',
      'pollInterval: PoeArgumentError ERR_POE_INVALID_ARGUMENT Expected FollowTail option `pollInterval` to be a finite number of seconds >= 0, got `-1` (number)',
      'seekBack: PoeArgumentError ERR_POE_INVALID_ARGUMENT Expected FollowTail option `seekBack` to be an integer >= 0, got `-5` (number)',
      'filter: PoeArgumentError ERR_POE_INVALID_ARGUMENT Expected FollowTail option `filter` to be a filter, got `{}` (object)',
      `directory: PoeArgumentError ERR_POE_INVALID_ARGUMENT FollowTail cannot follow \`${dir}\`: it is a directory`,
      'handle: PoeArgumentError ERR_POE_INVALID_ARGUMENT Expected FollowTail option `handle` to be a file descriptor, a FileHandle or a Readable stream, got `"x"` (string)',
      'seek on a stream: PoeArgumentError ERR_POE_INVALID_ARGUMENT FollowTail cannot `seekBack` on a stream',
    ]);
  });
});
