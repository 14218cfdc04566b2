/**
 * Type tests: TLS options (issue 13). A listener takes server options (SNI `contexts`,
 * `requestCert`, `handshakeTimeout`), a client takes client options (`servername`,
 * `checkServerIdentity`); each refuses the other's; the heaps carry the TLS socket typed.
 * `npm run typecheck` checks every `@ts-expect-error`.
 */
import type * as tls from 'node:tls';
import { describe, expectTypeOf, test } from 'vitest';
import { ClientTCP, Kernel, ServerTCP, SocketFactory, type ClientTCPHeap, type ServerTCPClientHeap, type TlsConnectOptions, type TlsListenOptions } from '../../src/index.js';

const never = false as boolean;

describe('TLS option types', () => {
  test('listener options and client options are told apart', () => {
    const listen: TlsListenOptions = { key: 'k', cert: 'c', contexts: { 'a.test': { key: 'k', cert: 'c' } }, requestCert: true, handshakeTimeout: 1000, ALPNProtocols: ['h2'], minVersion: 'TLSv1.2' };
    const connect: TlsConnectOptions = { ca: 'ca', servername: 'a.test', ALPNProtocols: ['h2'], checkServerIdentity: () => undefined, minVersion: 'TLSv1.3' };
    // @ts-expect-error a client has no SNI contexts
    const badConnect: TlsConnectOptions = { contexts: {} };
    // @ts-expect-error a listener does not name a server
    const badListen: TlsListenOptions = { servername: 'a.test' };
    // @ts-expect-error no such node:tls option
    const typo: TlsListenOptions = { requestCerts: true };
    expectTypeOf(listen).toMatchTypeOf<TlsListenOptions>();
    expectTypeOf(connect).toMatchTypeOf<TlsConnectOptions>();
    void [badConnect, badListen, typo];
    if (never) {
      ServerTCP.create({ kernel: new Kernel(), tls: listen, clientInput: () => undefined });
      ClientTCP.create({ kernel: new Kernel(), remoteAddress: 'localhost', remotePort: 443, tls: connect, serverInput: () => undefined });
      // @ts-expect-error ServerTCP takes listener options
      ServerTCP.create({ kernel: new Kernel(), tls: { servername: 'x' }, clientInput: () => undefined });
      // @ts-expect-error ClientTCP takes client options
      ClientTCP.create({ kernel: new Kernel(), remoteAddress: 'x', remotePort: 1, tls: { handshakeTimeout: 5 }, serverInput: () => undefined });
      new SocketFactory({ successEvent: 's', failureEvent: 'f', tls: listen });
    }
  });

  test('the heaps carry the TLS socket', () => {
    expectTypeOf<ServerTCPClientHeap['tls']>().toEqualTypeOf<tls.TLSSocket | undefined>();
    expectTypeOf<ClientTCPHeap['tls']>().toEqualTypeOf<tls.TLSSocket | undefined>();
  });
});
