import { PoeArgumentError, describe } from '../errors.js';
import { checkOptions } from './bytes.js';

/*
 * Option handling shared by Grep and Map: `code` for both directions, or `get` and `put`.
 * Internal.
 */

export interface CodePair<G, P> {
  get: G;
  put: P;
}

const KNOWN = ['code', 'get', 'put'] as const;

function fn(what: string, key: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected ${what} \`${key}\` to be a function, got ${describe(value)}`);
  }
}

/** Validates constructor options: `code`, or both `get` and `put`. */
export function codeOptions<G, P>(what: string, options: unknown): CodePair<G, P> {
  const o = checkOptions<{ code: unknown; get: unknown; put: unknown }>(what, options, KNOWN);
  if (o.code !== undefined) {
    fn(what, 'code', o.code);
    if (o.get !== undefined || o.put !== undefined) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `${what}: \`code\` is used both ways and cannot be combined with \`get\` or \`put\``);
    }
    return { get: o.code as G, put: o.code as P };
  }
  if (o.get === undefined || o.put === undefined) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `${what} requires \`code\`, or both \`get\` and \`put\``);
  }
  fn(what, 'get', o.get);
  fn(what, 'put', o.put);
  return { get: o.get as G, put: o.put as P };
}

/** Validates `modify()` options: any of `code`, `get`, `put`; returns the changed pair. */
export function modifyOptions<G, P>(what: string, options: unknown, current: CodePair<G, P>): CodePair<G, P> {
  const o = checkOptions<{ code: unknown; get: unknown; put: unknown }>(`${what} modify`, options, KNOWN);
  const next = { ...current };
  if (o.code !== undefined) {
    fn(what, 'code', o.code);
    next.get = o.code as G;
    next.put = o.code as P;
  }
  if (o.get !== undefined) {
    fn(what, 'get', o.get);
    next.get = o.get as G;
  }
  if (o.put !== undefined) {
    fn(what, 'put', o.put);
    next.put = o.put as P;
  }
  return next;
}
