/**
 * inetAton / inetNtoa (G31): packed addresses to text as inet_ntop writes them, which is what
 * Perl's Socket::inet_ntop gives a POE program and Node's `remoteAddress` gives here.
 */
import * as net from 'node:net';
import { expect, test } from 'vitest';
import { inetAton, inetNtoa } from '../../src/index.js';

/** 16 bytes from eight 16-bit groups. */
function packed(...groups: number[]): Buffer {
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

const cases: [string, Buffer, string][] = [
  ['IPv4', Buffer.from([127, 0, 0, 1]), '127.0.0.1'],
  ['IPv4-mapped loopback', packed(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1), '::ffff:127.0.0.1'],
  ['IPv4-mapped private address', packed(0, 0, 0, 0, 0, 0xffff, 0x0a01, 0x0203), '::ffff:10.1.2.3'],
  ['IPv4-mapped 0.0.0.0', packed(0, 0, 0, 0, 0, 0xffff, 0, 0), '::ffff:0.0.0.0'],
  ['IPv4-compatible (deprecated, still dotted by inet_ntop)', packed(0, 0, 0, 0, 0, 0, 0x7f00, 1), '::127.0.0.1'],
  ['loopback ::1', packed(0, 0, 0, 0, 0, 0, 0, 1), '::1'],
  ['::2 is not a dotted quad', packed(0, 0, 0, 0, 0, 0, 0, 2), '::2'],
  ['unspecified ::', packed(0, 0, 0, 0, 0, 0, 0, 0), '::'],
  ['link-local', packed(0xfe80, 0, 0, 0, 0, 0, 0, 1), 'fe80::1'],
  ['the longest zero run is compressed', packed(1, 0, 0, 2, 0, 0, 0, 3), '1:0:0:2::3'],
  ['of two equal runs, the first', packed(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), '2001:db8::1:0:0:1'],
  ['a single zero group stays', packed(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), '2001:db8:0:1:1:1:1:1'],
  ['no zeros, lower-case hex without leading zeros', packed(0x2001, 0xdb8, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf), '2001:db8:a:b:c:d:e:f'],
  ['ffff elsewhere is hex', packed(0x2001, 0xdb8, 0, 0, 0, 0xffff, 0x7f00, 1), '2001:db8::ffff:7f00:1'],
  ['IPv4-translated is hex, as inet_ntop has it', packed(0, 0, 0, 0, 0xffff, 0, 0x7f00, 1), '::ffff:0:7f00:1'],
];

test.each(cases)('inetNtoa: %s', (_name, bytes, text) => {
  expect(inetNtoa(bytes)).toBe(text);
  if (bytes.length === 16) {
    // Node's SocketAddress prints through libuv's inet_ntop: the oracle for every case.
    expect(new net.SocketAddress({ address: text, family: 'ipv6' }).address).toBe(text);
    expect(inetAton(text)).toEqual(bytes);
  }
});

test('inetNtoa refuses a length other than 4 or 16', () => {
  expect(() => inetNtoa(Buffer.alloc(5))).toThrow(new RangeError('Expected a packed address of 4 or 16 bytes, got 5 bytes'));
});
