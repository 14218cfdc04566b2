import { FilterBase } from './filter.js';
import { expectArray } from './bytes.js';
import { codeOptions, modifyOptions } from './record-code.js';
import type { CodePair } from './record-code.js';

/** A Grep predicate. */
export type GrepPredicate<T> = (record: T) => unknown;

/** Options of the {@link Grep} filter: `code` for both ways, or `get` and `put`. POE: `Code`, `Get`, `Put`. */
export type GrepOptions<T> = { code: GrepPredicate<T>; get?: never; put?: never } | { code?: never; get: GrepPredicate<T>; put: GrepPredicate<T> };

/** Options of {@link Grep.modify}: any of `code`, `get`, `put`. */
export interface GrepModifyOptions<T> {
  code?: GrepPredicate<T>;
  get?: GrepPredicate<T>;
  put?: GrepPredicate<T>;
}

/**
 * Keeps the records a predicate accepts. Its "stream" is already a list of records, so it is
 * usually stacked after a framing filter (see Stackable). `getOne` returns the next accepted
 * record, skipping rejected ones; `put` keeps the records `put` accepts.
 *
 * POE: `POE::Filter::Grep`.
 */
export class Grep<T = unknown> extends FilterBase<T, T> {
  #code: CodePair<GrepPredicate<T>, GrepPredicate<T>>;
  #buffer: T[] = [];
  #head = 0;

  constructor(options: GrepOptions<T>) {
    super();
    this.#code = codeOptions('Grep', options);
  }

  getOneStart(records: readonly unknown[]): void {
    expectArray(records, 'Grep records');
    for (const r of records) this.#buffer.push(r as T);
  }

  getOne(): T[] {
    while (this.#head < this.#buffer.length) {
      const record = this.#buffer[this.#head] as T;
      this.#head++;
      if (this.#head === this.#buffer.length) {
        this.#buffer = [];
        this.#head = 0;
      }
      if (this.#code.get(record)) return [record];
    }
    return [];
  }

  put(records: readonly T[]): T[] {
    expectArray(records, 'Grep records');
    return records.filter((r) => this.#code.put(r));
  }

  /** The records not yet examined, or `undefined` when none. */
  getPending(): T[] | undefined {
    return this.#head < this.#buffer.length ? this.#buffer.slice(this.#head) : undefined;
  }

  /** Replaces the predicates: `code` (both), `get` or `put`. POE: `modify(Code => ...)`. */
  modify(options: GrepModifyOptions<T>): void {
    this.#code = modifyOptions('Grep', options, this.#code);
  }

  clone(): Grep<T> {
    return new Grep<T>({ get: this.#code.get, put: this.#code.put });
  }
}
