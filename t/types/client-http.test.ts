/**
 * Type tests for ClientHTTP's public API: the component's events through its typed session,
 * the response and progress packets a handler receives, and the promise form.
 * `npm run typecheck` checks this file; nothing here runs a kernel.
 */
import { describe, expectTypeOf, test } from 'vitest';
import type {
  HttpResponse} from '../../src/index.js';
import {
  ClientHTTP,
  HttpRequest,
  Kernel,
  Session,
  type ClientHTTPProgressHandler,
  type ClientHTTPProgressPacket,
  type ClientHTTPRequestPacket,
  type ClientHTTPResponseHandler,
  type ClientHTTPResponsePacket,
} from '../../src/index.js';

interface Fetcher {
  response: ClientHTTPResponseHandler;
  progress: ClientHTTPProgressHandler;
}

const never = false as boolean;

describe('ClientHTTP types', () => {
  test('posts to the typed session check the event and its arguments; call returns the count', () => {
    if (never) {
      const kernel = new Kernel();
      const client = ClientHTTP.spawn({ kernel, alias: 'ua', timeout: 5, maxPerHost: 8 });
      const req = new HttpRequest('GET', 'http://127.0.0.1/');
      kernel.post(client.session, 'request', 'response', req);
      kernel.post(client.session, 'request', 'response', req, { any: 'tag' }, 'progress', 'http://127.0.0.1:3128');
      kernel.post(client.session, 'cancel', req);
      kernel.post(client.session, 'shutdown');
      expectTypeOf(kernel.call(client.session, 'pending_requests_count')).toEqualTypeOf<number | undefined>();
      // @ts-expect-error: not one of the component's events
      kernel.post(client.session, 'fetch', 'response', req);
      // @ts-expect-error: the request must be an HttpRequest
      kernel.post(client.session, 'request', 'response', 'http://127.0.0.1/');
      // @ts-expect-error: cancel takes the request object
      kernel.post(client.session, 'cancel', 42);
      // @ts-expect-error: options are camelCase
      ClientHTTP.spawn({ Timeout: 5 });
    }
  });

  test('a session declaring ClientHTTP handlers gets typed packets', () => {
    if (never) {
      const kernel = new Kernel();
      Session.create<Fetcher>({
        kernel,
        inlineStates: {
          response: (_ctx, request, response) => {
            expectTypeOf(request).toEqualTypeOf<ClientHTTPRequestPacket>();
            expectTypeOf(request[0]).toEqualTypeOf<HttpRequest>();
            expectTypeOf(response).toEqualTypeOf<ClientHTTPResponsePacket>();
            expectTypeOf(response[0]).toEqualTypeOf<HttpResponse>();
            expectTypeOf(response[1]).toEqualTypeOf<Buffer | undefined>();
            expectTypeOf(response[0].previous).toEqualTypeOf<HttpResponse | undefined>();
          },
          progress: (_ctx, _request, progress) => {
            expectTypeOf(progress).toEqualTypeOf<ClientHTTPProgressPacket>();
            expectTypeOf(progress[1]).toEqualTypeOf<number | undefined>();
          },
        },
      });
    }
  });

  test('the promise form resolves with an HttpResponse', () => {
    if (never) {
      const client = ClientHTTP.spawn();
      expectTypeOf(client.request(new HttpRequest('GET', 'http://127.0.0.1/'), { signal: AbortSignal.timeout(1000) })).toEqualTypeOf<Promise<HttpResponse>>();
      // @ts-expect-error: a URL string is not a request
      void client.request('http://127.0.0.1/');
    }
  });
});
