// The peer process of bench/ikc.mjs's ikc.tcp_post: `poe` is kernel `b` listening over IKC TCP
// and counting posts to its published `sink`; `base` is a bare net server reading the same
// framing (frameBytes: a 4-byte big-endian length, then the bytes) and counting the values.
// Either prints `listening <port>` and exits once all n have arrived and been answered.
import * as net from 'node:net';
import { deserialize } from 'node:v8';
import { ikcSink } from './_ikc_sink.mjs';

const [side, nArg] = process.argv.slice(2);
const n = Number(nArg);

if (side === 'base') {
  const server = net.createServer((socket) => {
    let got = 0;
    let sum = 0;
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let off = 0;
      while (buf.length - off >= 4) {
        const len = buf.readUInt32BE(off);
        if (buf.length - off - 4 < len) break;
        sum += deserialize(buf.subarray(off + 4, off + 4 + len));
        got++;
        off += 4 + len;
      }
      buf = buf.subarray(off);
      if (got === n) {
        socket.end(JSON.stringify({ done: got, sum }));
        server.close();
      }
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
} else {
  const lib = await import('../dist/index.js');
  const { kernel, ikc } = ikcSink(lib, n);
  lib.listenTcp(ikc, { started: (port) => console.log(`listening ${port}`) });
  await kernel.run();
}
