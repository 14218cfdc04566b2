import { ClientHTTP, HttpRequest, JobQueue, SimpleHTTP, Session, poeKernel, type JobPostback } from 'poe-ts';
import type { ClientHTTPRequestPacket, ClientHTTPResponsePacket, SimpleHTTPResponse } from 'poe-ts';

// A small legacy POE application: a link checker web service. GET /check?url=... queues a
// check (at most two at a time); each check is a HEAD request; the answer is the URL's status.

ClientHTTP.spawn({ alias: 'ua', timeout: 10 });

JobQueue.spawn({
  alias: 'checker',
  workerLimit: 2,
  worker: spawnChecker,
  passive: {},
});

const httpd = SimpleHTTP.spawn({
  alias: 'httpd',
  address: '127.0.0.1',
  port: 0,
  handlers: [
    { dir: '^/check$', session: 'site', event: 'check' },
    { dir: '^/page/', session: 'site', event: 'page' },
  ],
  setupHandler: { session: 'driver', event: 'ready' },
});

Session.create({
  inlineStates: {
    _start: (ctx) => void ctx.kernel.aliasSet('site'),
    check: (ctx, request: HttpRequest, response: SimpleHTTPResponse) => {
      const url = new URL(request.uri, 'http://x').searchParams.get('url');
      ctx.kernel.post('checker', 'enqueue', 'checked', response, url);
    },
    checked: (ctx, job: [SimpleHTTPResponse, string], result: [number]) => {
      const [response, url] = job;
      const [status] = result;
      response.code = 200;
      response.content = `${url}: ${status}\n`;
      ctx.kernel.post('httpd', 'DONE', response);
    },
    page: (ctx, request: HttpRequest, response: SimpleHTTPResponse) => {
      response.code = new URL(request.uri, 'http://x').pathname === '/page/ok' ? 200 : 404;
      response.content = 'page';
      ctx.kernel.post('httpd', 'DONE', response);
    },
    shutdown: (ctx) => void ctx.kernel.aliasRemove('site'),
  },
});

function spawnChecker(postback: JobPostback<[number]>, _response: SimpleHTTPResponse, url: string): void {
  Session.create({
    inlineStates: {
      _start: (ctx) => void ctx.kernel.post('ua', 'request', 'got', new HttpRequest('HEAD', url)),
      got: (_ctx, _req: ClientHTTPRequestPacket, res: ClientHTTPResponsePacket) => void postback(res[0].code),
    },
  });
}

// The driver: asks the service about three links, prints the answers, then shuts down.
Session.create({
  inlineStates: {
    _start: (ctx) => void ctx.kernel.aliasSet('driver'),
    ready: (ctx) => {
      const base = `http://127.0.0.1:${httpd.port}`;
      for (const path of ['/page/ok', '/page/gone', '/page/ok?again']) {
        const check = new URL(`${base}/check`);
        check.searchParams.set('url', `${base}${path}`);
        ctx.kernel.post('ua', 'request', 'answer', new HttpRequest('GET', check.href), path);
      }
      ctx.heap.left = 3;
    },
    answer: (ctx, req: ClientHTTPRequestPacket, res: ClientHTTPResponsePacket) => {
      const content = res[0].contentText.replace(/^http:\/\/127\.0\.0\.1:\d+/, '');
      process.stdout.write(`${String(req[1])} -> ${res[0].code} ${content}`);
      if (--(ctx.heap.left as number) > 0) return;
      ctx.kernel.post('httpd', 'SHUTDOWN');
      ctx.kernel.post('ua', 'shutdown');
      ctx.kernel.post('checker', 'stop');
      ctx.kernel.post('site', 'shutdown');
      ctx.kernel.aliasRemove('driver');
    },
  },
});

await poeKernel.run();
console.log('done');
