// Tiny authoritative UDP DNS responder for loopback benchmarks and tests (no dependencies).
//
// Answers A queries for names under its zones (default: `test`) after `delayMs` milliseconds,
// which emulates a remote server's round trip; a name with a label starting "nx" (or outside
// the zones) gets NXDOMAIN; other types get NOERROR with no answer unless `records` has them.
// For fault tests: a label starting "drop" is never answered, and "lose1" loses the first
// query for its name (a retry is answered). It counts the queries it holds (received, not yet
// answered): `stats.maxInFlight` is the most at once, what a client's limit on outstanding
// requests must bound.
//
// As a program:  HOST=127.0.53.53 PORT=53 DELAY_MS=10 node delay_dns_server.mjs
//   (PORT=0 takes a free port; the bound address is printed on stdout as {"host","port"})
// In-process:    const r = await startResponder({ port: 0, delayMs: 5 }); ... await r.close();
import dgram from 'node:dgram';
import { pathToFileURL } from 'node:url';

const TYPES = { A: 1, NS: 2, CNAME: 5, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33 };
const TYPE_NAMES = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, k]));

function parseQuestion(msg) {
  let off = 12;
  const labels = [];
  while (msg[off] !== 0) {
    const len = msg[off];
    labels.push(msg.toString('ascii', off + 1, off + 1 + len));
    off += len + 1;
  }
  off += 1;
  const qtype = msg.readUInt16BE(off);
  return { labels, qtype, qend: off + 4 };
}

function encodeName(name) {
  const parts = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function ipv6(text) {
  const [head, tail = ''] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = text.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function u16(n) {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** RDATA of one record of `type` (values as node:dns returns them). */
function rdata(type, v) {
  switch (type) {
    case 'A':
      return Buffer.from(v.split('.').map(Number));
    case 'AAAA':
      return ipv6(v);
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return encodeName(v);
    case 'MX':
      return Buffer.concat([u16(v.priority), encodeName(v.exchange)]);
    case 'TXT':
      return Buffer.concat(v.map((s) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)])));
    case 'SRV':
      return Buffer.concat([u16(v.priority), u16(v.weight), u16(v.port), encodeName(v.name)]);
    default:
      throw new Error(`cannot encode ${type}`);
  }
}

function rr(type, value, ttl = 60) {
  const data = rdata(type, value);
  const head = Buffer.alloc(10);
  head.writeUInt16BE(TYPES[type], 0);
  head.writeUInt16BE(1, 2);
  head.writeUInt32BE(ttl, 4);
  head.writeUInt16BE(data.length, 8);
  return Buffer.concat([Buffer.from([0xc0, 0x0c]), head, data]);
}

/** The anchor's address for a name: the same name always gets the same 127.x.y.z. */
function hashedA(name) {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `127.${1 + ((h >> 16) % 250)}.${(h >> 8) & 255}.${1 + (h % 250)}`;
}

/**
 * Starts a responder. Options: `host` (127.0.0.1), `port` (0), `delayMs` (10), `zones`
 * (['test']: names under them exist), `records` ({ 'mx.test': { MX: [{ priority, exchange }] } },
 * values as node:dns returns them; a name listed here exists whatever its zone). Resolves with
 * `{ host, port, stats, close }`; `stats` has `received`, `served`, `inFlight`, `maxInFlight`
 * and `queries` (`{ name, type }` in arrival order, names as sent).
 */
export function startResponder({ host = '127.0.0.1', port = 0, delayMs = 10, zones = ['test'], records = {}, log = false } = {}) {
  const sock = dgram.createSocket('udp4');
  const stats = { received: 0, served: 0, inFlight: 0, maxInFlight: 0, queries: [] };
  const lost = new Set();
  const table = Object.fromEntries(Object.entries(records).map(([k, v]) => [k.toLowerCase(), v]));
  const inZone = (name) => zones.some((z) => name === z || name.endsWith(`.${z}`));
  const pending = new Set();

  function answer(msg) {
    const { labels, qtype, qend } = parseQuestion(msg);
    const name = labels.join('.').toLowerCase();
    const type = TYPE_NAMES[qtype] ?? String(qtype);
    if (log) stats.queries.push({ name: labels.join('.'), type });
    if (labels.some((l) => l.toLowerCase().startsWith('drop'))) return null;
    if (labels.some((l) => l.toLowerCase() === 'lose1') && !lost.has(`${name}/${type}`)) {
      lost.add(`${name}/${type}`);
      return null;
    }
    const known = table[name];
    const nx = known === undefined && (!inZone(name) || labels.some((l) => l.toLowerCase().startsWith('nx')));
    const values = known?.[type] ?? (known === undefined && !nx && type === 'A' ? [hashedA(name)] : []);
    const hdr = Buffer.alloc(12);
    msg.copy(hdr, 0, 0, 2); // id
    hdr.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | (nx ? 3 : 0), 2); // QR AA (RD copied) rcode
    hdr.writeUInt16BE(1, 4);
    hdr.writeUInt16BE(values.length, 6);
    return Buffer.concat([hdr, msg.subarray(12, qend), ...values.map((v) => rr(type, v))]);
  }

  sock.on('message', (msg, rinfo) => {
    stats.received++;
    let out;
    try {
      out = answer(msg);
    } catch {
      return;
    }
    if (out === null) return;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const reply = () => {
      pending.delete(timer);
      stats.inFlight--;
      stats.served++;
      sock.send(out, rinfo.port, rinfo.address);
    };
    const timer = delayMs > 0 ? setTimeout(reply, delayMs) : setImmediate(reply);
    pending.add(timer);
  });

  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, host, () => {
      sock.removeListener('error', reject);
      // A burst of hundreds of queries overflows the default 208 KiB receive buffer (skb truesize).
      try {
        sock.setRecvBufferSize(4 << 20);
        sock.setSendBufferSize(4 << 20);
      } catch {
        // not allowed here: the defaults will do for small bursts
      }
      const close = () =>
        new Promise((done) => {
          for (const t of pending) {
            clearTimeout(t);
            clearImmediate(t);
          }
          pending.clear();
          sock.close(() => done());
        });
      resolve({ host, port: sock.address().port, stats, close, socket: sock });
    });
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const host = process.env.HOST ?? '127.0.53.53';
  const delayMs = Number(process.env.DELAY_MS ?? 10);
  const zones = (process.env.ZONES ?? 'test').split(',');
  const r = await startResponder({ host, port: Number(process.env.PORT ?? 53), delayMs, zones });
  process.stdout.write(`${JSON.stringify({ host: r.host, port: r.port })}\n`);
  console.error(`dns responder on ${r.host}:${r.port} delay ${delayMs} ms rcvbuf ${r.socket.getRecvBufferSize()}`);
  const bye = () => {
    console.error(`served ${r.stats.served}`);
    process.exit(0);
  };
  process.on('SIGTERM', bye);
  process.on('SIGINT', bye);
}
