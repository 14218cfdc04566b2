/**
 * SimpleHTTP over TLS (POE's `SSLKEYCERT`): node's https client and a raw TLS socket get their
 * answers, the route sees `response.connection.ssl` and what was negotiated; a client that
 * fails its handshake (a plaintext client, no client certificate, an untrusted one) reaches no
 * route, goes to errorHandler with its code, and the server serves the next. Certificates are
 * made at test time (t/kit/tls.ts); real sockets on 127.0.0.1, port 0.
 */
import * as https from 'node:https';
import * as net from 'node:net';
import { constants } from 'node:os';
import * as tls from 'node:tls';
import { beforeAll, describe, expect, test } from 'vitest';
import { type HttpRequest, type SimpleHTTPResponse } from '../../src/index.js';
import { type Certificates, codeOf, makeCertificates, realKernel, until } from '../kit/index.js';
import { SimpleHTTP } from '../../src/index.js';
import { serve, splitResponses, type WireResponse } from './simple-http-kit.js';

const E = constants.errno;

let certs: Certificates;
beforeAll(() => {
  certs = makeCertificates();
});

type Ctx = Parameters<Parameters<typeof serve>[2][string]>[0];

/** The route: answers with what the connection says of its TLS. */
function whoami(ctx: Ctx, req: HttpRequest, res: SimpleHTTPResponse): void {
  const c = res.connection;
  const peer = c.tls?.getPeerCertificate();
  const cn = peer?.subject === undefined ? '-' : String(peer.subject.CN);
  res.content = `${req.uri} ssl=${c.ssl} cipher=${typeof c.sslcipher === 'string' && c.sslcipher !== '' ? 'yes' : String(c.sslcipher)} ${c.tls?.getProtocol() ?? '-'} peer=${cn} authorized=${c.tls?.authorized ?? '-'} wheel=${c.ID === res.wheelId}`;
  ctx.kernel.post('httpd', 'DONE', res);
}

/** A GET with node's https client; resolves with status, body and the socket it went on. */
function httpsGet(port: number, path: string, agent: https.Agent, options: https.RequestOptions = {}): Promise<{ status: number; body: string; socket: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path, agent, ...options }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body, socket: res.socket }));
    });
    req.on('error', reject);
  });
}

/** A raw TLS client: writes `text` once connected; settles with what it read once the server closes, or the error. */
function rawTls(port: number, options: tls.ConnectionOptions, text: string): Promise<{ data: string; error: string | undefined; secure: boolean }> {
  return new Promise((resolve) => {
    let data = '';
    let error: string | undefined;
    let secure = false;
    const socket = tls.connect({ host: '127.0.0.1', port, ...options }, () => {
      secure = true;
      socket.write(text);
    });
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', (err: Error & { code?: string }) => (error ??= err.code));
    socket.on('close', () => resolve({ data, error, secure }));
  });
}

/** A plaintext client on a TLS port: settles with what it read once the server closes. */
function plain(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(text));
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(data));
  });
}

describe('SimpleHTTP over TLS', () => {
  test("node's https client: two keep-alive requests on one TLS connection; the route sees ssl, the cipher and the protocol", async () => {
    const { kernel, run, warnings, log } = realKernel();
    await Promise.all([
      serve(kernel, { keepAlive: true, tls: { ...certs.server }, handlers: [{ dir: '^/', session: 'app', event: 'whoami' }] }, { whoami }, async (server) => {
        const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: certs.ca });
        try {
          const one = await httpsGet(server.port!, '/one', agent, { servername: 'localhost' });
          const two = await httpsGet(server.port!, '/two', agent, { servername: 'localhost' });
          log.push(`${one.status} ${one.body}`, `${two.status} ${two.body}`, `same socket ${one.socket === two.socket}`, `connections ${server.connections}`);
        } finally {
          agent.destroy();
        }
      }),
      run(),
    ]);
    expect(log).toEqual(['200 /one ssl=true cipher=yes TLSv1.3 peer=- authorized=false wheel=true', '200 /two ssl=true cipher=yes TLSv1.3 peer=- authorized=false wheel=true', 'same socket true', 'connections 1']);
    expect(warnings).toEqual([]);
  });

  test('a raw TLS client with a client certificate: pipelined requests answered in order, the peer certificate on the connection', async () => {
    const { kernel, run, warnings } = realKernel();
    let responses: WireResponse[] = [];
    await Promise.all([
      serve(
        kernel,
        { keepAlive: true, tls: { ...certs.server, ca: certs.ca, requestCert: true, rejectUnauthorized: true }, handlers: [{ dir: '^/', session: 'app', event: 'whoami' }] },
        { whoami },
        async (server) => {
          const r = await rawTls(server.port!, { ca: certs.ca, servername: 'localhost', ...certs.client }, 'GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
          expect(r.error).toBeUndefined();
          responses = splitResponses(r.data, true).responses;
        },
      ),
      run(),
    ]);
    expect(responses.map((r) => `${r.status} ${r.body}`)).toEqual([
      'HTTP/1.1 200 (OK) /a ssl=true cipher=yes TLSv1.3 peer=client authorized=true wheel=true',
      'HTTP/1.1 200 (OK) /b ssl=true cipher=yes TLSv1.3 peer=client authorized=true wheel=true',
    ]);
    expect(warnings).toEqual([]);
  });

  test('failed handshakes reach no route: a plaintext client, no client certificate, an untrusted one each go to errorHandler; the next client is served', async () => {
    const { kernel, run, warnings, log } = realKernel();
    const errors: string[] = [];
    await Promise.all([
      serve(
        kernel,
        {
          tls: { ...certs.server, ca: certs.ca, requestCert: true, rejectUnauthorized: true },
          handlers: [{ dir: '^/', session: 'app', event: 'whoami' }],
          errorHandler: { session: 'app', event: 'error' },
        },
        {
          whoami: (ctx: Ctx, req: HttpRequest, res: SimpleHTTPResponse) => {
            log.push(`route ${req.uri}`);
            whoami(ctx, req, res);
          },
          error: (_ctx: Ctx, message: string, ip: string) => errors.push(`${message} ${ip}`),
        },
        async (server) => {
          const port = server.port!;
          const GET = 'GET /x HTTP/1.0\r\n\r\n';
          // TLS 1.2 on the refused clients: the server's verdict then ends their handshake.
          log.push(`plaintext read '${await plain(port, GET)}'`);
          await until(() => errors.length === 1, 5000, 'the plaintext client reported');
          const none = await rawTls(port, { ca: certs.ca, maxVersion: 'TLSv1.2' }, GET);
          log.push(`no certificate: secure=${none.secure} read '${none.data}' ${none.error}`);
          await until(() => errors.length === 2, 5000, 'the client without a certificate reported');
          const rogue = await rawTls(port, { ca: certs.ca, maxVersion: 'TLSv1.2', ...certs.rogue }, GET);
          log.push(`rogue: secure=${rogue.secure} read '${rogue.data}' ${rogue.error}`);
          await until(() => errors.length === 3, 5000, 'the untrusted client reported');
          const good = await rawTls(port, { ca: certs.ca, ...certs.client }, GET);
          log.push(`good: ${splitResponses(good.data, true).responses.map((r) => `${r.status} ${r.body}`).join('|')}`);
          log.push(`connections ${server.connections}`);
        },
      ),
      run(),
    ]);
    expect(log).toEqual([
      "plaintext read ''",
      "no certificate: secure=false read '' ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
      "rogue: secure=false read '' ECONNRESET",
      'route /x',
      'good: HTTP/1.0 200 (OK) /x ssl=true cipher=yes TLSv1.3 peer=client authorized=true wheel=true',
      'connections 0',
    ]);
    expect(errors).toEqual([
      `handshake error ${E.EPROTO} (ERR_SSL_HTTP_REQUEST) 127.0.0.1`,
      `handshake error ${E.EPROTO} (ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE) 127.0.0.1`,
      `handshake error ${E.EPROTO} (DEPTH_ZERO_SELF_SIGNED_CERT) 127.0.0.1`,
    ]);
    expect(warnings).toEqual([]);
  });

  test('a client that never starts its handshake is closed after headerTimeout, reported, and the server keeps serving', async () => {
    const { kernel, run, warnings } = realKernel();
    const errors: string[] = [];
    let silent = '';
    let good: WireResponse[] = [];
    await Promise.all([
      serve(
        kernel,
        { tls: { ...certs.server }, headerTimeout: 0.3, handlers: [{ dir: '^/', session: 'app', event: 'whoami' }], errorHandler: { session: 'app', event: 'error' } },
        { whoami, error: (_ctx: Ctx, message: string, ip: string) => errors.push(`${message} ${ip}`) },
        async (server) => {
          silent = await plain(server.port!, '');
          const r = await rawTls(server.port!, { ca: certs.ca, servername: 'localhost' }, 'GET /after HTTP/1.0\r\n\r\n');
          good = splitResponses(r.data, true).responses;
        },
      ),
      run(),
    ]);
    expect(silent).toBe('');
    expect(errors).toEqual([`handshake error ${E.ETIMEDOUT} (ERR_TLS_HANDSHAKE_TIMEOUT) 127.0.0.1`]);
    expect(good.map((r) => `${r.status} ${r.body}`)).toEqual(['HTTP/1.0 200 (OK) /after ssl=true cipher=yes TLSv1.3 peer=- authorized=false wheel=true']);
    expect(warnings).toEqual([]);
  });

  test('plaintext connections say ssl=false, no TLS socket, no cipher; bad tls options are refused at spawn', async () => {
    const { kernel, run, warnings, log } = realKernel();
    await Promise.all([
      serve(kernel, { handlers: [{ dir: '^/', session: 'app', event: 'whoami' }] }, { whoami }, async (server) => {
        const c = await plain(server.port!, 'GET /p HTTP/1.0\r\n\r\n');
        log.push(...splitResponses(c, true).responses.map((r) => r.body));
      }),
      run(),
    ]);
    expect(log).toEqual(['/p ssl=false cipher=undefined - peer=- authorized=- wheel=true']);
    expect(warnings).toEqual([]);
    const k = realKernel().kernel;
    expect(codeOf(() => SimpleHTTP.spawn({ kernel: k, handlers: [], tls: { key: Buffer.from('not a key'), cert: certs.server.cert } }))).toBe('ERR_POE_INVALID_ARGUMENT');
    expect(codeOf(() => SimpleHTTP.spawn({ kernel: k, handlers: [], tls: { handshakeTimeout: -1 } }))).toBe('ERR_POE_INVALID_ARGUMENT');
    expect(codeOf(() => SimpleHTTP.spawn({ kernel: k, handlers: [], tls: { keyy: 1 } as never }))).toBe('ERR_POE_UNKNOWN_OPTION');
    expect(codeOf(() => SimpleHTTP.spawn({ kernel: k, handlers: [], tls: 'yes' as never }))).toBe('ERR_POE_INVALID_ARGUMENT');
    expect(k.sessionCount).toBe(0);
  });
});
