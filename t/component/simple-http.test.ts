/**
 * SimpleHTTP beyond POE's recording: pipelined answers in request order, streamed (chunked)
 * responses on keep-alive, a throwing or rejecting handler (500, the server carries on), the
 * idle and header (slowloris) timeouts, the connection limit, SHUTDOWN (forced and graceful),
 * GETHANDLERS/SETHANDLERS, the log and error handlers, misuse of DONE, and option checks with
 * their codes. Real sockets on 127.0.0.1 port 0; clients are raw sockets.
 */
import { describe, expect, test } from 'vitest';
import { PoeArgumentError, Session, SimpleHTTP, type HttpRequest, type SimpleHTTPResponse } from '../../src/index.js';
import { codeOf, gate, realKernel, thrownInSession, until } from '../kit/index.js';
import { client, serve, type WireResponse } from './simple-http-kit.js';

type Ctx = Parameters<Parameters<typeof serve>[2][string]>[0];
const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;
const ok = (body: string, ...extra: string[]): WireResponse => ({
  status: 'HTTP/1.1 200 (OK)',
  headers: [`Content-Length: ${Buffer.byteLength(body)}`, 'Content-Type: text/plain', 'Date: <DATE>', ...extra].sort(),
  body,
});
const reply = (ctx: Ctx, res: SimpleHTTPResponse, body: string): void => {
  res.content = body;
  ctx.kernel.post('httpd', 'DONE', res);
};

describe('SimpleHTTP keep-alive and pipelining', () => {
  test('pipelined requests are answered in request order when their handlers answer out of order', async () => {
    const { kernel, run, warnings, log } = realKernel();
    await Promise.all([
      serve(
        kernel,
        { keepAlive: true, handlers: [{ dir: /^\/slow/, session: 'app', event: 'slow' }, { dir: '^/', session: 'app', event: 'fast' }] },
        {
          slow: (ctx, req: HttpRequest, res: SimpleHTTPResponse) => {
            log.push(`slow ${req.uri}`);
            ctx.kernel.delay('later', 0.05, res);
          },
          later: (ctx, res: SimpleHTTPResponse) => {
            log.push('slow answers');
            reply(ctx, res, 'slow');
          },
          fast: (ctx, req: HttpRequest, res: SimpleHTTPResponse) => {
            log.push(`fast ${req.uri} answers`);
            reply(ctx, res, `fast ${req.uri}`);
          },
        },
        async (server) => {
          const c = client(server.port!);
          c.socket.write(GET('/slow') + GET('/a') + GET('/b'));
          expect(await c.responses(3)).toEqual([ok('slow'), ok('fast /a'), ok('fast /b')]);
          // Still open: a fourth request on the same connection.
          c.socket.write(GET('/c'));
          expect((await c.responses(4))[3]).toEqual(ok('fast /c'));
          expect(server.connections).toBe(1);
          c.socket.destroy();
        },
      ),
      run(),
    ]);
    expect(log).toEqual(['slow /slow', 'fast /a answers', 'fast /b answers', 'slow answers', 'fast /c answers']);
    expect(warnings).toEqual([]);
  });

  test('a streamed HTTP/1.1 response goes out in chunks, DONE ends it, and the connection carries on', async () => {
    const { kernel, run, warnings } = realKernel();
    await Promise.all([
      serve(
        kernel,
        { keepAlive: true, handlers: [{ dir: '^/stream$', session: 'app', event: 'stream' }, { dir: '^/', session: 'app', event: 'plain' }] },
        {
          stream: (ctx, _req: HttpRequest, res: SimpleHTTPResponse) => {
            ctx.heap.n = 0;
            res.stream({ event: 'more' });
            res.content = 'one ';
            ctx.kernel.post('httpd', 'STREAM', res);
          },
          // STREAM calls back the session that posted it (stream() named no session).
          more: (ctx, res: SimpleHTTPResponse) => {
            const n = ((ctx.heap.n as number) += 1);
            if (n === 1) {
              res.content = 'two';
              ctx.kernel.post('httpd', 'STREAM', res);
            } else ctx.kernel.post('httpd', 'DONE', res);
          },
          plain: (ctx, req: HttpRequest, res: SimpleHTTPResponse) => reply(ctx, res, `plain ${req.uri}`),
        },
        async (server) => {
          const c = client(server.port!);
          c.socket.write(GET('/stream'));
          await c.responses(1);
          c.socket.write(GET('/after'));
          await c.responses(2);
          expect(c.data.replace(/Date: [^\r]*/g, 'Date: <DATE>')).toBe(
            'HTTP/1.1 200 (OK)\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nDate: <DATE>\r\n\r\n4\r\none \r\n3\r\ntwo\r\n0\r\n\r\n' +
              'HTTP/1.1 200 (OK)\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nDate: <DATE>\r\n\r\nplain /after',
          );
          c.socket.destroy();
        },
      ),
      run(),
    ]);
    expect(warnings).toEqual([]);
  });

  test('a streamed HTTP/1.0 response goes out bare and ends with the connection, as POE', async () => {
    const { kernel, run } = realKernel();
    await Promise.all([
      serve(
        kernel,
        { keepAlive: true, handlers: [{ dir: '^/', session: 'app', event: 'stream' }] },
        {
          stream: (ctx, _req: HttpRequest, res: SimpleHTTPResponse) => {
            res.stream({ event: 'more', session: 'app' });
            res.content = 'a';
            ctx.kernel.post('httpd', 'STREAM', res);
          },
          more: (ctx, res: SimpleHTTPResponse) => ctx.kernel.post('httpd', 'DONE', res),
        },
        async (server) => {
          const c = client(server.port!);
          c.socket.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
          expect((await c.ended).replace(/Date: [^\r]*/, 'Date: <DATE>')).toBe('HTTP/1.0 200 (OK)\r\nContent-Type: text/plain\r\nDate: <DATE>\r\n\r\na');
        },
      ),
      run(),
    ]);
  });

  test('a client that half-closes after its request still gets the answer', async () => {
    const { kernel, run } = realKernel();
    await Promise.all([
      serve(kernel, { handlers: [{ dir: '^/', session: 'app', event: 'later' }] }, {
        later: (ctx, _req: HttpRequest, res: SimpleHTTPResponse) => ctx.kernel.delay('answer', 0.02, res),
        answer: (ctx, res: SimpleHTTPResponse) => reply(ctx, res, 'late'),
      }, async (server) => {
        const c = client(server.port!);
        c.socket.end(GET('/'));
        expect((await c.ended).endsWith('\r\n\r\nlate')).toBe(true);
      }),
      run(),
    ]);
  });
});

describe('SimpleHTTP failures', () => {
  test('a handler that throws gets its request a 500 and a warning; the server carries on', async () => {
    const { kernel, run, warnings } = realKernel();
    await Promise.all([
      serve(
        kernel,
        { keepAlive: true, handlers: [{ dir: '^/boom$', session: 'app', event: 'boom' }, { dir: '^/reject$', session: 'app', event: 'reject' }, { dir: '^/', session: 'app', event: 'fine' }] },
        {
          boom: () => {
            throw new Error('kaboom');
          },
          reject: async () => {
            await Promise.resolve();
            throw new Error('rejected');
          },
          fine: (ctx, _req: HttpRequest, res: SimpleHTTPResponse) => reply(ctx, res, 'fine'),
        },
        async (server) => {
          const error = { status: 'HTTP/1.1 500 (Internal Server Error)', headers: ['Content-Length: 25', 'Content-Type: text/plain', 'Date: <DATE>'], body: '500 Internal Server Error' };
          for (const path of ['/boom', '/reject']) {
            const c = client(server.port!);
            c.socket.write(GET(path));
            // An error response closes the connection, as POE's must_keepalive says.
            expect(await c.responses(1)).toEqual([error]);
            await c.ended;
          }
          const c = client(server.port!);
          c.socket.write(GET('/'));
          expect(await c.responses(1)).toEqual([ok('fine')]);
          c.socket.destroy();
        },
      ),
      run(),
    ]);
    expect(warnings.map((w) => w.split('\n')[0])).toEqual([
      `SimpleHTTP: handler 'boom' for "^/boom$" threw: Error: kaboom`,
      `SimpleHTTP: handler 'reject' for "^/reject$" threw: Error: rejected`,
    ]);
  });

  test('a route to a session that does not exist: 500 and a warning', async () => {
    const { kernel, run, warnings } = realKernel();
    await Promise.all([
      serve(kernel, { handlers: [{ dir: '^/', session: 'nobody', event: 'x' }] }, {}, async (server) => {
        const c = client(server.port!);
        c.socket.write(GET('/'));
        expect((await c.responses(1))[0]!.status).toBe('HTTP/1.1 500 (Internal Server Error)');
        await c.ended;
      }),
      run(),
    ]);
    expect(warnings).toEqual([`SimpleHTTP: no session \`"nobody"\` (string) for handler "^/" (event 'x'); answering 500`]);
  });

  test('DONE with something else, DONE twice, DONE after the client left: warnings or errorHandler, never an exception', async () => {
    const { kernel, run, warnings, log } = realKernel();
    const arrived = gate<SimpleHTTPResponse>();
    await Promise.all([
      serve(
        kernel,
        { handlers: [{ dir: '^/twice$', session: 'app', event: 'twice' }, { dir: '^/gone$', session: 'app', event: 'gone' }], errorHandler: { session: 'app', event: 'error' } },
        {
          twice: (ctx, _req: HttpRequest, res: SimpleHTTPResponse) => {
            ctx.kernel.call('httpd', 'DONE', { not: 'a response' });
            res.content = 'once';
            ctx.kernel.call('httpd', 'DONE', res);
            ctx.kernel.call('httpd', 'DONE', res);
          },
          gone: (_ctx, _req: HttpRequest, res: SimpleHTTPResponse) => arrived.open(res),
          error: (_ctx, message: string, ip: string) => log.push(`error ${message} ${ip}`),
        },
        async (server) => {
          const a = client(server.port!);
          a.socket.write(GET('/twice'));
          expect((await a.responses(1))[0]!.body).toBe('once');
          await a.ended;
          const b = client(server.port!);
          b.socket.write(GET('/gone'));
          const res = await arrived.promise;
          // A reset: the connection is gone (after a plain EOF the server would still answer,
          // as to a client that half-closed).
          b.socket.resetAndDestroy();
          await b.ended;
          // The server sees the reset, then the late DONE.
          await until(() => server.connections === 0, 2000, 'the server to see the client go');
          kernel.call('httpd', 'DONE', res);
        },
      ),
      run(),
    ]);
    expect(warnings).toEqual([
      'SimpleHTTP: DONE needs the SimpleHTTPResponse a handler was given, got `{"not":"a response"}` (object)',
      'SimpleHTTP: DONE for a response already sent; ignored',
    ]);
    expect(log).toEqual(['error Wheel disappeared ! 127.0.0.1']);
  });

  test('a malformed request gets the filter\'s 400 and the errorHandler hears of it', async () => {
    const { kernel, run, log } = realKernel();
    await Promise.all([
      serve(kernel, { handlers: [], errorHandler: { session: 'app', event: 'error' } }, { error: (_ctx, message: string, ip: string) => log.push(`${message} ${ip}`) }, async (server) => {
        const c = client(server.port!);
        c.socket.write('GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
        expect((await c.ended).startsWith('HTTP/1.0 400 Bad Request\r\n')).toBe(true);
      }),
      run(),
    ]);
    expect(log).toEqual(['BadRequest (by POE::Filter::HTTPD) 127.0.0.1']);
  });
});

describe('SimpleHTTP timeouts and limits', () => {
  test('a slowloris client (a header byte every 20 ms) gets a 408 after headerTimeout; others are served meanwhile', async () => {
    const { kernel, run } = realKernel();
    await Promise.all([
      serve(kernel, { headerTimeout: 0.3, idleTimeout: 0.2, keepAlive: true, handlers: [{ dir: '^/', session: 'app', event: 'fine' }] }, { fine: (ctx, _r: HttpRequest, res: SimpleHTTPResponse) => reply(ctx, res, 'fine') }, async (server) => {
        const slow = client(server.port!);
        const head = GET('/').repeat(1);
        let sent = 0;
        // Bounded: at most the whole head (never completed in time), one byte per tick.
        const timer = setInterval(() => {
          if (sent < head.length - 1 && !slow.socket.destroyed) slow.socket.write(head[sent++]!);
        }, 20);
        const t0 = performance.now();
        const normal = client(server.port!);
        normal.socket.write(GET('/'));
        expect(await normal.responses(1)).toEqual([ok('fine')]);
        const data = await slow.ended;
        clearInterval(timer);
        const elapsed = (performance.now() - t0) / 1000;
        expect(data.replace(/Date: [^\r]*/, 'Date: <DATE>')).toBe('HTTP/1.0 408 (Request Timeout)\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 19\r\nDate: <DATE>\r\n\r\n408 Request Timeout');
        // Trickling bytes do not extend it: closed within the timeout plus two sweeps.
        expect(elapsed).toBeGreaterThanOrEqual(0.25);
        expect(elapsed).toBeLessThan(0.3 + 0.5);
        expect(sent).toBeLessThan(head.length - 1);
      }),
      run(),
    ]);
  });

  test('idle connections close after idleTimeout: one that never sent anything, and a kept-alive one', async () => {
    const { kernel, run } = realKernel();
    await Promise.all([
      serve(kernel, { idleTimeout: 0.1, keepAlive: true, handlers: [{ dir: '^/', session: 'app', event: 'fine' }] }, { fine: (ctx, _r: HttpRequest, res: SimpleHTTPResponse) => reply(ctx, res, 'fine') }, async (server) => {
        const silent = client(server.port!);
        const kept = client(server.port!);
        kept.socket.write(GET('/'));
        expect(await kept.responses(1)).toEqual([ok('fine')]);
        expect(await silent.ended).toBe('');
        expect(await kept.ended).toContain('fine');
        expect(server.connections).toBe(0);
      }),
      run(),
    ]);
  });

  test('maxConnections: past the limit connections wait unaccepted until one closes', async () => {
    const { kernel, run, log } = realKernel();
    await Promise.all([
      serve(kernel, { maxConnections: 2, keepAlive: true, handlers: [{ dir: '^/', session: 'app', event: 'fine' }] }, {
        fine: (ctx, req: HttpRequest, res: SimpleHTTPResponse) => {
          log.push(`request ${req.uri}`);
          reply(ctx, res, req.uri);
        },
      }, async (server) => {
        const a = client(server.port!);
        const b = client(server.port!);
        a.socket.write(GET('/a'));
        b.socket.write(GET('/b'));
        await Promise.all([a.responses(1), b.responses(1)]);
        const c = client(server.port!);
        c.socket.write(GET('/c'));
        // c is connected (the kernel's listen queue took it) but not served while a and b stay.
        a.socket.write(GET('/a2'));
        await a.responses(2);
        expect(server.connections).toBe(2);
        expect(c.data).toBe('');
        a.socket.destroy();
        expect((await c.responses(1))[0]!.body).toBe('/c');
        b.socket.destroy();
        c.socket.destroy();
      }),
      run(),
    ]);
    expect(log).toEqual(['request /a', 'request /b', 'request /a2', 'request /c']);
  });
});

describe('SimpleHTTP events', () => {
  test('SHUTDOWN closes kept-alive connections at once; GRACEFUL lets an answer in progress finish', async () => {
    const { kernel, run, log } = realKernel();
    await Promise.all([
      serve(kernel, { keepAlive: true, handlers: [{ dir: '^/slow$', session: 'app', event: 'slow' }, { dir: '^/', session: 'app', event: 'fine' }] }, {
        slow: (ctx, _r: HttpRequest, res: SimpleHTTPResponse) => {
          ctx.kernel.post('httpd', 'SHUTDOWN', 'GRACEFUL');
          ctx.kernel.delay('answer', 0.05, res);
        },
        answer: (ctx, res: SimpleHTTPResponse) => reply(ctx, res, 'slow'),
        fine: (ctx, _r: HttpRequest, res: SimpleHTTPResponse) => reply(ctx, res, 'fine'),
      }, async (server) => {
        const idle = client(server.port!);
        idle.socket.write(GET('/'));
        await idle.responses(1);
        const busy = client(server.port!);
        busy.socket.write(GET('/slow'));
        log.push(`idle: ${(await idle.ended).length > 0}`);
        expect(await busy.responses(1)).toEqual([ok('slow')]);
        await busy.ended;
        log.push(`busy answered, connections ${server.connections}, listening ${server.getsockname() !== undefined}`);
      }),
      run(),
    ]);
    expect(log).toEqual(['idle: true', 'busy answered, connections 0, listening false']);
  });

  test('GETHANDLERS posts a copy of the routes; SETHANDLERS replaces them (POE\'s synopsis: first to last)', async () => {
    const { kernel, run, log } = realKernel();
    await Promise.all([
      serve(kernel, { handlers: [{ dir: '^/', session: 'app', event: 'first' }, { dir: '.*', session: 'app', event: 'second' }] }, {
        first: (ctx, _r: HttpRequest, res: SimpleHTTPResponse) => reply(ctx, res, 'first'),
        second: (ctx, _r: HttpRequest, res: SimpleHTTPResponse) => reply(ctx, res, 'second'),
        got_handlers: (ctx, handlers: { dir: string; event: string }[]) => {
          log.push(handlers.map((h) => `${h.dir}=${h.event}`).join(' '));
          handlers.push(handlers.shift()!);
          ctx.kernel.post('httpd', 'SETHANDLERS', handlers);
          ctx.kernel.post('httpd', 'SETHANDLERS', [{ DIR: 'x' }]);
          ctx.kernel.post('app', 'set');
        },
        set: () => undefined,
      }, async (server) => {
        const a = client(server.port!);
        a.socket.write(GET('/'));
        expect((await a.responses(1))[0]!.body).toBe('first');
        kernel.post('httpd', 'GETHANDLERS', 'app', 'got_handlers');
        await until(() => server.getHandlers()[0]!.event === 'second', 2000, 'SETHANDLERS');
        const b = client(server.port!);
        b.socket.write(GET('/'));
        expect((await b.responses(1))[0]!.body).toBe('second');
        await Promise.all([a.ended, b.ended]);
      }),
      run(),
    ]);
    expect(log).toEqual(['^/=first .*=second']);
  });

  test('logHandler hears each request before its handler; log2Handler each response as it is sent', async () => {
    const { kernel, run, log } = realKernel();
    await Promise.all([
      serve(kernel, {
        handlers: [{ dir: '^/', session: 'app', event: 'fine' }],
        logHandler: { session: 'app', event: 'log' },
        log2Handler: { session: 'app', event: 'log2' },
      }, {
        fine: (ctx, req: HttpRequest, res: SimpleHTTPResponse) => {
          log.push(`handler ${req.uri}`);
          reply(ctx, res, 'fine');
        },
        log: (_ctx, req: HttpRequest, ip: string) => log.push(`log ${req.method} ${req.uri} ${ip}`),
        log2: (_ctx, req: HttpRequest, res: SimpleHTTPResponse) => log.push(`log2 ${req.uri} ${res.code}`),
      }, async (server) => {
        const c = client(server.port!);
        c.socket.write(GET('/x'));
        await c.ended;
      }),
      run(),
    ]);
    expect(log).toEqual(['handler /x', 'log GET /x 127.0.0.1', 'log2 /x 200']);
  });
  test('setupHandler hears (port, address) a turn after spawn, as POE yields start_listener: a session made after spawn() gets it by alias', async () => {
    const { kernel, run, log } = realKernel();
    const server = SimpleHTTP.spawn({
      kernel,
      alias: 'httpd',
      address: '127.0.0.1',
      handlers: [],
      setupHandler: { session: 'watcher', event: 'ready' },
    });
    Session.create({
      kernel,
      inlineStates: {
        _start: (ctx) => void ctx.kernel.aliasSet('watcher'),
        ready: (ctx, port: number, address: string) => {
          log.push(`ready ${port === server.port ? 'port' : port} ${address}`);
          ctx.kernel.post('httpd', 'SHUTDOWN');
          ctx.kernel.aliasRemove('watcher');
        },
      },
    });
    await run();
    expect(log).toEqual(['ready port 127.0.0.1']);
  });
});

describe('SimpleHTTP options', () => {
  const handlers = [{ dir: '^/', session: 'app', event: 'x' }];
  test.each([
    ['an unknown option, POE spelling', { handlers, KEEPALIVE: 1 }, 'ERR_POE_UNKNOWN_OPTION', /Unknown SimpleHTTP option `KEEPALIVE`/],
    ['no handlers', {}, 'ERR_POE_INVALID_ARGUMENT', /`handlers` to be an array/],
    ['a handler with POE keys', { handlers: [{ DIR: '^/', SESSION: 'app', EVENT: 'x' }] }, 'ERR_POE_UNKNOWN_OPTION', /Unknown SimpleHTTP handler 0 option `DIR`; expected one of `dir`, `session`, `event`/],
    ['a handler without event', { handlers: [{ dir: '^/', session: 'app' }] }, 'ERR_POE_INVALID_ARGUMENT', /handler 0 `event` to be an event name/],
    ['a malformed dir', { handlers: [{ dir: '(', session: 'app', event: 'x' }] }, 'ERR_POE_INVALID_ARGUMENT', /handler 0 has a malformed `dir`/],
    ['a bad session', { handlers: [{ dir: '^/', session: {}, event: 'x' }] }, 'ERR_POE_INVALID_ARGUMENT', /handler 0 `session` to be an alias/],
    ['maxConnections 0', { handlers, maxConnections: 0 }, 'ERR_POE_INVALID_ARGUMENT', /`maxConnections` to be an integer >= 1/],
    ['a negative idleTimeout', { handlers, idleTimeout: -1 }, 'ERR_POE_INVALID_ARGUMENT', /`idleTimeout` to be a number of seconds/],
    ['headerTimeout as a string', { handlers, headerTimeout: '5' }, 'ERR_POE_INVALID_ARGUMENT', /`headerTimeout` to be a number of seconds/],
    ['keepAlive as 1', { handlers, keepAlive: 1 }, 'ERR_POE_INVALID_ARGUMENT', /`keepAlive` to be a boolean/],
    ['headers with CR', { handlers, headers: { 'X-A': 'a\r\nb' } }, 'ERR_POE_INVALID_ARGUMENT', /header `X-A` to have no CR, LF or NUL/],
    ['a logHandler without event', { handlers, logHandler: { session: 'app' } }, 'ERR_POE_INVALID_ARGUMENT', /`logHandler` `event` to be an event name/],
    ['a bad port', { handlers, port: 70000 }, 'ERR_POE_INVALID_ARGUMENT', /`port` to be a port/],
  ])('%s', async (_name, options, code, message) => {
    const thrown = await thrownInSession(() => SimpleHTTP.spawn(options as never));
    expect(thrown).toBeInstanceOf(PoeArgumentError);
    expect((thrown as PoeArgumentError).code).toBe(code);
    expect((thrown as Error).message).toMatch(message);
  });

  test('setHandlers() throws for a bad route and keeps the old ones', async () => {
    const { kernel, run } = realKernel();
    await Promise.all([
      serve(kernel, { handlers }, {}, async (server) => {
        expect(codeOf(() => server.setHandlers([{ dir: 7 } as never]))).toBe('ERR_POE_INVALID_ARGUMENT');
        expect(server.getHandlers()).toEqual(handlers);
        await Promise.resolve();
      }),
      run(),
    ]);
  });
});
