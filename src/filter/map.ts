import { FilterBase } from './filter.js';
import { expectArray } from './bytes.js';
import { codeOptions, modifyOptions } from './record-code.js';
import type { CodePair } from './record-code.js';

/**
 * Zero or several results from one Map call, made by {@link Map.list}: Perl's map code runs in
 * list context and may return any number of values.
 */
export class MapList<T> {
  readonly items: readonly T[];
  constructor(items: readonly T[]) {
    this.items = items;
  }
}

/** A Map function: one result, or a {@link MapList} of any number. */
export type MapCode<A, B> = (record: A) => B | MapList<B>;

/** Options of the {@link Map} filter: `code` for both ways, or `get` and `put`. POE: `Code`, `Get`, `Put`. */
export type MapOptions<In, Out> =
  | { code: MapCode<In | Out, In | Out>; get?: never; put?: never }
  | { code?: never; get: MapCode<In, Out>; put: MapCode<Out, In> };

/** Options of {@link Map.modify}: any of `code`, `get`, `put`. */
export interface MapModifyOptions<In, Out> {
  code?: MapCode<In | Out, In | Out>;
  get?: MapCode<In, Out>;
  put?: MapCode<Out, In>;
}

/**
 * Transforms records. `getOne` maps exactly one buffered record and returns what the code
 * returned; `put` maps every record. Its "stream" is already a list of records, so it is
 * usually stacked after a framing filter (see Stackable).
 *
 * POE: `POE::Filter::Map`, quirk included (G34): when `get` returns an empty `Map.list()`,
 * `getOne` returns `[]`, which ends the caller's `get` loop early although records remain
 * buffered; the next `get` carries on with them.
 */
export class Map<In = unknown, Out = unknown> extends FilterBase<Out, Out> {
  #code: CodePair<MapCode<In, Out>, MapCode<Out, In>>;
  #buffer: In[] = [];
  #head = 0;

  constructor(options: MapOptions<In, Out>) {
    super();
    this.#code = codeOptions('Map', options);
  }

  /** Wraps zero or several results of a Map function (Perl's list return). */
  static list<T>(...items: T[]): MapList<T> {
    return new MapList(items);
  }

  getOneStart(records: readonly unknown[]): void {
    expectArray(records, 'Map records');
    for (const r of records) this.#buffer.push(r as In);
  }

  getOne(): Out[] {
    if (this.#head >= this.#buffer.length) return [];
    const record = this.#buffer[this.#head] as In;
    this.#head++;
    if (this.#head === this.#buffer.length) {
      this.#buffer = [];
      this.#head = 0;
    }
    return flat(this.#code.get(record));
  }

  put(records: readonly Out[]): In[] {
    expectArray(records, 'Map records');
    const out: In[] = [];
    for (const r of records) for (const x of flat(this.#code.put(r))) out.push(x);
    return out;
  }

  /** The records not yet mapped, or `undefined` when none. */
  getPending(): In[] | undefined {
    return this.#head < this.#buffer.length ? this.#buffer.slice(this.#head) : undefined;
  }

  /** Replaces the functions: `code` (both), `get` or `put`. POE: `modify(Code => ...)`. */
  modify(options: MapModifyOptions<In, Out>): void {
    this.#code = modifyOptions('Map', options, this.#code);
  }

  clone(): Map<In, Out> {
    return new Map<In, Out>({ get: this.#code.get, put: this.#code.put });
  }
}

function flat<T>(result: T | MapList<T>): T[] {
  return result instanceof MapList ? [...(result.items as T[])] : [result];
}
