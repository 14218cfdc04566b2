import { addAbortSignal } from 'node:stream';
import { PoeArgumentError, describe, rejectUnknownKeys } from '../errors.js';
import type { InputHandle } from '../driver/driver.js';
import { isInputHandle } from '../driver/driver.js';
import type { Filter } from '../filter/filter.js';
import { isFilter } from '../filter/filter.js';
import { Line } from '../filter/line.js';
import { feedFilter } from './feed.js';

/** Options of {@link records}. */
export interface RecordsOptions {
  /** Aborting it ends the iteration with the signal's reason and destroys the stream, as Node's stream iterators do. */
  signal?: AbortSignal;
}

/**
 * The records a filter makes of a stream, as an async iterator: `for await (const line of
 * records(socket))`. For code that is not a session (a script, a test, a function an async
 * handler awaits); inside the kernel's world a wheel does the same with events. Not in POE.
 *
 * Chunks are read as the loop asks for records (the stream's own backpressure), fed to the
 * filter the way a wheel feeds it (every chunking gives the same records), and each record is
 * yielded in order. At the end of the stream the iteration ends; bytes of an unfinished last
 * record are left in the filter (`filter.getPending()`), as a wheel leaves them at EOF. A
 * filter's error (its size limits: `FilterLimitError`) and the stream's errors end the
 * iteration by throwing; breaking out of the loop destroys the stream.
 *
 * @param filter @default new Line()
 */
export async function* records<R = string>(stream: InputHandle, filter: Filter<R, unknown> = new Line() as unknown as Filter<R, unknown>, options: RecordsOptions = {}): AsyncGenerator<R, void, undefined> {
  if (!isInputHandle(stream)) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`records\` stream to be a readable stream, got ${describe(stream)}`);
  if (!isFilter(filter)) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`records\` filter to be a filter (get, put, clone...), got ${describe(filter)}`);
  if (options === null || typeof options !== 'object') throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`records\` options to be an object, got ${describe(options)}`);
  rejectUnknownKeys('records', options, ['signal']);
  const { signal } = options;
  if (signal !== undefined) {
    if (!(signal instanceof AbortSignal)) throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected \`signal\` to be an AbortSignal, got ${describe(signal)}`);
    addAbortSignal(signal, stream);
  }
  const ready: R[] = [];
  const current = (): Filter<R, unknown> => filter;
  const emit = (record: R): void => void ready.push(record);
  // A filter error comes after the records parsed before it: nothing read is lost.
  let failure: { error: unknown } | undefined;
  const failed = (error: unknown): void => void (failure = { error });
  for await (const chunk of stream as AsyncIterable<unknown>) {
    feedFilter([chunk], current, emit, failed);
    // Records go out before the next chunk is read: the loop's pace is the stream's.
    for (let i = 0; i < ready.length; i++) yield ready[i]!;
    ready.length = 0;
    if (failure !== undefined) throw failure.error;
  }
}
