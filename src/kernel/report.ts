import type { Session, SessionId } from '../session/session.js';
import type { SessionOrKernel } from '../session/types.js';

/**
 * The details POE passes with a DIE signal (ARG1 of the watcher), in camelCase and, for ports,
 * in POE's snake_case spelling too.
 */
export interface DieInfo {
  sourceSession: SessionOrKernel;
  destSession: Session;
  event: string;
  file: string | undefined;
  line: number | undefined;
  fromState: string | undefined;
  errorStr: string;
  /** The thrown value itself. */
  error: unknown;
  source_session: SessionOrKernel;
  dest_session: Session;
  from_state: string | undefined;
  error_str: string;
}

/** One line of `kernel.ps()`. */
export interface SessionReport {
  id: SessionId;
  parent: SessionId | 'kernel';
  aliases: string[];
  phase: 'running' | 'stopping';
  /** Events queued to the session (timers included). */
  queued: number;
  /** Events the session queued to others, not yet delivered. */
  sent: number;
  timers: number;
  children: SessionId[];
  extrefs: Record<string, number>;
  /** Holds registered by wheels (I/O watchers), child-process watches and running async handlers. */
  holds: number;
  /** Why the kernel keeps this session; empty means it will be collected. */
  aliveBecause: string[];
  /**
   * What it is doing: `running` (its code runs now), `ready` (events are queued to it),
   * `waiting` (on what `waitingOn` names), or `idle` (nothing; it will be collected).
   */
  state: 'running' | 'ready' | 'waiting' | 'idle';
  /** What it waits on: kernel primitives (`Semaphore.down`, `next('go')`), wheels, async handlers. */
  waitingOn: string[];
  /** Times the kernel has dispatched a queued event to it: Coro::Debug's USES. */
  uses: number;
  /** A task's description (Coro's `desc`). */
  desc: string | undefined;
  /** Where it began its current wait (file:line), when the kernel's `callerInfo` is on. */
  where: string | undefined;
}

/** What `ps()` lists about what a session waits on: the names of what holds it. */
export function waitingOn(s: Session): string[] {
  const names: string[] = [];
  if (s._async !== undefined) for (const event of s._async) if (event !== 'task') names.push(`async handler ${event}`);
  for (const thing of s._owned ?? []) if (thing._holdName !== undefined) names.push(thing._holdName);
  return names;
}

const STATE_LETTER = { running: 'U', ready: 'R', waiting: 'W', idle: 'I' } as const;

/**
 * `ps()` as a table in the manner of Coro::Debug's `ps`: ID, SC (state: r[U]nning, [R]eady,
 * [W]aiting, [I]dle), USES, Description (a task's desc, else the session's aliases) and Where
 * (what it waits on, and file:line with `callerInfo`).
 */
export function formatPs(rows: readonly SessionReport[]): string {
  const lines = [['ID', 'SC', 'USES', 'Description', 'Where']];
  for (const r of rows) {
    const desc = r.desc ?? (r.aliases.length > 0 ? `[${r.aliases.join(', ')}]` : '-');
    const where = [r.where === undefined ? '' : `[${r.where}]`, r.waitingOn.join(', ')].filter((x) => x !== '').join(' ') || '-';
    lines.push([String(r.id), `${STATE_LETTER[r.state]}-`, String(r.uses), desc, where]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines
    .map((l) => l.map((cell, i) => (i === 0 || i === 2 ? cell.padStart(widths[i]!) : i === l.length - 1 ? cell : cell.padEnd(widths[i]!))).join(' '))
    .join('\n');
}

/** Why the kernel keeps a session (`ps()`, stall reports): POE's reference count, by what holds it. */
export function aliveReasons(s: Session, watchedPids: number[]): string[] {
  const why: string[] = [];
  if (s._evTo > 0) why.push(`${s._evTo} event(s) queued to it`);
  if (s._evFrom > 0) why.push(`${s._evFrom} event(s) it sent are pending`);
  if (s._children.size > 0) why.push(`${s._children.size} child session(s)`);
  if (s._aliases !== undefined && s._aliases.size > 0) why.push(`alias(es) ${[...s._aliases].sort().join(', ')}`);
  if (s._extrefs !== undefined && s._extrefs.size > 0) why.push(`extra reference(s) ${[...s._extrefs.keys()].join(', ')}`);
  if (s._holds > 0) {
    // Name what holds it: async handlers still running, wheels and watchers by name, and
    // whatever is left (sig_child watches).
    let other = s._holds;
    if (s._async !== undefined && s._async.length > 0) {
      why.push(`async handler(s) still running: ${s._async.join(', ')}`);
      other -= s._async.length;
    }
    const owners: string[] = [];
    for (const thing of s._owned ?? []) {
      const name = thing._holdName;
      if (name === undefined) continue;
      owners.push(name);
      other -= thing._holdCount ?? 1;
    }
    if (owners.length > 0) why.push(`held by ${owners.join(', ')}`);
    const pids = watchedPids;
    if (pids.length > 0) why.push(`sig_child watch(es) on pid(s) ${pids.join(', ')}`);
    other -= pids.length;
    if (other > 0) why.push(`${other} other hold(s)`);
  }
  return why;
}
