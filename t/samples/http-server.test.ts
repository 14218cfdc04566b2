/**
 * samples/http-server (SimpleHTTP with a few routes), end to end on 127.0.0.1 and port 0:
 * every route with a keep-alive client, pipelined requests answered in order behind a slow
 * one, the streamed count, the throwing route (500, then the server carries on), the 404,
 * stop(), and the built program under `node` stopped by SIGINT.
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { start } from '../../samples/http-server.js';
import { client } from '../component/simple-http-kit.js';
import { builtSample, cleanup, ensureBuilt, exitOf, expectNoLeaks, realKernel, run } from '../kit/index.js';

const built = builtSample('http-server');
const LISTENING = /^http-server listening on 127\.0\.0\.1:(\d+)$/;
const GET = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`;

describe('samples/http-server', () => {
  test('the routes over one keep-alive connection, pipelined behind /slow; the 500 and the 404 on their own', async () => {
    const { kernel, warnings } = realKernel();
    const log: string[] = [];
    const server = await start({ port: 0, host: '127.0.0.1', kernel, log: (line) => log.push(line) });
    const c = client(server.port);
    c.socket.write(GET('/slow') + GET('/hello/poe%20ts') + GET('/count?n=2') + GET('/'));
    const responses = await c.responses(4);
    expect(responses.map((r) => [r.status, r.body])).toEqual([
      ['HTTP/1.1 200 (OK)', 'slow, but in order\n'],
      ['HTTP/1.1 200 (OK)', 'Hello, poe ts!\n'],
      ['HTTP/1.1 200 (OK)', 'line 1 of 2\nline 2 of 2\n'],
      ['HTTP/1.1 200 (OK)', 'poe-ts http-server\n\nGET /\nGET /hello/NAME\nGET /slow\nGET /count?n=N\nGET /boom\n'],
    ]);
    expect(responses[2]!.headers).toContain('Transfer-Encoding: chunked');
    expect(responses[0]!.headers).toContain('Server: poe-ts http-server');
    const boom = client(server.port);
    boom.socket.write(GET('/boom'));
    expect((await boom.responses(1))[0]!.status).toBe('HTTP/1.1 500 (Internal Server Error)');
    await boom.ended;
    const missing = client(server.port);
    missing.socket.write(GET('/missing'));
    expect((await missing.responses(1))[0]).toMatchObject({ status: 'HTTP/1.1 404 (Not Found)', body: '404 Not Found' });
    await missing.ended;
    c.socket.destroy();
    server.stop();
    await server.done;
    expectNoLeaks(kernel);
    expect(log).toEqual([
      'GET /slow 200',
      'GET /hello/poe%20ts 200',
      'GET /count?n=2 200',
      'GET / 200',
      'GET /boom 500',
      'GET /missing 404',
    ]);
    expect(warnings.map((w) => w.split('\n')[0])).toEqual(["SimpleHTTP: handler 'boom' for /^\\/boom$/ threw: Error: boom: this handler always fails"]);
  });
});

describe('samples/http-server as a program', () => {
  beforeAll(() => ensureBuilt(built), 120_000);
  afterEach(cleanup);

  test('node build/samples/http-server.js: PORT sets the port, a request is logged, SIGINT stops it', async () => {
    const p = run(built, [], { env: { PORT: '0', HOST: '127.0.0.1' } });
    const port = Number((await p.line(LISTENING))[1]);
    const c = client(port);
    c.socket.write(GET('/hello/program'));
    expect((await c.responses(1))[0]!.body).toBe('Hello, program!\n');
    c.socket.destroy();
    await p.line(/^GET \/hello\/program 200$/);
    p.child.kill('SIGINT');
    const [code] = await exitOf(p);
    expect(code).toBe(0);
    expect(p.lines).toEqual([`http-server listening on 127.0.0.1:${port}`, 'GET /hello/program 200', 'http-server stopped']);
  });
});
