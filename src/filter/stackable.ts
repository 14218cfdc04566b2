import { PoeArgumentError, describe } from '../errors.js';
import { FilterBase, isFilter } from './filter.js';
import type { Filter } from './filter.js';
import { checkOptions, expectArray } from './bytes.js';

/** Options of the {@link Stackable} filter. POE: `POE::Filter::Stackable->new(Filters => [...])`. */
export interface StackableOptions {
  /**
   * The stack: input flows from the first filter to the last, output the other way.
   * @default []
   */
  filters?: readonly Filter[];
}

const KNOWN = ['filters'] as const;

/**
 * A stack of filters used as one: `get` feeds raw chunks to the first filter and each filter's
 * records to the next; `put` runs the filters in reverse and stops early when one returns
 * nothing. An empty stack passes records through unchanged.
 *
 * POE: `POE::Filter::Stackable`; `getPending` returns `[]`, not undefined, when empty (G34).
 * Differences, each fixing a loss of data in POE:
 * - `getPending` returns all unparsed data, as raw chunks: the first filter's pending bytes, and
 *   before them the later filters' pending records serialized back through the filters before
 *   them (POE returns the last filter's pending records only).
 * - `shift` hands the removed first filter's pending bytes to the new first filter as input
 *   (`getOneStart`), and `pop` makes the removed last filter's pending records the next records
 *   `get` returns; POE passes both to `put` and drops the result.
 */
export class Stackable<In = unknown, Out = unknown> extends FilterBase<In, Out> {
  #filters: Filter[];
  /** Records already out of the last filter (from `pop`), returned before anything else. */
  #out: unknown[] = [];

  constructor(options?: StackableOptions) {
    super();
    const o = checkOptions<StackableOptions>('Stackable', options, KNOWN);
    const filters: unknown = o.filters ?? [];
    if (!Array.isArray(filters)) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`filters\` to be an array of filters, got ${describe(filters)}`);
    }
    checkFilters(filters as unknown[]);
    this.#filters = [...(filters as Filter[])];
  }

  getOneStart(chunks: readonly unknown[]): void {
    expectArray(chunks, 'Stackable chunks');
    const first = this.#filters[0];
    if (first === undefined) for (const c of chunks) this.#out.push(c);
    else first.getOneStart(chunks);
  }

  getOne(): In[] {
    if (this.#out.length > 0) return [this.#out.shift() as In];
    // POE's loop: pass whatever comes out of each filter to the next, and go round again
    // until a record leaves the last filter or a pass moves nothing between filters.
    let records: unknown[] = [];
    while (records.length === 0) {
      let exchanged = 0;
      for (const filter of this.#filters) {
        if (records.length > 0) {
          filter.getOneStart(records);
          exchanged++;
        }
        records = filter.getOne();
      }
      if (exchanged === 0) break;
    }
    return records as In[];
  }

  put(records: readonly Out[]): unknown[] {
    expectArray(records, 'Stackable records');
    let data: unknown[] = [...records];
    for (let i = this.#filters.length - 1; i >= 0; i--) {
      data = (this.#filters[i] as Filter).put(data);
      if (data.length === 0) break;
    }
    return data;
  }

  /** All unparsed data as raw chunks, or `[]` when there is none (G34). */
  getPending(): unknown[] {
    const out: unknown[] = [];
    const n = this.#filters.length;
    const serialize = (records: readonly unknown[], below: number): void => {
      let data: unknown[] = [...records];
      for (let i = below - 1; i >= 0 && data.length > 0; i--) data = (this.#filters[i] as Filter).put(data);
      for (const d of data) out.push(d);
    };
    if (this.#out.length > 0) serialize(this.#out, n);
    for (let k = n - 1; k >= 0; k--) {
      const pending = (this.#filters[k] as Filter).getPending();
      if (pending !== undefined && pending.length > 0) serialize(pending, k);
    }
    return out;
  }

  /** The class names of the stacked filters, first to last. POE: `filter_types` (POE gives package names). */
  filterTypes(): string[] {
    return this.#filters.map((f) => (f as object).constructor.name);
  }

  /** The stacked filters, first to last (a copy of the list). */
  filters(): Filter[] {
    return [...this.#filters];
  }

  /** Adds filters at the output end. Throws on a non-filter. */
  push(...filters: Filter[]): number {
    checkFilters(filters);
    return this.#filters.push(...filters);
  }

  /** Adds filters at the input end. Throws on a non-filter. */
  unshift(...filters: Filter[]): number {
    checkFilters(filters);
    return this.#filters.unshift(...filters);
  }

  /** Removes the last filter; its pending records become the next records `get` returns. */
  pop(): Filter | undefined {
    const filter = this.#filters.pop();
    if (filter === undefined) return undefined;
    const pending = filter.getPending();
    if (pending !== undefined) for (const p of pending) this.#out.push(p);
    return filter;
  }

  /** Removes the first filter; its pending raw data becomes input of the new first filter. */
  shift(): Filter | undefined {
    const filter = this.#filters.shift();
    if (filter === undefined) return undefined;
    const pending = filter.getPending();
    if (pending !== undefined && pending.length > 0) this.getOneStart(pending);
    return filter;
  }

  /** A stack of clones of every filter, with empty buffers. */
  clone(): Stackable<In, Out> {
    return new Stackable<In, Out>({ filters: this.#filters.map((f) => f.clone()) });
  }

  filter_types(): string[] {
    return this.filterTypes();
  }
}

function checkFilters(filters: readonly unknown[]): void {
  filters.forEach((f, i) => {
    if (!isFilter(f) || typeof f.getOneStart !== 'function' || typeof f.getOne !== 'function' || typeof f.getPending !== 'function') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected filter ${i} to be a filter (get, getOneStart, getOne, put, getPending, clone), got ${describe(f)}`);
    }
  });
}
