import { type ChildProcess, type SpawnOptions, type StdioOptions, spawn } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, openSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PoeArgumentError, PoeError, PoeSpawnError, describe } from '../errors.js';
import type { Driver, DriverWatch, InputHandle, OutputHandle } from '../driver/driver.js';
import { describeIoError, isDriver } from '../driver/driver.js';
import { StreamDriver } from '../driver/stream.js';
import type { Filter } from '../filter/filter.js';
import { FilterLimitError, isFilter } from '../filter/filter.js';
import { Line } from '../filter/line.js';
import { strerror } from '../errno.js';
import { EMSGSIZE, feedFilter } from './feed.js';
import type { EventName, Untyped } from '../session/types.js';
import { Wheel, type WheelId, type WheelOwner, wheelArgs } from './wheel.js';

/**
 * A function in a module, run in a child Node process: poe-ts's replacement for POE's coderef
 * `Program`, which runs in a fork(2)ed copy of the parent, something Node cannot make.
 *
 * The child is `process.execPath` running a small loader: it imports `module`, calls its
 * export `export` with `programArgs` (strings), awaits the result if it is a promise, and exits
 * with status 0 once its stdout and stderr are flushed, even if the function left timers or
 * sockets open (POE's `_exit` after the coderef). If the import or the function throws (or
 * rejects), the error's stack goes to the child's stderr and it exits with 255 (POE: `warn $@`
 * and exit -1). Nothing of the parent is shared: the function's module is loaded afresh, with
 * the child's stdio as `process.stdin`, `process.stdout` and `process.stderr`.
 */
export interface RunModuleProgram {
  /**
   * The module: a path (relative paths resolve against the parent's working directory) or a
   * `file:` URL, e.g. `new URL('./worker.js', import.meta.url)`. Plain Node must be able to load
   * it: point at built JavaScript, or add a loader with `execArgv`.
   */
  module: string | URL;
  /** The export to call. @default 'default' */
  export?: string;
  /** Node options for the child, before the loader (`['--import', 'tsx']`). @default [] */
  execArgv?: readonly string[];
}

/**
 * What `Run` starts. POE: `Program`.
 * - a string: a command line run by `/bin/sh -c` (POE's `exec(STRING)`), `programArgs` joined
 *   to it with spaces;
 * - an array: `[file, ...args]`, run directly with a `PATH` search (POE's `exec(LIST)`),
 *   `programArgs` appended;
 * - `{ module, export }`: a function run in a child Node process (see {@link RunModuleProgram}).
 */
export type RunProgram = string | readonly string[] | RunModuleProgram;

/** A redirection target: a file path (opened for reading, or created/truncated for writing) or an open file descriptor. */
export type RunRedirect = string | number;

/** The child handle an ErrorEvent is about (ARG4). */
export type RunHandleName = 'STDIN' | 'STDOUT' | 'STDERR';

/**
 * Options of {@link Run}: POE's `POE::Wheel::Run->new(...)` keys in camelCase. `E`: the session's
 * event map when the wheel is given its handler's context first (`new Run(ctx, {...})`).
 */
export interface RunOptions<Stdout = unknown, Stdin = unknown, Stderr = unknown, E = Untyped> {
  /** What to run. POE: `Program`. */
  program: RunProgram;
  /** Arguments appended to the program (passed to the function in the module form). POE: `ProgramArgs`. */
  programArgs?: readonly string[];
  /**
   * How the parent talks to the child. `'pipe'` and `'socketpair'` are the same thing in Node
   * (libuv's stdio pipes are socketpairs on Unix); POE's `'inet'`, `'pty'` and `'pty-pipe'`
   * are rejected: Node makes neither TCP stdio nor pseudo-terminals. POE: `Conduit`.
   * @default 'pipe'
   */
  conduit?: 'pipe' | 'socketpair';
  /**
   * Serializes `put()` records for stdin and parses stdout, unless `stdinFilter` or
   * `stdoutFilter` is given (combining them with `stdioFilter` throws). POE: `StdioFilter`.
   * @default new Line({ literal: '\n' }) (one filter for both directions, as POE's default)
   */
  stdioFilter?: Filter<Stdout, Stdin>;
  /** Serializes `put()` records for the child's stdin. POE: `StdinFilter`. */
  stdinFilter?: Filter<unknown, Stdin>;
  /** Parses the child's stdout into StdoutEvent records. POE: `StdoutFilter`. */
  stdoutFilter?: Filter<Stdout, unknown>;
  /** Parses the child's stderr. POE: `StderrFilter`. @default new Line({ literal: '\n' }) */
  stderrFilter?: Filter<Stderr, unknown>;
  /** Moves stdin and stdout bytes, unless `stdinDriver`/`stdoutDriver` is given. POE: `StdioDriver`. @default new StreamDriver() */
  stdioDriver?: Driver;
  /** Moves stdin bytes. POE: `StdinDriver`. */
  stdinDriver?: Driver;
  /** Moves stdout bytes. POE: `StdoutDriver`. */
  stdoutDriver?: Driver;
  /** Moves stderr bytes. POE: `StderrDriver`. @default new StreamDriver() */
  stderrDriver?: Driver;
  /** Called with `(wheelId)` each time what `put()` queued has all been written. POE: `StdinEvent`. */
  stdinEvent?: EventName<E>;
  /**
   * Called with `(record, wheelId)` for each stdout record. Without it the child's stdout is
   * not piped at all: the child writes to the parent's stdout, as in POE. POE: `StdoutEvent`.
   */
  stdoutEvent?: EventName<E>;
  /** Called with `(record, wheelId)` for each stderr record; without it stderr is the parent's. POE: `StderrEvent`. */
  stderrEvent?: EventName<E>;
  /**
   * Called with `(operation, errnum, errstr, wheelId, handleName)`: EOF on an output pipe is
   * `('read', 0, '', wheelId, 'STDOUT' | 'STDERR')`; a failed write to stdin is
   * `('write', errnum, errstr, wheelId, 'STDIN')`. POE: `ErrorEvent`.
   */
  errorEvent?: EventName<E>;
  /**
   * Called with `(wheelId)` once the last watched output pipe (stdout and stderr that have an
   * event) reached EOF. It says the pipes closed, not that the process ended: watch that
   * with `kernel.sigChild(wheel.PID, ...)`. POE: `CloseEvent`.
   */
  closeEvent?: EventName<E>;
  /**
   * No stdin pipe: the child reads the parent's stdin, as in POE, and `put()` throws.
   * Conflicts with `stdinEvent`. POE: `NoStdin`.
   * @default false
   */
  noStdin?: boolean;
  /** The child's stdin comes from this file instead of a pipe; conflicts with `stdinEvent`. POE: `RedirectStdin`. */
  redirectStdin?: RunRedirect;
  /** The child's stdout goes to this file; conflicts with `stdoutEvent`. POE: `RedirectStdout`. */
  redirectStdout?: RunRedirect;
  /** The child's stderr goes to this file; conflicts with `stderrEvent`. POE: `RedirectStderr`. */
  redirectStderr?: RunRedirect;
  /** The child's stdout and stderr both go to this file; wins over the other two. POE: `RedirectOutput`. */
  redirectOutput?: RunRedirect;
  /**
   * Keep the child in the parent's process group. By default it leads a new one, as POE's
   * `setpgrp(0, 0)` made it, so a Ctrl-C at the terminal reaches the parent only (Node puts it
   * in a new session too: it has no controlling terminal). POE: `NoSetPgrp`.
   * @default false
   */
  noSetPgrp?: boolean;
  /** The child's user id (numeric). POE: `User`. */
  user?: number;
  /** The child's group id (numeric). POE: `Group`. */
  group?: number;
  /** The child's environment (POE programs set `%ENV` before `new`). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** The child's working directory. @default process.cwd() */
  cwd?: string | URL;
}

/** The events `event()` renames; `undefined` turns one off. */
export interface RunEventNames<E = Untyped> {
  stdinEvent?: EventName<E> | undefined;
  stdoutEvent?: EventName<E> | undefined;
  stderrEvent?: EventName<E> | undefined;
  errorEvent?: EventName<E> | undefined;
  closeEvent?: EventName<E> | undefined;
}

/** Arguments of StdoutEvent and StderrEvent: ARG0 the record, ARG1 the wheel id. */
export type RunOutputArgs<R = unknown> = [record: R, wheelId: WheelId];
/** Arguments of ErrorEvent: EOF on an output pipe is `('read', 0, '', wheelId, 'STDOUT')` (G33). */
export type RunErrorArgs = [operation: 'read' | 'write', errnum: number, errstr: string, wheelId: WheelId, handleName: RunHandleName];
/** Arguments of StdinEvent and CloseEvent. */
export type RunIdArgs = [wheelId: WheelId];

const EVENTS = ['stdinEvent', 'stdoutEvent', 'stderrEvent', 'errorEvent', 'closeEvent'] as const;
const KNOWN = [
  'program',
  'programArgs',
  'conduit',
  'stdioFilter',
  'stdinFilter',
  'stdoutFilter',
  'stderrFilter',
  'stdioDriver',
  'stdinDriver',
  'stdoutDriver',
  'stderrDriver',
  'noStdin',
  'redirectStdin',
  'redirectStdout',
  'redirectStderr',
  'redirectOutput',
  'noSetPgrp',
  'user',
  'group',
  'env',
  'cwd',
  ...EVENTS,
] as const;

/** POE options with no counterpart here, and why. */
const POE_ONLY: Readonly<Record<string, string>> = {
  Filter: 'POE deprecated it; use `stdioFilter` (and `stderrFilter`)',
  Winsize: 'it sizes a pty, and Node cannot make one',
  NoSetSid: 'it applies to pty conduits, and Node cannot make a pty',
  Priority: 'set it once the child runs, with `os.setPriority(wheel.PID, priority)`',
  CloseOnCall: "Node never passes the parent's other descriptors to a child: it is always on",
};

/**
 * The child side of the module form, run with `node -e`. argv: the module's path, the export's
 * name, then the arguments. Written as plain CommonJS so any Node runs it; `import()` loads
 * either module kind.
 */
const LOADER = [
  "'use strict';",
  'const [file, name, ...args] = process.argv.slice(1);',
  // Exit once what was written to stdout and stderr is out: a write's callback runs after it.
  'const leave = (code) => {',
  '  let left = 2;',
  '  const done = () => { if (--left === 0) process.exit(code); };',
  "  process.stdout.write('', done);",
  "  process.stderr.write('', done);",
  '};',
  "import(require('node:url').pathToFileURL(file).href)",
  '  .then(async (mod) => {',
  '    const fn = mod[name];',
  "    if (typeof fn !== 'function') throw new Error('Run: ' + file + ' has no function export ' + JSON.stringify(name));",
  '    await fn(...args);',
  '    leave(0);',
  '  })',
  '  .catch((err) => {',
  "    process.stderr.write(String(err instanceof Error && err.stack ? err.stack : err) + '\\n');",
  '    leave(255);',
  '  });',
].join('\n');

function noop(): void {}

function isModuleProgram(value: unknown): value is RunModuleProgram {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof URL);
}

/** The output pipe of one child handle and what reading it needs (POE's per-handle closure). */
interface OutputPipe {
  readonly name: 'STDOUT' | 'STDERR';
  readonly handle: InputHandle;
  readonly driver: Driver;
  readonly state: string;
  reader: DriverWatch | undefined;
  /** The pipe's current filter (re-read per record, so a switch applies at once). */
  readonly current: () => Filter<unknown, unknown>;
  /** Calls the pipe's current event with `(record, wheelId)`. */
  readonly emit: (record: unknown) => void;
  /** A filter failure while parsing this pipe. */
  readonly failed: (err: unknown) => void;
}

/** How the child is started: what `spawn` gets. */
interface Command {
  /** The file executed. */
  file: string;
  args: string[];
  /** POE's `(@$program)` in its "can't exec" message. */
  shown: string;
  shell: boolean;
  /** The module form's module: checked for before the child is started. */
  module?: string;
}

interface Validated<Stdout, Stdin, Stderr> {
  command: Command;
  stdinFilter: Filter<unknown, Stdin>;
  stdoutFilter: Filter<Stdout, unknown>;
  stderrFilter: Filter<Stderr, unknown>;
  stdinDriver: Driver;
  stdoutDriver: Driver;
  stderrDriver: Driver;
  /** Pipe (true), redirect target, or inherit the parent's (undefined). */
  stdin: true | RunRedirect | undefined;
  stdout: true | RunRedirect | undefined;
  stderr: true | RunRedirect | undefined;
  /** stdout and stderr share one redirect (`redirectOutput`). */
  sharedOutput: boolean;
  spawn: SpawnOptions;
  warnings: string[];
}

/**
 * Runs a program or a module function in a child process and talks to it through its stdio:
 * POE's Wheel::Run (spec 2.7).
 *
 * `put()` serializes records with the stdin filter and writes them to the child's stdin at
 * the next turn of the event loop; StdinEvent says all of it was written. The child's stdout
 * and stderr are parsed by their filters (by default `Line` with a `"\n"` terminator, as
 * POE's) and each record is `call`ed to StdoutEvent or StderrEvent, synchronously and before
 * queued events (G7, G35). EOF on each pipe is ErrorEvent `('read', 0, '', id, 'STDOUT')`,
 * and CloseEvent follows the last one. CloseEvent is about the pipes, not the process: a child
 * can close its output and keep running, or exit before its last output is read (G21). To
 * learn that it ended, and with what status, watch its pid: `kernel.sigChild(wheel.PID,
 * 'child_exit')`; the CHLD event may come before or after CloseEvent.
 *
 * The wheel keeps its session alive while it reads a pipe, and for as long as its stdin
 * writer exists: until `shutdownStdin()`, a failed write, or `destroy()`, even after the child
 * exited (G26). `destroy()` closes the pipes but does not end the child: use `kill()`.
 *
 * The child is started by `child_process.spawn` inside the constructor, so when the
 * constructor returns the program runs (POE's `new` waited on a semaphore for the same). A
 * program that cannot be executed (not found, not executable) throws `PoeSpawnError`
 * (`ERR_POE_WHEEL_SPAWN`, with `errno`): in POE the fork succeeded and the forked child
 * reported `can't exec` on its stderr and exited with the errno, but Node's spawn creates no
 * process at all then, so there is no pid to watch and nothing to report events about.
 * Invalid options throw `PoeArgumentError`.
 *
 * POE: `POE::Wheel::Run`.
 */
export class Run<Stdout = unknown, Stdin = unknown, Stderr = unknown, E = Untyped> extends Wheel {
  readonly #child: ChildProcess;
  readonly #pid: number;
  #stdin: OutputHandle | undefined;
  readonly #out: OutputPipe | undefined;
  readonly #err: OutputPipe | undefined;
  #stdinFilter: Filter<unknown, Stdin>;
  #stdoutFilter: Filter<Stdout, unknown>;
  #stderrFilter: Filter<Stderr, unknown>;
  readonly #stdinDriver: Driver;
  #stdinEvent: string | undefined;
  #stdoutEvent: string | undefined;
  #stderrEvent: string | undefined;
  #errorEvent: string | undefined;
  #closeEvent: string | undefined;
  /** POE's IS_ACTIVE: watched output pipes not yet at EOF; CloseEvent when it drops to 0. */
  #active = 0;
  /** POE's OCTETS_STDIN: the stdin driver's count as of the last put or flush. */
  #octets = 0;
  #writer: DriverWatch | undefined = undefined;
  readonly #stdinState: string;
  readonly #soon = (fn: () => void): void => this.kernel._ioSoon(fn);

  constructor(options: RunOptions<Stdout, Stdin, Stderr>);
  constructor(owner: WheelOwner<E>, options: RunOptions<Stdout, Stdin, Stderr, E>);
  constructor(first: RunOptions<Stdout, Stdin, Stderr> | WheelOwner<E>, second?: RunOptions<Stdout, Stdin, Stderr, E>) {
    const [owner, options] = wheelArgs<RunOptions<Stdout, Stdin, Stderr>>('Run', first, second as RunOptions<Stdout, Stdin, Stderr> | undefined);
    const v = Run.#validate(options);
    super('Run', owner);
    for (const w of v.warnings) this.kernel._warn(w);
    this.#stdinFilter = v.stdinFilter;
    this.#stdoutFilter = v.stdoutFilter;
    this.#stderrFilter = v.stderrFilter;
    this.#stdinDriver = v.stdinDriver;
    this.#stdinEvent = options.stdinEvent;
    this.#stdoutEvent = options.stdoutEvent;
    this.#stderrEvent = options.stderrEvent;
    this.#errorEvent = options.errorEvent;
    this.#closeEvent = options.closeEvent;

    let child: ChildProcess;
    try {
      child = Run.#spawn(v);
    } catch (err) {
      // No process: the wheel gives back its id and its place in the session.
      this.destroy();
      throw err;
    }
    this.#child = child;
    this.#pid = child.pid!;
    // The kernel learns of the child's exit from here on: sigChild(wheel.PID) works.
    this.kernel._adoptChild(child);

    this.#stdinState = this.defineState('select stdin', () => this.#onStdin());
    if (v.stdin === true) {
      this.#stdin = child.stdin!;
      // The stdin writer exists from the start, paused: it holds the session until the
      // wheel is destroyed, even after the child exited (G26).
      this.hold();
      this.#writer = this.#stdinDriver.watchWrite(
        this.#stdin,
        {
          writable: () => this.ioDispatch(this.#stdinState),
          error: () => this.ioDispatch(this.#stdinState),
        },
        this.#soon,
      );
    }
    if (v.stdout === true) this.#out = this.#pipe('STDOUT', child.stdout!, v.stdoutDriver);
    if (v.stderr === true) this.#err = this.#pipe('STDERR', child.stderr!, v.stderrDriver);
    // A pipe exists only for an output with an event, so each one is watched.
    this.#active = (this.#out ? 1 : 0) + (this.#err ? 1 : 0);
  }

  // ------------------------------------------------------------------------------------------
  // validation and spawning

  static #validate<Stdout, Stdin, Stderr>(options: RunOptions<Stdout, Stdin, Stderr>): Validated<Stdout, Stdin, Stderr> {
    if (options !== null && typeof options === 'object') {
      for (const key of Object.keys(options)) {
        const pascal = key.charAt(0).toUpperCase() + key.slice(1);
        const poe = Object.hasOwn(POE_ONLY, pascal) ? POE_ONLY[pascal] : undefined;
        if (poe !== undefined) throw new PoeArgumentError('ERR_POE_UNKNOWN_OPTION', `Run option \`${key}\` has no poe-ts counterpart: ${poe}`);
      }
    }
    const o = Run.checkOptions('Run', options, KNOWN, EVENTS);
    const warnings: string[] = [];
    const bad = (message: string): never => {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', message);
    };

    // programArgs first: the command is built with them.
    const programArgs = o.programArgs ?? [];
    if (!Array.isArray(programArgs) || !programArgs.every((a) => typeof a === 'string')) {
      bad(`Expected Run \`programArgs\` to be an array of strings, got ${describe(o.programArgs)}`);
    }
    const command = Run.#command(o.program, programArgs as readonly string[]);

    const conduit: string = o.conduit ?? 'pipe';
    if (conduit === 'pty' || conduit === 'pty-pipe' || conduit === 'inet') {
      const why = conduit === 'inet' ? "Node's child stdio cannot be TCP sockets" : 'Node has no pseudo-terminals without a native module';
      bad(`Run \`conduit\` ${describe(conduit)} is not supported: ${why}; use 'pipe'`);
    }
    if (conduit !== 'pipe' && conduit !== 'socketpair') bad(`Expected Run \`conduit\` to be 'pipe' or 'socketpair', got ${describe(o.conduit)}`);

    for (const key of ['stdioFilter', 'stdinFilter', 'stdoutFilter', 'stderrFilter'] as const) {
      if (o[key] !== undefined && !isFilter(o[key])) bad(`Expected Run \`${key}\` to be a filter (get, put, clone...), got ${describe(o[key])}`);
    }
    if (o.stdioFilter !== undefined && (o.stdinFilter !== undefined || o.stdoutFilter !== undefined)) {
      const other = o.stdinFilter !== undefined ? 'stdinFilter' : 'stdoutFilter';
      bad(`Run \`stdioFilter\` cannot be combined with \`${other}\`: give \`stdioFilter\` for both directions, or \`stdinFilter\` and \`stdoutFilter\``);
    }
    // POE's default: one Line filter with a "\n" terminator for stdin and stdout together.
    const stdio = (o.stdioFilter ?? (o.stdinFilter === undefined || o.stdoutFilter === undefined ? new Line({ literal: '\n' }) : undefined)) as Filter<Stdout, Stdin> | undefined;
    const stdinFilter = o.stdinFilter ?? stdio!;
    const stdoutFilter = o.stdoutFilter ?? stdio!;
    const stderrFilter = o.stderrFilter ?? (new Line({ literal: '\n' }) as unknown as Filter<Stderr, unknown>);

    for (const key of ['stdioDriver', 'stdinDriver', 'stdoutDriver', 'stderrDriver'] as const) {
      if (o[key] !== undefined && !isDriver(o[key])) bad(`Expected Run \`${key}\` to be a driver (put, flush, read, watchWrite...), got ${describe(o[key])}`);
    }
    const stdioDriver = o.stdioDriver ?? new StreamDriver();
    const stdinDriver = o.stdinDriver ?? stdioDriver;
    const stdoutDriver = o.stdoutDriver ?? stdioDriver;
    const stderrDriver = o.stderrDriver ?? new StreamDriver();

    for (const key of ['noStdin', 'noSetPgrp'] as const) {
      if (o[key] !== undefined && typeof o[key] !== 'boolean') bad(`Expected Run \`${key}\` to be a boolean, got ${describe(o[key])}`);
    }
    for (const key of ['redirectStdin', 'redirectStdout', 'redirectStderr', 'redirectOutput'] as const) {
      const value = o[key];
      if (value === undefined) continue;
      const ok = (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0);
      if (!ok) bad(`Expected Run \`${key}\` to be a file path or a file descriptor, got ${describe(value)}`);
    }
    let redirectStdout = o.redirectStdout;
    let redirectStderr = o.redirectStderr;
    if (o.redirectOutput !== undefined) {
      if (redirectStdout !== undefined) warnings.push('Run: ignoring `redirectStdout` (`redirectOutput` takes precedence)');
      if (redirectStderr !== undefined) warnings.push('Run: ignoring `redirectStderr` (`redirectOutput` takes precedence)');
      redirectStdout = redirectStderr = o.redirectOutput;
    }
    // POE: "Redirect* and *Event stdio options are mutually exclusive".
    const exclusive = (redirect: string, value: unknown, event: 'stdinEvent' | 'stdoutEvent' | 'stderrEvent'): void => {
      if (value !== undefined && o[event] !== undefined) bad(`Run \`${redirect}\` and \`${event}\` are mutually exclusive: a redirected handle has no pipe to watch`);
    };
    exclusive('redirectStdin', o.redirectStdin, 'stdinEvent');
    exclusive(o.redirectOutput !== undefined ? 'redirectOutput' : 'redirectStdout', redirectStdout, 'stdoutEvent');
    exclusive(o.redirectOutput !== undefined ? 'redirectOutput' : 'redirectStderr', redirectStderr, 'stderrEvent');
    if (o.noStdin === true && o.stdinEvent !== undefined) bad('Run `noStdin` and `stdinEvent` are mutually exclusive: without stdin nothing is ever flushed');

    for (const key of ['user', 'group'] as const) {
      const value = o[key];
      if (value !== undefined && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) bad(`Expected Run \`${key}\` to be a numeric id, got ${describe(value)}`);
    }
    if (o.env !== undefined && (o.env === null || typeof o.env !== 'object' || Array.isArray(o.env))) bad(`Expected Run \`env\` to be an object of variables, got ${describe(o.env)}`);
    if (o.cwd !== undefined && !((typeof o.cwd === 'string' && o.cwd !== '') || o.cwd instanceof URL)) bad(`Expected Run \`cwd\` to be a directory path, got ${describe(o.cwd)}`);

    // As POE: a pipe for stdin unless redirected or NoStdin; for an output only with its event;
    // otherwise the child has the parent's handle.
    const stdin = o.redirectStdin ?? (o.noStdin === true ? undefined : true);
    const stdout = redirectStdout ?? (o.stdoutEvent !== undefined ? true : undefined);
    const stderr = redirectStderr ?? (o.stderrEvent !== undefined ? true : undefined);
    const spawnOptions: SpawnOptions = {
      detached: o.noSetPgrp !== true,
      windowsHide: true,
      ...(o.env !== undefined && { env: o.env }),
      ...(o.cwd !== undefined && { cwd: o.cwd }),
      ...(o.user !== undefined && { uid: o.user }),
      ...(o.group !== undefined && { gid: o.group }),
    };
    return {
      command,
      stdinFilter,
      stdoutFilter,
      stderrFilter,
      stdinDriver,
      stdoutDriver,
      stderrDriver,
      stdin,
      stdout,
      stderr,
      sharedOutput: o.redirectOutput !== undefined,
      spawn: spawnOptions,
      warnings,
    };
  }

  /** Turns `program` and `programArgs` into what spawn runs. */
  static #command(program: unknown, programArgs: readonly string[]): Command {
    const bad = (message: string): never => {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', message);
    };
    if (typeof program === 'string') {
      if (program === '') bad('Expected Run `program` to be a non-empty command, got `""` (string)');
      // POE: exec(join(" ", $program, @$prog_args)); here always through the shell.
      const line = [program, ...programArgs].join(' ');
      return { file: line, args: [], shown: program, shell: true };
    }
    if (Array.isArray(program)) {
      if (program.length === 0 || !program.every((a) => typeof a === 'string') || program[0] === '') {
        bad(`Expected Run \`program\` to be [file, ...args] (strings, file non-empty), got ${describe(program)}`);
      }
      const [file, ...args] = program as string[];
      return { file: file!, args: [...args, ...programArgs], shown: (program as string[]).join(' '), shell: false };
    }
    if (typeof program === 'function') {
      bad(
        'Run `program` cannot be a function: Node cannot fork a running program. ' +
          'Export the function from a module and pass `{ module: path, export: name }` to run it in a child Node process',
      );
    }
    if (program === undefined) bad('Run needs a `program`');
    if (!isModuleProgram(program)) bad(`Expected Run \`program\` to be a command string, [file, ...args] or { module, export }, got ${describe(program)}`);
    const p = program as RunModuleProgram;
    for (const key of Object.keys(p)) {
      if (key !== 'module' && key !== 'export' && key !== 'execArgv') bad(`Unknown Run \`program\` key \`${key}\`; expected \`module\`, \`export\`, \`execArgv\``);
    }
    let modulePath: string;
    if (p.module instanceof URL) {
      if (p.module.protocol !== 'file:') bad(`Expected Run \`program.module\` to be a file path or a file: URL, got ${describe(p.module.href)}`);
      modulePath = fileURLToPath(p.module);
    } else if (typeof p.module === 'string' && p.module !== '') {
      modulePath = p.module.startsWith('file:') ? fileURLToPath(p.module) : resolvePath(p.module);
    } else {
      return bad(`Expected Run \`program.module\` to be a file path or a file: URL, got ${describe(p.module)}`);
    }
    const name = p.export ?? 'default';
    if (typeof name !== 'string' || name === '') bad(`Expected Run \`program.export\` to be an export name, got ${describe(p.export)}`);
    const execArgv: unknown = p.execArgv ?? [];
    if (!Array.isArray(execArgv) || !execArgv.every((a) => typeof a === 'string')) bad(`Expected Run \`program.execArgv\` to be an array of strings, got ${describe(p.execArgv)}`);
    return {
      file: process.execPath,
      args: [...(execArgv as string[]), '-e', LOADER, '--', modulePath, name, ...programArgs],
      shown: `${modulePath}#${name}`,
      shell: false,
      module: modulePath,
    };
  }

  /**
   * Starts the child. Node runs exec inside spawn: a program that cannot be executed leaves no
   * process behind (no pid), and spawn says why only at the next tick, so the reason is found
   * again the way execvp would have (see `execFailure`).
   */
  static #spawn(v: Validated<unknown, unknown, unknown>): ChildProcess {
    const { command } = v;
    if (command.module !== undefined) {
      // A module that is not there is a program that is not there: no child is started.
      try {
        if (!statSync(command.module).isFile()) throw Object.assign(new Error(`${command.module} is not a file`), { code: 'EACCES' });
      } catch (err) {
        const { errno, code, message } = describeIoError(err, 'ENOENT');
        throw new PoeSpawnError(command.file, errno, code, `Run: can't load (${command.module}): ${message}`, { cause: err });
      }
    }
    const opened: number[] = [];
    const open = (target: true | RunRedirect | undefined, flags: 'r' | 'w'): 'pipe' | 'inherit' | number => {
      if (target === true) return 'pipe';
      if (target === undefined) return 'inherit';
      if (typeof target === 'number') return target;
      try {
        const fd = openSync(target, flags);
        opened.push(fd);
        return fd;
      } catch (err) {
        const { errno, code, message } = describeIoError(err, 'ENOENT');
        throw new PoeSpawnError(command.file, errno, code, `Run: can't open ${describe(target)} for the child's ${flags === 'r' ? 'stdin' : 'output'}: ${message}`, { cause: err });
      }
    };
    try {
      const stdinMode = open(v.stdin, 'r');
      const stdoutMode = open(v.stdout, 'w');
      const stderrMode = v.sharedOutput ? stdoutMode : open(v.stderr, 'w');
      const stdio: StdioOptions = [stdinMode, stdoutMode, stderrMode];
      const options: SpawnOptions = { ...v.spawn, stdio, shell: command.shell };
      let child: ChildProcess;
      try {
        child = spawn(command.file, command.args, options);
      } catch (err) {
        const { errno, code, message } = describeIoError(err, 'EAGAIN');
        throw new PoeSpawnError(command.file, errno, code, `Run: can't exec (${command.shown}): ${message}`, { cause: err });
      }
      if (child.pid === undefined) {
        // Node emits the error at the next tick; it must not become an uncaught exception.
        child.once('error', noop);
        for (const s of [child.stdin, child.stdout, child.stderr]) s?.destroy();
        const env = v.spawn.env ?? process.env;
        const cwd = v.spawn.cwd instanceof URL ? fileURLToPath(v.spawn.cwd) : v.spawn.cwd;
        const code = command.shell ? 'EAGAIN' : execFailure(command.file, env, cwd);
        const errno = osConstants.errno[code];
        throw new PoeSpawnError(command.file, errno, code, `Run: can't exec (${command.shown}): ${strerror(errno)}`);
      }
      return child;
    } finally {
      // The child has its own copies; the parent's are closed as POE closed them after fork.
      for (const fd of opened) closeSync(fd);
    }
  }

  // ------------------------------------------------------------------------------------------
  // the output pipes (POE's "select stdout" and "select stderr")

  #pipe(name: 'STDOUT' | 'STDERR', handle: InputHandle, driver: Driver): OutputPipe {
    const out = name === 'STDOUT';
    const pipe: OutputPipe = {
      name,
      handle,
      driver,
      state: this.defineState(out ? 'select stdout' : 'select stderr', (kind, payload) => this.#onRead(pipe, kind, payload)),
      reader: undefined,
      current: out ? () => this.#stdoutFilter : () => this.#stderrFilter,
      emit: out ? (record) => void this.emit(this.#stdoutEvent, record, this.ID) : (record) => void this.emit(this.#stderrEvent, record, this.ID),
      failed: (err) => this.#readFailed(pipe, err),
    };
    this.hold();
    pipe.reader = driver.read(
      handle,
      {
        data: (chunk) => this.ioDispatch(pipe.state, 'data', chunk),
        end: () => this.ioDispatch(pipe.state, 'end'),
        error: (err) => this.ioDispatch(pipe.state, 'error', err),
      },
      this.#soon,
    );
    return pipe;
  }

  #onRead(pipe: OutputPipe, kind: unknown, payload: unknown): void {
    if (kind === 'data') {
      feedFilter([payload], pipe.current, pipe.emit, pipe.failed);
      return;
    }
    let errnum = 0;
    let errstr = '';
    if (kind === 'error') ({ errno: errnum, message: errstr } = describeIoError(payload));
    this.#ended(pipe, errnum, errstr);
  }

  /**
   * A pipe is done (EOF, a read error, or input no filter can frame): ErrorEvent, then
   * CloseEvent if it was the last watched one, then the read watcher goes. Like POE's closure,
   * this goes on even if a handler destroyed the wheel in between.
   */
  #ended(pipe: OutputPipe, errnum: number, errstr: string): void {
    this.emit(this.#errorEvent, 'read', errnum, errstr, this.ID, pipe.name);
    if (--this.#active === 0) this.emit(this.#closeEvent, this.ID);
    this.#stopReading(pipe);
  }

  /**
   * Output over a filter's size limit cannot be framed any more: ErrorEvent `('read',
   * EMSGSIZE, message, id, name)`, the pipe counts as closed, and it is closed so a child that
   * keeps writing gets EPIPE instead of blocking forever. POE's filter would die in the read
   * handler. Anything else a filter throws is a handler exception, as in POE.
   */
  #readFailed(pipe: OutputPipe, err: unknown): void {
    if (!(err instanceof FilterLimitError)) throw err;
    this.#ended(pipe, EMSGSIZE, err.message);
    this.closeHandle(pipe.handle, 'destroy');
  }

  #stopReading(pipe: OutputPipe | undefined): void {
    const reader = pipe?.reader;
    if (reader === undefined) return;
    pipe!.reader = undefined;
    reader.stop();
    this.release();
  }

  // ------------------------------------------------------------------------------------------
  // the stdin writer (POE's "select stdin")

  #onStdin(): void {
    const stdin = this.#stdin;
    if (stdin === undefined) return;
    const driver = this.#stdinDriver;
    const left = (this.#octets = driver.flush(stdin));
    const error = driver.error;
    if (error !== undefined) {
      // When you cannot write, nothing else matters.
      const { errno, message } = describeIoError(error, 'EPIPE');
      this.emit(this.#errorEvent, 'write', errno, message, this.ID, 'STDIN');
      this.#stopWriting();
      return;
    }
    if (left === 0) {
      this.#writer?.pause();
      this.emit(this.#stdinEvent, this.ID);
    }
  }

  #stopWriting(): void {
    const writer = this.#writer;
    if (writer === undefined) return;
    this.#writer = undefined;
    writer.stop();
    this.release();
  }

  // ------------------------------------------------------------------------------------------
  // public API

  /** The child's process id: watch it with `kernel.sigChild(wheel.PID, event)`. POE: `PID`. */
  get PID(): number {
    return this.#pid;
  }

  /**
   * Serializes `records` with the stdin filter and queues them for the child's stdin; they are
   * written at the next turn of the event loop, and StdinEvent follows once all is written.
   * Returns 0 (Run has no watermarks). Throws `ERR_POE_WHEEL_NO_STDIN` when there is no stdin
   * pipe (`noStdin`, `redirectStdin`, after `shutdownStdin()`), as POE croaks.
   * POE: `put(@records)`.
   */
  put(...records: Stdin[]): 0 {
    if (this.destroyed) throw new PoeError('ERR_POE_WHEEL_DESTROYED', `Run(${this.ID}).put(): the wheel was destroyed`);
    if (this.#stdin === undefined) {
      throw new PoeError('ERR_POE_WHEEL_NO_STDIN', `Run(${this.ID}).put(): the wheel has no open STDIN handle (noStdin, redirectStdin, or shutdownStdin() was called)`);
    }
    this.#octets = this.#stdinDriver.put(this.#stdinFilter.put(records));
    // A writer removed by a failed write stays removed, and the data stays queued, as in POE.
    if (this.#octets > 0) this.#writer?.resume();
    return 0;
  }

  /**
   * Sends `signal` (a name with or without `SIG`, or a number) to the child. Returns 1 when it
   * was sent, 0 when it could not be (the child already ended). Node never signals a pid
   * after its child was reaped, so a recycled pid is never hit. POE: `kill(SIG = 'TERM')`.
   */
  kill(signal: string | number = 'TERM'): 0 | 1 {
    let sig: NodeJS.Signals | number;
    if (typeof signal === 'number') {
      if (!Number.isInteger(signal) || signal < 0) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected Run kill() signal to be a signal name or number, got ${describe(signal)}`);
      sig = signal;
    } else {
      const name = typeof signal === 'string' ? (signal.startsWith('SIG') ? signal : `SIG${signal}`) : '';
      if (!(name in osConstants.signals)) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected Run kill() signal to be a signal name or number, got ${describe(signal)}`);
      sig = name as NodeJS.Signals;
    }
    try {
      return this.#child.kill(sig) ? 1 : 0;
    } catch {
      return 0;
    }
  }

  /**
   * Closes the child's stdin once what Node already holds is written, so the child reads EOF;
   * the stdin writer goes (and with it its hold on the session). Records `put()` queued that
   * were not written yet are dropped, as in POE: call it from StdinEvent to send them first.
   * POE: `shutdown_stdin`.
   */
  shutdownStdin(): void {
    const stdin = this.#stdin;
    if (stdin === undefined) return;
    this.#stdin = undefined;
    this.#stopWriting();
    if (!stdin.destroyed && !stdin.writableEnded) stdin.end();
  }

  /** Stops reading stdout until `resumeStdout()`; the child blocks once the pipe is full. POE: `pause_stdout`. */
  pauseStdout(): void {
    this.#out?.reader?.pause();
  }
  /** Resumes reading stdout. POE: `resume_stdout`. */
  resumeStdout(): void {
    this.#out?.reader?.resume();
  }
  /** Stops reading stderr until `resumeStderr()`. POE: `pause_stderr`. */
  pauseStderr(): void {
    this.#err?.reader?.pause();
  }
  /** Resumes reading stderr. POE: `resume_stderr`. */
  resumeStderr(): void {
    this.#err?.reader?.resume();
  }

  /** Changes or (with `undefined`) turns off events at run time. POE: `event(Name => ...)`. */
  event(events: RunEventNames<E>): void {
    const o = Run.checkOptions('Run event()', events, EVENTS, EVENTS);
    if (this.destroyed) return;
    for (const key of Object.keys(o) as (keyof RunEventNames<E>)[]) {
      const value = o[key];
      switch (key) {
        case 'stdinEvent':
          this.#stdinEvent = value;
          break;
        case 'stdoutEvent':
          this.#stdoutEvent = value;
          break;
        case 'stderrEvent':
          this.#stderrEvent = value;
          break;
        case 'errorEvent':
          this.#errorEvent = value;
          break;
        case 'closeEvent':
          this.#closeEvent = value;
          break;
      }
    }
    // POE recounts the watched outputs: those with an event. An output without one is still
    // read (so the child never blocks on it), its records dropped.
    this.#active = (this.#out?.reader !== undefined && this.#stdoutEvent !== undefined ? 1 : 0) + (this.#err?.reader !== undefined && this.#stderrEvent !== undefined ? 1 : 0);
  }

  /** Replaces the stdin and stdout filters (stdout first, as POE). POE: `set_stdio_filter`. */
  setStdioFilter(filter: Filter<Stdout, Stdin>): void {
    Run.#checkFilter(filter, 'setStdioFilter');
    this.setStdoutFilter(filter);
    this.setStdinFilter(filter);
  }

  /** Replaces the stdin filter for later `put`s (queued bytes are not re-serialized). POE: `set_stdin_filter`. */
  setStdinFilter(filter: Filter<unknown, Stdin>): void {
    Run.#checkFilter(filter, 'setStdinFilter');
    this.#stdinFilter = filter;
  }

  /**
   * Replaces the stdout filter. What the old one held unparsed goes through the new one, and
   * its complete records are dispatched at once. POE: `set_stdout_filter`.
   */
  setStdoutFilter(filter: Filter<Stdout, unknown>): void {
    Run.#checkFilter(filter, 'setStdoutFilter');
    const pending = this.#stdoutFilter.getPending();
    this.#stdoutFilter = filter;
    this.#transfer(this.#out, pending);
  }

  /** Replaces the stderr filter, re-parsing what the old one held. POE: `set_stderr_filter`. */
  setStderrFilter(filter: Filter<Stderr, unknown>): void {
    Run.#checkFilter(filter, 'setStderrFilter');
    const pending = this.#stderrFilter.getPending();
    this.#stderrFilter = filter;
    this.#transfer(this.#err, pending);
  }

  static #checkFilter(filter: unknown, what: string): void {
    if (!isFilter(filter)) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected Run ${what}() argument to be a filter, got ${describe(filter)}`);
  }

  #transfer(pipe: OutputPipe | undefined, pending: unknown[] | undefined): void {
    if (pipe === undefined || pending === undefined) return;
    feedFilter(pending, pipe.current, pipe.emit, pipe.failed, true);
  }

  /** The current stdin filter. POE: `get_stdin_filter`. */
  getStdinFilter(): Filter<unknown, Stdin> {
    return this.#stdinFilter;
  }
  /** The current stdout filter. POE: `get_stdout_filter`. */
  getStdoutFilter(): Filter<Stdout, unknown> {
    return this.#stdoutFilter;
  }
  /** The current stderr filter. POE: `get_stderr_filter`. */
  getStderrFilter(): Filter<Stderr, unknown> {
    return this.#stderrFilter;
  }

  /** Octets queued for stdin as of the last put or flush. POE: `get_driver_out_octets`. */
  getDriverOutOctets(): number {
    return this.#octets;
  }
  /** Chunks queued for stdin. POE: `get_driver_out_messages`. */
  getDriverOutMessages(): number {
    return this.#stdinDriver.getOutMessages();
  }

  /**
   * Stops every watcher and closes the pipes: the child reads EOF on stdin (after what Node
   * already holds is written) and gets EPIPE if it writes more. The child is not signalled.
   */
  protected onDestroy(): void {
    for (const pipe of [this.#out, this.#err]) {
      if (pipe === undefined) continue;
      this.#stopReading(pipe);
      this.closeHandle(pipe.handle, 'destroy');
    }
    this.#stopWriting();
    const stdin = this.#stdin;
    this.#stdin = undefined;
    if (stdin !== undefined) this.closeHandle(stdin, 'end');
  }

  /** POE's spelling of {@link Run.getStdinFilter}. */
  declare get_stdin_filter: this['getStdinFilter'];
  /** POE's spelling of {@link Run.getStdoutFilter}. */
  declare get_stdout_filter: this['getStdoutFilter'];
  /** POE's spelling of {@link Run.getStderrFilter}. */
  declare get_stderr_filter: this['getStderrFilter'];
  /** POE's spelling of {@link Run.setStdioFilter}. */
  declare set_stdio_filter: this['setStdioFilter'];
  /** POE's spelling of {@link Run.setStdinFilter}. */
  declare set_stdin_filter: this['setStdinFilter'];
  /** POE's spelling of {@link Run.setStdoutFilter}. */
  declare set_stdout_filter: this['setStdoutFilter'];
  /** POE's spelling of {@link Run.setStderrFilter}. */
  declare set_stderr_filter: this['setStderrFilter'];
  /** POE's spelling of {@link Run.pauseStdout}. */
  declare pause_stdout: this['pauseStdout'];
  /** POE's spelling of {@link Run.resumeStdout}. */
  declare resume_stdout: this['resumeStdout'];
  /** POE's spelling of {@link Run.pauseStderr}. */
  declare pause_stderr: this['pauseStderr'];
  /** POE's spelling of {@link Run.resumeStderr}. */
  declare resume_stderr: this['resumeStderr'];
  /** POE's spelling of {@link Run.shutdownStdin}. */
  declare shutdown_stdin: this['shutdownStdin'];
  /** POE's spelling of {@link Run.getDriverOutOctets}. */
  declare get_driver_out_octets: this['getDriverOutOctets'];
  /** POE's spelling of {@link Run.getDriverOutMessages}. */
  declare get_driver_out_messages: this['getDriverOutMessages'];

  static {
    Wheel.installAliases(this, {
      get_stdin_filter: 'getStdinFilter',
      get_stdout_filter: 'getStdoutFilter',
      get_stderr_filter: 'getStderrFilter',
      set_stdio_filter: 'setStdioFilter',
      set_stdin_filter: 'setStdinFilter',
      set_stdout_filter: 'setStdoutFilter',
      set_stderr_filter: 'setStderrFilter',
      pause_stdout: 'pauseStdout',
      resume_stdout: 'resumeStdout',
      pause_stderr: 'pauseStderr',
      resume_stderr: 'resumeStderr',
      shutdown_stdin: 'shutdownStdin',
      get_driver_out_octets: 'getDriverOutOctets',
      get_driver_out_messages: 'getDriverOutMessages',
    });
  }
}

/**
 * Why exec failed, found again the way execvp searches: the working directory, then `file`
 * itself when it has a slash, else each `PATH` entry. ENOENT when nothing is there, EACCES when
 * something is but cannot be executed (a directory, no execute permission), and EAGAIN when an
 * executable is there, so the system must have run out of processes or descriptors.
 */
function execFailure(file: string, env: NodeJS.ProcessEnv, cwd: string | undefined): 'ENOENT' | 'EACCES' | 'EAGAIN' {
  const base = resolvePath(cwd ?? '.');
  try {
    if (!statSync(base).isDirectory()) return 'ENOENT';
  } catch {
    return 'ENOENT';
  }
  const candidates = file.includes('/') ? [resolvePath(base, file)] : (env.PATH ?? '/usr/bin:/bin').split(delimiter).map((dir) => resolvePath(base, dir, file));
  let denied = false;
  for (const path of candidates) {
    try {
      if (!statSync(path).isFile()) {
        denied = true;
        continue;
      }
      accessSync(path, fsConstants.X_OK);
      return 'EAGAIN';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') denied = true;
    }
  }
  return denied ? 'EACCES' : 'ENOENT';
}
