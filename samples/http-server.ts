/**
 * http-server: a small web server the POE::Component::Server::SimpleHTTP way. A SimpleHTTP
 * component (alias `httpd`) routes requests by path to events of one application session
 * (alias `site`), which fills in each response and hands it back with `DONE`:
 *
 *   GET /              a plain-text index of the routes
 *   GET /hello/NAME    "Hello, NAME!"
 *   GET /slow          answers after 100 ms (pipelined requests after it still come back in order)
 *   GET /count?n=N     N lines (at most 100), streamed: one `STREAM` a line, then `DONE`
 *   GET /boom          a handler that throws: the client gets a 500, the server carries on
 *   anything else      SimpleHTTP's own 404
 *
 * Connections are kept alive (HTTP/1.1), idle ones close after 5 s, a request must arrive
 * whole within 10 s of its first byte, and at most 200 connections are served at once.
 *
 *   node build/samples/http-server.js         (PORT=8080 HOST=127.0.0.1 by default)
 *   curl -i http://127.0.0.1:8080/hello/world
 */
import { pathToFileURL } from 'node:url';
import { Kernel, Session, SimpleHTTP, type Context, type HttpRequest, type SimpleHTTPResponse } from '../src/index.js';

export interface HttpServerOptions {
  /** Port to listen on; 0 picks a free one. @default 8080 */
  port?: number;
  /** Address to listen on. @default '127.0.0.1' */
  host?: string;
  /** One line per request (`GET /path 200`), and the warnings of a handler that throws. @default nowhere */
  log?: (line: string) => void;
  /** The kernel to run in. @default a new Kernel */
  kernel?: Kernel;
}

export interface HttpServer {
  port: number;
  host: string;
  kernel: Kernel;
  /** Settles when the server and all its connections are gone. */
  done: Promise<void>;
  /** Stops listening; answers in progress are finished (SimpleHTTP's graceful SHUTDOWN). */
  stop: () => void;
  /** Connections open now. */
  connections: () => number;
}

/** The site's events: each route's `(request, response, dir)`, and the timers. */
interface Site {
  index: (request: HttpRequest, response: SimpleHTTPResponse, dir: RegExp | string) => void;
  hello: (request: HttpRequest, response: SimpleHTTPResponse, dir: RegExp | string) => void;
  slow: (request: HttpRequest, response: SimpleHTTPResponse, dir: RegExp | string) => void;
  count: (request: HttpRequest, response: SimpleHTTPResponse, dir: RegExp | string) => void;
  boom: (request: HttpRequest, response: SimpleHTTPResponse, dir: RegExp | string) => void;
  slow_done: (response: SimpleHTTPResponse) => void;
  count_more: (response: SimpleHTTPResponse) => void;
  sent: (request: HttpRequest, response: SimpleHTTPResponse) => void;
  stop: () => void;
}

type Ctx = Context<Site, { counts: Map<SimpleHTTPResponse, [next: number, last: number]> }>;

const ROUTES = ['GET /', 'GET /hello/NAME', 'GET /slow', 'GET /count?n=N', 'GET /boom'];

/** Starts the server; resolves once it is listening. */
export function start(options: HttpServerOptions = {}): Promise<HttpServer> {
  const { port = 8080, host = '127.0.0.1', log, kernel = new Kernel({ log: (line) => log?.(line) }) } = options;
  let server!: SimpleHTTP;
  Session.create<Site, Ctx['heap']>({
    kernel,
    heap: { counts: new Map() },
    inlineStates: {
      _start: (ctx) => {
        ctx.kernel.aliasSet('site');
        server = SimpleHTTP.spawn({
          kernel,
          alias: 'httpd',
          address: host,
          port,
          keepAlive: true,
          idleTimeout: 5,
          headerTimeout: 10,
          maxConnections: 200,
          headers: { Server: 'poe-ts http-server' },
          handlers: [
            { dir: /^\/$/, session: 'site', event: 'index' },
            { dir: /^\/hello\/[^/]+$/, session: 'site', event: 'hello' },
            { dir: /^\/slow$/, session: 'site', event: 'slow' },
            { dir: /^\/count$/, session: 'site', event: 'count' },
            { dir: /^\/boom$/, session: 'site', event: 'boom' },
          ],
          log2Handler: { session: 'site', event: 'sent' },
        });
      },
      index: (ctx, _request, response) => {
        response.content = `poe-ts http-server\n\n${ROUTES.join('\n')}\n`;
        ctx.kernel.post('httpd', 'DONE', response);
      },
      hello: (ctx, request, response) => {
        const name = decodeURIComponent(request.uri.split('?')[0]!.slice('/hello/'.length));
        response.content = `Hello, ${name}!\n`;
        ctx.kernel.post('httpd', 'DONE', response);
      },
      slow: (ctx, _request, response) => {
        ctx.kernel.delay('slow_done', 0.1, response);
      },
      slow_done: (ctx, response) => {
        response.content = 'slow, but in order\n';
        ctx.kernel.post('httpd', 'DONE', response);
      },
      count: (ctx, request, response) => {
        const n = Math.min(100, Math.max(0, Number(new URLSearchParams(request.uri.split('?')[1] ?? '').get('n') ?? 3) || 0));
        // STREAM sends `content` and calls `count_more` back with the response.
        response.stream({ session: 'site', event: 'count_more' });
        ctx.heap.counts.set(response, [1, n]);
        response.content = '';
        ctx.kernel.post('httpd', 'STREAM', response);
      },
      count_more: (ctx, response) => {
        const state = ctx.heap.counts.get(response)!;
        const [next, last] = state;
        if (next > last) {
          ctx.heap.counts.delete(response);
          ctx.kernel.post('httpd', 'DONE', response);
          return;
        }
        state[0] = next + 1;
        response.content = `line ${next} of ${last}\n`;
        ctx.kernel.post('httpd', 'STREAM', response);
      },
      boom: () => {
        throw new Error('boom: this handler always fails');
      },
      sent: (_ctx, request, response) => log?.(`${request.method} ${request.uri} ${response.code}`),
      stop: (ctx) => {
        ctx.kernel.post('httpd', 'SHUTDOWN', 'GRACEFUL');
        ctx.kernel.aliasRemove('site');
      },
    },
  });
  const done = kernel.run();
  if (server?.port === undefined) return done.then(() => Promise.reject(new Error(`http-server: cannot listen on ${host}:${port}`)));
  return Promise.resolve({
    port: server.port,
    host,
    kernel,
    done,
    stop: () => void kernel.post('site', 'stop'),
    connections: () => server.connections,
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 8080);
  start({ port, host: process.env.HOST ?? '127.0.0.1', log: (line) => console.log(line) }).then(
    (server) => {
      console.log(`http-server listening on ${server.host}:${server.port}`);
      const stop = (): void => server.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      void server.done.then(() => {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
        console.log('http-server stopped');
      });
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
