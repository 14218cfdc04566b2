/*
 * The one encoding every IKC transport carries: a batch of frames as bytes. It is V8's own
 * structured-clone serializer (node:v8 `serialize`), the format `postMessage` uses between
 * threads, with Node's host objects, so Buffers come back as Buffers (a structured clone turns
 * them into plain Uint8Arrays), and Maps, Sets, Dates, RegExps, BigInts, typed arrays and
 * nested (even cyclic) records arrive intact.
 *
 * Why V8's format and not our own: it is binary-safe, fast (C++ on both sides), and built to
 * read bytes from an untrusted origin: it runs no code, calls no constructors or setters of
 * the program (a `__proto__` key is an own property, never a prototype), and a bad byte is an
 * exception, which the link turns into a dropped batch and a log line. What it does not bound
 * is size, so byte-stream transports cap each frame (`maxFrame`) before it is decoded. Its
 * limits: both ends should run the same Node major (an older V8 may not read a newer one's
 * format), and only data crosses: `checkSendable` rejects functions, symbols, class instances
 * and the like at the `post`, where a structured clone would fail or silently drop a prototype.
 *
 * Byte-stream transports (fork IPC, TCP, NATS) frame each encoded batch with a 4-byte
 * big-endian length, as the Block filter does.
 */
import { deserialize, serialize } from 'node:v8';
import { PoeIkcError, describe } from '../errors.js';

const DATA_PROTOS = new Set<unknown>([
  Object.prototype,
  null,
  Array.prototype,
  Map.prototype,
  Set.prototype,
  Date.prototype,
  RegExp.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  Buffer.prototype,
  Uint8Array.prototype,
  Int8Array.prototype,
  Uint8ClampedArray.prototype,
  Uint16Array.prototype,
  Int16Array.prototype,
  Uint32Array.prototype,
  Int32Array.prototype,
  Float32Array.prototype,
  Float64Array.prototype,
  BigInt64Array.prototype,
  BigUint64Array.prototype,
]);

/** Why `value` cannot cross to another kernel (a path into it and the reason), or undefined. */
export function unsendable(value: unknown): string | undefined {
  // Fast answers for what most events carry; the walk is for records.
  const t = typeof value;
  if (t === 'string' || t === 'number' || t === 'boolean' || t === 'undefined' || t === 'bigint' || value === null) return undefined;
  return walk(value, 'args', new Set());
}

function walk(value: unknown, path: string, seen: Set<object>): string | undefined {
  const t = typeof value;
  if (t === 'function') return `${path} is ${describe(value)}`;
  if (t === 'symbol') return `${path} is a symbol`;
  if (t !== 'object' || value === null) return undefined;
  const obj = value as object;
  if (seen.has(obj)) return undefined;
  seen.add(obj);
  const proto: unknown = Object.getPrototypeOf(obj);
  if (!DATA_PROTOS.has(proto)) {
    const name = (proto as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'an object';
    return `${path} is an instance of ${name}, not data (plain objects, arrays, Map, Set, Date, RegExp, Buffer, typed arrays)`;
  }
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer || obj instanceof Date || obj instanceof RegExp) return undefined;
  if (obj instanceof Map) {
    for (const [k, v] of obj) {
      const why = walk(k, `${path} key`, seen) ?? walk(v, `${path}.get(${typeof k === 'string' ? JSON.stringify(k) : '...'})`, seen);
      if (why !== undefined) return why;
    }
    return undefined;
  }
  if (obj instanceof Set) {
    for (const v of obj) {
      const why = walk(v, `${path} member`, seen);
      if (why !== undefined) return why;
    }
    return undefined;
  }
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      const why = walk(obj[i], `${path}[${i}]`, seen);
      if (why !== undefined) return why;
    }
    return undefined;
  }
  if (Object.getOwnPropertySymbols(obj).length > 0) return `${path} has symbol keys`;
  for (const key of Object.keys(obj)) {
    const desc = Object.getOwnPropertyDescriptor(obj, key)!;
    if (desc.get !== undefined || desc.set !== undefined) return `${path}.${key} is an accessor`;
    const why = walk(desc.value, `${path}.${key}`, seen);
    if (why !== undefined) return why;
  }
  return undefined;
}

/** Throws `ERR_POE_IKC_UNSENDABLE` when `args` cannot cross to another kernel. */
export function checkSendable(args: unknown[], address: string): void {
  for (let i = 0; i < args.length; i++) {
    const why = unsendable(args[i]);
    if (why !== undefined) throw new PoeIkcError('ERR_POE_IKC_UNSENDABLE', address, `Cannot send to ${address}: ${why.replace(/^args/, `ARG${i}`)}`);
  }
}

/** A batch of frames as bytes. Throws what V8's serializer throws (a DataCloneError) for what it cannot encode. */
export function encodeBatch(frames: unknown[]): Buffer {
  return serialize(frames);
}

/** The frames in `bytes`; throws `ERR_POE_IKC_BAD_FRAME` for bytes that are not a batch. */
export function decodeBatch(bytes: Uint8Array): unknown[] {
  let value: unknown;
  try {
    value = deserialize(bytes);
  } catch (err) {
    throw new PoeIkcError('ERR_POE_IKC_BAD_FRAME', '', `Undecodable IKC batch of ${bytes.byteLength} bytes: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!Array.isArray(value)) throw new PoeIkcError('ERR_POE_IKC_BAD_FRAME', '', `An IKC batch must be an array of frames, got ${describe(value)}`);
  return value;
}

/** Frames `payload` for a byte stream: a 4-byte big-endian length, then the bytes. */
export function frameBytes(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.byteLength);
  out.writeUInt32BE(payload.byteLength, 0);
  out.set(payload, 4);
  return out;
}
