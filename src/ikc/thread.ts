import type { MessagePort, Worker } from 'node:worker_threads';
import type { Transport, TransportSink } from './transport.js';

/** A worker_threads endpoint: a MessagePort (a channel's end, `parentPort`) or a Worker. */
export type ThreadEndpoint = MessagePort | Worker;

/**
 * A transport over a worker_threads endpoint: `new ThreadTransport(worker)` in the thread that
 * made the worker, `new ThreadTransport(parentPort)` inside it (or the two ends of a
 * MessageChannel). Each batch crosses as one message whose buffer is transferred, not copied.
 * The endpoint's `close` (a port) or `exit` (a worker) takes the link down; `attach()` a new
 * endpoint (a restarted worker) brings it back up.
 */
export class ThreadTransport implements Transport {
  readonly description = 'thread';
  #sink: TransportSink | undefined = undefined;
  #endpoint: ThreadEndpoint | undefined;
  #closed = false;
  #onMessage = (data: unknown): void => {
    if (data instanceof Uint8Array) this.#sink?.data(data);
  };
  #onGone = (): void => this.#detach('the thread endpoint closed');

  constructor(endpoint?: ThreadEndpoint) {
    this.#endpoint = endpoint;
  }

  start(sink: TransportSink): void {
    this.#sink = sink;
    const e = this.#endpoint;
    if (e !== undefined) {
      this.#endpoint = undefined;
      this.attach(e);
    }
  }

  /** Uses `endpoint` from now on (after the last one closed): the link comes up again. */
  attach(endpoint: ThreadEndpoint): void {
    if (this.#closed) return;
    if (this.#endpoint !== undefined) this.#detach('replaced by a new endpoint');
    this.#endpoint = endpoint;
    endpoint.on('message', this.#onMessage);
    endpoint.on('close', this.#onGone);
    endpoint.on('exit', this.#onGone);
    this.#sink?.up();
  }

  #detach(reason: string): void {
    const e = this.#endpoint;
    if (e === undefined) return;
    this.#endpoint = undefined;
    e.off('message', this.#onMessage);
    e.off('close', this.#onGone);
    e.off('exit', this.#onGone);
    if (!this.#closed) this.#sink?.down(reason);
  }

  send(bytes: Uint8Array): void {
    const e = this.#endpoint;
    if (e === undefined) return;
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    if (whole) e.postMessage(bytes, [bytes.buffer]);
    else e.postMessage(bytes);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const e = this.#endpoint;
    this.#detach('closed');
    // A port is closed so the other end hears of it; a Worker is the caller's to terminate.
    if (e !== undefined && typeof (e as MessagePort).close === 'function' && typeof (e as Worker).terminate !== 'function') (e as MessagePort).close();
  }
}
