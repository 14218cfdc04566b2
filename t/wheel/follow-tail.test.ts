/**
 * FollowTail (spec 2.5, G32, G35): plain files polled on the kernel's timers (driven by the
 * manual clock), rotation and truncation, seek/seekBack, handles, streams and FIFOs.
 *
 * Most tests are a {@link tail}: one wheel `w` whose events are logged as `event(wheel id) ...`,
 * its position (`tell`) when it starts, and the file changes the test makes as timed steps.
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
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Context, FollowTailOptions, PoeError } from '../../src/index.js';
import { FollowTail, Line, PoeArgumentError, Session } from '../../src/index.js';
import { errnoName, expectNoLeaks, logged, makeKernel, named, settle, thrownInSession, type ManualTestKernel, type TestHandler } from '../kit/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'poe-ts-tail-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Heap {
  w?: FollowTail;
}
type Ctx = Context<unknown, Heap>;
type States = Record<string, TestHandler<Ctx>>;

interface TailScene extends ManualTestKernel {
  /** The followed file. */
  path: string;
}
type Action = (ctx: Ctx, s: TailScene) => void;

interface Tail {
  /** The file to follow; `log` in the test's directory by default. */
  path?: string;
  /** What the file holds before the wheel starts; without it the test makes the file (or not). */
  content?: string;
  /**
   * The wheel's options, over `{ filename: path, pollInterval: 0.1 }` (unless they give a
   * `handle`) and `{ inputEvent: 'got' }`. The events they name are logged: a record as
   * `got(1) line`, reset and idle as `reset(1)`, an error as `error(1) op ERRNO 'message'`.
   */
  options?: Partial<FollowTailOptions>;
  /** Appends ` at <seconds>` (the manual clock) to each logged event. */
  timed?: boolean;
  /** What `_start` does once the wheel is made and its `tell` logged. */
  begin?: Action;
  /** Actions, each `after` seconds after the one before (the first after `_start`). */
  steps?: [after: number, action: Action][];
  /**
   * Handlers: for an event the wheel's options name, what it does once it is logged; else the
   * whole handler. `_stop` is logged too, and destroys the wheel unless `on` says otherwise.
   */
  on?: (s: TailScene) => States;
}

/** Runs one session with one FollowTail `w` as `t` says, to completion; returns its log. */
async function tail(t: Tail): Promise<string[]> {
  const k = makeKernel();
  const path = t.path ?? join(dir, 'log');
  if (t.content !== undefined) writeFileSync(path, t.content);
  const s: TailScene = { ...k, path };
  const options = { ...(t.options?.handle === undefined ? { filename: path, pollInterval: 0.1 } : {}), inputEvent: 'got', ...t.options } as FollowTailOptions;
  const at = (): string => (t.timed ? ` at ${k.clock.now().toFixed(2)}` : '');
  const lines: Record<string, (ctx: Ctx, ...args: never[]) => string> = {
    [options.inputEvent]: (_ctx, record: unknown, id: number) => `${options.inputEvent}(${id}) ${String(record)}${at()}`,
    _stop: () => '_stop',
  };
  for (const event of [options.resetEvent, options.idleEvent]) {
    if (event !== undefined) lines[event] = (_ctx, id: number) => `${event}(${id})${at()}`;
  }
  const error = options.errorEvent;
  if (error !== undefined) {
    lines[error] = (_ctx, op: string, errno: number, message: string, id: number) => `${error}(${id}) ${op} ${errnoName(errno)} '${message}'${at()}`;
  }
  const steps = t.steps ?? [];
  Session.create<unknown, Heap>({
    kernel: k.kernel,
    heap: {},
    inlineStates: {
      _start(ctx) {
        ctx.heap.w = new FollowTail(options);
        k.say(`tell ${String(ctx.heap.w.tell())}`);
        t.begin?.(ctx, s);
        if (steps.length > 0) ctx.kernel.delay('step', steps[0]![0], 0);
      },
      step(ctx, i: number) {
        steps[i]![1](ctx, s);
        const next = steps[i + 1];
        if (next !== undefined) ctx.kernel.delay('step', next[0], i + 1);
      },
      ...logged(k.say, lines, { _stop: (ctx: Ctx) => ctx.heap.w?.destroy(), ...t.on?.(s) }),
    },
  });
  await k.run();
  return k.log;
}

const append =
  (text: string): Action =>
  (_ctx, { path }) =>
    appendFileSync(path, text);
const rewrite =
  (text: string): Action =>
  (_ctx, { path }) =>
    writeFileSync(path, text);
/** Logs where the wheel is and destroys it. */
const stop: Action = (ctx, { say }) => {
  say(`tell ${String(ctx.heap.w?.tell())}`);
  ctx.heap.w?.destroy();
};

describe('starting position', () => {
  // The file holds `content`; 0.15 s after the start `append` is appended; 0.3 s later the wheel stops.
  const starts = named([
    {
      name: 'default: existing lines are skipped, a partial last line completes with the append (G32)',
      content: 'old1\nold2\npart',
      options: {},
      append: 'ial\nnew\n',
      expected: ['tell 14', 'got(1) partial', 'got(1) new', 'tell 22', '_stop'],
    },
    {
      name: 'default on a big file: seeks back 4096 bytes and discards up to EOF',
      content: ('x'.repeat(99) + '\n').repeat(100),
      options: {},
      append: 'tail\n',
      expected: ['tell 10000', 'got(1) tail', 'tell 10005', '_stop'],
    },
    {
      name: 'seekBack: 5 on "old1\\nold2\\n" reports old2 (probe 28)',
      content: 'old1\nold2\n',
      options: { seekBack: 5 },
      append: 'new\n',
      expected: ['tell 5', 'got(1) old2', 'got(1) new', 'tell 14', '_stop'],
    },
    {
      name: 'seekBack beyond the start starts at 0',
      content: 'a\nb\n',
      options: { seekBack: 100 },
      append: 'c\n',
      expected: ['tell 0', 'got(1) a', 'got(1) b', 'got(1) c', 'tell 6', '_stop'],
    },
    { name: 'seekBack: 0 starts at the end', content: 'a\nb\n', options: { seekBack: 0 }, append: 'c\n', expected: ['tell 4', 'got(1) c', 'tell 6', '_stop'] },
    { name: 'seek: an offset from the start', content: 'a\nb\n', options: { seek: 2 }, append: 'c\n', expected: ['tell 2', 'got(1) b', 'got(1) c', 'tell 6', '_stop'] },
    { name: 'seek: 0 is the start', content: 'a\nb\n', options: { seek: 0 }, append: 'c\n', expected: ['tell 0', 'got(1) a', 'got(1) b', 'got(1) c', 'tell 6', '_stop'] },
    { name: 'seek: past the end means at the end', content: 'a\nb\n', options: { seek: 99 }, append: 'c\n', expected: ['tell 4', 'got(1) c', 'tell 6', '_stop'] },
  ]);
  test.each(starts)('%s', async (_name, { content, options, append: text, expected }) => {
    expect(
      await tail({
        content,
        options,
        steps: [
          [0.15, append(text)],
          [0.3, stop],
        ],
      }),
    ).toEqual(expected);
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
  const log = await tail({
    content: '',
    options: { resetEvent: 'reset' },
    steps: [
      [0.15, append('one\ntwo\n')],
      [0.3, rewrite('x\n')], // shorter: a truncation
      [0.3, append('y\n')],
      [0.3, stop],
    ],
  });
  expect(log).toEqual(['tell 0', 'got(1) one', 'got(1) two', 'reset(1)', 'got(1) x', 'got(1) y', 'tell 4', '_stop']);
});

test('rotation by rename and recreate: the old file is read to its end, then the new one from the start', async () => {
  const log = await tail({
    content: 'before\n',
    options: { resetEvent: 'reset' },
    steps: [
      [
        0.25,
        (_ctx, { path }) => {
          appendFileSync(path, 'last-old\n');
          renameSync(path, `${path}.1`);
          writeFileSync(path, 'new1\n');
        },
      ],
      [
        0.25,
        (_ctx, { path }) => {
          appendFileSync(`${path}.1`, 'lost\n'); // the old file is closed by now
          appendFileSync(path, 'new2\n');
        },
      ],
      [0.25, stop],
    ],
  });
  expect(log).toEqual(['tell 7', 'got(1) last-old', 'reset(1)', 'got(1) new1', 'got(1) new2', 'tell 10', '_stop']);
});

test('a missing file: IdleEvent on each poll until it appears, then ResetEvent and its whole content', async () => {
  const log = await tail({
    path: join(dir, 'later.log'),
    options: { resetEvent: 'reset', idleEvent: 'idle' },
    timed: true,
    steps: [
      [0.25, rewrite('hello\n')],
      [0.1, stop],
    ],
  });
  expect(log).toEqual([
    'tell undefined',
    'idle(1) at 0.00',
    'idle(1) at 0.10',
    'idle(1) at 0.20',
    'reset(1) at 0.30',
    'got(1) hello at 0.30',
    'idle(1) at 0.30',
    'tell 6',
    '_stop',
  ]);
});

test('handle mode: a truncated file is rewound with ResetEvent; the wheel leaves the descriptor open', async () => {
  const file = join(dir, 'log');
  writeFileSync(file, 'one\ntwo\n');
  const fd = openSync(file, 'r');
  const writer = openSync(file, 'r+');
  const log = await tail({
    options: { handle: fd, resetEvent: 'reset', seek: 0, pollInterval: 0.1 },
    steps: [
      [
        0.25,
        () => {
          ftruncateSync(writer, 0);
          writeSync(writer, 'again\n', 0);
        },
      ],
      [0.25, stop],
    ],
  });
  expect(log).toEqual(['tell 0', 'got(1) one', 'got(1) two', 'reset(1)', 'got(1) again', 'tell 6', '_stop']);
  // Still open: the wheel never closes a handle it was given.
  expect(() => closeSync(fd)).not.toThrow();
  closeSync(writer);
});

test("ErrorEvent ('stat', errno, message, id) when the file's directory is replaced, and polling stops", async () => {
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  const log = await tail({
    path: join(sub, 'log'),
    content: '',
    options: { errorEvent: 'error' },
    steps: [
      [
        0.15,
        (_ctx, { path }) => {
          appendFileSync(path, 'last\n');
          renameSync(sub, `${sub}.old`);
          writeFileSync(sub, 'now a file');
        },
      ],
    ],
    on: () => ({ error: (ctx) => ctx.heap.w?.destroy() }),
  });
  expect(log).toEqual(['tell 0', 'got(1) last', "error(1) stat ENOTDIR 'Not a directory'", '_stop']);
});

test('a filter over its limit is ErrorEvent (read, EMSGSIZE) and stops the wheel', async () => {
  const log = await tail({
    content: '',
    options: { errorEvent: 'error', filter: new Line({ maxLength: 8 }) },
    steps: [[0.15, append('ok\nthis line is far too long\n')]],
  });
  expect(log).toEqual(['tell 0', 'got(1) ok', "error(1) read EMSGSIZE 'Line: maxLength exceeded (25 > 8)'", '_stop']);
});

test('destroying the wheel in InputEvent: the rest of that read still arrives (G35), then nothing', async () => {
  const log = await tail({
    content: 'a\nb\nc\n',
    options: { idleEvent: 'idle', seek: 0 },
    on: () => ({
      got(ctx) {
        ctx.heap.w?.destroy();
        delete ctx.heap.w;
      },
    }),
  });
  expect(log).toEqual(['tell 0', 'got(1) a', 'got(1) b', 'got(1) c', '_stop']);
});

test('event() renames events and turns optional ones off', async () => {
  const log = await tail({
    content: 'a\nb\n',
    options: { inputEvent: 'one', idleEvent: 'idle', seek: 0 },
    begin(ctx, { say }) {
      try {
        ctx.heap.w?.event({ inputEvent: undefined });
      } catch (err) {
        say(`${(err as PoeError).code}`);
      }
      try {
        ctx.heap.w?.event({ InputEvent: 'x' } as never);
      } catch (err) {
        say(`${(err as Error).message}`);
      }
    },
    on: ({ say }) => ({
      one(ctx) {
        ctx.heap.w?.event({ inputEvent: 'two', idleEvent: undefined });
        ctx.kernel.delay('done', 0.35);
      },
      two(_ctx, line: string, id: number) {
        say(`two(${id}) ${line}`);
      },
      done(ctx) {
        ctx.heap.w?.destroy();
      },
    }),
  });
  expect(log).toEqual([
    'tell 0',
    'ERR_POE_INVALID_ARGUMENT',
    'Unknown FollowTail event() option `InputEvent`; did you mean `inputEvent`?',
    'one(1) a',
    'two(1) b',
    '_stop',
  ]);
});

describe('streams (POE select mode)', () => {
  test('a Readable handle: records as they arrive; EOF on a pipe is IdleEvent and frees the session', async () => {
    const pipe = new PassThrough();
    const log = await tail({
      options: { handle: pipe, idleEvent: 'idle', errorEvent: 'error' },
      begin() {
        pipe.write('a\nb');
        pipe.end('\nc\n');
      },
    });
    expect(log).toEqual(['tell undefined', 'got(1) a', 'got(1) b', 'got(1) c', 'idle(1)', '_stop']);
  });

  test("EOF on a terminal or socket is ErrorEvent ('read', 0, '')", async () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    const log = await tail({ options: { handle: tty, errorEvent: 'error' }, begin: () => tty.end('x\n') });
    expect(log).toEqual(['tell undefined', 'got(1) x', "error(1) read 0 ''", '_stop']);
  });

  test('a FIFO filename is opened read-write and watched: writers come and go without EOF', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const send = (text: string): void => {
      const w = openSync(fifo, 'w');
      writeSync(w, text);
      closeSync(w);
    };
    const log = await tail({
      path: fifo,
      options: { idleEvent: 'idle' },
      begin: () => send('x\n'),
      on: () => ({
        got(ctx, line: string) {
          if (line === 'x') send('y\n');
          else ctx.heap.w?.destroy();
        },
      }),
    });
    expect(log).toEqual(['tell undefined', 'got(1) x', 'got(1) y', '_stop']);
  });
});

describe('validation', () => {
  test('a wheel must be created inside a handler', () => {
    expect(() => new FollowTail({ filename: join(dir, 'x'), inputEvent: 'got' })).toThrow(
      expect.objectContaining({ code: 'ERR_POE_WHEEL_NO_SESSION' }) as Error,
    );
  });

  // Each row's options (with `inputEvent: 'got'` unless it says not) are made in the test, where
  // `file` (empty) and `dir` exist.
  const rejected = named<{ name: string; options: (file: string, dir: string) => object; noInputEvent?: boolean; code?: string; message: string | ((dir: string) => string) }>([
    { name: 'both a handle and a filename', options: (file: string) => ({ filename: file, handle: 0 }), message: 'FollowTail requires a `handle` or a `filename` option, but not both' },
    { name: 'neither a handle nor a filename', options: () => ({}), message: 'FollowTail requires a `handle` or a `filename` option, but not both' },
    { name: 'no inputEvent', options: (file: string) => ({ filename: file }), noInputEvent: true, message: 'FollowTail requires an `inputEvent` option' },
    { name: 'seek and seekBack at once', options: (file: string) => ({ filename: file, seek: 1, seekBack: 1 }), message: 'FollowTail cannot have `seek` and `seekBack` at the same time' },
    {
      name: "POE's PascalCase spelling",
      options: (file: string) => ({ Filename: file }),
      code: 'ERR_POE_UNKNOWN_OPTION',
      message: 'Unknown FollowTail option `Filename`; did you mean `filename`?',
    },
    {
      name: 'a negative pollInterval',
      options: (file: string) => ({ filename: file, pollInterval: -1 }),
      message: 'Expected FollowTail option `pollInterval` to be a finite number of seconds >= 0, got `-1` (number)',
    },
    { name: 'a negative seekBack', options: (file: string) => ({ filename: file, seekBack: -5 }), message: 'Expected FollowTail option `seekBack` to be an integer >= 0, got `-5` (number)' },
    { name: 'a filter that is not one', options: (file: string) => ({ filename: file, filter: {} }), message: 'Expected FollowTail option `filter` to be a filter, got `{}` (object)' },
    { name: 'a directory', options: (_file: string, dir: string) => ({ filename: dir }), message: (dir: string) => `FollowTail cannot follow \`${dir}\`: it is a directory` },
    {
      name: 'a handle that is not one',
      options: () => ({ handle: 'x' }),
      message: 'Expected FollowTail option `handle` to be a file descriptor, a FileHandle or a Readable stream, got `"x"` (string)',
    },
    { name: 'seekBack on a stream', options: () => ({ handle: new PassThrough(), seekBack: 3 }), message: 'FollowTail cannot `seekBack` on a stream' },
  ]);
  test.each(rejected)('rejects %s', async (_name, { options, noInputEvent, code = 'ERR_POE_INVALID_ARGUMENT', message }) => {
    const file = join(dir, 'log');
    writeFileSync(file, '');
    const o = noInputEvent === true ? options(file, dir) : { inputEvent: 'got', ...options(file, dir) };
    const thrown = await thrownInSession(() => void new FollowTail(o as FollowTailOptions));
    expect(thrown).toBeInstanceOf(PoeArgumentError);
    expect(thrown).toMatchObject({ code, message: typeof message === 'string' ? message : message(dir) });
  });
});
