import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';
import { envOn } from './options.js';

/**
 * `node:diagnostics_channel` channels: what the kernel and the wheels publish. Subscribers get
 * plain objects; publishing is skipped when nobody listens, so the hot path pays one property
 * read. POE's traces (below) are subscribers of these, like any other.
 */
export const channels = {
  /** `{ kernel, session, event, sender, args }` before each handler runs. */
  dispatch: channel('poe:dispatch'),
  /** `{ kernel, session, parent }` when a session is registered, before its `_start` runs. */
  sessionCreate: channel('poe:session:create'),
  /** `{ kernel, session, parent }` after `_start` and `_child(create)`. */
  sessionStart: channel('poe:session:start'),
  /** `{ kernel, session }` when the kernel finds a session with nothing left to do, before its `_stop`. */
  sessionCollect: channel('poe:session:gc'),
  /** `{ kernel, session }` when a session is freed. */
  sessionStop: channel('poe:session:stop'),
  /** `{ kernel, target, signal, args, why }` when a signal is queued (`why` says where it came from). */
  signalQueue: channel('poe:signal:queue'),
  /** `{ kernel, session, signal, event }` before a session's watcher of a signal runs. */
  signalDeliver: channel('poe:signal:deliver'),
  /** `{ kernel, target, signal, args, handled }` after a signal's watchers ran. */
  signal: channel('poe:signal'),
  /** `{ kernel, session, tag, count }` when an extra reference count changes. */
  refcount: channel('poe:refcount'),
  /** `{ kernel, session, name, action }` when a wheel or raw watcher is made (`'create'`) or goes (`'destroy'`). */
  watcher: channel('poe:watcher'),
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
  /** `<sg>` signals queued and dispatched. POE_TRACE_SIGNALS, NODE_DEBUG=poe-signals. */
  signals: boolean;
  /** `<rc>` extra reference counts. POE_TRACE_REFCNT, NODE_DEBUG=poe-refcnt. */
  refcounts: boolean;
  /** `<fh>` wheels and raw watchers made and destroyed. POE_TRACE_FILES, NODE_DEBUG=poe-files. */
  files: boolean;
  /** `<ex>` each exception a handler throws, caught or not. NODE_DEBUG=poe-exceptions (POE has no switch: POE_TRACE_DEFAULT). */
  exceptions: boolean;
}

/** Node reads NODE_DEBUG once, at start-up; `enabled` answers for a section. */
function nodeDebug(section: string): boolean {
  return debuglog(section).enabled;
}

export function traceFlagsFromEnv(env: NodeJS.ProcessEnv = process.env): TraceFlags {
  const all = envOn('POE_TRACE_DEFAULT', env) === true || nodeDebug('poe');
  const flag = (poe: string | undefined, section: string): boolean => all || (poe !== undefined && envOn(`POE_TRACE_${poe}`, env) === true) || nodeDebug(`poe-${section}`);
  return {
    events: flag('EVENTS', 'events'),
    sessions: flag('SESSIONS', 'sessions'),
    signals: flag('SIGNALS', 'signals'),
    refcounts: flag('REFCNT', 'refcnt'),
    files: flag('FILES', 'files'),
    exceptions: flag(undefined, 'exceptions'),
  };
}

type Message = Record<string, unknown> & { kernel: unknown };
const idOf = (session: unknown): string => String((session as { ID?: unknown } | undefined)?.ID);

/**
 * Writes `kernel`'s traces to `log`: the categories `flags` turns on, as subscribers of the
 * channels above (only this kernel's messages). The subscriptions hold the kernel weakly and go
 * once it is garbage-collected.
 */
export function traceKernel(kernel: object, flags: TraceFlags, log: (line: string) => void): void {
  const lines: [string, (m: Message) => string][] = [];
  if (flags.events) lines.push(['poe:dispatch', (m) => `<ev> dispatching '${String(m.event)}' to session ${idOf(m.session)}`]);
  if (flags.sessions) {
    lines.push(['poe:session:create', (m) => `<ss> session ${idOf(m.session)} created by ${m.parent === undefined ? 'the kernel' : `session ${idOf(m.parent)}`}`]);
    lines.push(['poe:session:gc', (m) => `<ss> garbage-collecting session ${idOf(m.session)}`]);
    lines.push(['poe:session:stop', (m) => `<ss> session ${idOf(m.session)} freed`]);
  }
  if (flags.signals) {
    lines.push(['poe:signal:queue', (m) => `<sg> ${String(m.signal)}: ${String(m.why)}`]);
    lines.push(['poe:signal:deliver', (m) => `<sg> ${String(m.signal)}: dispatching to session ${idOf(m.session)} as '${String(m.event)}'`]);
  }
  if (flags.refcounts) lines.push(['poe:refcount', (m) => `<rc> session ${idOf(m.session)} extref ${String(m.tag)} = ${String(m.count)}`]);
  if (flags.files) {
    lines.push(['poe:watcher', (m) => (m.action === 'create' ? `<fh> ${String(m.name)} made in session ${idOf(m.session)}` : `<fh> ${String(m.name)} of session ${idOf(m.session)} destroyed`)]);
  }
  if (flags.exceptions) {
    lines.push(['poe:error', (m) => `<ex> handler '${String(m.event)}' of session ${idOf(m.session)} threw: ${m.error instanceof Error ? m.error.message : String(m.error)}`]);
  }
  if (lines.length === 0) return;
  const ref = new WeakRef(kernel);
  const handlers: [string, (message: unknown) => void][] = [];
  for (const [name, format] of lines) {
    const handler = (message: unknown): void => {
      const k = ref.deref();
      if (k === undefined) {
        for (const [n, h] of handlers) unsubscribe(n, h);
        return;
      }
      if ((message as Message).kernel === k) log(format(message as Message));
    };
    handlers.push([name, handler]);
    subscribe(name, handler);
  }
}
