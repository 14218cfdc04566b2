/**
 * line-echo: the Perl Cookbook's recipe 17.14 server ("Multitasking Server with Threads") done
 * the POE way. The recipe gives each client a thread that loops over `<$socket>`; here
 * Server::TCP gives each client a session, and the session's ReadWrite wheel turns the socket
 * into one event per line. Every line comes back upper-cased, with the line ending it came with
 * ("\r\n" or "\n"); a line starting with `quit` closes the connection at once. A line longer
 * than the limit gets an error line and the connection closes; everyone else carries on.
 * A client that sends lines and never reads the answers stops being read once 1 MiB of
 * answers wait for it (ServerTCP's default `readPauseMark`, passed to each connection's
 * ReadWrite), so it costs the server about a megabyte; the other clients are still served.
 *
 *   node build/samples/line-echo.js         (PORT=9701 HOST=0.0.0.0 by default)
 *   printf 'hello\r\nquit\n' | nc 127.0.0.1 9701
 *
 * How the line ending survives: the connection filter is Line with LF as its only input
 * terminator and LF as its output terminator. A CRLF line therefore arrives with its CR still
 * at the end of the record ("hello\r"); upper-casing leaves the CR alone, and `put` adds the LF
 * back, so "hello\r\n" is answered "HELLO\r\n" and "hello\n" is answered "HELLO\n". No
 * terminator bookkeeping per line, and the default Line filter's habit of answering every line
 * with CRLF is avoided. A lone CR is not a line ending here (it stays inside the line).
 *
 * When the process runs out of descriptors, connections that arrive are closed unserved; the
 * server logs `accept error 24 (Too many open files)` and keeps listening (Server::TCP's default
 * would drop the listener), so it serves again as soon as connections close.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { constants } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Kernel, Line, ServerTCP, type SessionId } from '../src/index.js';

export interface LineEchoOptions {
  /** Port to listen on; 0 picks a free one. @default 9701 */
  port?: number;
  /** Address (or host name) to listen on. @default '0.0.0.0' */
  host?: string;
  /** Longest line in bytes (a CR before the LF counts); a longer one ends its connection. @default 65536 */
  maxLineLength?: number;
  /** Where connection and error lines go. @default nowhere */
  log?: (line: string) => void;
  /** The kernel to run in. @default a new Kernel */
  kernel?: Kernel;
}

export interface LineEcho {
  /** The port the server is bound to. */
  port: number;
  /** The address the server is bound to. */
  host: string;
  kernel: Kernel;
  /** The listener's session id. */
  serverId: SessionId;
  /** Settles when the server and all its connections are gone. */
  done: Promise<void>;
  /** Stops listening and shuts every connection down (their pending replies are still sent). */
  stop: () => void;
  /** Connections open now. */
  connections: () => number;
}

/** The errno ReadWrite reports a line over the filter's limit with: "Message too long". */
const EMSGSIZE = constants.errno.EMSGSIZE;

/** Starts the server; resolves once it is listening, rejects if it cannot bind. */
export async function start(options: LineEchoOptions = {}): Promise<LineEcho> {
  const { port = 9701, maxLineLength = 65536, log, kernel = new Kernel() } = options;
  const host = options.host ?? '0.0.0.0';
  const address = isIP(host) !== 0 ? host : (await lookup(host)).address;
  const open = new Set<SessionId>();
  // Filled in by `started` (the bind is synchronous for an address) or by `error`.
  let bound: number | undefined;
  let bindError: Error | undefined;

  const serverId = ServerTCP.create({
    kernel,
    address,
    port,
    domain: isIP(address) === 6 ? 'inet6' : 'inet',
    // LF in and out: a CR before the LF stays in the record and so comes back (see above).
    clientFilter: [Line, { inputLiteral: '\n', outputLiteral: '\n', maxLength: maxLineLength }],
    started: (ctx) => {
      const name = ctx.heap.listener?.getsockname();
      if (name !== undefined && 'port' in name) bound = name.port;
    },
    error: (ctx, operation, errnum, errstr) => {
      if (operation === 'accept') {
        // Out of descriptors (EMFILE), most likely: connections arriving now are closed
        // unserved. Say so, and keep listening: accepting resumes as connections close.
        log?.(`accept error ${errnum} (${errstr})`);
        return;
      }
      bindError = Object.assign(new Error(`line-echo: cannot listen on ${address}:${port}: ${operation} error ${errnum} (${errstr})`), { errno: errnum });
      ctx.heap.listener?.destroy();
      delete ctx.heap.listener;
    },
    clientConnected: (ctx) => {
      open.add(ctx.session.ID);
      log?.(`connection from ${ctx.heap.remote_ip}:${ctx.heap.remote_port}`);
    },
    clientInput: (ctx, line) => {
      if (line.startsWith('quit')) {
        // `call`, not `yield`: lines that came in the same read after `quit` are ignored too.
        ctx.kernel.call(ctx.session, 'shutdown');
        return;
      }
      ctx.heap.client.put(line.toUpperCase());
    },
    clientError: (ctx, operation, errnum, errstr) => {
      if (errnum === 0) return; // EOF: the client hung up
      log?.(`${ctx.heap.remote_ip}:${ctx.heap.remote_port} ${operation} error ${errnum} (${errstr})`);
      if (operation === 'read' && errnum === EMSGSIZE) {
        // The wheel stopped reading; tell the client why before the shutdown closes it. flush()
        // hands the line to the socket now, and closing the wheel still writes what it holds.
        ctx.heap.client.put(`ERROR line longer than ${maxLineLength} bytes`);
        ctx.heap.client.flush();
      }
    },
    clientDisconnected: (ctx) => {
      open.delete(ctx.session.ID);
      log?.(`${ctx.heap.remote_ip}:${ctx.heap.remote_port} disconnected`);
    },
  });

  const done = kernel.run();
  if (bound === undefined) {
    await done;
    throw bindError ?? new Error(`line-echo: cannot listen on ${address}:${port}`);
  }
  return {
    port: bound,
    host: address,
    kernel,
    serverId,
    done,
    stop: () => {
      kernel.post(serverId, 'shutdown');
      for (const id of open) kernel.post(id, 'shutdown');
    },
    connections: () => open.size,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 9701);
  start({ port, host: process.env.HOST, log: (line) => console.log(line) }).then(
    (server) => {
      console.log(`line-echo listening on ${server.host}:${server.port}`);
      const stop = (): void => server.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      void server.done.then(() => {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
        console.log('line-echo stopped');
      });
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
