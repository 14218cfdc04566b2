/*
 * The contract every IKC transport keeps: carry byte batches between two kernels, in order,
 * and say when the other end comes and goes. Sequencing, acknowledgement, the bounded buffer
 * and resending on reconnect live above it, in the link (link.ts), once for every transport;
 * a transport only moves bytes, so in-process, worker-thread, fork-IPC, TCP and NATS
 * transports differ in nothing a kernel can see but speed.
 */

/** What a transport tells its link. */
export interface TransportSink {
  /** The other end can be reached (again): batches may be sent. */
  up(): void;
  /** The other end is gone; it may come back (`up` again) or not. Batches sent before may be lost. */
  down(reason: string): void;
  /**
   * The other end ended (a child process that exited or was killed): the link goes down, as
   * for `down`, and what that end was sent and had not confirmed is reported to its senders at
   * once (ERR_POE_IKC_LOST), as is each call it took and had not answered, rather than after
   * `bufferTimeout`. Frames never sent wait, as for any peer that is down, for a new end
   * (`up` again: a new instance) or their timeout.
   */
  gone(reason: string): void;
  /** One batch, as the other end's link sent it, in the order sent. */
  data(bytes: Uint8Array): void;
}

/**
 * A way to another kernel. `start` is called once; the transport then calls `sink.up()` as
 * soon as it can carry batches (it may do so inside `start`), `sink.down()` when it cannot,
 * and `sink.data()` for each batch received. `send` is only called between `up` and `down`;
 * batches keep their boundaries (a byte-stream transport frames them, see `frameBytes`).
 * `close` ends it for good: no more calls to the sink.
 */
export interface Transport {
  /** Names it in logs and `ps()`: `thread`, `in-process`, `tcp 127.0.0.1:4000`, ... */
  readonly description: string;
  start(sink: TransportSink): void;
  send(bytes: Uint8Array): void;
  close(): void;
}
