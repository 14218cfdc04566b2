/** The one frame of a caller's formatted stack: `at fn (file:line:col)` or `at file:line:col`. */
const CALLER_FRAME = /\n\s*at (?:[^\n]*?\(([^\n]+):(\d+):\d+\)|([^\n]+):(\d+):\d+)\s*$/;

/**
 * The file and line that called `skip` (POE's CALLER_FILE / CALLER_LINE), from one captured
 * stack frame. First through the installed stack formatter (Node's --enable-source-maps,
 * vitest, source-map-support): POE's CALLER_LINE is a line of the program as written, and raw
 * V8 call sites give lines of the transpiled output instead (probe 23).
 */
export function callerOf(skip: (...args: never[]) => unknown): [string | undefined, number | undefined] {
  const formatted: { stack?: unknown } = {};
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 1;
    Error.captureStackTrace(formatted, skip);
    const m = typeof formatted.stack === 'string' ? CALLER_FRAME.exec(formatted.stack) : null;
    if (m !== null) return [m[1] ?? m[3], Number(m[2] ?? m[4])];
  } catch {
    // a formatter that throws: fall back to the raw call sites
  } finally {
    Error.stackTraceLimit = limit;
  }
  const holder: { stack?: NodeJS.CallSite[] } = {};
  const prepare = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_e, sites) => sites;
    Error.stackTraceLimit = 1;
    Error.captureStackTrace(holder, skip);
    const site = holder.stack?.[0];
    return [site?.getFileName() ?? undefined, site?.getLineNumber() ?? undefined];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/** `file:line` of the code that called `skip`, for `ps()`'s Where (`callerInfo`). */
export function whereOf(skip: (...args: never[]) => unknown): string | undefined {
  const [file, line] = callerOf(skip);
  return file === undefined ? undefined : `${file}:${line ?? '?'}`;
}
