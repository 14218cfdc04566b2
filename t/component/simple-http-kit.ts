/**
 * Helpers for the SimpleHTTP tests: an application session with routes, a server on 127.0.0.1
 * port 0, and a raw client that splits what it reads into responses.
 */
import * as net from 'node:net';
import { Session, SimpleHTTP, type Kernel, type SimpleHTTPOptions } from '../../src/index.js';

/** One response as read off the wire: status line, header lines, body (de-chunked). */
export interface WireResponse {
  status: string;
  headers: string[];
  body: string;
}

/**
 * Splits `data` into the complete responses it holds (Content-Length or chunked framing; with
 * `eof`, a last response without either ends at the end of the data). `rest` is what is left.
 */
export function splitResponses(data: string, eof = false): { responses: WireResponse[]; rest: string } {
  const responses: WireResponse[] = [];
  let at = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const lines = data.slice(at, headEnd).split('\r\n');
    const status = lines.shift()!;
    const headers = lines;
    const value = (name: string): string | undefined => headers.find((h) => h.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
    let pos = headEnd + 4;
    let body = '';
    const length = value('content-length');
    if (value('transfer-encoding') === 'chunked') {
      let complete = false;
      for (;;) {
        const eol = data.indexOf('\r\n', pos);
        if (eol < 0) break;
        const size = parseInt(data.slice(pos, eol), 16);
        if (size === 0) {
          if (data.length < eol + 4) break;
          pos = eol + 4;
          complete = true;
          break;
        }
        if (data.length < eol + 2 + size + 2) break;
        body += data.slice(eol + 2, eol + 2 + size);
        pos = eol + 2 + size + 2;
      }
      if (!complete && !eof) break;
    } else if (length !== undefined) {
      if (data.length < pos + Number(length)) {
        if (!eof) break;
        body = data.slice(pos);
        pos = data.length;
      } else {
        body = data.slice(pos, pos + Number(length));
        pos += Number(length);
      }
    } else {
      if (!eof) break;
      body = data.slice(pos);
      pos = data.length;
    }
    responses.push({ status, headers: headers.map((h) => h.replace(/^Date: .*/, 'Date: <DATE>')).sort(), body });
    at = pos;
  }
  return { responses, rest: data.slice(at) };
}

export interface Client {
  socket: net.Socket;
  readonly data: string;
  /** Settles with everything read once the server closes (or the socket closes). */
  ended: Promise<string>;
  /** Settles once `n` complete responses were read. */
  responses: (n: number) => Promise<WireResponse[]>;
}

/** A raw client on 127.0.0.1:`port`. */
export function client(port: number): Client {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  let data = '';
  const waiters: { n: number; resolve: (r: WireResponse[]) => void }[] = [];
  socket.setEncoding('latin1');
  socket.on('error', () => undefined);
  socket.on('data', (chunk: string) => {
    data += chunk;
    const { responses } = splitResponses(data);
    for (let i = waiters.length - 1; i >= 0; i--) if (responses.length >= waiters[i]!.n) waiters.splice(i, 1)[0]!.resolve(responses);
  });
  const ended = new Promise<string>((resolve) => {
    const done = (): void => {
      if (!socket.destroyed) socket.destroy();
      resolve(data);
    };
    socket.once('end', done);
    socket.once('close', done);
  });
  return {
    socket,
    get data() {
      return data;
    },
    ended,
    responses: (n) => {
      const { responses } = splitResponses(data);
      return responses.length >= n ? Promise.resolve(responses) : new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
}

type Handler = (ctx: { kernel: Kernel; sender: unknown; heap: Record<string, unknown>; session: Session }, ...args: never[]) => unknown;

/**
 * Starts an application session (alias `app`) with `states`, which spawns a SimpleHTTP server
 * (alias `httpd`, 127.0.0.1, port 0) with `options`, then runs `body` with the server. When
 * `body` settles, the server is shut down and the app's alias removed, so the kernel can end.
 */
export function serve(
  kernel: Kernel,
  options: Omit<SimpleHTTPOptions, 'kernel' | 'address' | 'port'> & { alias?: string },
  states: Record<string, Handler>,
  body: (server: SimpleHTTP) => Promise<void>,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          ctx.kernel.aliasSet('app');
          // Held until `body` settles: a kernel left with alias-held sessions alone ends them.
          ctx.kernel.refcountIncrement(ctx.session.ID, 'body');
          const server = SimpleHTTP.spawn({ alias: 'httpd', ...options, kernel, address: '127.0.0.1', port: 0 });
          void body(server).then(
            () => ctx.kernel.post(ctx.session.ID, 'finish', server, undefined),
            (err: unknown) => ctx.kernel.post(ctx.session.ID, 'finish', server, err),
          );
        },
        finish: (ctx, server: SimpleHTTP, err: unknown) => {
          server.shutdown();
          ctx.kernel.aliasRemove('app');
          ctx.kernel.refcountDecrement(ctx.session.ID, 'body');
          if (err === undefined) resolve();
          else reject(err instanceof Error ? err : new Error(`body failed: ${JSON.stringify(err)}`));
        },
        ...(states as Record<string, (ctx: never, ...args: never[]) => unknown>),
      },
    });
  });
}
