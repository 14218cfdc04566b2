import { isIPv4, isIPv6 } from 'node:net';

/**
 * Packed addresses, as POE's socket wheels deliver them (G31): 4 bytes for IPv4, 16 for IPv6,
 * network order, the way Perl's `inet_aton`/`inet_pton` make them.
 */

/** A dotted quad already known to be valid (isIPv4): one pass, no intermediate array. */
function packV4(ip: string): Buffer {
  // On every accepted connection: Buffer.from(ip.split('.').map(Number)) was a visible cost.
  const out = Buffer.allocUnsafe(4);
  let part = 0;
  let n = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 0x2e) {
      out[part++] = n;
      n = 0;
    } else n = n * 10 + (c - 0x30);
  }
  out[part] = n;
  return out;
}

function packV6(ip: string): Buffer {
  const out = Buffer.alloc(16);
  const zone = ip.indexOf('%');
  let text = zone >= 0 ? ip.slice(0, zone) : ip;
  // An embedded dotted quad (`::ffff:127.0.0.1`) fills the last 32 bits.
  let tail: Buffer | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail = packV4(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const groups = rest === undefined ? headGroups : [...headGroups, ...new Array<string>(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  if (tail) tail.copy(out, 12);
  return out;
}

/**
 * Packs an IP address literal: 4 bytes for IPv4, 16 for IPv6 (an IPv4-mapped address such as
 * `::ffff:127.0.0.1` stays 16 bytes, as an AF_INET6 socket reports it). Undefined for anything
 * else; host names are not resolved. Perl: `Socket::inet_aton` / `inet_pton`.
 */
export function inetAton(address: string): Buffer | undefined {
  if (isIPv4(address)) return packV4(address);
  if (isIPv6(address)) return packV6(address);
  return undefined;
}

/**
 * Unpacks a 4- or 16-byte address to its text form (`127.0.0.1`, `::1`, `::ffff:127.0.0.1`),
 * as `inet_ntop` writes it. Perl: `Socket::inet_ntoa` (IPv4) / `inet_ntop` (both).
 */
export function inetNtoa(packed: Uint8Array): string {
  // Once per accepted connection (ServerTCP's remote_ip): no array to join.
  if (packed.length === 4) return `${packed[0]}.${packed[1]}.${packed[2]}.${packed[3]}`;
  if (packed.length !== 16) throw new RangeError(`Expected a packed address of 4 or 16 bytes, got ${packed.length} bytes`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((packed[i]! << 8) | packed[i + 1]!);
  // RFC 5952: the longest run (of two or more) of zero groups becomes `::`.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  // An IPv4-mapped (::ffff:a.b.c.d, RFC 5952 section 5) or IPv4-compatible (::a.b.c.d) address
  // ends in a dotted quad, by the rule of glibc's and libuv's inet_ntop: what Perl's inet_ntop
  // and Node's remoteAddress print.
  if (best === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 0xffff))) {
    return `::${bestLen === 5 ? 'ffff:' : ''}${packed[12]}.${packed[13]}.${packed[14]}.${packed[15]}`;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}
