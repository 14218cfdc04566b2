import { PoeArgumentError, describe } from '../errors.js';

let adopt: (names: string[], values: string[]) => HttpHeaders;
let lines: (headers: HttpHeaders) => readonly [readonly string[], readonly string[]];

/**
 * Headers that take ownership of `names` and `values` without checking them: the HTTPD
 * filter's fast path, for names and values its parser has already validated. Not exported
 * from the package.
 */
export function trustedHeaders(names: string[], values: string[]): HttpHeaders {
  return adopt(names, values);
}

/**
 * The field lines as they are, names and values side by side: for the HTTPD filter's
 * serializer, which must not copy them. Read-only; not exported from the package.
 */
export function headerLines(headers: HttpHeaders): readonly [readonly string[], readonly string[]] {
  return lines(headers);
}

/** A header value as a setter takes it: one value, or several field lines of the same name. */
export type HeaderValue = string | number | readonly (string | number)[];

/** What {@link HttpHeaders} can be built from. */
export type HeadersInit = Iterable<readonly [string, string]> | Readonly<Record<string, HeaderValue>>;

/**
 * An ordered list of header field lines: names keep the spelling they were given, repeats are
 * kept, lookups ignore case.
 *
 * POE: `HTTP::Headers` (what `$request->headers` returns). Differences: `headerFieldNames()`
 * lists each name once in order of first appearance and spelled as first given (HTTP::Headers
 * sorts general, request, response and entity headers first and recases the names); `header()`
 * with several field lines returns them joined by ", " as HTTP::Headers does in scalar
 * context, and `headerValues()` is its list context.
 */
export class HttpHeaders implements Iterable<[string, string]> {
  #names: string[] = [];
  #values: string[] = [];
  /** Lower-cased names, built on the first lookup (most parsed requests are looked up rarely). */
  #lower: string[] | undefined;

  constructor(init?: HeadersInit) {
    if (init === undefined) return;
    if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const pair of init as Iterable<readonly [string, string]>) {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected a header to be a [name, value] pair, got ${describe(pair)}`);
        }
        this.pushHeader(pair[0], pair[1]);
      }
      return;
    }
    if (init === null || typeof init !== 'object') {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected headers to be an object or an iterable of pairs, got ${describe(init)}`);
    }
    for (const [name, value] of Object.entries(init as Record<string, HeaderValue>)) this.pushHeader(name, value);
  }

  static {
    adopt = (names, values) => {
      const h = new HttpHeaders();
      h.#names = names;
      h.#values = values;
      return h;
    };
    lines = (h) => [h.#names, h.#values];
  }

  /** Number of field lines (a repeated name counts once per line). */
  get size(): number {
    return this.#names.length;
  }

  /**
   * The value of `name` (any case): the field lines joined by ", ", or `undefined` when absent.
   * With a `value`, replaces every field line of that name by the new value (several lines for
   * an array), at the place of the first one, and returns the old joined value.
   *
   * POE: `$h->header($name)` / `$h->header($name => $value)`.
   */
  header(name: string, value?: HeaderValue): string | undefined {
    const old = this.#get(name);
    if (value === undefined) return old;
    checkName(name);
    if (!Array.isArray(value)) {
      // One value, and the name absent or on one line (nearly every response header): no
      // splicing.
      const v = checkValue(name, value);
      const lower = this.#lowerNames();
      const key = name.toLowerCase();
      let first = -1;
      let count = 0;
      for (let i = 0; i < lower.length; i++) {
        if (lower[i] !== key) continue;
        if (first < 0) first = i;
        count++;
      }
      if (count === 0) {
        this.#names.push(name);
        this.#values.push(v);
        lower.push(key);
        return old;
      }
      if (count === 1) {
        this.#names[first] = name;
        this.#values[first] = v;
        return old;
      }
    }
    const list = (Array.isArray(value) ? (value as readonly (string | number)[]) : [value as string | number]).map((v) => checkValue(name, v));
    // The new lines take the place of the first old one, so setting a header keeps its position.
    const lower = this.#lowerNames();
    const first = lower.indexOf(name.toLowerCase());
    this.removeHeader(name);
    const at = first < 0 ? this.#names.length : first;
    this.#names.splice(at, 0, ...list.map(() => name));
    this.#values.splice(at, 0, ...list);
    lower.splice(at, 0, ...list.map(() => name.toLowerCase()));
    return old;
  }

  /** Every value of `name`, one per field line, in order. POE: `$h->header($name)` in list context. */
  headerValues(name: string): string[] {
    const lower = this.#lowerNames();
    const key = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < lower.length; i++) if (lower[i] === key) out.push(this.#values[i]!);
    return out;
  }

  /** True when a field line named `name` (any case) is present. */
  has(name: string): boolean {
    return this.#lowerNames().includes(name.toLowerCase());
  }

  /** Appends field lines, keeping any already there. POE: `$h->push_header($name => $value)`. */
  pushHeader(name: string, value: HeaderValue): void {
    checkName(name);
    if (!Array.isArray(value)) {
      // One value (nearly every call): no list to make.
      const v = checkValue(name, value);
      this.#names.push(name);
      this.#values.push(v);
      this.#lower?.push(name.toLowerCase());
      return;
    }
    // Every value checked before any is stored: a bad one leaves the headers as they were.
    const checked = (value as readonly (string | number)[]).map((v) => checkValue(name, v));
    for (const v of checked) {
      this.#names.push(name);
      this.#values.push(v);
      this.#lower?.push(name.toLowerCase());
    }
  }

  /** Removes every field line of `name`; returns their values. POE: `$h->remove_header($name)`. */
  removeHeader(name: string): string[] {
    const lower = this.#lowerNames();
    const key = name.toLowerCase();
    const removed: string[] = [];
    for (let i = lower.length - 1; i >= 0; i--) {
      if (lower[i] !== key) continue;
      removed.unshift(this.#values[i]!);
      this.#names.splice(i, 1);
      this.#values.splice(i, 1);
      lower.splice(i, 1);
    }
    return removed;
  }

  /**
   * Each distinct name once, in order of first appearance, spelled as first given.
   * POE: `$h->header_field_names` (see the class notes for the order).
   */
  headerFieldNames(): string[] {
    const lower = this.#lowerNames();
    const seen = new Set<string>();
    const out: string[] = [];
    for (let i = 0; i < lower.length; i++) {
      if (seen.has(lower[i]!)) continue;
      seen.add(lower[i]!);
      out.push(this.#names[i]!);
    }
    return out;
  }

  /** Calls `fn(name, value)` for each field line in order. POE: `$h->scan(\&fn)`. */
  scan(fn: (name: string, value: string) => void): void {
    for (let i = 0; i < this.#names.length; i++) fn(this.#names[i]!, this.#values[i]!);
  }

  /** Each field line as `[name, value]`, in order, repeats included. */
  *[Symbol.iterator](): Iterator<[string, string]> {
    for (let i = 0; i < this.#names.length; i++) yield [this.#names[i]!, this.#values[i]!];
  }

  /** Node's `rawHeaders` layout: `[name, value, name, value, ...]`. */
  raw(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#names.length; i++) out.push(this.#names[i]!, this.#values[i]!);
    return out;
  }

  /** A copy. POE: `$h->clone`. */
  clone(): HttpHeaders {
    return adopt([...this.#names], [...this.#values]);
  }

  /** `Name: value` lines joined by `eol` (default "\n", as HTTP::Headers). POE: `$h->as_string`. */
  asString(eol = '\n'): string {
    let out = '';
    for (let i = 0; i < this.#names.length; i++) out += `${this.#names[i]}: ${this.#values[i]}${eol}`;
    return out;
  }

  // POE's snake_case spellings, as the very same functions.
  /** POE: `header_field_names`. */
  header_field_names(): string[] {
    return this.headerFieldNames();
  }
  /** POE: `push_header`. */
  push_header(name: string, value: HeaderValue): void {
    this.pushHeader(name, value);
  }
  /** POE: `remove_header`. */
  remove_header(name: string): string[] {
    return this.removeHeader(name);
  }
  /** POE: `as_string`. */
  as_string(eol?: string): string {
    return this.asString(eol);
  }

  #get(name: string): string | undefined {
    const lower = this.#lowerNames();
    const key = name.toLowerCase();
    let out: string | undefined;
    for (let i = 0; i < lower.length; i++) {
      if (lower[i] !== key) continue;
      out = out === undefined ? this.#values[i]! : `${out}, ${this.#values[i]!}`;
    }
    return out;
  }

  #lowerNames(): string[] {
    if (this.#lower === undefined) this.#lower = this.#names.map((n) => n.toLowerCase());
    return this.#lower;
  }
}

/** RFC 9110 token characters (a header name), as a 256-entry table. */
export const TOKEN_CHARS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const c of "!#$%&'*+-.^_`|~") t[c.charCodeAt(0)] = 1;
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  return t;
})();

function checkName(name: unknown): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected a header name to be a non-empty string, got ${describe(name)}`);
  }
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff || TOKEN_CHARS[c] !== 1) {
      throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected header name ${describe(name)} to be an HTTP token (letters, digits, !#$%&'*+-.^_\`|~)`);
    }
  }
}

/**
 * A header value must not contain CR, LF or NUL: they would let a value start a new header or
 * end the header block (response splitting). HTTP::Headers accepted them and folded newlines.
 */
function checkValue(name: string, value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected the value of header \`${name}\` to be a string or a number, got ${describe(value)}`);
  }
  if (/[\r\n\0]/.test(value)) {
    throw new PoeArgumentError('ERR_POE_INVALID_ARGUMENT', `Expected the value of header \`${name}\` to have no CR, LF or NUL, got ${describe(value)}`);
  }
  return value;
}
