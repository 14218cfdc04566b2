/**
 * Conformance: probe 20_components_tcp (spec 4.1, 4.2, G30).
 *
 * Server::TCP's `new` returns the listener's session id; a connection session's heap has
 * `remote_ip`, `remote_port` and `client`; ClientConnected gets ClientArgs; ClientInput gets
 * `(record, wheel id)`; a user ClientError is called for plain EOF `('read', 0)`, then
 * ClientDisconnected; `shutdown` posted to the server's alias stops it once its connection is
 * gone. Client::TCP's Connected gets SocketFactory's success arguments, ServerInput
 * `(record, wheel id)`, Disconnected follows `shutdown`, and a connect to the closed port gives
 * ConnectError('connect', ECONNREFUSED).
 *
 * Real sockets on 127.0.0.1 and the real clock. Translations of the Perl, line by line:
 * - `POE::Component::Server::TCP->new(...)` -> `ServerTCP.create({...})` and the same for the
 *   client; options in camelCase; `$sid =~ /^\d+$/` -> `Number.isInteger(sid)`;
 * - `unpack_sockaddr_in($_[HEAP]{listener}->getsockname)` -> `heap.listener.getsockname().port`
 *   (poe-ts returns the address unpacked);
 * - the probe runs in POE's one kernel; here each component gets this test's kernel.
 * The expected lines need no translation.
 *
 * One reordering, not a translation of the API: client2 is a session of its own, and where its
 * ConnectError lands among the server's last lines depends on when its connect runs. POE
 * polls I/O between every two timeslices, so client2's `reconnect` (posted from Disconnected)
 * runs in the slice after the server has seen the EOF, and its refusal is seen one select later,
 * after the server's connection and listener are gone. poe-ts runs queued slices back to back
 * and polls I/O between batches, so the connect is made before the server's EOF is read and its
 * refusal arrives with that EOF. Every line, argument and per-session order is POE's; only
 * client2's one line may come before `server ClientDisconnected` / `server Stopped`.
 */
import { expect, test } from 'vitest';
import { ClientTCP, ServerTCP, Session } from '../../src/index.js';
import { expectedLines, expectNoLeaks, probeExpected, realKernel, runBounded } from '../kit/index.js';

test('20_components_tcp: Server::TCP and Client::TCP callback sequence', async () => {
  const { kernel, warnings, log: out, say } = realKernel();
  let port = 0;

  const sid = ServerTCP.create({
    kernel,
    alias: 'srv',
    address: '127.0.0.1',
    port: 0,
    started: (ctx) => {
      const name = ctx.heap.listener?.getsockname();
      port = name !== undefined && 'port' in name ? name.port : 0;
      say("server Started (listener heap has 'listener' wheel)");
    },
    clientArgs: ['carg1', 'carg2'],
    clientConnected: (ctx, ...args) => {
      say('server ClientConnected: remote_ip=', ctx.heap.remote_ip, ' args=[', args.join(' '), ']');
      ctx.heap.client.put('welcome');
    },
    clientInput: (ctx, line, wheelId) => {
      say("server ClientInput: '", line, "' wheel-id-numeric=", Number.isInteger(wheelId) ? 'yes' : 'no');
      ctx.heap.client.put(`echo: ${line}`);
    },
    clientDisconnected: () => say('server ClientDisconnected'),
    clientError: (_ctx, op, errnum) => say('server ClientError: ', op, ' ', errnum),
    stopped: () => say('server Stopped'),
  });
  say("Server::TCP->new returned '", Number.isInteger(sid) ? 'numeric session id' : String(sid), "'");

  Session.create({
    kernel,
    inlineStates: {
      _start: (ctx) => void ctx.kernel.yield('go'),
      go: () => {
        ClientTCP.create({
          remoteAddress: '127.0.0.1',
          remotePort: port,
          connected: (_ctx, _socket, _addr, remotePort) => say('client Connected: ARG2(remote port) matches=', remotePort === port ? 'yes' : 'no'),
          serverInput: (ctx, line) => {
            say("client ServerInput: '", line, "'");
            if (line === 'welcome') ctx.heap.server.put('ping');
            else ctx.kernel.yield('shutdown');
          },
          disconnected: (ctx) => {
            say('client Disconnected');
            ctx.kernel.post('srv', 'shutdown');
            ClientTCP.create({
              remoteAddress: '127.0.0.1',
              remotePort: port,
              connected: () => say('ERROR connected after server shutdown'),
              connectError: (_ctx, op, errnum) => say('client2 ConnectError: op=', op, ' errnum=', errnum),
              serverInput: () => undefined,
            });
          },
        });
      },
    },
  });
  await runBounded(kernel);
  say('run returned');

  const expected = expectedLines(probeExpected('20_components_tcp'));
  const client2 = 'client2 ConnectError: op=connect errnum=111';
  const without = (lines: string[]) => lines.filter((l) => l !== client2);
  expect(without(out)).toEqual(without(expected));
  expect(out.filter((l) => l === client2)).toHaveLength(1);
  // client2 exists only once client 1 is disconnected, and fails before run() returns.
  expect(out.indexOf(client2)).toBeGreaterThan(out.indexOf('client Disconnected'));
  expect(out.indexOf(client2)).toBeLessThan(out.indexOf('run returned'));
  expect(warnings).toEqual([]);
  expectNoLeaks(kernel);
});
