import { channel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

/** `NODE_DEBUG=poe`: every trace category on (see traceFlagsFromEnv). */
const debug = debuglog('poe');

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

/**
 * What the kernel traces to its `log`, one category per POE_TRACE_* switch. Each is on when
 * `POE_TRACE_<NAME>` or `POE_TRACE_DEFAULT` is set (POE's switches), or when `NODE_DEBUG` names
 * `poe` (everything) or `poe-<category>` (Node's switch, with its `*` wildcards): one set of
 * traces, two ways to ask for it. Read once per kernel.
 */
export interface TraceFlags {
  /** `<ev>` each dispatch. POE_TRACE_EVENTS, NODE_DEBUG=poe-events. */
  events: boolean;
  /** `<ss>` sessions made, collected and freed. POE_TRACE_SESSIONS, NODE_DEBUG=poe-sessions. */
  sessions: boolean;
  /** `<sg>` signals, IDLE and ZOMBIE. POE_TRACE_SIGNALS, NODE_DEBUG=poe-signals. */
  signals: boolean;
  /** `<rc>` extra reference counts. POE_TRACE_REFCNT, NODE_DEBUG=poe-refcnt. */
  refcounts: boolean;
  /** `<fh>` wheels and raw watchers made and destroyed. POE_TRACE_FILES, NODE_DEBUG=poe-files. */
  files: boolean;
  /** `<ex>` each exception a handler throws, caught or not. NODE_DEBUG=poe-exceptions (POE has no switch: POE_TRACE_DEFAULT). */
  exceptions: boolean;
}

function on(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = env[name];
  return v !== undefined && v !== '' && v !== '0';
}

/** Node reads NODE_DEBUG once, at start-up; `enabled` answers for a section. */
function nodeDebug(section: string): boolean {
  return debuglog(section).enabled;
}

export function traceFlagsFromEnv(env: NodeJS.ProcessEnv = process.env): TraceFlags {
  const all = on(env, 'POE_TRACE_DEFAULT') || debug.enabled;
  const flag = (poe: string | undefined, section: string): boolean => all || (poe !== undefined && on(env, `POE_TRACE_${poe}`)) || nodeDebug(`poe-${section}`);
  return {
    events: flag('EVENTS', 'events'),
    sessions: flag('SESSIONS', 'sessions'),
    signals: flag('SIGNALS', 'signals'),
    refcounts: flag('REFCNT', 'refcnt'),
    files: flag('FILES', 'files'),
    exceptions: flag(undefined, 'exceptions'),
  };
}
