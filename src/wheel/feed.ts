import { constants as osConstants } from 'node:os';
import type { Filter } from '../filter/filter.js';

/**
 * Feeding a wheel's input filter and dispatching its records: the read closure POE's
 * ReadWrite and Run share (internal; not exported from the package).
 */

/** The errno an input record over a filter's limit is reported with: "Message too long". */
export const EMSGSIZE = osConstants.errno.EMSGSIZE ?? 90;

function hasGetOne(filter: Filter): boolean {
  return typeof filter.getOneStart === 'function' && typeof filter.getOne === 'function';
}

/**
 * Gives `chunks` to the filter `current()` returns and passes each complete record to `emit`,
 * one `getOne()` at a time (or all of `get()` for a filter without `getOne`). A throw from
 * the filter goes to `failed` and ends the feed.
 *
 * `current()` is asked again for every record, so a handler that switches the filter from
 * inside `emit` has the rest of the data parsed by the new one (the switch transfers the old
 * filter's pending bytes). With `pinned` the feed instead stops as soon as the filter is no
 * longer current: that is how a switch hands pending bytes over, leaving any later switch to
 * finish the job. Either way the loop does not stop when a handler destroys the wheel: POE's
 * read closure keeps going over what it read (G35).
 */
export function feedFilter<R>(
  chunks: readonly unknown[],
  current: () => Filter<R, unknown>,
  emit: (record: R) => void,
  failed: (err: unknown) => void,
  pinned = false,
): void {
  const filter = current();
  if (!hasGetOne(filter)) {
    let records: R[];
    try {
      records = filter.get(chunks);
    } catch (err) {
      failed(err);
      return;
    }
    for (const record of records) emit(record);
    return;
  }
  try {
    filter.getOneStart(chunks);
  } catch (err) {
    failed(err);
    return;
  }
  for (;;) {
    const now = current();
    if (pinned && now !== filter) return;
    let records: R[];
    try {
      records = now.getOne();
    } catch (err) {
      failed(err);
      return;
    }
    if (records.length === 0) return;
    for (const record of records) emit(record);
  }
}
