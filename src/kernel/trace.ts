import { channel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

/** `NODE_DEBUG=poe` */
export const debug = debuglog('poe');

/**
 * `node:diagnostics_channel` channels. Subscribers get plain objects; publishing is skipped
 * when nobody listens, so the hot path pays one property read.
 */
export const channels = {
  /** `{ kernel, session, event, sender, args }` before each handler runs. */
  dispatch: channel('poe:dispatch'),
  /** `{ kernel, session, parent }` after `_start` and `_child(create)`. */
  sessionStart: channel('poe:session:start'),
  /** `{ kernel, session }` when a session is freed. */
  sessionStop: channel('poe:session:stop'),
  /** `{ kernel, target, signal, args, handled }` after a signal's watchers ran. */
  signal: channel('poe:signal'),
  /** `{ kernel, error, session, event }` when a handler throws. */
  error: channel('poe:error'),
};

/** POE's POE_TRACE_* switches, read once per kernel from the environment. */
export interface TraceFlags {
  events: boolean;
  sessions: boolean;
  signals: boolean;
  refcounts: boolean;
}

function on(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = env[name];
  return v !== undefined && v !== '' && v !== '0';
}

export function traceFlagsFromEnv(env: NodeJS.ProcessEnv = process.env): TraceFlags {
  const all = on(env, 'POE_TRACE_DEFAULT');
  return {
    events: all || on(env, 'POE_TRACE_EVENTS'),
    sessions: all || on(env, 'POE_TRACE_SESSIONS'),
    signals: all || on(env, 'POE_TRACE_SIGNALS'),
    refcounts: all || on(env, 'POE_TRACE_REFCNT'),
  };
}
