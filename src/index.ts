/**
 * poe-ts: POE, Perl's session/wheel event framework, for TypeScript on Node.js.
 * Every public name is exported here; nothing else is public.
 */
import { Kernel } from './kernel/kernel.js';

export { Kernel } from './kernel/kernel.js';
export type { AlarmId, DieInfo, KernelOptions, RemovedAlarm, SessionReport } from './kernel/kernel.js';
export { SystemClock, ManualClock } from './kernel/clock.js';
export type { Clock, ClockTimer, ManualClockOptions } from './kernel/clock.js';
export { errno, errnoName } from './kernel/errno.js';
export type { ErrnoName } from './kernel/errno.js';
export { channels } from './kernel/trace.js';
export { Session } from './session/session.js';
export type { SessionId, SessionParams } from './session/session.js';
export { Context } from './session/context.js';
export type {
  AllEvents,
  AnonEvent,
  AnySignature,
  BuiltinEvents,
  ChildReason,
  EventArgs,
  EventName,
  EventReturn,
  Handler,
  InlineStates,
  SessionOrKernel,
  StatesList,
  Untyped,
} from './session/types.js';
export { PoeError, PoeArgumentError, PoeErrnoError, PoeStallError } from './errors.js';
export type { PoeErrorCode } from './errors.js';

/**
 * The process's default kernel, shared by the ESM and CJS builds of poe-ts.
 * POE: `$poe_kernel` / `POE::Kernel`.
 */
export const poeKernel: Kernel = Kernel.default;
