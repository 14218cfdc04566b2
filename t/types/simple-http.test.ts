/**
 * Type tests for SimpleHTTP (`npm run typecheck` checks them): the component's events typed
 * through `server.session`, routes' handler arguments, and the options' shapes. Nothing here
 * runs a kernel: the code sits in functions that are never called.
 */
import { describe, expectTypeOf, test } from 'vitest';
import {
  Session,
  SimpleHTTP,
  type HttpRequest,
  type Kernel,
  type SimpleHTTPConnection,
  type SimpleHTTPHandlerArgs,
  type SimpleHTTPOptions,
  type SimpleHTTPResponse,
  type WheelId,
} from '../../src/index.js';

interface Site {
  page: (...args: SimpleHTTPHandlerArgs) => void;
}

describe('SimpleHTTP types', () => {
  test('DONE, CLOSE, STREAM and the others are checked through server.session', () => {
    function f(kernel: Kernel, server: SimpleHTTP, response: SimpleHTTPResponse): void {
      kernel.post(server.session, 'DONE', response);
      kernel.post(server.session, 'CLOSE', response);
      kernel.post(server.session, 'STREAM', response);
      kernel.post(server.session, 'SHUTDOWN', 'GRACEFUL');
      kernel.post(server.session, 'SHUTDOWN');
      kernel.post(server.session, 'GETHANDLERS', 'app', 'got_handlers');
      kernel.post(server.session, 'SETHANDLERS', [{ dir: /^\//, session: 'app', event: 'page' }]);
      kernel.call(server.session, 'STOPLISTEN');
      // @ts-expect-error DONE takes the SimpleHTTPResponse, not a string
      kernel.post(server.session, 'DONE', 'text');
      // @ts-expect-error no such event (POE's are upper case)
      kernel.post(server.session, 'done', response);
      // @ts-expect-error SETHANDLERS takes routes
      kernel.post(server.session, 'SETHANDLERS', [{ DIR: '^/' }]);
    }
    expectTypeOf(f).toBeFunction();
  });

  test('a route handler gets (request, response, dir)', () => {
    function f(kernel: Kernel): void {
      Session.create<Site>({
        kernel,
        inlineStates: {
          page: (_ctx, request, response, dir) => {
            expectTypeOf(request).toEqualTypeOf<HttpRequest>();
            expectTypeOf(response).toEqualTypeOf<SimpleHTTPResponse>();
            expectTypeOf(dir).toEqualTypeOf<RegExp | string>();
            expectTypeOf(response.connection).toEqualTypeOf<SimpleHTTPConnection>();
            expectTypeOf(response.wheelId).toEqualTypeOf<WheelId>();
            expectTypeOf(response.connection.remote_ip).toEqualTypeOf<string>();
            response.stream({ event: 'more', dontFlush: true });
            // @ts-expect-error stream() needs an event
            response.stream({ session: 'app' });
          },
        },
      });
    }
    expectTypeOf(f).toBeFunction();
  });

  test('options', () => {
    expectTypeOf(SimpleHTTP.spawn).parameter(0).toEqualTypeOf<SimpleHTTPOptions>();
    expectTypeOf(SimpleHTTP.spawn).returns.toEqualTypeOf<SimpleHTTP>();
    const ok: SimpleHTTPOptions = { handlers: [{ dir: '^/', session: 'app', event: 'page' }], keepAlive: true, idleTimeout: 5, maxConnections: 10 };
    // @ts-expect-error handlers are required
    const noHandlers: SimpleHTTPOptions = { keepAlive: true };
    // @ts-expect-error a route needs an event
    const noEvent: SimpleHTTPOptions = { handlers: [{ dir: '^/', session: 'app' }] };
    // @ts-expect-error keepAlive is a boolean
    const wrong: SimpleHTTPOptions = { handlers: [], keepAlive: 1 };
    expectTypeOf(ok).toEqualTypeOf<SimpleHTTPOptions>();
    void noHandlers;
    void noEvent;
    void wrong;
  });
});
