import { PoeArgumentError, describe, rejectUnknownKeys } from '../errors.js';
import type { Filter } from '../filter/filter.js';
import { isFilter } from '../filter/filter.js';
import { Line } from '../filter/line.js';

/*
 * Internal helpers shared by the TCP components: option checks with one message per option,
 * filter specifications, and the handler names a component reserves in its sessions.
 * Not exported from the package.
 */

/** A filter class: `new Class(...args)` makes a filter. */
export type FilterClass<In = unknown, Out = unknown> = new (...args: never[]) => Filter<In, Out>;

/**
 * How a component makes the filter of each connection, as POE's `ClientFilter`/`Filter`:
 * a filter object (cloned per connection), a filter class (`new Class()`), or
 * `[Class, ...args]` (`new Class(...args)`).
 */
export type FilterSpec<In = unknown, Out = unknown> = Filter<In, Out> | FilterClass<In, Out> | readonly [FilterClass<In, Out>, ...unknown[]];

export function bad(message: string): never {
  throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', message);
}

/** Rejects anything but a plain options object, and keys it does not know (with POE's spelling hinted). */
export function checkKeys(what: string, options: unknown, known: readonly string[]): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    bad(`Expected ${what} options to be an object, got ${describe(options)}`);
  }
  rejectUnknownKeys(what, options, known);
}

/** Each named option must be a function when given. */
export function checkFunctions(what: string, options: Record<string, unknown>, keys: readonly string[]): void {
  for (const key of keys) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'function') bad(`Expected ${what} option \`${key}\` to be a handler function, got ${describe(v)}`);
  }
}

export function checkString(what: string, key: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value === '')) bad(`Expected ${what} option \`${key}\` to be a non-empty string, got ${describe(value)}`);
}

export function checkArray(what: string, key: string, value: unknown): void {
  if (value !== undefined && !Array.isArray(value)) bad(`Expected ${what} option \`${key}\` to be an array, got ${describe(value)}`);
}

/** An optional count: an integer >= `min`, or (with `infinite`) Infinity. */
export function checkCount(what: string, value: unknown, min: number, infinite: boolean): void {
  if (value === undefined) return;
  if (typeof value === 'number' && ((Number.isInteger(value) && value >= min) || (infinite && value === Infinity))) return;
  bad(`Expected ${what} to be an integer >= ${min}${infinite ? ' (or Infinity)' : ''}, got ${describe(value)}`);
}

export function checkPort(what: string, key: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535) return;
  if (typeof value === 'string' && value !== '') return; // digits or a service name
  bad(`Expected ${what} option \`${key}\` to be a port (0..65535) or a service name, got ${describe(value)}`);
}

export function checkAddress(what: string, key: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value === 'string' && value !== '') return;
  if (value instanceof Uint8Array && (value.length === 4 || value.length === 16)) return;
  bad(`Expected ${what} option \`${key}\` to be an address or host name, or a packed address (4 or 16 bytes), got ${describe(value)}`);
}

const DOMAINS = ['inet', 'inet6', 'unix', 'AF_INET', 'PF_INET', 'AF_INET6', 'PF_INET6', 'AF_UNIX', 'PF_UNIX', 'AF_LOCAL', 'PF_LOCAL'];

export function checkDomain(what: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || !DOMAINS.includes(value))) {
    bad(`Expected ${what} option \`domain\` to be one of 'inet', 'inet6', 'unix' (or AF_INET, AF_INET6, AF_UNIX, PF_*), got ${describe(value)}`);
  }
}

export function isUnix(domain: string | undefined): boolean {
  return domain !== undefined && /unix|local/i.test(domain);
}

/**
 * POE's watermark options: `highMark`, `lowMark` and both watermark callbacks, all four or
 * none. Returns true when they are in use.
 */
export function checkMarks(what: string, o: Record<string, unknown>, high: string, low: string): boolean {
  const keys = ['highMark', 'lowMark', high, low];
  const given = keys.filter((k) => o[k] !== undefined);
  if (given.length === 0) return false;
  if (given.length < 4) {
    const missing = keys.filter((k) => o[k] === undefined);
    bad(`${what}: if you use the watermark settings you must give all four (\`highMark\`, \`lowMark\`, \`${high}\`, \`${low}\`); missing ${missing.map((k) => `\`${k}\``).join(', ')}`);
  }
  for (const key of ['highMark', 'lowMark']) {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) bad(`Expected ${what} option \`${key}\` to be a positive integer, got ${describe(v)}`);
  }
  if ((o.lowMark as number) >= (o.highMark as number)) {
    bad(`${what}: \`lowMark\` (${o.lowMark as number}) must be less than \`highMark\` (${o.highMark as number})`);
  }
  return true;
}

function isFilterClass(value: unknown): value is FilterClass {
  return typeof value === 'function' && isFilter((value as { prototype?: unknown }).prototype);
}

/** Checks a filter option at the door; POE falls back to Line for a class it cannot load, poe-ts refuses. */
export function checkFilterSpec(what: string, key: string, value: unknown): void {
  if (value === undefined) return;
  if (isFilter(value) || isFilterClass(value)) return;
  if (Array.isArray(value) && value.length > 0 && isFilterClass(value[0])) return;
  bad(`Expected ${what} option \`${key}\` to be a filter object (cloned per connection), a filter class, or [FilterClass, ...args], got ${describe(value)}`);
}

/** A new filter from a checked spec; a new Line filter without one (POE's default). */
export function makeFilter<In, Out>(spec: FilterSpec<In, Out> | undefined): Filter<In, Out> {
  if (spec === undefined) return new Line() as unknown as Filter<In, Out>;
  if (Array.isArray(spec)) {
    const Class = spec[0] as FilterClass<In, Out>;
    // A class and its options, the usual form: no rest array and spread per connection.
    if (spec.length === 2) return new Class(spec[1] as never);
    const args = spec.slice(1) as never[];
    return new Class(...args);
  }
  if (isFilterClass(spec)) return new spec();
  return (spec as Filter<In, Out>).clone();
}

/**
 * Handlers the component defines in its sessions, which the user's `inlineStates`,
 * `objectStates` and `packageStates` may not replace (POE refuses them under ASSERT_USAGE).
 */
export function checkReserved(what: string, o: Record<string, unknown>, reserved: readonly string[]): void {
  const clash = (where: string, event: string): never =>
    bad(`${what}: \`${where}\` may not define \`${event}\`; the component handles it (reserved: ${reserved.join(', ')})`);
  const inline = o.inlineStates;
  if (inline !== undefined) {
    if (inline === null || typeof inline !== 'object' || Array.isArray(inline)) bad(`Expected ${what} option \`inlineStates\` to be an object of handlers, got ${describe(inline)}`);
    for (const event of Object.keys(inline)) if (reserved.includes(event)) clash('inlineStates', event);
  }
  for (const where of ['objectStates', 'packageStates'] as const) {
    const list = o[where];
    if (list === undefined) continue;
    if (!Array.isArray(list)) bad(`Expected ${what} option \`${where}\` to be a list of [target, events] pairs, got ${describe(list)}`);
    for (let i = 1; i < list.length; i += 2) {
      const events: unknown = list[i];
      const names = Array.isArray(events) ? events : events !== null && typeof events === 'object' ? Object.keys(events) : [];
      for (const event of names) if (typeof event === 'string' && reserved.includes(event)) clash(where, event);
    }
  }
}

/** `sessionParams`: only `options` (POE's `options => {...}`) is meaningful for component sessions. */
export function checkSessionParams(what: string, value: unknown): void {
  if (value === undefined) return;
  checkKeys(`${what} sessionParams`, value, ['options']);
  const options = (value as { options?: unknown }).options;
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    bad(`Expected ${what} option \`sessionParams.options\` to be an object, got ${describe(options)}`);
  }
}

/**
 * A duration option, when given, must be a number of seconds > 0 (and finite, unless
 * `infinite` allows Infinity for "none"). `what` names it in the message.
 */
export function checkSeconds(what: string, value: unknown, infinite = false): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !(value > 0) || (!infinite && value === Infinity)) {
    bad(`Expected ${what} to be a number of seconds > 0${infinite ? ' (Infinity: none)' : ''}, got ${describe(value)}`);
  }
}
