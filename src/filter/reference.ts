import { deserialize, serialize } from 'node:v8';
import { PoeArgumentError, PoeError, describe } from '../errors.js';
import { FilterBase, FilterLimitError } from './filter.js';
import { DEFAULT_MAX_BUFFER, DEFAULT_MAX_LENGTH, booleanOption, checkOptions, conflict, expectArray, positiveInt, toBuffer } from './bytes.js';
import { FrameReader, decodeDefault, encodeDefault } from './length-prefix.js';

/** A custom serializer for {@link Reference}. POE: a `Serializer` object with `freeze`/`thaw`. */
export interface ReferenceSerializer {
  freeze(value: unknown): Buffer | Uint8Array | string;
  thaw(data: Buffer): unknown;
}

/** Options of the {@link Reference} filter. POE: `POE::Filter::Reference->new(%params)`. */
export interface ReferenceOptions {
  /**
   * `'json'` (UTF-8 JSON), `'v8'` (`node:v8` serialize: Maps, Sets, Dates, cycles, ...), or an
   * object with `freeze` and `thaw`. Talking to a Perl peer needs a serializer it understands.
   * @default 'json'
   */
  serializer?: 'json' | 'v8' | ReferenceSerializer;
  /**
   * Return errors (a thaw failure, a frame over `maxLength`, a buffer over `maxBuffer`) as
   * records holding the error message instead of throwing. POE: `NoFatals`.
   * @default false
   */
  noFatals?: boolean;
  /**
   * Largest frame body; a bigger header throws before the body is buffered.
   * @default 67108864 (64 MiB)
   */
  maxLength?: number;
  /**
   * Most bytes buffered at once. POE: `MaxBuffer`.
   * @default 536870912 (512 MiB)
   */
  maxBuffer?: number;
}

const KNOWN = ['serializer', 'noFatals', 'maxLength', 'maxBuffer'] as const;

const JSON_SERIALIZER: ReferenceSerializer = {
  freeze: (value) => {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`JSON cannot serialize ${describe(value)}`);
    return Buffer.from(text, 'utf8');
  },
  thaw: (data) => JSON.parse(data.toString('utf8')) as unknown,
};

const V8_SERIALIZER: ReferenceSerializer = {
  freeze: (value) => serialize(value),
  thaw: (data) => deserialize(data) as unknown,
};

/**
 * Sends data structures: each record is serialized and framed as `"<length>\0<bytes>"`, the
 * same framing as Block's default. `put` takes objects (POE croaks on non-references, and so
 * does this); `get` returns the thawed values.
 *
 * POE: `POE::Filter::Reference`. Differences: the serializers are JSON (default), `node:v8` or
 * your own (POE's default is Storable, so Perl peers need a matching serializer); there is no
 * `Compression`; there is a `maxLength`, checked before a frame's body is buffered; with
 * `noFatals` a `maxBuffer` overflow drops the buffered data (POE keeps appending).
 */
export class Reference<T = unknown> extends FilterBase<T | string, T> {
  /** Largest frame body. */
  readonly maxLength: number;
  /** Most bytes buffered at once. */
  readonly maxBuffer: number;
  /** Whether errors come back as string records. */
  readonly noFatals: boolean;

  readonly #options: ReferenceOptions;
  readonly #serializer: ReferenceSerializer;
  readonly #frames: FrameReader;
  /** Records ready to return; with noFatals, error messages take their place in the stream. */
  #ready: (T | string)[] = [];

  constructor(options?: ReferenceOptions) {
    super();
    const o = checkOptions<ReferenceOptions>('Reference', options, KNOWN);
    this.#options = { ...o };
    this.maxLength = positiveInt('maxLength', o.maxLength, DEFAULT_MAX_LENGTH);
    this.maxBuffer = positiveInt('maxBuffer', o.maxBuffer, DEFAULT_MAX_BUFFER);
    const maxDigits = String(this.maxLength).length;
    if (this.maxBuffer < this.maxLength + maxDigits + 1) {
      conflict('Reference', `\`maxBuffer\` (${this.maxBuffer}) must hold a \`maxLength\` (${this.maxLength}) frame and its header`);
    }
    this.noFatals = booleanOption('noFatals', o.noFatals, false);
    const s: unknown = o.serializer ?? 'json';
    if (s === 'json') this.#serializer = JSON_SERIALIZER;
    else if (s === 'v8') this.#serializer = V8_SERIALIZER;
    else if (s !== null && typeof s === 'object' && typeof (s as ReferenceSerializer).freeze === 'function' && typeof (s as ReferenceSerializer).thaw === 'function') {
      this.#serializer = s as ReferenceSerializer;
    } else {
      throw new PoeArgumentError(
        'ERR_POE_INVALID_ARGUMENT',
        `Expected \`serializer\` to be 'json', 'v8' or an object with freeze and thaw functions, got ${describe(s)}`,
      );
    }
    this.#frames = new FrameReader({
      filter: 'Reference',
      maxLength: this.maxLength,
      maxBuffer: this.maxBuffer,
      decode: (buffer) => decodeDefault(buffer, maxDigits),
      onJunk: (bytes) => {
        // POE stalls forever on a malformed header; report it instead, then resynchronise.
        const err = new PoeError('ERR_POE_FILTER_BAD_DATA', `Reference: ${bytes} bytes of malformed frame header removed from stream`);
        if (!this.noFatals) throw err;
        this.#ready.push(err.message);
      },
    });
  }

  getOneStart(chunks: readonly unknown[]): void {
    expectArray(chunks, 'Reference chunks');
    try {
      this.#frames.append(chunks, 'a Reference chunk');
    } catch (err) {
      if (!this.noFatals || !(err instanceof FilterLimitError)) throw err;
      // The stream is broken: drop what is buffered so memory stays bounded.
      this.#frames.reset();
      this.#ready.push(err.message);
    }
  }

  getOne(): (T | string)[] {
    if (this.#ready.length === 0) {
      let body: Buffer | undefined;
      try {
        body = this.#frames.next();
      } catch (err) {
        if (!this.noFatals || !(err instanceof PoeError)) throw err;
        this.#ready.push(err.message);
      }
      if (body !== undefined) this.#ready.push(this.#thaw(body));
    }
    return this.#ready.length > 0 ? [this.#ready.shift() as T | string] : [];
  }

  #thaw(body: Buffer): T | string {
    try {
      return this.#serializer.thaw(body) as T;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const wrapped = new PoeError('ERR_POE_FILTER_BAD_DATA', `Reference: cannot thaw a frame: ${reason}`, { cause: err });
      if (!this.noFatals) throw wrapped;
      return wrapped.message;
    }
  }

  put(records: readonly T[]): Buffer[] {
    expectArray(records, 'Reference records');
    return records.map((r) => {
      if (r === null || typeof r !== 'object') {
        throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected a Reference record to be an object (POE: a reference), got ${describe(r)}`);
      }
      return encodeDefault(toBuffer(this.#serializer.freeze(r), 'the serializer freeze result'));
    });
  }

  /** `[bytes]` of the unparsed data, or `undefined` when empty. */
  getPending(): Buffer[] | undefined {
    const pending = this.#frames.pending();
    return pending === undefined ? undefined : [pending];
  }

  clone(): Reference<T> {
    return new Reference<T>(this.#options);
  }
}
