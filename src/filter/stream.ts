import { FilterBase } from './filter.js';
import { checkOptions, expectArray, toBuffer } from './bytes.js';

/**
 * No framing: `getOne` returns everything buffered as one Buffer record, and `put` returns its
 * records as Buffers, unchanged. Records therefore depend on the chunking; their concatenation
 * does not.
 *
 * POE: `POE::Filter::Stream`.
 */
export class Stream extends FilterBase<Buffer, string | Buffer> {
  #chunks: Buffer[] = [];
  #length = 0;

  /** POE's Stream takes no parameters; an options object, if given, must be empty. */
  constructor(options?: Record<string, never>) {
    super();
    checkOptions('Stream', options, []);
  }

  getOneStart(chunks: readonly unknown[]): void {
    expectArray(chunks, 'Stream chunks');
    for (const c of chunks) {
      const b = toBuffer(c, 'a Stream chunk');
      if (b.length === 0) continue;
      this.#chunks.push(b);
      this.#length += b.length;
    }
  }

  getOne(): Buffer[] {
    if (this.#length === 0) return [];
    const all = this.#take();
    return [all];
  }

  put(records: readonly (string | Buffer)[]): Buffer[] {
    expectArray(records, 'Stream records');
    return records.map((r) => Buffer.from(toBuffer(r, 'a Stream record')));
  }

  /** `[bytes]` of the buffered data, or `undefined` when empty. */
  getPending(): Buffer[] | undefined {
    if (this.#length === 0) return undefined;
    const all = Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [all];
    return [Buffer.from(all)];
  }

  clone(): Stream {
    return new Stream();
  }

  #take(): Buffer {
    // A single chunk is copied too, so a record never aliases a caller's buffer.
    const all = this.#chunks.length === 1 ? Buffer.from(this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [];
    this.#length = 0;
    return all;
  }
}
