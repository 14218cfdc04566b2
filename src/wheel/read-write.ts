import { PoeArgumentError, PoeError, describe } from '../errors.js';
import type { Driver, DriverWatch, DuplexHandle, InputHandle, OutputHandle } from '../driver/driver.js';
import { describeIoError, isDriver, isInputHandle, isOutputHandle } from '../driver/driver.js';
import { StreamDriver } from '../driver/stream.js';
import type { Filter } from '../filter/filter.js';
import { FilterLimitError, isFilter } from '../filter/filter.js';
import { Line } from '../filter/line.js';
import { EMSGSIZE, feedFilter } from './feed.js';
import type { EventName, Untyped } from '../session/types.js';
import { Wheel, type WheelId, type WheelOwner, wheelArgs } from './wheel.js';

/** Options of {@link ReadWrite}: POE's `POE::Wheel::ReadWrite->new(...)` keys in camelCase. */
/**
 * `E` is the event map of the session the wheel is made in, when the wheel is given that
 * session's context (`new ReadWrite(ctx, {...})`): the event-name options must then name its
 * events. Without it (`Untyped`) they are any strings.
 */
export interface ReadWriteOptions<In = unknown, Out = unknown, E = Untyped> {
  /** The handle read and written (a socket, a `duplexPair()` end). Wins over `inputHandle`/`outputHandle`. POE: `Handle`. */
  handle?: DuplexHandle;
  /** The handle read, with `outputHandle`. POE: `InputHandle`. */
  inputHandle?: InputHandle;
  /** The handle written, with `inputHandle`. POE: `OutputHandle`. */
  outputHandle?: OutputHandle;
  /** Parses input and serializes output. Wins over `inputFilter`/`outputFilter`. POE: `Filter`. */
  filter?: Filter<In, Out>;
  /**
   * Parses input. Without `filter`, a missing `inputFilter` and/or `outputFilter` is one new
   * `Line` filter, shared by both directions when both are missing. POE: `InputFilter`.
   */
  inputFilter?: Filter<In, unknown>;
  /** Serializes output. POE: `OutputFilter`. */
  outputFilter?: Filter<unknown, Out>;
  /** Moves the bytes. @default new StreamDriver() (POE's SysRW) */
  driver?: Driver;
  /**
   * Called with `(record, wheelId)` for each input record. Without it the wheel does not read
   * at all. POE: `InputEvent`.
   */
  inputEvent?: EventName<E>;
  /**
   * Called with `(operation, errnum, errstr, wheelId)`: `operation` is `'read'` or `'write'`;
   * EOF is `('read', 0, '', wheelId)`. POE: `ErrorEvent`.
   */
  errorEvent?: EventName<E>;
  /** Called with `(wheelId)` when the output buffer goes from non-empty to empty. POE: `FlushedEvent`. */
  flushedEvent?: EventName<E>;
  /** Output octets at which `put()` returns 1 and the wheel enters its high state. Needs `lowMark`. POE: `HighMark`. */
  highMark?: number;
  /** Output octets at which, in the high state, `lowEvent` is called. Needs `highMark` and `lowEvent`. POE: `LowMark`. */
  lowMark?: number;
  /** Called with `(wheelId)` when a flush leaves at least `highMark` octets queued. Needs `highMark`. POE: `HighEvent`. */
  highEvent?: EventName<E>;
  /** Called with `(wheelId)` when, in the high state, a flush leaves at most `lowMark` octets. POE: `LowEvent`. */
  lowEvent?: EventName<E>;
  /** Flush inside `put()` when the buffer was empty, instead of at the next turn. @default false */
  autoFlush?: boolean;
  /**
   * Output octets queued in the driver (`getDriverOutOctets()`) at which the wheel stops
   * reading its input, until a flush leaves at most `readResumeMark`. A peer that sends
   * without reading its replies is then held back by the connection's own flow control
   * instead of growing this process's memory. Records already parsed from the read that
   * passed the mark are still delivered; only further reads wait. Independent of
   * `highMark`/`lowMark` and their events, and of `pauseInput()`/`resumeInput()`: reading
   * goes on only when neither holds it. `false` (or `Infinity`) turns it off, for POE's
   * unbounded buffering. Not in POE.
   * @default 1048576 (1 MiB)
   */
  readPauseMark?: number | false;
  /**
   * Output octets at or below which reading resumes after `readPauseMark` paused it; less
   * than `readPauseMark`, and 0 waits for an empty queue. Not in POE.
   * @default half of `readPauseMark`
   */
  readResumeMark?: number;
}

/** The events `event()` renames; `undefined` turns one off (and, for `inputEvent`, stops reading). */
export interface ReadWriteEventNames<E = Untyped> {
  inputEvent?: EventName<E> | undefined;
  errorEvent?: EventName<E> | undefined;
  flushedEvent?: EventName<E> | undefined;
  highEvent?: EventName<E> | undefined;
  lowEvent?: EventName<E> | undefined;
}

/** Arguments of the InputEvent: ARG0 the record, ARG1 the wheel id. */
export type ReadWriteInputArgs<R = unknown> = [record: R, wheelId: WheelId];
/** Arguments of the ErrorEvent: EOF is `('read', 0, '', wheelId)`. */
export type ReadWriteErrorArgs = [operation: 'read' | 'write', errnum: number, errstr: string, wheelId: WheelId];
/** Arguments of the FlushedEvent, HighEvent and LowEvent. */
export type ReadWriteIdArgs = [wheelId: WheelId];

const EVENTS = ['inputEvent', 'errorEvent', 'flushedEvent', 'highEvent', 'lowEvent'] as const;
const FILTER_KEYS = ['filter', 'inputFilter', 'outputFilter'] as const;
const MARK_KEYS = ['highMark', 'lowMark'] as const;

function bad(message: string): never {
  throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', message);
}

/** The water mark options' errors, or undefined (the usual case: no array per wheel). */
function markErrors(o: { highMark?: number; lowMark?: number; highEvent?: string; lowEvent?: string }): string[] | undefined {
  const marks: string[] = [];
  if ((o.highMark === undefined) !== (o.lowMark === undefined)) marks.push('`highMark` and `lowMark` require each other');
  else if (o.highMark !== undefined && !(o.highMark > 0 && o.lowMark! > 0)) marks.push('`highMark` and `lowMark` must be above 0');
  if (o.highEvent !== undefined && o.highMark === undefined) marks.push('`highEvent` requires a `highMark`');
  if ((o.lowMark === undefined) !== (o.lowEvent === undefined)) marks.push('`lowMark` and `lowEvent` require each other');
  return marks.length > 0 ? marks : undefined;
}
const KNOWN = ['handle', 'inputHandle', 'outputHandle', 'filter', 'inputFilter', 'outputFilter', 'driver', 'highMark', 'lowMark', 'autoFlush', 'readPauseMark', 'readResumeMark', ...EVENTS] as const;

/**
 * The default `readPauseMark`. A peer that reads its replies never gets near it: the kernel's
 * socket buffers and Node's (16 KiB on Node 20) take what is in flight, so replies pile up in
 * the driver only when the peer stops reading. One MiB is room for a large reply or a burst of
 * pipelined ones without pausing, and still bounds what a peer that never reads costs to about
 * a megabyte (plus the replies to one read, at most `blockSize` octets of input) instead of
 * everything it can send. POE has no limit.
 */
const READ_PAUSE_MARK = 1024 * 1024;

/**
 * Checks `readPauseMark` and `readResumeMark` and returns the marks in force, `pause` being
 * Infinity when off: for ReadWrite (`owner` 'ReadWrite') and the components that pass them on
 * (`owner` 'ServerTCP', `subject` 'ServerTCP option'). The resume mark defaults to half the
 * pause mark: reading then restarts with half a mark of replies still queued, so the output
 * stays busy while new input is parsed, and a queue hovering near the mark does not pause and
 * resume reading at every write. Internal.
 */
export function readPauseMarks(owner: string, pause: unknown, resume: unknown, subject = owner): { pause: number; resume: number } {
  if (pause !== undefined && pause !== false && pause !== Infinity && !(typeof pause === 'number' && Number.isSafeInteger(pause) && pause >= 1)) {
    bad(`Expected ${subject} \`readPauseMark\` to be a positive integer (octets), \`Infinity\` or \`false\`, got ${describe(pause)}`);
  }
  if (resume !== undefined && !(typeof resume === 'number' && Number.isSafeInteger(resume) && resume >= 0)) {
    bad(`Expected ${subject} \`readResumeMark\` to be an integer >= 0 (octets), got ${describe(resume)}`);
  }
  const p = pause === undefined ? READ_PAUSE_MARK : pause === false ? Infinity : pause;
  if (resume !== undefined && p === Infinity) bad(`${owner}: \`readResumeMark\` has no use with \`readPauseMark\` off (${describe(pause)})`);
  if (p === Infinity) return { pause: p, resume: 0 };
  const r = resume === undefined ? Math.floor(p / 2) : resume;
  if (r >= p) bad(`${owner}: \`readResumeMark\` (${r}) must be less than \`readPauseMark\` (${p})`);
  return { pause: p, resume: r };
}

interface Validated<In, Out> {
  input: InputHandle;
  output: OutputHandle;
  inputFilter: Filter<In, unknown>;
  outputFilter: Filter<unknown, Out>;
  driver: Driver;
  warnings: string[];
  readPauseMark: number;
  readResumeMark: number;
}

/**
 * Buffered, filtered I/O on a stream or a pair of streams: POE's ReadWrite (spec 2.2).
 *
 * Input is read as it arrives, parsed by the input filter, and each record is `call`ed to
 * `inputEvent` in the wheel's session, synchronously and before queued events (G7). Output
 * given to `put()` is serialized by the output filter and queued in the driver; it is written
 * at the next turn of the event loop (or inside `put()` with `autoFlush`; or, put by the
 * wheel's own `inputEvent`, when that read's records are done), and `flushedEvent` says when
 * the queue is empty. EOF and failures come as `errorEvent`.
 *
 * The wheel keeps its session alive until `destroy()`, even after EOF: its write watcher
 * stays registered (G26). Destroying it closes the handles it was given (not the process's
 * stdio), as dropping the last reference to them did in POE; output already handed to Node is
 * still written first, output still queued in the driver is dropped.
 *
 * Kept from POE on purpose: `put()` never emits `highEvent` (G28); destroying the wheel inside
 * `inputEvent` does not stop the rest of the records of that read (G35).
 *
 * Beyond POE: reading pauses while the output queue holds `readPauseMark` octets or more (1 MiB
 * by default) and resumes once it drains to `readResumeMark`, so a peer that never reads its
 * replies cannot make the wheel queue them without limit.
 *
 * POE: `POE::Wheel::ReadWrite`.
 */
export class ReadWrite<In = unknown, Out = unknown, E = Untyped> extends Wheel {
  readonly #input: InputHandle;
  readonly #output: OutputHandle;
  #inputFilter: Filter<In, unknown>;
  #outputFilter: Filter<unknown, Out>;
  readonly #driver: Driver;
  #inputEvent: string | undefined;
  #errorEvent: string | undefined;
  #flushedEvent: string | undefined;
  #highEvent: string | undefined;
  #lowEvent: string | undefined;
  #highMark: number | undefined;
  #lowMark: number | undefined;
  readonly #autoFlush: boolean;
  #highState = false;
  /** Infinity when the automatic read pause is off. */
  readonly #readPauseMark: number;
  readonly #readResumeMark: number;
  /** `pauseInput()` holds reading (POE's select_pause_read); a new read watcher starts without it, as in POE. */
  #userPaused = false;
  /** The output queue reached `readPauseMark` and has not yet drained to `readResumeMark`. */
  #queuePaused = false;
  /** POE's DRIVER_BUFFERED_OUT_OCTETS: the driver's count as of the last put or flush. */
  #octets = 0;
  readonly #readState: string;
  readonly #writeState: string;
  #reader: DriverWatch | undefined = undefined;
  /** Records of a read are being dispatched (its InputEvents run). */
  #reading = false;
  /** An InputEvent put output: the read writes it when its records are done. */
  #flushAfterRead = false;
  #writer: DriverWatch | undefined = undefined;
  readonly #soon = (fn: () => void): void => this.kernel._ioSoon(fn);

  /**
   * Starts the wheel in the active session. Given the handler's context first
   * (`new ReadWrite(ctx, {...})`), its event-name options are checked against that session's
   * event map at compile time.
   */
  constructor(options: ReadWriteOptions<In, Out>);
  constructor(owner: WheelOwner<E>, options: ReadWriteOptions<In, Out, E>);
  constructor(first: ReadWriteOptions<In, Out> | WheelOwner<E>, second?: ReadWriteOptions<In, Out, E>) {
    const [owner, options] = wheelArgs<ReadWriteOptions<In, Out>>('ReadWrite', first, second as ReadWriteOptions<In, Out> | undefined);
    const v = ReadWrite.#validate(options);
    super('ReadWrite', owner);
    for (const w of v.warnings) this.kernel._warn(w);
    this.#input = v.input;
    this.#output = v.output;
    this.#inputFilter = v.inputFilter;
    this.#outputFilter = v.outputFilter;
    this.#driver = v.driver;
    this.#inputEvent = options.inputEvent;
    this.#errorEvent = options.errorEvent;
    this.#flushedEvent = options.flushedEvent;
    this.#highEvent = options.highEvent;
    this.#lowEvent = options.lowEvent;
    this.#highMark = options.highMark;
    this.#lowMark = options.lowMark;
    this.#autoFlush = options.autoFlush ?? false;
    this.#readPauseMark = v.readPauseMark;
    this.#readResumeMark = v.readResumeMark;
    this.#readState = this.defineState('select read', (kind, payload) => this.#onRead(kind, payload));
    this.#writeState = this.defineState('select write', () => this.#onWrite());
    if (this.#inputEvent !== undefined) this.#startReading();
    // The write watcher exists from the start, paused: it holds the session even when the
    // wheel never writes (G26).
    this.hold();
    this.#writer = this.#driver.watchWrite(
      this.#output,
      { writable: this.#ioWrite, error: this.#ioWrite },
      this.#soon,
    );
  }

  static #validate<In, Out>(options: ReadWriteOptions<In, Out>): Validated<In, Out> {
    const o = ReadWrite.checkOptions('ReadWrite', options, KNOWN, EVENTS);
    const warnings: string[] = [];

    let input: InputHandle;
    let output: OutputHandle;
    if (o.handle !== undefined) {
      if (!isInputHandle(o.handle) || !isOutputHandle(o.handle)) bad(`Expected ReadWrite \`handle\` to be a readable and writable stream, got ${describe(o.handle)}`);
      if (o.inputHandle !== undefined) warnings.push('ReadWrite: ignoring `inputHandle` (`handle` takes precedence)');
      if (o.outputHandle !== undefined) warnings.push('ReadWrite: ignoring `outputHandle` (`handle` takes precedence)');
      input = o.handle;
      output = o.handle;
    } else {
      if (o.inputHandle === undefined) bad('ReadWrite needs `handle`, or `inputHandle` and `outputHandle`: `inputHandle` is missing');
      if (o.outputHandle === undefined) bad('ReadWrite needs `handle`, or `inputHandle` and `outputHandle`: `outputHandle` is missing');
      if (!isInputHandle(o.inputHandle)) bad(`Expected ReadWrite \`inputHandle\` to be a readable stream, got ${describe(o.inputHandle)}`);
      if (!isOutputHandle(o.outputHandle)) bad(`Expected ReadWrite \`outputHandle\` to be a writable stream, got ${describe(o.outputHandle)}`);
      input = o.inputHandle!;
      output = o.outputHandle!;
    }

    let inputFilter: Filter<In, unknown> | undefined;
    let outputFilter: Filter<unknown, Out> | undefined;
    for (const key of FILTER_KEYS) {
      if (o[key] !== undefined && !isFilter(o[key])) bad(`Expected ReadWrite \`${key}\` to be a filter (get, put, clone...), got ${describe(o[key])}`);
    }
    if (o.filter !== undefined) {
      if (o.inputFilter !== undefined) warnings.push('ReadWrite: ignoring `inputFilter` (`filter` takes precedence)');
      if (o.outputFilter !== undefined) warnings.push('ReadWrite: ignoring `outputFilter` (`filter` takes precedence)');
      inputFilter = o.filter;
      outputFilter = o.filter;
    } else {
      inputFilter = o.inputFilter;
      outputFilter = o.outputFilter;
      if (inputFilter === undefined || outputFilter === undefined) {
        const line = new Line();
        inputFilter ??= line as unknown as Filter<In, unknown>;
        outputFilter ??= line as unknown as Filter<unknown, Out>;
      }
    }

    if (o.driver !== undefined && !isDriver(o.driver)) bad(`Expected ReadWrite \`driver\` to be a driver (put, flush, read, watchWrite...), got ${describe(o.driver)}`);
    const driver = o.driver ?? new StreamDriver();

    for (const key of MARK_KEYS) {
      const value = o[key];
      if (value !== undefined && (typeof value !== 'number' || Number.isNaN(value))) bad(`Expected ReadWrite \`${key}\` to be a number of octets, got ${describe(value)}`);
    }
    if (o.autoFlush !== undefined && typeof o.autoFlush !== 'boolean') bad(`Expected ReadWrite \`autoFlush\` to be a boolean, got ${describe(o.autoFlush)}`);
    const readPause = readPauseMarks('ReadWrite', o.readPauseMark, o.readResumeMark);

    // POE's checks, all reported at once as its "Water mark errors" croak.
    const marks = markErrors(o);
    if (marks !== undefined) bad(`ReadWrite: Water mark errors: ${marks.join('; ')}`);

    return { input, output, inputFilter, outputFilter, driver, warnings, readPauseMark: readPause.pause, readResumeMark: readPause.resume };
  }

  // ------------------------------------------------------------------------------------------
  // watchers

  #ioRead(kind: 'data' | 'end' | 'error', payload?: unknown): void {
    this.ioDispatch(this.#readState, kind, payload);
  }

  readonly #ioWrite = (): void => {
    this.ioDispatch(this.#writeState);
  };

  #startReading(): void {
    if (this.#reader !== undefined || this.destroyed) return;
    this.hold();
    this.#userPaused = false;
    this.#reader = this.#driver.read(
      this.#input,
      {
        data: (chunk) => this.#ioRead('data', chunk),
        end: () => this.#ioRead('end'),
        error: (err) => this.#ioRead('error', err),
      },
      this.#soon,
    );
    // Output queued before reading (re)started still holds it back. Pausing right after
    // `read()` is in time: a stream delivers nothing in the turn it was resumed.
    this.#syncReader();
  }

  /** The read watcher reads only while neither `pauseInput()` nor a full output queue holds it. */
  #syncReader(): void {
    const reader = this.#reader;
    if (reader === undefined) return;
    if (this.#userPaused || this.#queuePaused) reader.pause();
    else reader.resume();
  }

  /**
   * Pauses reading when the output queue reaches `readPauseMark`, resumes it when the queue is
   * down to `readResumeMark`. Only while the output can drain: once the write watcher is gone
   * (a write error, `shutdownOutput()`) nothing queued will ever be written, and waiting for it
   * would stop reading for good, so the pause is lifted and not taken again.
   */
  #checkQueue(octets: number): void {
    const canDrain = this.#writer !== undefined;
    if (this.#queuePaused) {
      if (canDrain && octets > this.#readResumeMark) return;
      this.#queuePaused = false;
    } else {
      if (!canDrain || octets < this.#readPauseMark) return;
      this.#queuePaused = true;
    }
    this.#syncReader();
  }

  #stopReading(): void {
    const reader = this.#reader;
    if (reader === undefined) return;
    this.#reader = undefined;
    reader.stop();
    this.release();
  }

  #stopWriting(): void {
    const writer = this.#writer;
    if (writer === undefined) return;
    this.#writer = undefined;
    writer.stop();
    this.release();
    this.#checkQueue(this.#octets);
  }

  // ------------------------------------------------------------------------------------------
  // the internal states (POE's "select read" and "select write" closures)

  #onRead(kind: unknown, payload: unknown): void {
    if (kind === 'data') {
      this.#reading = true;
      try {
        this.#feed([payload]);
      } finally {
        this.#reading = false;
      }
      // What the InputEvents put is written now, at the end of this read, not at the next
      // turn: POE writes it at its next select(), and nothing a program can see happens in
      // between (the kernel's queue waits for both). One flush for all the replies of the
      // read, and no turn of the loop between a request and its reply.
      if (this.#flushAfterRead) {
        this.#flushAfterRead = false;
        // No writer once the wheel is destroyed, or its output shut down or failed; nothing
        // to write when the handler's own flush() already emptied the queue (and said so).
        if (this.#writer !== undefined && this.#octets > 0) {
          this.#onWrite();
          if (this.#octets > 0) this.#writer?.resume();
        }
      }
      return;
    }
    let errnum = 0;
    let errstr = '';
    if (kind === 'error') ({ errno: errnum, message: errstr } = describeIoError(payload));
    this.emit(this.#errorEvent, 'read', errnum, errstr, this.ID);
    this.#stopReading();
  }

  /**
   * Parses chunks and calls the InputEvent for each record. The input filter and the event
   * are re-read for every record, so a filter or event change made by a handler applies to
   * the rest of the data at once. The loop does not stop when a handler destroys the wheel:
   * POE's read closure keeps going over what it read (G35).
   */
  #feed(chunks: unknown[]): void {
    feedFilter(chunks, this.#currentInputFilter, this.#emitInput, this.#readFailed);
  }

  readonly #currentInputFilter = (): Filter<In, unknown> => this.#inputFilter;
  // `unknown`, not `In`: a function-typed field would make the class invariant in `In`.
  readonly #emitInput = (record: unknown): void => void this.emit(this.#inputEvent, record, this.ID);

  /**
   * A filter over its size limit: the input can no longer be framed. POE's filter would die
   * inside the read handler (a DIE signal, and the next read dies again); poe-ts reports
   * `('read', EMSGSIZE, message, id)` and stops reading. Anything else a filter throws is a
   * handler exception, as in POE.
   */
  readonly #readFailed = (err: unknown): void => {
    if (!(err instanceof FilterLimitError)) throw err;
    this.emit(this.#errorEvent, 'read', EMSGSIZE, err.message, this.ID);
    this.#stopReading();
  };

  #onWrite(): void {
    const driver = this.#driver;
    const left = (this.#octets = driver.flush(this.#output));
    const error = driver.error;
    if (error !== undefined) {
      // When you cannot write, nothing else matters.
      const { errno, message } = describeIoError(error, 'EPIPE');
      this.emit(this.#errorEvent, 'write', errno, message, this.ID);
      this.#stopWriting();
      return;
    }
    this.#checkQueue(left);
    if (this.#highState) {
      if (left <= this.#lowMark!) {
        this.#highState = false;
        this.emit(this.#lowEvent, this.ID);
      }
    } else if (this.#highMark !== undefined && left >= this.#highMark) {
      this.#highState = true;
      this.emit(this.#highEvent, this.ID);
    }
    // Independent of the watermarks: LowEvent and FlushedEvent can come from one flush.
    if (left === 0) {
      this.#writer?.pause();
      // Tested here, not only in emit(): its argument list is an array made per call, and a
      // connection without a FlushedEvent (most servers) flushes once per reply.
      if (this.#flushedEvent !== undefined) this.emit(this.#flushedEvent, this.ID);
    }
  }

  // ------------------------------------------------------------------------------------------
  // public API

  /**
   * Serializes `records` with the output filter and queues them; they are written at the
   * next turn of the event loop (at once with `autoFlush`). Returns 1 when `highMark` is set
   * and the queue holds at least that many octets, entering the high state without calling
   * `highEvent` (G28); else 0. POE: `put(@records)`.
   */
  put(...records: Out[]): 0 | 1 {
    if (this.destroyed) throw new PoeError('ERR_POE_WHEEL_DESTROYED', `ReadWrite(${this.ID}).put(): the wheel was destroyed`);
    const before = this.#octets;
    let now = (this.#octets = this.#driver.put(this.#outputFilter.put(records)));
    if (this.#autoFlush && now > 0 && before === 0) {
      this.flush();
      now = this.#octets;
    }
    // Resuming an active watcher changes nothing; a removed one (after a write error or
    // shutdownOutput) stays removed, and the data stays queued, as in POE. Inside the wheel's
    // own InputEvent, the read that called it writes it when its records are done (#onRead).
    if (now > 0) {
      if (this.#reading) this.#flushAfterRead = true;
      else this.#writer?.resume();
    }
    this.#checkQueue(now);
    if (this.#highMark !== undefined && now >= this.#highMark) {
      this.#highState = true;
      return 1;
    }
    this.#highState = false;
    return 0;
  }

  /**
   * Runs the write handler now: writes what the handle takes, with the usual events. Returns
   * the octets still queued. POE: `flush()`.
   */
  flush(): number {
    if (this.destroyed) return 0;
    this.kernel.call(this.session as never, this.#writeState as never);
    return this.#octets;
  }

  /** Changes or (with `undefined`) turns off events at run time. POE: `event(Name => ...)`. */
  event(events: ReadWriteEventNames<E>): void {
    const o = ReadWrite.checkOptions('ReadWrite event()', events, EVENTS, EVENTS);
    if (this.destroyed) return;
    for (const key of Object.keys(o) as (keyof ReadWriteEventNames<E>)[]) {
      const value = o[key];
      switch (key) {
        case 'inputEvent':
          this.#inputEvent = value;
          // Without an InputEvent the wheel does not read; with one it (re)starts reading.
          if (value === undefined) this.#stopReading();
          else this.#startReading();
          break;
        case 'errorEvent':
          this.#errorEvent = value;
          break;
        case 'flushedEvent':
          this.#flushedEvent = value;
          break;
        case 'highEvent':
          if (this.#highMark === undefined) this.#carp('ignoring `highEvent` (there is no high watermark set)');
          else this.#highEvent = value;
          break;
        case 'lowEvent':
          if (this.#lowMark === undefined) this.#carp('ignoring `lowEvent` (there is no low watermark set)');
          else this.#lowEvent = value;
          break;
      }
    }
  }

  #carp(message: string): void {
    this.kernel._warn(`ReadWrite(${this.ID}): ${message}`);
  }

  /**
   * Replaces both filters. Input the old input filter holds unparsed goes through the new
   * one, and its complete records are dispatched at once. POE: `set_filter`.
   */
  setFilter(filter: Filter<In, Out>): void {
    ReadWrite.#checkFilter(filter, 'setFilter');
    const pending = this.#inputFilter.getPending();
    this.#inputFilter = filter;
    this.#outputFilter = filter;
    this.#transfer(pending);
  }

  /**
   * Replaces the input filter, feeding it what the old one held unparsed and dispatching the
   * complete records at once; it stops early if a handler switches the filter again.
   * POE: `set_input_filter`.
   */
  setInputFilter(filter: Filter<In, unknown>): void {
    ReadWrite.#checkFilter(filter, 'setInputFilter');
    const pending = this.#inputFilter.getPending();
    this.#inputFilter = filter;
    this.#transfer(pending);
  }

  /** Replaces the output filter for later `put`s (queued output is not re-serialized). POE: `set_output_filter`. */
  setOutputFilter(filter: Filter<unknown, Out>): void {
    ReadWrite.#checkFilter(filter, 'setOutputFilter');
    this.#outputFilter = filter;
  }

  static #checkFilter(filter: unknown, what: string): void {
    if (!isFilter(filter)) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ReadWrite ${what}() argument to be a filter, got ${describe(filter)}`);
  }

  #transfer(pending: unknown[] | undefined): void {
    if (pending === undefined) return;
    feedFilter(pending, this.#currentInputFilter, this.#emitInput, this.#readFailed, true);
  }

  /** The current input filter. POE: `get_input_filter`. */
  getInputFilter(): Filter<In, unknown> {
    return this.#inputFilter;
  }
  /** The current output filter. POE: `get_output_filter`. */
  getOutputFilter(): Filter<unknown, Out> {
    return this.#outputFilter;
  }

  /**
   * Moves the high watermark; values that are not above the low mark are ignored with a
   * warning, as is a wheel made without marks. POE: `set_high_mark`.
   */
  setHighMark(mark: number): void {
    if (this.#highMark === undefined) return this.#carp('ignoring high mark (it must be set in the constructor first)');
    if (mark === undefined || mark === null) return this.#carp('new high mark is undefined; ignored');
    if (typeof mark !== 'number' || !(mark > this.#lowMark!)) return this.#carp(`new high mark ${describe(mark)} would not be greater than the low mark; ignored`);
    this.#highMark = mark;
  }

  /**
   * Moves the low watermark; values below 1 or not below the high mark are ignored with a
   * warning, as is a wheel made without marks. POE: `set_low_mark`.
   */
  setLowMark(mark: number): void {
    if (this.#lowMark === undefined) return this.#carp('ignoring low mark (it must be set in the constructor first)');
    if (mark === undefined || mark === null) return this.#carp('new low mark is undefined; ignored');
    if (typeof mark !== 'number' || !(mark > 0)) return this.#carp(`new low mark ${describe(mark)} would be less than one; ignored`);
    if (!(mark < this.#highMark!)) return this.#carp(`new low mark ${describe(mark)} would not be less than the high mark; ignored`);
    this.#lowMark = mark;
  }

  /** Octets queued in the driver as of the last put or flush. POE: `get_driver_out_octets`. */
  getDriverOutOctets(): number {
    return this.#octets;
  }
  /** Chunks queued in the driver. POE: `get_driver_out_messages`. */
  getDriverOutMessages(): number {
    return this.#driver.getOutMessages();
  }

  /** The handle read. POE: `get_input_handle`. */
  getInputHandle(): InputHandle {
    return this.#input;
  }
  /** The handle written. POE: `get_output_handle`. */
  getOutputHandle(): OutputHandle {
    return this.#output;
  }

  /** Stops reading until `resumeInput()`; the session stays held. POE: `pause_input`. */
  pauseInput(): void {
    this.#userPaused = true;
    this.#syncReader();
  }
  /**
   * Resumes reading after `pauseInput()`. While the output queue holds reading back
   * (`readPauseMark`), reading resumes only once it has drained. POE: `resume_input`.
   */
  resumeInput(): void {
    this.#userPaused = false;
    this.#syncReader();
  }

  /**
   * Stops reading for good: the read watcher goes. Node cannot half-close the reading side of
   * a socket (POE's `shutdown($fh, 0)`), so unread input is simply left unread.
   * POE: `shutdown_input`.
   */
  shutdownInput(): void {
    this.#stopReading();
  }

  /**
   * Half-closes the output (`end()`: the peer reads EOF once what Node holds is written) and
   * removes the write watcher; output still queued in the driver is never written.
   * POE: `shutdown_output` (`shutdown($fh, 1)`).
   */
  shutdownOutput(): void {
    if (this.#writer === undefined) return;
    this.#stopWriting();
    const out = this.#output;
    if (!out.destroyed && !out.writableEnded) out.end();
  }

  /**
   * Stops both watchers, drops the wheel's states, holds and id, and closes what the wheel was
   * given, as dropping POE's last reference to a handle did: the output once what Node already
   * holds is written, a separate input at once.
   */
  protected onDestroy(): void {
    this.#stopReading();
    this.#stopWriting();
    this.closeHandle(this.#output, 'end');
    if ((this.#input as unknown) !== this.#output) this.closeHandle(this.#input, 'destroy');
  }

  /** POE's spelling of {@link ReadWrite.setFilter}. */
  declare set_filter: this['setFilter'];
  /** POE's spelling of {@link ReadWrite.setInputFilter}. */
  declare set_input_filter: this['setInputFilter'];
  /** POE's spelling of {@link ReadWrite.setOutputFilter}. */
  declare set_output_filter: this['setOutputFilter'];
  /** POE's spelling of {@link ReadWrite.getInputFilter}. */
  declare get_input_filter: this['getInputFilter'];
  /** POE's spelling of {@link ReadWrite.getOutputFilter}. */
  declare get_output_filter: this['getOutputFilter'];
  /** POE's spelling of {@link ReadWrite.setHighMark}. */
  declare set_high_mark: this['setHighMark'];
  /** POE's spelling of {@link ReadWrite.setLowMark}. */
  declare set_low_mark: this['setLowMark'];
  /** POE's spelling of {@link ReadWrite.getDriverOutOctets}. */
  declare get_driver_out_octets: this['getDriverOutOctets'];
  /** POE's spelling of {@link ReadWrite.getDriverOutMessages}. */
  declare get_driver_out_messages: this['getDriverOutMessages'];
  /** POE's spelling of {@link ReadWrite.getInputHandle}. */
  declare get_input_handle: this['getInputHandle'];
  /** POE's spelling of {@link ReadWrite.getOutputHandle}. */
  declare get_output_handle: this['getOutputHandle'];
  /** POE's spelling of {@link ReadWrite.pauseInput}. */
  declare pause_input: this['pauseInput'];
  /** POE's spelling of {@link ReadWrite.resumeInput}. */
  declare resume_input: this['resumeInput'];
  /** POE's spelling of {@link ReadWrite.shutdownInput}. */
  declare shutdown_input: this['shutdownInput'];
  /** POE's spelling of {@link ReadWrite.shutdownOutput}. */
  declare shutdown_output: this['shutdownOutput'];

  static {
    Wheel.installAliases(this, {
      set_filter: 'setFilter',
      set_input_filter: 'setInputFilter',
      set_output_filter: 'setOutputFilter',
      get_input_filter: 'getInputFilter',
      get_output_filter: 'getOutputFilter',
      set_high_mark: 'setHighMark',
      set_low_mark: 'setLowMark',
      get_driver_out_octets: 'getDriverOutOctets',
      get_driver_out_messages: 'getDriverOutMessages',
      get_input_handle: 'getInputHandle',
      get_output_handle: 'getOutputHandle',
      pause_input: 'pauseInput',
      resume_input: 'resumeInput',
      shutdown_input: 'shutdownInput',
      shutdown_output: 'shutdownOutput',
    });
  }
}
