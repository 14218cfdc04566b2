import { ClientTCP, ServerTCP, poeKernel } from 'poe-ts';

// A line server on a free loopback port: a session per connection, its ReadWrite in heap.client.
ServerTCP.create({
  alias: 'server',
  address: '127.0.0.1',
  port: 0,
  started: (ctx) => {
    const name = ctx.heap.listener?.getsockname();
    if (name && 'port' in name) connectTo(name.port);
  },
  clientInput: (ctx, line) => {
    if (line !== 'quit') return void ctx.heap.client.put(`echo: ${line}`);
    ctx.kernel.call(ctx.session, 'shutdown'); // close once the output is written
    ctx.kernel.post('server', 'shutdown'); // and stop listening: this demo serves one client
  },
});

function connectTo(port: number): void {
  ClientTCP.create({
    remoteAddress: '127.0.0.1',
    remotePort: port,
    connected: (ctx) => ctx.heap.server.put('hello', 'world', 'quit'),
    serverInput: (_ctx, line) => console.log(`client got '${line}'`),
    serverError: (_ctx, operation, errnum) => console.log(`client got ${operation} error ${errnum} (0 is EOF)`),
  });
}

await poeKernel.run();
