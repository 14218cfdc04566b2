import { PoeArgumentError } from '../errors.js';
import { FilterBase } from './filter.js';
import { booleanOption, checkOptions, expectArray, positiveInt } from './bytes.js';

/** Options of the {@link RecordBlock} filter. POE: `POE::Filter::RecordBlock->new(%params)`. */
export interface RecordBlockOptions {
  /** Records per group; required. POE: `BlockSize`. */
  blockSize: number;
  /**
   * Make `put` emit only complete groups and hold the remainder (see `putPending`).
   * POE: `CheckPut`.
   * @default false
   */
  checkPut?: boolean;
}

const KNOWN = ['blockSize', 'checkPut'] as const;

/**
 * Groups records: `get` turns a flat list of records into arrays of `blockSize` records (a
 * short remainder stays pending); `put` flattens arrays of records back into a list.
 *
 * POE: `POE::Filter::RecordBlock`; `blocksize()` and `checkput()` are `blockSize()` and
 * `checkPut()` (the POE spellings exist too).
 */
export class RecordBlock<T = unknown> extends FilterBase<T[], readonly T[]> {
  #blockSize: number;
  #checkPut: boolean;
  #get: T[] = [];
  #getHead = 0;
  #put: T[] = [];

  constructor(options: RecordBlockOptions) {
    super();
    const o = checkOptions<RecordBlockOptions>('RecordBlock', options, KNOWN);
    if (o.blockSize === undefined) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', 'Expected `blockSize` to be a positive integer, got `undefined` (undefined)');
    }
    this.#blockSize = positiveInt('blockSize', o.blockSize, 1);
    this.#checkPut = booleanOption('checkPut', o.checkPut, false);
  }

  getOneStart(records: readonly unknown[]): void {
    expectArray(records, 'RecordBlock records');
    for (const r of records) this.#get.push(r as T);
  }

  getOne(): T[][] {
    const available = this.#get.length - this.#getHead;
    if (available < this.#blockSize) return [];
    const group = this.#get.slice(this.#getHead, this.#getHead + this.#blockSize);
    this.#getHead += this.#blockSize;
    // Reclaim consumed slots once they dominate, keeping each record's cost O(1).
    if (this.#getHead >= 1024 && this.#getHead * 2 >= this.#get.length) {
      this.#get = this.#get.slice(this.#getHead);
      this.#getHead = 0;
    }
    return [group];
  }

  put(groups: readonly (readonly T[])[]): T[] {
    expectArray(groups, 'RecordBlock groups');
    for (const g of groups) expectArray(g, 'a RecordBlock group');
    if (!this.#checkPut) {
      const out = this.#put.splice(0);
      for (const g of groups) for (const r of g) out.push(r);
      return out;
    }
    for (const g of groups) for (const r of g) this.#put.push(r);
    const whole = this.#put.length - (this.#put.length % this.#blockSize);
    return this.#put.splice(0, whole);
  }

  /** The records waiting to make a group, or `undefined` when none. */
  getPending(): T[] | undefined {
    return this.#get.length > this.#getHead ? this.#get.slice(this.#getHead) : undefined;
  }

  /** With `checkPut`, the records `put` holds back for an incomplete group; else `undefined`. POE: `put_pending`. */
  putPending(): T[] | undefined {
    if (!this.#checkPut || this.#put.length === 0) return undefined;
    return this.#put.slice();
  }

  /** Gets, or sets when given a positive integer, the group size. POE: `blocksize`. */
  blockSize(size?: number): number {
    if (size !== undefined) this.#blockSize = positiveInt('blockSize', size, 1);
    return this.#blockSize;
  }

  /** Gets, or sets when given, the `checkPut` flag. POE: `checkput`. */
  checkPut(value?: boolean): boolean {
    if (value !== undefined) this.#checkPut = booleanOption('checkPut', value, false);
    return this.#checkPut;
  }

  clone(): RecordBlock<T> {
    return new RecordBlock<T>({ blockSize: this.#blockSize, checkPut: this.#checkPut });
  }

  put_pending(): T[] | undefined {
    return this.putPending();
  }
  blocksize(size?: number): number {
    return this.blockSize(size);
  }
  checkput(value?: boolean): boolean {
    return this.checkPut(value);
  }
}
