/**
 * ClientHTTP over TLS: the `tls` option (spawn-level, and per request in the promise form)
 * reaches undici's connector: a private CA, a client certificate, `rejectUnauthorized: false`
 * (what POE's Client::HTTP does: SSLify checks no certificate). A refused certificate is POE's
 * 500 connect-failure response naming the TLS code, never an exception. Certificates are made
 * at test time (t/kit/tls.ts); https servers on 127.0.0.1 port 0.
 */
import * as https from 'node:https';
import type * as net from 'node:net';
import { constants } from 'node:os';
import type * as tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ClientHTTP, HttpRequest, type ClientHTTPRequestPacket, type ClientHTTPResponsePacket, type ClientHTTPOptions, type Context, type HttpResponse, Session, type Untyped } from '../../src/index.js';
import { type Certificates, codeOf, makeCertificates, realKernel } from '../kit/index.js';

type Ctx = Context<Untyped, Record<string, unknown>>;
const E = constants.errno;

let certs: Certificates;
beforeAll(() => {
  certs = makeCertificates();
});

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** An https server answering `<path> peer=<client certificate CN or ->`. */
async function httpsServer(options: tls.TlsOptions): Promise<{ port: number }> {
  const server = https.createServer(options, (req, res) => {
    const peer = (req.socket as tls.TLSSocket).getPeerCertificate();
    res.end(`${req.url!} peer=${peer.subject === undefined ? '-' : String(peer.subject.CN)}`);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port };
}

/** A response as a line: code, and X-PCCH-Errmsg or the body; the port as P. */
function line(r: HttpResponse, port: number): string {
  return `${r.code} ${r.header('X-PCCH-Errmsg') ?? r.contentText}`.replaceAll(String(port), 'P');
}

/** Spawns a ClientHTTP with `options`, posts each request from a session, and returns the response lines in order of the requests. */
async function fetchAll(options: ClientHTTPOptions, requests: [url: string, port: number][]): Promise<string[]> {
  const k = realKernel();
  const client = ClientHTTP.spawn({ kernel: k.kernel, ...options });
  const got: string[] = [];
  Session.create({
    kernel: k.kernel,
    inlineStates: {
      _start: (ctx: Ctx) => {
        requests.forEach(([url], i) => ctx.kernel.post('weeble', 'request', 'response', new HttpRequest('GET', url), i));
      },
      response: (_ctx: Ctx, [, tag]: ClientHTTPRequestPacket, [r]: ClientHTTPResponsePacket) => {
        got[tag as number] = line(r, requests[tag as number]![1]);
        if (Object.keys(got).length === requests.length) client.shutdown();
      },
    },
  });
  await k.run();
  expect(k.warnings).toEqual([]);
  return got;
}

describe('ClientHTTP over TLS', () => {
  test('the spawn `tls`: a private CA is trusted; an untrusted or unknown certificate is the 500 naming its code; a client certificate when the server requires one', async () => {
    const good = await httpsServer({ ...certs.server });
    const rogue = await httpsServer({ ...certs.rogue });
    const mutual = await httpsServer({ ...certs.server, ca: certs.ca, requestCert: true, rejectUnauthorized: true });
    const at = (s: { port: number }, path: string): [string, number] => [`https://127.0.0.1:${s.port}${path}`, s.port];

    expect(await fetchAll({ tls: { ca: certs.ca } }, [at(good, '/trusted'), at(rogue, '/rogue')])).toEqual([
      '200 /trusted peer=-',
      `500 Connection to 127.0.0.1:P failed: handshake error ${E.EPROTO}: DEPTH_ZERO_SELF_SIGNED_CERT`,
    ]);
    // Node's own trust (no `tls`): the test CA is nobody's.
    expect(await fetchAll({}, [at(good, '/default')])).toEqual([`500 Connection to 127.0.0.1:P failed: handshake error ${E.EPROTO}: UNABLE_TO_VERIFY_LEAF_SIGNATURE`]);
    // TLS 1.2: the server's refusal then ends the handshake (under 1.3 it comes after it, as an alert).
    expect(await fetchAll({ tls: { ca: certs.ca, maxVersion: 'TLSv1.2' } }, [at(mutual, '/nocert')])).toEqual([
      `500 Connection to 127.0.0.1:P failed: handshake error ${E.EPROTO}: ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE`,
    ]);
    // Under TLS 1.3 a Node server refuses the certificate after the client's handshake ended,
    // and closes without an alert: the client sees only the connection closing, no TLS code.
    expect(await fetchAll({ tls: { ca: certs.ca } }, [at(mutual, '/nocert13')])).toEqual(['400 Incomplete response - 1']);
    expect(await fetchAll({ tls: { ca: certs.ca, ...certs.client } }, [at(mutual, '/a'), at(mutual, '/b')])).toEqual(['200 /a peer=client', '200 /b peer=client']);
    // What POE's Client::HTTP does with any certificate (SSLify verifies none).
    expect(await fetchAll({ tls: { rejectUnauthorized: false } }, [at(rogue, '/any')])).toEqual(['200 /any peer=-']);
  });

  test('per request in the promise form: its own `tls` in place of the spawn\'s; an options object used again is its pool', async () => {
    const k = realKernel();
    const good = await httpsServer({ ...certs.server });
    const mutual = await httpsServer({ ...certs.server, ca: certs.ca, requestCert: true, rejectUnauthorized: true });
    const client = ClientHTTP.spawn({ kernel: k.kernel, tls: { ca: certs.ca } });
    const running = k.run();
    const withCert = { ca: certs.ca, ...certs.client };
    const get = (port: number, path: string, tlsOptions?: object): Promise<string> =>
      client.request(new HttpRequest('GET', `https://127.0.0.1:${port}${path}`), tlsOptions === undefined ? {} : { tls: tlsOptions }).then((r) => line(r, port));
    const lines = [
      await get(good.port, '/spawn'),
      await get(mutual.port, '/mine', withCert),
      await get(mutual.port, '/again', withCert),
      await get(good.port, '/none', { maxVersion: 'TLSv1.2' }),
    ];
    expect(lines).toEqual(['200 /spawn peer=-', '200 /mine peer=client', '200 /again peer=client', `500 Connection to 127.0.0.1:P failed: handshake error ${E.EPROTO}: UNABLE_TO_VERIFY_LEAF_SIGNATURE`]);
    expect(() => void client.request(new HttpRequest('GET', 'https://127.0.0.1/'), { tls: { ALPNProtocols: ['h2'] } as never })).toThrow(/`tls.ALPNProtocols` is not supported/);
    expect(codeOf(() => void client.request(new HttpRequest('GET', 'https://127.0.0.1/'), { tls: 5 as never }))).toBe('ERR_POE_INVALID_ARGUMENT');
    client.shutdown();
    await running;
    expect(k.warnings).toEqual([]);
  });

  test('bad `tls` options are refused at spawn with their codes', () => {
    const kernel = realKernel().kernel;
    expect(codeOf(() => ClientHTTP.spawn({ kernel, tls: { cax: certs.ca } as never }))).toBe('ERR_POE_UNKNOWN_OPTION');
    expect(codeOf(() => ClientHTTP.spawn({ kernel, tls: { session: Buffer.alloc(1) } as never }))).toBe('ERR_POE_INVALID_ARGUMENT');
    expect(codeOf(() => ClientHTTP.spawn({ kernel, tls: { cert: Buffer.from('no'), key: Buffer.from('no') } }))).toBe('ERR_POE_INVALID_ARGUMENT');
    expect(codeOf(() => ClientHTTP.spawn({ kernel, tls: { servername: '' } }))).toBe('ERR_POE_INVALID_ARGUMENT');
    expect(kernel.sessionCount).toBe(0);
  });
});
