import { brand } from '../brand.js';
import { PoeError } from '../errors.js';

/**
 * The filter contract (POE::Filter), the implementer's reference. A filter turns raw chunks
 * into records (`get`) and records into chunks (`put`). It knows nothing of sockets, wheels or
 * the kernel; wheels feed it bytes and dispatch what comes out.
 *
 * - `getOneStart(chunks)` appends chunks to the internal buffer (chunks are joined).
 * - `getOne()` returns `[]` or `[record]` (a few filters may return more, as POE's Map does):
 *   the lazy form that lets a wheel switch filters between two records.
 * - `get(chunks)` is greedy: `getOneStart` then `getOne` until it returns nothing.
 * - `put(records)` returns serialized chunks (not necessarily one per record).
 * - `getPending()` returns the unparsed buffered data as an array, or `undefined` when empty
 *   (POE returns undef; Stackable returns `[]`, G34). It does not clear the buffer.
 * - `clone()` returns a filter with the same configuration and empty buffers.
 *
 * Framing filters scan only bytes they have not scanned before (linear time whatever the
 * chunking) and enforce their size limits through one error path: `FilterLimitError`.
 */
export interface Filter<In = unknown, Out = unknown> {
  get(chunks: readonly unknown[]): In[];
  getOneStart(chunks: readonly unknown[]): void;
  getOne(): In[];
  put(records: readonly Out[]): unknown[];
  getPending(): unknown[] | undefined;
  clone(): Filter<In, Out>;
}

/**
 * A base class implementing `get` from `getOneStart`/`getOne`, plus POE's snake_case names
 * (`get_one_start`, `get_one`, `get_pending`) as the same functions.
 */
export abstract class FilterBase<In = unknown, Out = unknown> implements Filter<In, Out> {
  abstract getOneStart(chunks: readonly unknown[]): void;
  abstract getOne(): In[];
  abstract put(records: readonly Out[]): unknown[];
  abstract getPending(): unknown[] | undefined;
  abstract clone(): FilterBase<In, Out>;

  get(chunks: readonly unknown[]): In[] {
    this.getOneStart(chunks);
    const out: In[] = [];
    for (;;) {
      const got = this.getOne();
      if (got.length === 0) return out;
      for (const record of got) out.push(record);
    }
  }

  get_one_start(chunks: readonly unknown[]): void {
    this.getOneStart(chunks);
  }
  get_one(): In[] {
    return this.getOne();
  }
  get_pending(): unknown[] | undefined {
    return this.getPending();
  }
}

/** True when `value` has the filter methods a wheel needs. */
export function isFilter(value: unknown): value is Filter {
  if (value === null || typeof value !== 'object') return false;
  const f = value as Record<string, unknown>;
  return typeof f.get === 'function' && typeof f.put === 'function' && typeof f.clone === 'function';
}

/**
 * The one error path of every framing filter: a record or buffer over its limit
 * (POE's MaxLength / MaxBuffer die). Inside a wheel it becomes the wheel's ErrorEvent.
 */
export class FilterLimitError extends PoeError {
  static {
    brand(this, 'poe-ts.error.FilterLimitError');
  }

  readonly limit: 'maxLength' | 'maxBuffer' | 'maxContent' | 'headerSize' | 'headerCount';
  readonly size: number;
  readonly max: number;
  constructor(filter: string, limit: FilterLimitError['limit'], size: number, max: number) {
    super('ERR_POE_FILTER_LIMIT', `${filter}: ${limit} exceeded (${size} > ${max})`);
    this.name = 'FilterLimitError';
    this.limit = limit;
    this.size = size;
    this.max = max;
  }
}
