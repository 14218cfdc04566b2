import type { Transport, TransportSink } from './transport.js';

/**
 * One end of a pair of in-process transports, for two kernels in one process (tests,
 * embedding). Batches cross in a microtask, as bytes (the same encoding every transport
 * carries), so nothing is shared between the kernels. `disconnect()` and `reconnect()` cut and
 * restore the pair, as a network would.
 */
export class InProcessTransport implements Transport {
  readonly description = 'in-process';
  #sink: TransportSink | undefined = undefined;
  #peer: InProcessTransport | undefined = undefined;
  #connected = true;
  #closed = false;
  /** Counts cuts: a batch in flight across a cut is lost, as on a network. */
  #cuts = { n: 0 };

  /** Two ends joined to each other. */
  static pair(): [InProcessTransport, InProcessTransport] {
    const a = new InProcessTransport();
    const b = new InProcessTransport();
    a.#peer = b;
    b.#peer = a;
    b.#cuts = a.#cuts;
    return [a, b];
  }

  start(sink: TransportSink): void {
    this.#sink = sink;
    if (this.#live()) {
      // Both ends started: each sees the other come up.
      this.#sink.up();
      this.#peer!.#sink!.up();
    }
  }

  #live(): boolean {
    const p = this.#peer;
    return this.#connected && !this.#closed && p !== undefined && !p.#closed && p.#sink !== undefined && this.#sink !== undefined;
  }

  send(bytes: Uint8Array): void {
    if (!this.#live()) return;
    const peer = this.#peer!;
    // A copy, as a wire would make one: the sender may reuse its buffer.
    const copy = Uint8Array.prototype.slice.call(bytes);
    const cut = this.#cuts.n;
    queueMicrotask(() => {
      if (cut === this.#cuts.n && !peer.#closed) peer.#sink!.data(copy);
    });
  }

  /** Cuts the pair: both ends go down; what is in flight is lost. */
  disconnect(reason = 'disconnected'): void {
    if (!this.#live()) return;
    this.#connected = false;
    this.#peer!.#connected = false;
    this.#cuts.n++;
    this.#sink!.down(reason);
    this.#peer!.#sink!.down(reason);
  }

  /** Restores a cut pair: both ends come up again. */
  reconnect(): void {
    if (this.#connected || this.#closed) return;
    this.#connected = true;
    this.#peer!.#connected = true;
    if (this.#live()) {
      this.#sink!.up();
      this.#peer!.#sink!.up();
    }
  }

  close(): void {
    if (this.#closed) return;
    const wasLive = this.#live();
    this.#closed = true;
    // After what was sent before the close, as a socket's end comes after its data.
    const peer = this.#peer!;
    if (wasLive) queueMicrotask(() => peer.#sink!.down('closed by the other end'));
  }
}
