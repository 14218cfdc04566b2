import { request, createServer, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { PoeEmitter, Session, poeKernel } from 'poe-ts';

// A POE component as a legacy program has it: a session with an alias that answers requests
// by posting an event back to the sender.
Session.create({
  inlineStates: {
    _start: (ctx) => void ctx.kernel.aliasSet('calc'),
    double: (ctx, reply: string, tag: number, n: number) => void ctx.kernel.post(ctx.sender as Session, reply, tag, n * 2),
    shutdown: (ctx) => void ctx.kernel.aliasRemove('calc'),
  },
});

// Plain Node code (an HTTP route) uses it through an EventEmitter face: no session to write.
const calc = new PoeEmitter<{ doubled: [tag: number, result: number] }>();
let nextTag = 0;
const server = createServer((req, res) => {
  const tag = ++nextTag;
  const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n'));
  const answer = (got: number, result: number): void => {
    if (got !== tag) return;
    calc.off('doubled', answer);
    res.end(`${n} doubled is ${result}\n`);
  };
  calc.on('doubled', answer);
  calc.post('calc', 'double', 'doubled', tag, n);
});

const running = poeKernel.run(); // the kernel runs beside the HTTP server
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as { port: number };
for (const n of [21, 50]) {
  const [res] = (await once(request({ host: '127.0.0.1', port, path: `/?n=${n}` }).end(), 'response')) as [IncomingMessage];
  res.setEncoding('utf8');
  for await (const chunk of res) process.stdout.write(chunk as string);
}
server.close();
calc.post('calc', 'shutdown');
calc.close(); // the kernel has nothing left: run() settles
await running;
console.log('kernel done');
