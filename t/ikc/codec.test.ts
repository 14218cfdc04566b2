/**
 * The IKC encoding (codec.ts) that every transport carries: data round-trips intact
 * (Buffers stay Buffers, Maps, Sets, Dates, BigInts, nested and cyclic records); what is not
 * data is refused at the post with a path to it; bytes that are not a batch are an
 * ERR_POE_IKC_BAD_FRAME, never a crash, whatever they are.
 */
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { expect, test } from 'vitest';
import { PoeIkcError, checkSendable, decodeBatch, encodeBatch, frameBytes } from '../../src/index.js';

test('data round-trips intact', () => {
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  const args = [
    Buffer.from([0, 1, 254, 255]),
    new Map<unknown, unknown>([
      ['a', 1],
      [2, { deep: [new Date(0)] }],
    ]),
    new Set([1, 'x']),
    new Date(1_700_000_000_123),
    2n ** 70n,
    { nested: { arr: [1, null, undefined, 'é', -0, NaN], re: /a+b/gi } },
    new Uint16Array([1, 65535]),
    cyclic,
    Object.assign(Object.create(null) as object, { bare: true }),
  ];
  expect(() => checkSendable(args, 'poe://k/s/e')).not.toThrow();
  const [back] = decodeBatch(encodeBatch([args])) as [unknown[]];
  expect(Buffer.isBuffer(back[0])).toBe(true);
  expect(back).toEqual(args);
  const c = back[7] as Record<string, unknown>;
  expect(c.self).toBe(c);
});

test.each([
  ['a function', [() => 1], 'ARG0 is `function (anonymous)` (function)'],
  ['a symbol', [1, Symbol('s')], 'ARG1 is a symbol'],
  ['a socket', [{ conn: new Socket() }], 'ARG0.conn is an instance of Socket, not data'],
  ['a class instance in a map', [new Map([['k', new (class Widget {})()]])], 'ARG0.get("k") is an instance of Widget, not data'],
  ['an accessor', [Object.defineProperty({}, 'x', { get: () => 1, enumerable: true })], 'ARG0.x is an accessor'],
])('%s is refused at the post, naming where it is', (_name, args, why) => {
  let err: unknown;
  try {
    checkSendable(args, 'poe://k/s/e');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PoeIkcError);
  expect((err as PoeIkcError).code).toBe('ERR_POE_IKC_UNSENDABLE');
  expect((err as PoeIkcError).address).toBe('poe://k/s/e');
  expect((err as PoeIkcError).message).toContain(why);
});

test('bytes that are not a batch are ERR_POE_IKC_BAD_FRAME, whatever they are', () => {
  const good = encodeBatch([[2, 1, 's', 'e', [Buffer.alloc(100, 7), { a: 'b'.repeat(50) }], 0]]);
  const inputs: Uint8Array[] = [Buffer.alloc(0), Buffer.from('hello'), encodeBatch({ not: 'an array' } as never), Buffer.from([0xff, 0x0f, 0x6f])];
  // Every truncation of a good batch, and 500 seeded mutations of it.
  for (let i = 0; i < good.length; i++) inputs.push(good.subarray(0, i));
  for (let i = 0; i < 500; i++) {
    const m = Buffer.from(good);
    const noise = randomBytes(4);
    m[noise.readUInt16BE(0) % m.length] = noise[2]!;
    inputs.push(m);
  }
  let bad = 0;
  for (const bytes of inputs) {
    try {
      const frames = decodeBatch(bytes);
      expect(Array.isArray(frames)).toBe(true);
    } catch (err) {
      expect((err as PoeIkcError).code).toBe('ERR_POE_IKC_BAD_FRAME');
      bad++;
    }
  }
  expect(bad).toBeGreaterThanOrEqual(good.length + 4);
});

test('byte streams frame each batch with a 4-byte big-endian length', () => {
  const payload = encodeBatch([[1, 7]]);
  const framed = frameBytes(payload);
  expect(framed.readUInt32BE(0)).toBe(payload.length);
  expect(decodeBatch(framed.subarray(4))).toEqual([[1, 7]]);
});
