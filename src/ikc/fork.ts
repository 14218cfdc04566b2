import type { ChildProcess } from 'node:child_process';
import { PoeArgumentError, describe } from '../errors.js';
import { Kernel } from '../kernel/kernel.js';
import type { Transport, TransportSink } from './transport.js';

/** The key of an IKC message on the IPC channel: other messages on it are not ours. */
const KEY = 'poeIkc';

/** What both ends of the IPC channel look like: `process` in the child, a ChildProcess in the parent. */
interface Channel {
  send?(message: unknown, sendHandle?: undefined, options?: undefined, callback?: (err: Error | null) => void): boolean;
  on(event: 'message', fn: (message: unknown) => void): unknown;
  on(event: 'disconnect', fn: () => void): unknown;
  off(event: 'message', fn: (message: unknown) => void): unknown;
  off(event: 'disconnect', fn: () => void): unknown;
  readonly connected?: boolean;
  readonly channel?: { ref(): void; unref(): void } | null;
}

/**
 * A transport over the IPC channel `kernel.fork()` opens between a parent and each child it
 * starts, so a pre-forking parent and its children post to each other: in the parent,
 * `ForkTransport.toChild(pid)` with the pid `fork()` returned; in the child, where `fork()`
 * returned 0, `ForkTransport.toParent()`. Batches cross as Buffers (the channel uses Node's
 * advanced serialization). The other end ending (a child that exits or is killed, a parent
 * that goes) takes the link down (monitors get `unregister`); each post it was sent and had
 * not confirmed is reported to its sender as ERR_POE_IKC_LOST, and each call it took fails
 * with it, at once. In the parent, `attach(pid)` puts a new child (a replacement fork) in its
 * place: the link comes up to a new kernel instance, which gets the posts never sent. While
 * connected, the channel keeps the process alive.
 */
export class ForkTransport implements Transport {
  readonly description: string;
  #kernel: Kernel | undefined;
  /** The other end: `process` in the child, the ChildProcess in the parent. */
  #end: Channel | undefined;
  /** The child, in the parent (the channel's `disconnect`, after the last message, is its end: not its `exit`, which may come first). */
  #child: ChildProcess | undefined;
  #sink: TransportSink | undefined = undefined;
  #closed = false;
  #onMessage = (message: unknown): void => {
    if (message === null || typeof message !== 'object') return;
    const bytes = (message as Record<string, unknown>)[KEY];
    if (bytes instanceof Uint8Array) this.#sink?.data(bytes);
  };
  #onGone = (): void => {
    const child = this.#child;
    this.#detach(child === undefined ? 'the parent process is gone' : `child process ${child.pid} ended`);
  };

  private constructor(end: Channel, child: ChildProcess | undefined, kernel: Kernel | undefined, description: string) {
    this.#end = end;
    this.#child = child;
    this.#kernel = kernel;
    this.description = description;
  }

  /**
   * In the parent: the transport to child `pid`, which `kernel.fork()` started and which is
   * running. Throws ERR_POE_INVALID_ARGUMENT for any other pid.
   */
  static toChild(pid: number, kernel: Kernel = Kernel.current()): ForkTransport {
    return new ForkTransport(...childOf(pid, kernel, 'ForkTransport.toChild'), kernel, 'fork-child');
  }

  /** In a child `kernel.fork()` started: the transport to its parent. Throws ERR_POE_INVALID_ARGUMENT in any other process. */
  static toParent(): ForkTransport {
    if (typeof process.send !== 'function' || !process.connected) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', 'ForkTransport.toParent: this process has no IPC channel to a parent (it was not started by kernel.fork(), or the parent is gone)');
    }
    return new ForkTransport(process, undefined, undefined, 'fork-parent');
  }

  start(sink: TransportSink): void {
    this.#sink = sink;
    const end = this.#end;
    if (end !== undefined) {
      this.#end = undefined;
      this.#use(end, this.#child);
    }
  }

  /**
   * In the parent, after the child ended: carries on with child `pid` (a new fork) in its
   * place. Throws ERR_POE_INVALID_ARGUMENT for a pid that is not a running child of `fork()`.
   */
  attach(pid: number): void {
    if (this.#closed) return;
    if (this.#kernel === undefined) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', 'ForkTransport.attach: only the parent attaches a new child');
    const [end, child] = childOf(pid, this.#kernel, 'ForkTransport.attach');
    if (this.#end !== undefined) this.#detach('replaced by a new child');
    this.#use(end, child);
  }

  #use(end: Channel, child: ChildProcess | undefined): void {
    this.#end = end;
    this.#child = child;
    if (end.connected !== true) {
      // Ended already: the sink hears of it as of any end.
      queueMicrotask(this.#onGone);
      return;
    }
    end.on('message', this.#onMessage);
    end.on('disconnect', this.#onGone);
    end.channel?.ref();
    this.#sink?.up();
  }

  #detach(reason: string): void {
    const end = this.#end;
    if (end === undefined) return;
    this.#end = undefined;
    end.off('message', this.#onMessage);
    end.off('disconnect', this.#onGone);
    // The channel goes back to what fork() made it: not keeping the process alive.
    end.channel?.unref();
    if (!this.#closed) this.#sink?.gone(reason);
  }

  send(bytes: Uint8Array): void {
    // A callback: a channel closing under us is the `disconnect` that follows, not an 'error' event.
    this.#end?.send?.({ [KEY]: bytes }, undefined, undefined, () => undefined);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#detach('closed');
  }
}

function childOf(pid: number, kernel: Kernel, what: string): [Channel, ChildProcess] {
  const child = Number.isInteger(pid) && pid > 0 ? kernel._forkedChild(pid) : undefined;
  if (child === undefined) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `${what}: expected the pid of a running child that kernel.fork() started, got ${describe(pid)}`);
  return [child, child];
}
