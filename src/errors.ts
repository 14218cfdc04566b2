/**
 * One module for every error poe-ts throws. Each class has a stable `code`
 * (`ERR_POE_<AREA>_<PROBLEM>`); messages name the option or argument at fault.
 *
 * Failures POE reports as return values (post's `undefined` + ESRCH, alias_set's EEXIST, ...)
 * stay return values so ports behave the same; see `Kernel#errno` and the `assert` option.
 */
import { brand, isBranded } from './brand.js';

export type PoeErrorCode =
  | 'ERR_POE_INVALID_ARGUMENT'
  | 'ERR_POE_UNKNOWN_OPTION'
  | 'ERR_POE_SESSION_BAD_HANDLER'
  | 'ERR_POE_SESSION_BAD_PARAMS'
  | 'ERR_POE_SESSION_NO_START'
  | 'ERR_POE_KERNEL_BAD_TIME'
  | 'ERR_POE_KERNEL_BAD_EVENT'
  | 'ERR_POE_KERNEL_BAD_ALIAS'
  | 'ERR_POE_KERNEL_NO_SESSION'
  | 'ERR_POE_KERNEL_ERRNO'
  | 'ERR_POE_KERNEL_NOT_IN_SESSION'
  | 'ERR_POE_KERNEL_RUNNING'
  | 'ERR_POE_KERNEL_STALLED'
  | 'ERR_POE_KERNEL_BAD_SIGNAL'
  | 'ERR_POE_FILTER_LIMIT'
  | 'ERR_POE_FILTER_BAD_DATA'
  | 'ERR_POE_WHEEL_NO_SESSION'
  | 'ERR_POE_WHEEL_WRONG_SESSION'
  | 'ERR_POE_WHEEL_DESTROYED'
  | 'ERR_POE_WHEEL_NO_STDIN'
  | 'ERR_POE_WHEEL_SPAWN'
  | 'ERR_POE_WAIT_TIMEOUT'
  | 'ERR_POE_SEMAPHORE_OVERFLOW'
  | 'ERR_POE_CHANNEL_SHUTDOWN'
  | 'ERR_POE_TASK_NOT_IN_TASK'
  | 'ERR_POE_TASK_STOPPED'
  | 'ERR_POE_POOL_SHUTDOWN'
  | 'ERR_POE_POOL_WORKER_DIED'
  | 'ERR_POE_POOL_QUEUE_FULL'
  | 'ERR_POE_POOL_BAD_MODULE'
  | 'ERR_POE_CLONE'
  | 'ERR_POE_THREAD_BAD_MODULE'
  | 'ERR_POE_THREAD_JOINED'
  | 'ERR_POE_THREAD_DETACHED'
  | 'ERR_POE_THREAD_TERMINATED'
  | 'ERR_POE_THREAD_MAIN'
  | 'ERR_POE_QUEUE_ENDED'
  | 'ERR_POE_QUEUE_FULL'
  | 'ERR_POE_EMITTER_CLOSED'
  | 'ERR_POE_JOBQUEUE_STOPPED'
  | 'ERR_POE_JOBQUEUE_WORKER_LOST'
  | 'ERR_POE_JOBQUEUE_TIMEOUT'
  | 'ERR_POE_NFA_BAD_PARAMS'
  | 'ERR_POE_NFA_UNKNOWN_STATE'
  | 'ERR_POE_NFA_UNKNOWN_EVENT'
  | 'ERR_POE_NFA_NO_HANDLER'
  | 'ERR_POE_NFA_EMPTY_STACK'
  | IkcErrorCode;

/** Codes of inter-kernel communication (IKC) failures; see `PoeIkcError`. */
export type IkcErrorCode =
  | 'ERR_POE_IKC_BAD_ADDRESS'
  | 'ERR_POE_IKC_UNSENDABLE'
  | 'ERR_POE_IKC_UNKNOWN_KERNEL'
  | 'ERR_POE_IKC_NO_SESSION'
  | 'ERR_POE_IKC_NO_EVENT'
  | 'ERR_POE_IKC_BUFFER_FULL'
  | 'ERR_POE_IKC_EXPIRED'
  | 'ERR_POE_IKC_LOST'
  | 'ERR_POE_IKC_CALL_TIMEOUT'
  | 'ERR_POE_IKC_CALL_FAILED'
  | 'ERR_POE_IKC_BAD_FRAME'
  | 'ERR_POE_IKC_CONNECT'
  | 'ERR_POE_IKC_SHUTDOWN';

/**
 * Base class of every error poe-ts throws. `instanceof` on it and on every subclass holds for
 * errors from either build (ESM or CJS) of poe-ts.
 */
export class PoeError extends Error {
  static {
    brand(this, 'poe-ts.error.PoeError');
  }

  /** True for an instance of this class from any copy of poe-ts in the process (ESM or CJS build). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(this, value);
  }

  readonly code: PoeErrorCode;
  constructor(code: PoeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoeError';
    this.code = code;
  }
}

/** A bad argument or option value: wrong type, out of range, unknown key. */
export class PoeArgumentError extends PoeError {
  static {
    brand(this, 'poe-ts.error.PoeArgumentError');
  }

  constructor(code: PoeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PoeArgumentError';
  }
}

/**
 * Thrown in assert mode (`new Kernel({ assert: true })` or `POE_ASSERT_DEFAULT=1`) where POE
 * would set `$!` and return a failure value. `errno` and `errnoName` carry POE's numbers.
 */
export class PoeErrnoError extends PoeError {
  static {
    brand(this, 'poe-ts.error.PoeErrnoError');
  }

  readonly errno: number;
  readonly errnoName: string;
  constructor(errno: number, errnoName: string, message: string) {
    super('ERR_POE_KERNEL_ERRNO', `${message} (${errnoName})`);
    this.name = 'PoeErrnoError';
    this.errno = errno;
    this.errnoName = errnoName;
  }
}

/**
 * A child process could not be started (`Run`): Node's spawn failed, so there is no process
 * and no pid. `errno` and `errnoName` are what the exec failed with (ENOENT for a program
 * that is not there, EACCES for one that is not executable); `program` is the file run.
 */
export class PoeSpawnError extends PoeError {
  static {
    brand(this, 'poe-ts.error.PoeSpawnError');
  }

  readonly errno: number;
  readonly errnoName: string;
  readonly program: string;
  constructor(program: string, errno: number, errnoName: string, message: string, options?: { cause?: unknown }) {
    super('ERR_POE_WHEEL_SPAWN', message, options);
    this.name = 'PoeSpawnError';
    this.errno = errno;
    this.errnoName = errnoName;
    this.program = program;
  }
}

/** The kernel cannot make progress: sessions are alive but nothing can ever wake them. */
export class PoeStallError extends PoeError {
  static {
    brand(this, 'poe-ts.error.PoeStallError');
  }

  constructor(message: string) {
    super('ERR_POE_KERNEL_STALLED', message);
    this.name = 'PoeStallError';
  }
}

/**
 * A wait on a kernel primitive (a semaphore's `down`, a channel's `get`, a task's `next`) did
 * not end the way it was waiting for: it timed out (`ERR_POE_WAIT_TIMEOUT`), or the kernel
 * stopped with it pending (`ERR_POE_WAIT_STOPPED`). `waitingOn` names the wait.
 */
export class PoeWaitError extends PoeError {
  static {
    brand(this, 'poe-ts.error.PoeWaitError');
  }

  readonly waitingOn: string;
  constructor(code: 'ERR_POE_WAIT_TIMEOUT', waitingOn: string, message: string) {
    super(code, message);
    this.name = 'PoeWaitError';
    this.waitingOn = waitingOn;
  }
}

/**
 * A state machine (`NFA`) could not do what it was told when the kernel dispatched it: enter a
 * state it does not have (`ERR_POE_NFA_UNKNOWN_STATE`), run an entry or return event its new
 * state has no handler for (`ERR_POE_NFA_UNKNOWN_EVENT`), handle an event that neither its
 * current state nor `_default` there handles (`ERR_POE_NFA_NO_HANDLER`), or return from a
 * `callState` that never happened (`ERR_POE_NFA_EMPTY_STACK`). POE dies there too, so it is
 * thrown in the machine's dispatch and becomes a DIE signal. `machineState` is the state the
 * machine was in.
 */
export class PoeNfaError extends PoeError {
  static {
    brand(this, 'poe-ts.error.PoeNfaError');
  }

  readonly machineState: string | undefined;
  constructor(code: 'ERR_POE_NFA_UNKNOWN_STATE' | 'ERR_POE_NFA_UNKNOWN_EVENT' | 'ERR_POE_NFA_NO_HANDLER' | 'ERR_POE_NFA_EMPTY_STACK', machineState: string | undefined, message: string) {
    super(code, message);
    this.name = 'PoeNfaError';
    this.machineState = machineState;
  }
}

/**
 * A post or call to another kernel failed (IKC). `address` is the remote address
 * (`poe://kernel/session/event`) it was for. Thrown at the call for what can never be sent
 * (`ERR_POE_IKC_UNSENDABLE`, `ERR_POE_IKC_BAD_ADDRESS`); a call's promise rejects with it; a
 * post's sender gets its `code`, `address` and `message` in an `ikc_error` event.
 */
export class PoeIkcError extends PoeError {
  static {
    brand(this, 'poe-ts.error.PoeIkcError');
  }

  readonly address: string;
  constructor(code: IkcErrorCode, address: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PoeIkcError';
    this.address = address;
  }
}

/**
 * An error another isolate (a thread, a worker process) threw, rebuilt from the parts it sent
 * (a structured clone keeps only an Error's message and stack): a plain Error with its name,
 * message, stack and the own properties given (`code`, ...).
 */
export function rebuildError(name: string | undefined, message: string | undefined, stack: string | undefined, props: Record<string, unknown> | undefined): Error {
  const err = new Error(message);
  if (name !== undefined && name !== 'Error') Object.defineProperty(err, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  if (stack !== undefined) err.stack = stack;
  if (props !== undefined) Object.assign(err, props);
  return err;
}

/** Formats a value for messages: "`-1` (number)", as p-queue does. */
export function describe(value: unknown): string {
  let shown: string;
  if (typeof value === 'string') shown = JSON.stringify(value);
  else if (typeof value === 'function') shown = `function ${value.name || '(anonymous)'}`;
  else if (typeof value === 'bigint') shown = `${value}n`;
  else if (value === null || typeof value !== 'object') shown = String(value);
  else {
    try {
      shown = JSON.stringify(value) ?? Object.prototype.toString.call(value);
    } catch {
      shown = Object.prototype.toString.call(value);
    }
    if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
  }
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `\`${shown}\` (${type})`;
}

/** Converts `snake_case` or `PascalCase` to `camelCase`, for "did you mean" hints. */
export function camelCase(key: string): string {
  const lower = key.replace(/_([a-z0-9])/gi, (_m, c: string) => c.toUpperCase());
  return lower.charAt(0).toLowerCase() + lower.slice(1);
}

/**
 * Rejects keys of `options` not in `known`, with a hint when the key is POE's spelling
 * (PascalCase or snake_case) of a known camelCase option.
 */
export function rejectUnknownKeys(what: string, options: object, known: readonly string[]): void {
  // for-in with an own-key check, as Object.keys, without the array: a filter and a driver
  // per accepted connection check their options here.
  for (const key in options) {
    if (known.includes(key) || !Object.prototype.hasOwnProperty.call(options, key)) continue;
    const hint = camelCase(key);
    const suggestion = known.includes(hint) ? `; did you mean \`${hint}\`?` : `; expected one of ${known.map((k) => `\`${k}\``).join(', ')}`;
    throw new PoeArgumentError('ERR_POE_UNKNOWN_OPTION', `Unknown ${what} option \`${key}\`${suggestion}`);
  }
}
