/**
 * ReadLine (spec 2.6) on node:readline, driven through PassThrough streams: one InputEvent per
 * get(), posted like POE's yield; exceptions for ^C, ^G and ^D / end of input; history; put
 * modes; the session is held only while a get() is pending.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { ReadLine, Session, type PoeError } from '../../src/index.js';
import { expectNoLeaks, makeKernel, settle } from '../kit/index.js';

interface Heap {
  rl?: ReadLine;
}

function streams(): { input: PassThrough; output: PassThrough; written: () => string } {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { input, output, written: () => text };
}

const show = (v: unknown): string => (v === undefined ? 'undef' : JSON.stringify(v));

describe('plain lines (not a terminal)', () => {
  test('one InputEvent per get(): (line, undefined, id), then (undefined, "eot", id) at the end of input', async () => {
    const { kernel, log, say, run } = makeKernel();
    const { input, output, written } = streams();
    let wheelId = 0;
    Session.create<unknown, Heap>({
      kernel,
      heap: {},
      inlineStates: {
        _start(ctx) {
          ctx.heap.rl = new ReadLine({ inputEvent: 'got', input, output });
          wheelId = ctx.heap.rl.ID;
          ctx.heap.rl.get('> ');
          input.write('one\ntwo\n');
          input.end('three');
        },
        got(ctx, line, exception, id) {
          say(`got ${show(line)} ${show(exception)} id=${String(id === wheelId)} sender=${String(ctx.sender === ctx.session)}`);
          if (line !== undefined) ctx.heap.rl?.get();
        },
        _stop(ctx) {
          say('_stop');
          ctx.heap.rl?.destroy();
        },
      },
    });
    await run();
    expect(log).toEqual([
      'got "one" undef id=true sender=true',
      'got "two" undef id=true sender=true',
      'got "three" undef id=true sender=true',
      'got undef "eot" id=true sender=true',
      '_stop',
    ]);
    expect(written()).toBe('> > > > ');
  });

  test('the event is posted, not called: a line already read arrives after get() returns', async () => {
    const { kernel, log, say, run } = makeKernel();
    const { input, output } = streams();
    Session.create<unknown, Heap>({
      kernel,
      heap: {},
      inlineStates: {
        _start(ctx) {
          ctx.heap.rl = new ReadLine({ inputEvent: 'got', input, output });
          ctx.heap.rl.get('? ');
          input.write('a\nb\n');
        },
        got(ctx, line) {
          say(`got ${show(line)}`);
          if (line === 'a') {
            ctx.heap.rl?.get(); // "b" arrived in the same chunk and is waiting
            say('get() returned');
          } else {
            ctx.heap.rl?.destroy();
          }
        },
      },
    });
    await run();
    expect(log).toEqual(['got "a"', 'get() returned', 'got "b"']);
  });

  test('the session is held only while a get() is pending', async () => {
    const { kernel, log, say, run } = makeKernel();
    const { input, output } = streams();
    let rl: ReadLine | undefined;
    Session.create<unknown, Heap>({
      kernel,
      heap: {},
      inlineStates: {
        _start() {
          rl = new ReadLine({ inputEvent: 'got', input, output });
          say('no get(): nothing holds the session');
        },
        _stop() {
          say('_stop');
          rl?.destroy();
        },
      },
    });
    await run();
    expect(log).toEqual(['no get(): nothing holds the session', '_stop']);
  });

  test('a pending get() keeps the session until input comes', async () => {
    const { kernel, log, say, run } = makeKernel({ autoAdvance: false });
    const { input, output } = streams();
    Session.create<unknown, Heap>({
      kernel,
      heap: {},
      inlineStates: {
        _start(ctx) {
          ctx.heap.rl = new ReadLine({ inputEvent: 'got', input, output });
          ctx.heap.rl.get('> ');
        },
        got(ctx, line) {
          say(`got ${show(line)}`);
          ctx.heap.rl?.destroy();
        },
        _stop() {
          say('_stop');
        },
      },
    });
    const done = run();
    await settle();
    expect(kernel.sessionCount).toBe(1);
    expect(log).toEqual([]);
    input.write('late\n');
    await done;
    expect(log).toEqual(['got "late"', '_stop']);
  });

  test('destroy() while reading frees the session and leaves the input alone', async () => {
    const { kernel, log, say, run } = makeKernel();
    const { input, output } = streams();
    const before = input.listenerCount('error');
    Session.create<unknown, Heap>({
      kernel,
      heap: {},
      inlineStates: {
        _start(ctx) {
          ctx.heap.rl = new ReadLine({ inputEvent: 'got', input, output });
          ctx.heap.rl.get('> ');
          ctx.kernel.yield('quit');
        },
        quit(ctx) {
          ctx.heap.rl?.destroy();
          ctx.heap.rl?.get('again? ');
        },
        got() {
          say('got');
        },
        _stop() {
          say('_stop');
        },
      },
    });
    await run();
    expect(log).toEqual(['_stop']);
    expect(input.listenerCount('error')).toBe(before);
    expect(input.destroyed).toBe(false);
  });

  test('an input error ends the input: "eot"', async () => {
    const { kernel, log, say, run } = makeKernel();
    const { input, output } = streams();
    Session.create<unknown, Heap>({
      kernel,
      heap: {},
      inlineStates: {
        _start(ctx) {
          ctx.heap.rl = new ReadLine({ inputEvent: 'got', input, output });
          ctx.heap.rl.get('> ');
          input.destroy(new Error('boom'));
        },
        got(ctx, line, exception) {
          say(`got ${show(line)} ${show(exception)}`);
          ctx.heap.rl?.destroy();
        },
      },
    });
    await run();
    expect(log).toEqual(['got undef "eot"']);
  });

  test("putMode 'after' holds output until the line is entered; 'immediate' and idle-without-keys write at once", async () => {
    const { kernel, log, say, run } = makeKernel();
    const io = { after: streams(), immediate: streams(), idle: streams() };
    Session.create<unknown, Record<string, ReadLine>>({
      kernel,
      heap: {},
      inlineStates: {
        _start(ctx) {
          for (const mode of ['after', 'immediate', 'idle'] as const) {
            const { input, output } = io[mode];
            const rl = (ctx.heap[mode] = new ReadLine({ inputEvent: 'got', putMode: mode, input, output }));
            rl.put('before');
            rl.get(`${mode}> `);
            rl.put('during');
            say(`${mode}: ${JSON.stringify(io[mode].written())}`);
            input.write('x\n');
          }
        },
        got(ctx, line, _exception, id) {
          for (const mode of ['after', 'immediate', 'idle'] as const) {
            const rl = ctx.heap[mode]!;
            if (rl.ID !== id) continue;
            say(`${mode} got ${show(line)}: ${JSON.stringify(io[mode].written())}`);
            rl.destroy();
          }
        },
      },
    });
    await run();
    expect(log).toEqual([
      'after: "before\\nafter> "',
      'immediate: "before\\nimmediate> during\\n"',
      'idle: "before\\nidle> during\\n"',
      'after got "x": "before\\nafter> during\\n"',
      'immediate got "x": "before\\nimmediate> during\\n"',
      'idle got "x": "before\\nidle> during\\n"',
    ]);
  });
});

describe('terminal mode', () => {
  async function keys(sequence: string[], options: { history?: string[] } = {}): Promise<{ log: string[]; out: string; history: string[] }> {
    const { kernel, log, say, run } = makeKernel();
    const { input, output, written } = streams();
    let history: string[] = [];
    let next = 0;
    Session.create<unknown, Heap>({
      kernel,
      heap: {},
      inlineStates: {
        _start(ctx) {
          ctx.heap.rl = new ReadLine({ inputEvent: 'got', input, output, terminal: true });
          if (options.history) ctx.heap.rl.add_history(...options.history);
          ctx.kernel.yield('ask');
        },
        ask(ctx) {
          const k = sequence[next++];
          if (k === undefined) {
            history = ctx.heap.rl?.get_history() ?? [];
            ctx.heap.rl?.destroy();
            return;
          }
          ctx.heap.rl?.get('> ');
          input.write(k);
        },
        got(ctx, line, exception) {
          say(`got ${show(line)} ${show(exception)}`);
          ctx.kernel.yield('ask');
        },
      },
    });
    await run();
    return { log, out: written(), history };
  }

  test('Enter, ^C, ^G, ^D on a non-empty line (deletes) and on an empty one (eot)', async () => {
    const { log, out } = await keys(['hello\r', 'abc\x03', 'xyz\x07', 'q\x04\r', '\x04', 'after eot\r']);
    expect(log).toEqual([
      'got "hello" undef',
      'got undef "interrupt"',
      'got undef "cancel"',
      'got "q" undef',
      'got undef "eot"',
      'got "after eot" undef',
    ]);
    expect(out).toContain('^C\r\n');
    expect(out).toContain('^G\r\n');
    expect(out).toContain('^D\r\n');
  });

  test('history is the wheel\'s: up-arrow walks addHistory lines; entered lines are not added', async () => {
    const { log, history } = await keys(['\x1b[A\r', '\x1b[A\x1b[A\r', 'typed\r'], { history: ['first', 'second'] });
    expect(log).toEqual(['got "second" undef', 'got "first" undef', 'got "typed" undef']);
    expect(history).toEqual(['first', 'second']);
  });

  test("putMode 'idle': output waits while keys were pressed in the last idleTime seconds", async () => {
    const { kernel, clock, log, say, run } = makeKernel({ autoAdvance: false });
    const { input, output, written } = streams();
    let rl: ReadLine | undefined;
    const session = Session.create({
      kernel,
      inlineStates: {
        _start() {
          rl = new ReadLine({ inputEvent: 'got', input, output, terminal: true, idleTime: 2 });
          rl.get('> ');
        },
        news() {
          rl?.put('news');
        },
        got(_ctx, line) {
          say(`got ${show(line)}`);
          rl?.destroy();
        },
      },
    });
    const done = run();
    await settle();
    input.write('ab');
    await settle();
    kernel.post(session!, 'news');
    await settle();
    expect(written()).not.toContain('news');
    clock.advance(1.5);
    await settle();
    expect(written()).not.toContain('news');
    clock.advance(0.5);
    await settle();
    expect(written()).toMatch(/news\r\n.*> ab/s);
    input.write('\r');
    await done;
    expect(log).toEqual(['got "ab"']);
    expectNoLeaks(kernel);
  });
});

describe('history files', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  test('readHistory, writeHistory, historyTruncateFile (and their POE spellings)', async () => {
    const { kernel, log, say, run } = makeKernel();
    dir = mkdtempSync(join(tmpdir(), 'poe-ts-rl-'));
    const file = join(dir, 'hist');
    writeFileSync(file, 'a\nb\nc\nd\n');
    const { input, output } = streams();
    Session.create({
      kernel,
      inlineStates: {
        _start() {
          const rl = new ReadLine({ inputEvent: 'got', input, output });
          say(`read ${show(rl.read_history(file, 1, 2))} -> ${rl.getHistory().join(',')}`);
          rl.addHistory('e');
          say(`write ${show(rl.write_history(file))} -> ${JSON.stringify(readFileSync(file, 'utf8'))}`);
          say(`truncate ${show(rl.history_truncate_file(file, 2))} -> ${rl.getHistory().join(',')} ${JSON.stringify(readFileSync(file, 'utf8'))}`);
          say(`missing ${show(rl.readHistory(join(dir!, 'nope')))}`);
          say(`size ${JSON.stringify(rl.terminal_size())}`);
          rl.destroy();
        },
      },
    });
    await run();
    expect(log).toEqual([
      'read 1 -> b,c',
      'write 1 -> "b\\nc\\ne\\n"',
      'truncate 1 -> c,e "c\\ne\\n"',
      'missing undef',
      'size [80,25]',
    ]);
  });
});

test('options are checked at the door', async () => {
  const { kernel, log, say, run } = makeKernel();
  const attempts: [string, () => unknown][] = [
    ['no inputEvent', () => new ReadLine({} as never)],
    ['PascalCase', () => new ReadLine({ InputEvent: 'x' } as never)],
    ['putMode', () => new ReadLine({ inputEvent: 'x', putMode: 'later' as never })],
    ['input', () => new ReadLine({ inputEvent: 'x', input: 5 as never })],
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
            say(`${what}: ${(err as PoeError).code} ${(err as PoeError).message}`);
          }
        }
      },
    },
  });
  await run();
  expect(log).toEqual([
    'no inputEvent: ERR_POE_INVALID_ARGUMENT ReadLine requires an `inputEvent` option',
    'PascalCase: ERR_POE_UNKNOWN_OPTION Unknown ReadLine option `InputEvent`; did you mean `inputEvent`?',
    "putMode: ERR_POE_INVALID_ARGUMENT Expected ReadLine option `putMode` to be 'immediate', 'after' or 'idle', got `\"later\"` (string)",
    'input: ERR_POE_INVALID_ARGUMENT Expected ReadLine option `input` to be a Readable stream, got `5` (number)',
  ]);
});
