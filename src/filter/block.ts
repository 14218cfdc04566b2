import { PoeArgumentError, describe } from '../errors.js';
import { FilterBase } from './filter.js';
import { ByteQueue, DEFAULT_MAX_BUFFER, DEFAULT_MAX_LENGTH, appendBounded, checkOptions, conflict, expectArray, positiveInt, toBuffer } from './bytes.js';
import { FrameReader, decodeDefault, encodeDefault } from './length-prefix.js';
import type { LengthCodec } from './length-prefix.js';

export type { LengthCodec, LengthHeader } from './length-prefix.js';

/** Options of the {@link Block} filter. POE: `POE::Filter::Block->new(%params)`. */
export interface BlockOptions {
  /**
   * Fixed record size in bytes. Without it, records are length-prefixed. Conflicts with
   * `lengthCodec` and `maxLength`. POE: `BlockSize`.
   */
  blockSize?: number;
  /**
   * Custom length framing (length-prefixed mode only).
   * @default POE's `"<decimal length>\0<data>"`
   */
  lengthCodec?: LengthCodec;
  /**
   * Largest record in length-prefixed mode; a bigger header throws `FilterLimitError` before
   * the body is buffered. POE: `MaxLength`.
   * @default 67108864 (64 MiB)
   */
  maxLength?: number;
  /**
   * Most bytes buffered at once. POE: `MaxBuffer`.
   * @default 536870912 (512 MiB)
   */
  maxBuffer?: number;
}

const KNOWN = ['blockSize', 'lengthCodec', 'maxLength', 'maxBuffer'] as const;

/**
 * Block framing: fixed-size records (`blockSize`), or length-prefixed records framed as
 * `"<decimal length>\0<data>"` (or a custom `lengthCodec`). Records are Buffers; `put` takes
 * Buffers or strings (UTF-8).
 *
 * In fixed mode `put` concatenates every record into ONE chunk, with no padding or splitting
 * (as POE). In length-prefixed mode `put` returns one framed chunk per record; an empty record
 * is `0\0`.
 *
 * POE: `POE::Filter::Block`. Differences: junk before a header is dropped (with a process
 * warning, as POE warns) and parsing carries on in the same `get`, where POE returns nothing
 * until the next call; digits followed by a byte other than NUL are junk too (POE stalls on
 * them forever); a header over `maxLength` throws before its body is buffered, and that body is
 * then skipped so the stream stays in sync.
 */
export class Block extends FilterBase<Buffer, string | Buffer> {
  /** Fixed record size, or undefined in length-prefixed mode. */
  readonly blockSize: number | undefined;
  /** Largest record in length-prefixed mode (undefined in fixed mode). */
  readonly maxLength: number | undefined;
  /** Most bytes buffered at once. */
  readonly maxBuffer: number;

  readonly #options: BlockOptions;
  readonly #codec: LengthCodec | undefined;
  readonly #fixed: ByteQueue | undefined;
  readonly #frames: FrameReader | undefined;

  constructor(options?: BlockOptions) {
    super();
    const o = checkOptions<BlockOptions>('Block', options, KNOWN);
    this.#options = { ...o };
    this.maxBuffer = positiveInt('maxBuffer', o.maxBuffer, DEFAULT_MAX_BUFFER);
    if (o.blockSize !== undefined) {
      this.blockSize = positiveInt('blockSize', o.blockSize, 1);
      if (o.lengthCodec !== undefined) conflict('Block', '`blockSize` and `lengthCodec` cannot be used together');
      if (o.maxLength !== undefined) conflict('Block', '`blockSize` and `maxLength` cannot be used together');
      this.#fixed = new ByteQueue();
      return;
    }
    const maxLength = positiveInt('maxLength', o.maxLength, DEFAULT_MAX_LENGTH);
    this.maxLength = maxLength;
    const maxDigits = String(maxLength).length;
    if (this.maxBuffer < maxLength + maxDigits + 1) {
      conflict('Block', `\`maxBuffer\` (${this.maxBuffer}) must hold a \`maxLength\` (${maxLength}) record and its header`);
    }
    let decode = (buffer: Buffer) => decodeDefault(buffer, maxDigits);
    if (o.lengthCodec !== undefined) {
      const codec = o.lengthCodec as unknown;
      if (codec === null || typeof codec !== 'object' || typeof (codec as LengthCodec).encode !== 'function' || typeof (codec as LengthCodec).decode !== 'function') {
        throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`lengthCodec\` to be an object with encode and decode functions, got ${describe(codec)}`);
      }
      this.#codec = o.lengthCodec;
      decode = (buffer) => o.lengthCodec!.decode(buffer);
    }
    this.#frames = new FrameReader({
      filter: 'Block',
      maxLength,
      maxBuffer: this.maxBuffer,
      decode,
      onJunk: (bytes) => process.emitWarning(`Block: ${bytes} strange bytes removed from stream`, { code: 'POE_FILTER_JUNK' }),
    });
  }

  getOneStart(chunks: readonly unknown[]): void {
    expectArray(chunks, 'Block chunks');
    if (this.#frames) {
      this.#frames.append(chunks, 'a Block chunk');
      return;
    }
    const q = this.#fixed as ByteQueue;
    appendBounded(q, chunks, 'a Block chunk', 'Block', this.maxBuffer);
  }

  getOne(): Buffer[] {
    if (this.#frames) {
      const body = this.#frames.next();
      return body === undefined ? [] : [body];
    }
    const q = this.#fixed as ByteQueue;
    const size = this.blockSize as number;
    if (q.length < size) return [];
    const block = q.copy(0, size);
    q.consume(size);
    return [block];
  }

  put(records: readonly (string | Buffer)[]): Buffer[] {
    expectArray(records, 'Block records');
    const bufs = records.map((r) => toBuffer(r, 'a Block record'));
    if (this.#fixed) return [Buffer.concat(bufs)];
    const codec = this.#codec;
    if (codec === undefined) return bufs.map(encodeDefault);
    return bufs.map((b) => toBuffer(codec.encode(b), 'the lengthCodec encoder result'));
  }

  /** `[bytes]` of the unparsed data (a partial record with its header), or `undefined`. */
  getPending(): Buffer[] | undefined {
    const pending = this.#frames ? this.#frames.pending() : this.#fixed!.length > 0 ? this.#fixed!.copy(0, this.#fixed!.length) : undefined;
    return pending === undefined ? undefined : [pending];
  }

  clone(): Block {
    return new Block(this.#options);
  }
}
