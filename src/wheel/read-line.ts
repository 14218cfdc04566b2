import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { clearScreenDown, createInterface, cursorTo, moveCursor, type Interface, type Key } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { PoeArgumentError, describe } from '../errors.js';
import type { EventName, Untyped } from '../session/types.js';
import { Wheel, type WheelOwner, wheelArgs } from './wheel.js';

/** When `put` output may interrupt a line being typed. POE: `PutMode`. */
export type PutMode = 'immediate' | 'after' | 'idle';

/** Why a ReadLine InputEvent carries no line: ^C, ^G, or ^D on an empty line / end of input. */
export type ReadLineException = 'interrupt' | 'cancel' | 'eot';

/**
 * Options of {@link ReadLine}. POE: `POE::Wheel::ReadLine->new(%params)`. `E`: the session's
 * event map when the wheel is given its handler's context first (`new ReadLine(ctx, {...})`).
 */
export interface ReadLineOptions<E = Untyped> {
  /**
   * Event for each `get()`: `(line, undefined, wheelId)`, or `(undefined, exception, wheelId)`.
   * Required. POE: `InputEvent`.
   */
  inputEvent: EventName<E>;
  /**
   * `'immediate'`: `put` interrupts the line being typed and redraws it; `'after'`: `put`
   * waits until the line is entered; `'idle'`: `put` waits while keys were pressed in the last
   * `idleTime` seconds. POE: `PutMode`.
   * @default 'idle'
   */
  putMode?: PutMode;
  /**
   * Seconds without a key press before `'idle'` mode shows buffered `put` output. POE: `IdleTime`.
   * @default 2
   */
  idleTime?: number;
  /**
   * Application name. POE used it to pick inputrc sections; node:readline reads no inputrc, so
   * it is only kept for ports. POE: `AppName`.
   * @default 'poe-readline'
   */
  appName?: string;
  /**
   * Where keys come from.
   * @default process.stdin
   */
  input?: Readable;
  /**
   * Where the prompt, the echo and `put` go.
   * @default process.stdout
   */
  output?: Writable;
  /**
   * Line editing with echo, history keys, ^C/^G/^D (node:readline's terminal mode). Without it
   * the wheel reads plain lines, as from a pipe.
   * @default output.isTTY
   */
  terminal?: boolean;
}

const KNOWN = ['inputEvent', 'putMode', 'idleTime', 'appName', 'input', 'output', 'terminal'] as const;
const PUT_MODES: readonly string[] = ['immediate', 'after', 'idle'];

type Pending = [line: string | undefined, exception: ReadLineException | undefined];

function historyFile(file: string | undefined): string {
  return file !== undefined && file !== '' ? file : join(process.env.HOME ?? homedir(), '.history');
}

/**
 * A console line reader on node:readline (POE::Wheel::ReadLine, spec 2.6).
 *
 * `get(prompt)` shows the prompt and arms **one** InputEvent; call it again after each event.
 * The event is posted (POE's `yield`), not called: `(line, undefined, id)` for an entered
 * line, `(undefined, 'interrupt' | 'cancel' | 'eot', id)` for ^C, ^G, and ^D on an empty line
 * or the end of the input. The wheel keeps its session alive only while a `get()` is pending,
 * as POE watched the terminal only then; in terminal mode the terminal is raw only then too,
 * so ^C between lines is a real SIGINT.
 *
 * History is the wheel's own (`addHistory`/`getHistory`, oldest first); entered lines are not
 * added by themselves, as in POE. Lines that arrive while no `get()` is pending (typeahead, or
 * several lines in one chunk from a pipe) are kept in order for the next `get()`s.
 *
 * POE: `POE::Wheel::ReadLine`. Key bindings, inputrc, `bind_key`, `add_defun`, `attribs` and
 * `option` are node:readline's business and not offered. POE 1.37 passes `(line, id)` for an
 * entered line despite its documentation; poe-ts keeps the documented three arguments.
 */
export class ReadLine<E = Untyped> extends Wheel {
  readonly #input: Readable;
  readonly #output: Writable;
  readonly #terminal: boolean;
  readonly #putMode: PutMode;
  readonly #idleTime: number;
  /** The application name given (POE's `AppName`). */
  readonly appName: string;
  #inputEvent: string;

  #rl: Interface | undefined;
  #inputEnded = false;
  #reading = false;
  #prompt = '>';
  readonly #pending: Pending[] = [];
  /** Newest first: node:readline walks this very array for the history keys. */
  readonly #history: string[] = [];
  /** The history as the wheel keeps it (POE's), newest first. */
  readonly #own: string[] = [];
  readonly #putBuffer: string[] = [];
  #hasTimer = false;
  readonly #readState: string;
  readonly #idleState: string;
  readonly #syncState: string;

  constructor(options: ReadLineOptions);
  constructor(owner: WheelOwner<E>, options: ReadLineOptions<E>);
  constructor(first: ReadLineOptions | WheelOwner<E>, second?: ReadLineOptions<E>) {
    const [owner, options] = wheelArgs<ReadLineOptions>('ReadLine', first, second as ReadLineOptions | undefined);
    const o = ReadLine.#validate(options);
    super('ReadLine', owner);
    this.#inputEvent = o.inputEvent;
    this.#putMode = o.putMode ?? 'idle';
    this.#idleTime = o.idleTime ?? 2;
    this.appName = o.appName ?? 'poe-readline';
    this.#input = o.input ?? process.stdin;
    this.#output = o.output ?? process.stdout;
    this.#terminal = o.terminal ?? (this.#output as { isTTY?: unknown }).isTTY === true;
    this.#readState = this.defineState('select read', (kind, arg) => this.#onInput(kind as string, arg));
    this.#idleState = this.defineState('input timeout', () => this.#onIdle());
    this.#syncState = this.defineState('sync', (fn) => (fn as () => void)());
    this.#open();
  }

  static #validate(options: ReadLineOptions): ReadLineOptions {
    const o = Wheel.checkOptions('ReadLine', options, KNOWN, ['inputEvent']);
    if (o.inputEvent === undefined) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', 'ReadLine requires an `inputEvent` option');
    }
    if (o.putMode !== undefined && !PUT_MODES.includes(o.putMode)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ReadLine option \`putMode\` to be 'immediate', 'after' or 'idle', got ${describe(o.putMode)}`);
    }
    if (o.idleTime !== undefined && (typeof o.idleTime !== 'number' || !Number.isFinite(o.idleTime) || o.idleTime < 0)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ReadLine option \`idleTime\` to be a finite number of seconds >= 0, got ${describe(o.idleTime)}`);
    }
    if (o.appName !== undefined && typeof o.appName !== 'string') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ReadLine option \`appName\` to be a string, got ${describe(o.appName)}`);
    }
    const streamLike = (v: unknown, method: string): boolean =>
      v !== null && typeof v === 'object' && typeof (v as Record<string, unknown>).on === 'function' && typeof (v as Record<string, unknown>)[method] === 'function';
    if (o.input !== undefined && !streamLike(o.input, 'read')) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ReadLine option \`input\` to be a Readable stream, got ${describe(o.input)}`);
    }
    if (o.output !== undefined && !streamLike(o.output, 'write')) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ReadLine option \`output\` to be a Writable stream, got ${describe(o.output)}`);
    }
    if (o.terminal !== undefined && typeof o.terminal !== 'boolean') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ReadLine option \`terminal\` to be a boolean, got ${describe(o.terminal)}`);
    }
    return o;
  }

  // ------------------------------------------------------------------------------------------
  // the node:readline interface

  #open(): void {
    const rl = createInterface({
      input: this.#input,
      output: this.#output,
      terminal: this.#terminal,
      // The wheel keeps the history: readline walks this array, and each line it adds is taken
      // out again in its 'history' event (documented for lines that must not be kept).
      history: this.#history,
      historySize: Number.MAX_SAFE_INTEGER,
      prompt: this.#prompt,
    });
    this.#rl = rl;
    const state = this.#readState;
    this.listen(rl, 'line', (line: string) => this.ioDispatch(state, 'line', line));
    this.listen(rl, 'SIGINT', () => this.ioDispatch(state, 'interrupt'));
    this.listen(rl, 'close', () => this.ioDispatch(state, 'close'));
    this.listen(rl, 'history', () => this.#syncHistory());
    // readline passes on its input's errors: they end the input, as end-of-file does.
    this.listen(rl, 'error', () => this.ioDispatch(state, 'close'));
    if (this.#terminal) this.listen(this.#input, 'keypress', (_s: unknown, key: unknown) => this.ioDispatch(state, 'key', key));
    // Nothing is read until get(): POE watched the terminal only while reading a line.
    rl.pause();
    this.#setRaw(false);
  }

  /** Drops the wheel's listeners (readline's own stay: they clean up on close). */
  #unlisten(rl: Interface): void {
    this.unlisten(this.#input);
    this.unlisten(rl);
  }

  /** Raw mode only while reading, so ^C between lines is an ordinary SIGINT. */
  #setRaw(on: boolean): void {
    const input = this.#input as { isTTY?: unknown; setRawMode?: (mode: boolean) => unknown };
    if (this.#terminal && input.isTTY === true && typeof input.setRawMode === 'function') input.setRawMode(on);
  }

  #onInput(kind: string, arg: unknown): void {
    switch (kind) {
      case 'line': {
        this.#accept([arg as string, undefined]);
        return;
      }
      case 'interrupt':
        if (this.#reading) this.#abort('interrupt', '^C');
        return;
      case 'key': {
        if (!this.#reading) return;
        const key = arg as Key | undefined;
        if (key?.ctrl === true && key.name === 'g') {
          this.#abort('cancel', '^G');
          return;
        }
        if (this.#putMode === 'idle') {
          this.#hasTimer = true;
          this.kernel.delay(this.#idleState, this.#idleTime);
        }
        return;
      }
      case 'close': {
        const rl = this.#rl;
        if (rl === undefined) return;
        this.#rl = undefined;
        this.#unlisten(rl);
        rl.close(); // already closed unless the input failed
        const input = this.#input as Readable & { readableEnded?: boolean; destroyed?: boolean };
        this.#inputEnded = input.readableEnded === true || input.destroyed === true || !this.#terminal;
        if (this.#terminal && this.#reading) this.#output.write('^D\r\n');
        this.#accept([undefined, 'eot']);
        return;
      }
    }
  }

  /** ^C or ^G: the typed text is dropped (POE printed the key and a new line). */
  #abort(exception: ReadLineException, shown: string): void {
    const rl = this.#rl;
    if (rl !== undefined) {
      rl.write('', { ctrl: true, name: 'e' });
      rl.write('', { ctrl: true, name: 'u' });
    }
    this.#output.write(`${shown}\r\n`);
    this.#accept([undefined, exception]);
  }

  /** A line or an exception arrived: delivered if a get() waits, else kept for the next one. */
  #accept(item: Pending): void {
    if (!this.#reading) {
      this.#pending.push(item);
      return;
    }
    this.#reading = false;
    this.#rl?.pause();
    this.#setRaw(false);
    if (this.#hasTimer) {
      this.#hasTimer = false;
      this.#inSession(() => this.kernel.delay(this.#idleState));
    }
    this.release();
    this.#post(item[0], item[1]);
    this.#flush();
  }

  #post(line: string | undefined, exception: ReadLineException | undefined): void {
    this.kernel.post(this.session, this.#inputEvent, line, exception, this.ID);
  }

  #onIdle(): void {
    this.#hasTimer = false;
    if (this.#putBuffer.length === 0) return;
    this.#wipe();
    this.#flush();
    this.#repaint();
  }

  /** Runs `fn` with the wheel's session active, as the kernel's timer calls need. */
  #inSession(fn: () => void): void {
    if (this.kernel.getActiveSession() === this.session) fn();
    else this.kernel._ioDispatch(this.session, this.#syncState, [fn]);
  }

  // ------------------------------------------------------------------------------------------
  // output

  get #eol(): string {
    // Raw terminals need CR LF (POE always wrote it); pipes and files get plain lines.
    return this.#terminal ? '\r\n' : '\n';
  }

  /** Clears the prompt and the typed text from the screen (the cursor goes to their start). */
  #wipe(): void {
    const rl = this.#rl;
    if (!this.#reading || !this.#terminal || rl === undefined) return;
    moveCursor(this.#output, 0, -rl.getCursorPos().rows);
    cursorTo(this.#output, 0);
    clearScreenDown(this.#output);
  }

  #repaint(): void {
    if (this.#reading && this.#terminal) this.#rl?.prompt(true);
  }

  #flush(): void {
    if (this.#putBuffer.length === 0) return;
    this.#output.write(this.#putBuffer.join(''));
    this.#putBuffer.length = 0;
  }

  // ------------------------------------------------------------------------------------------
  // public API

  /**
   * Shows `prompt` (or the previous one; POE's first default is `'>'`) and arms one
   * InputEvent. While a line is being read it only changes the prompt. POE: `$wheel->get($prompt)`.
   */
  get(prompt?: string): void {
    if (this.destroyed) return;
    if (prompt !== undefined && typeof prompt !== 'string') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ReadLine \`get\` prompt to be a string, got ${describe(prompt)}`);
    }
    // POE's readline markers for invisible prompt text are dropped.
    const shown = prompt?.replace(/\\[[\]]/g, '');
    if (this.#reading) {
      if (shown !== undefined && shown !== this.#prompt) {
        this.#prompt = shown;
        this.#rl?.setPrompt(shown);
        this.#repaint();
      }
      return;
    }
    if (shown !== undefined) this.#prompt = shown;
    const next = this.#pending.shift();
    if (next !== undefined) {
      // Typeahead: the line is already here (a terminal has echoed it already). Deliver it as
      // a fresh read would, after the prompt a pipe's transcript would show.
      if (!this.#terminal) this.#output.write(this.#prompt);
      this.#post(next[0], next[1]);
      this.#flush();
      return;
    }
    if (this.#rl === undefined) {
      if (this.#inputEnded) {
        // Nothing more will come: every get() after the end of input is another 'eot'.
        if (!this.#terminal) this.#output.write(this.#prompt);
        this.#post(undefined, 'eot');
        return;
      }
      this.#open(); // ^D closed the last interface; the terminal is still there
    }
    this.#reading = true;
    this.hold();
    this.#setRaw(true);
    const rl = this.#rl!;
    rl.setPrompt(this.#prompt);
    rl.prompt();
  }

  /**
   * Writes lines to the console, each followed by a line end, minding `putMode` while a line
   * is being typed. POE: `$wheel->put(@lines)`.
   */
  put(...lines: string[]): void {
    const text = lines.map((line) => `${String(line)}${this.#eol}`).join('');
    if (this.#putMode === 'immediate' || !this.#reading || (this.#putMode === 'idle' && !this.#hasTimer)) {
      this.#wipe();
      this.#flush();
      this.#output.write(text);
      this.#repaint();
      return;
    }
    this.#putBuffer.push(text);
  }

  /** Adds lines to the end of the history. POE: `add_history`. */
  addHistory(...lines: string[]): void {
    for (const line of lines) this.#own.unshift(String(line));
    this.#syncHistory();
  }

  /** The history, oldest first. POE: `get_history`. */
  getHistory(): string[] {
    return [...this.#own].reverse();
  }

  /** Makes readline's array the wheel's history again (after readline added a line to it). */
  #syncHistory(): void {
    this.#history.length = 0;
    for (const line of this.#own) this.#history.push(line);
  }

  /**
   * Appends lines `from` to `to` (0-based, inclusive; `to` -1 means the end) of `file` to the
   * history. Returns 1, or undefined when the file cannot be read. POE: `read_history`.
   * @param file default `~/.history`
   */
  readHistory(file?: string, from = 0, to = -1): 1 | undefined {
    let text: string;
    try {
      text = readFileSync(historyFile(file), 'utf8');
    } catch {
      return undefined;
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    lines.forEach((line, i) => {
      if (i >= from && (to < from || i <= to)) this.addHistory(line);
    });
    return 1;
  }

  /** Writes the history to `file`, one line each. Returns 1 or undefined. POE: `write_history`. */
  writeHistory(file?: string): 1 | undefined {
    try {
      writeFileSync(historyFile(file), `${this.getHistory().join('\n')}\n`);
    } catch {
      return undefined;
    }
    return 1;
  }

  /**
   * Keeps only the last `lines` lines of `file` and makes them the history (0 empties both).
   * Returns 1 or undefined. POE: `history_truncate_file`.
   */
  historyTruncateFile(file?: string, lines = 0): 1 | undefined {
    const path = historyFile(file);
    let hist: string[];
    try {
      hist = readFileSync(path, 'utf8').split('\n');
    } catch {
      return undefined;
    }
    if (hist.at(-1) === '') hist.pop();
    if (hist.length <= lines) return 1;
    hist = lines > 0 ? hist.slice(hist.length - lines) : [];
    try {
      writeFileSync(path, hist.map((h) => `${h}\n`).join(''));
    } catch {
      return undefined;
    }
    this.#own.length = 0;
    this.addHistory(...hist);
    return 1;
  }

  /** Clears the screen (terminal mode). POE: `$wheel->clear`. */
  clear(): void {
    if (!this.#terminal) return;
    cursorTo(this.#output, 0, 0);
    clearScreenDown(this.#output);
    this.#repaint();
  }

  /** `[columns, rows]` of the output terminal, `[80, 25]` when unknown. POE: `terminal_size`. */
  terminalSize(): [columns: number, rows: number] {
    const out = this.#output as { columns?: unknown; rows?: unknown };
    return [typeof out.columns === 'number' ? out.columns : 80, typeof out.rows === 'number' ? out.rows : 25];
  }

  protected onDestroy(): void {
    if (this.#hasTimer) {
      this.#hasTimer = false;
      this.#inSession(() => this.kernel.delay(this.#idleState));
    }
    this.#reading = false;
    this.#pending.length = 0;
    const rl = this.#rl;
    this.#rl = undefined;
    if (rl !== undefined) {
      this.#unlisten(rl);
      rl.close(); // restores the terminal and pauses the input
    }
  }

  /** POE's spelling of {@link ReadLine.addHistory}. */
  declare add_history: this['addHistory'];
  /** POE's spelling of {@link ReadLine.getHistory}. */
  declare get_history: this['getHistory'];
  /** POE's spelling of {@link ReadLine.readHistory}. */
  declare read_history: this['readHistory'];
  /** POE's spelling of {@link ReadLine.writeHistory}. */
  declare write_history: this['writeHistory'];
  /** POE's spelling of {@link ReadLine.historyTruncateFile}. */
  declare history_truncate_file: this['historyTruncateFile'];
  /** POE's spelling of {@link ReadLine.terminalSize}. */
  declare terminal_size: this['terminalSize'];

  static {
    Wheel.installAliases(this, {
      add_history: 'addHistory',
      get_history: 'getHistory',
      read_history: 'readHistory',
      write_history: 'writeHistory',
      history_truncate_file: 'historyTruncateFile',
      terminal_size: 'terminalSize',
    });
  }
}
