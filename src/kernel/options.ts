import { PoeArgumentError, describe, rejectUnknownKeys } from '../errors.js';
import type { Clock } from './clock.js';

/** Options of `new Kernel()`. */
export interface KernelOptions {
  /** Where time comes from. @default new SystemClock() */
  clock?: Clock;
  /**
   * Throw a `PoeErrnoError` where POE would set `$!` and return a failure value.
   * @default process.env.POE_ASSERT_DEFAULT is set and not "0"
   */
  assert?: boolean;
  /**
   * Trap exceptions in handlers and turn them into the DIE signal (POE's CATCH_EXCEPTIONS).
   * When off, the first exception stops the kernel and `run()` rejects with it.
   * @default process.env.POE_CATCH_EXCEPTIONS !== "0"
   */
  catchExceptions?: boolean;
  /**
   * Record the file and line of each `post`/`yield`/`call`/timer for `ctx.callerFile` and
   * `ctx.callerLine` (POE's CALLER_FILE/CALLER_LINE). Costs a stack capture per event.
   * @default process.env.POE_CALLER_INFO is set and not "0"
   */
  callerInfo?: boolean;
  /** Where warnings and traces go, one line each. @default a write to stderr */
  log?: (line: string) => void;
  /**
   * Events dispatched per macrotask before the kernel yields to Node's I/O.
   * @default 4096
   */
  batchLimit?: number;
  /**
   * The kernel's name for inter-kernel communication (`poe://name/session/event`): no `/`,
   * no whitespace. @default `host-pid` (see `Kernel#name`)
   */
  name?: string;
  /**
   * The program `fork()` runs again in the child (see `forkProgram`).
   * @default process.argv[1]
   */
  program?: string;
  /**
   * The Node binary `fork()` starts (see `forkExecPath`).
   * @default process.execPath
   */
  execPath?: string;
}

const KERNEL_OPTION_KEYS = ['name', 'clock', 'assert', 'catchExceptions', 'callerInfo', 'log', 'batchLimit', 'program', 'execPath'] as const;

/** An environment switch: undefined when unset or empty, else whether it is not "0". */
export function envOn(name: string, env: NodeJS.ProcessEnv = process.env): boolean | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  return v !== '0';
}

/** A path option or setter (`program`, `forkExecPath`, ...): undefined or a non-empty string. */
export function checkPath(key: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value === '')) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`${key}\` to be a non-empty path, got ${describe(value)}`);
  }
}

/** Validates `new Kernel()`'s options, one message per option. */
export function checkOptions(options: KernelOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected Kernel options to be an object, got ${describe(options)}`);
  }
  rejectUnknownKeys('Kernel', options, KERNEL_OPTION_KEYS);
  const clock = options.clock;
  if (clock !== undefined && (typeof clock.now !== 'function' || typeof clock.setTimer !== 'function')) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`clock\` to implement Clock, got ${describe(clock)}`);
  }
  for (const key of ['assert', 'catchExceptions', 'callerInfo'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`${key}\` to be a boolean, got ${describe(options[key])}`);
    }
  }
  if (options.log !== undefined && typeof options.log !== 'function') {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`log\` to be a function, got ${describe(options.log)}`);
  }
  const name = options.name;
  if (name !== undefined && (typeof name !== 'string' || !/^[^/\s]+$/.test(name))) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`name\` to be a non-empty string without \`/\` or whitespace, got ${describe(name)}`);
  }
  checkPath('program', options.program);
  checkPath('execPath', options.execPath);
  const batch = options.batchLimit;
  if (batch !== undefined && (!Number.isInteger(batch) || batch < 1)) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`batchLimit\` to be a positive integer, got ${describe(batch)}`);
  }
}

