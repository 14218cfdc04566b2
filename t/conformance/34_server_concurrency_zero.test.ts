/**
 * Conformance: probe 34_server_concurrency_zero (spec 4.1, G36).
 *
 * Server::TCP with `Concurrency => 0` is documented as accepting nothing, but the limit is
 * checked in the accept callback, after the accept: the first client still gets in, and only
 * then is accept paused. The connection session shuts itself down at once and the server is
 * told to shut down; the client sees EOF as ServerError('read', 0), then Disconnected.
 *
 * Real sockets on 127.0.0.1 and the real clock. Translations of the Perl:
 * - `POE::Component::Server::TCP->new(...)` -> `ServerTCP.create({...})`, likewise the client;
 * - `unpack_sockaddr_in($_[HEAP]{listener}->getsockname)` -> `heap.listener.getsockname().port`;
 * - the probe's `delay(go => 0.05)` is kept: it is a POE timer, not a test's sleep.
 * The expected lines need no translation.
 */
import { expect, test } from 'vitest';
import { ClientTCP, ServerTCP, Session } from '../../src/index.js';
import { expectedLines, expectNoLeaks, probeExpected, realKernel, runBounded } from '../kit/index.js';

test('34_server_concurrency_zero: the first connection is accepted, then accept pauses', async () => {
  const { kernel, warnings, log: out, say } = realKernel();
  let port = 0;

  ServerTCP.create({
    kernel,
    alias: 'srv',
    address: '127.0.0.1',
    port: 0,
    concurrency: 0,
    started: (ctx) => {
      const name = ctx.heap.listener?.getsockname();
      port = name !== undefined && 'port' in name ? name.port : 0;
    },
    clientConnected: (ctx) => {
      say('server accepted a connection despite Concurrency=0');
      ctx.kernel.yield('shutdown');
      ctx.kernel.post('srv', 'shutdown');
    },
    clientInput: () => undefined,
  });
  Session.create({
    kernel,
    inlineStates: {
      _start: (ctx) => void ctx.kernel.delay('go', 0.05),
      go: () => {
        ClientTCP.create({
          remoteAddress: '127.0.0.1',
          remotePort: port,
          serverInput: () => undefined,
          serverError: (_ctx, op, errnum) => say('client ServerError ', op, ' ', errnum),
          connected: () => say('client connected'),
          disconnected: () => say('client disconnected'),
        });
      },
    },
  });
  await runBounded(kernel);
  say('run returned');

  expect(out).toEqual(expectedLines(probeExpected('34_server_concurrency_zero')));
  expect(warnings).toEqual([]);
  expectNoLeaks(kernel);
});
