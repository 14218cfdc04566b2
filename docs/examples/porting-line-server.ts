import type { Socket } from 'node:net';
import { ClientTCP, ReadWrite, Session,
  SocketFactory, inetNtoa, poeKernel } from 'poe-ts';

interface Listener {
  got_client: (socket: Socket, addr: Buffer)
    => void;
  got_error: (op: string, errnum: number,
    errstr: string) => void;
}
interface Client {
  _start: (socket: Socket) => void;
  got_line: (line: string) => void;
  got_flush: () => void;
  got_io_error: (op: string, errnum: number,
    errstr: string) => void;
}
interface ClientHeap {
  client?: ReadWrite<string, string>;
  quitting?: boolean;
}

Session.create<Listener, { server?: SocketFactory }>({
  inlineStates: {
    _start: (ctx) => {
      const server = ctx.heap.server =
        new SocketFactory({
          bindAddress: '127.0.0.1',
          bindPort: 0,
          successEvent: 'got_client',
          failureEvent: 'got_error',
        });
      const name = server.getsockname();
      if (name && 'port' in name) {
        startClient(name.port);
      }
    },
    got_client: (ctx, socket, addr) => {
      console.log(`server: client from ${
        inetNtoa(addr)}`);
      // This demo serves one client.
      ctx.heap.server?.destroy();
      delete ctx.heap.server;
      Session.create<Client, ClientHeap>({
        inlineStates: {
          _start: (ctx, handle) => {
            ctx.heap.client = new ReadWrite({
              handle,
              inputEvent: 'got_line',
              flushedEvent: 'got_flush',
              errorEvent: 'got_io_error',
            });
          },
          got_line: (ctx, line) => {
            const { heap } = ctx;
            if (heap.quitting) return;
            if (line === 'quit') {
              heap.quitting = true;
              heap.client?.put('bye');
              return;
            }
            heap.client?.put(`echo: ${line}`);
          },
          got_flush: (ctx) => {
            if (!ctx.heap.quitting) return;
            ctx.heap.client?.destroy();
            delete ctx.heap.client;
          },
          got_io_error: (ctx, op, errnum, errstr) => {
            if (errnum) {
              console.warn(`${op} error ${errnum}: ${
                errstr}`);
            }
            ctx.heap.client?.destroy();
            delete ctx.heap.client;
          },
        },
        args: [socket],
      });
    },
    got_error: (ctx, op, errnum, errstr) => {
      console.warn(`server ${op} error ${errnum}: ${
        errstr}`);
      ctx.heap.server?.destroy();
      delete ctx.heap.server;
    },
  },
});

function startClient(port: number): void {
  ClientTCP.create({
    remoteAddress: '127.0.0.1',
    remotePort: port,
    connected: (ctx) => {
      ctx.heap.server.put(
        'hello', 'world', 'quit', 'more');
    },
    serverInput: (_ctx, line) => {
      console.log(`client: got ${line}`);
    },
    serverError: () => {
      console.log('client: server hung up');
    },
  });
}

await poeKernel.run();
