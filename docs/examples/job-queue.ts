import { JobQueue, Session, poeKernel, type JobPostback } from 'poe-ts';

// At most two jobs at once; each job is a worker session that answers after `seconds`.
const queue = JobQueue.spawn({
  alias: 'fetcher',
  workerLimit: 2,
  worker: (postback: JobPostback<[bytes: number]>, url: string, seconds: number) => {
    Session.create({
      inlineStates: {
        _start: (ctx) => ctx.kernel.delay('done', seconds),
        done: () => postback(url.length * 100),
      },
    });
  },
  passive: {},
});

Session.create({
  inlineStates: {
    _start: (ctx) => {
      // POE's form; the response event gets ([...params], [...results]).
      ctx.kernel.post('fetcher', 'enqueue', 'fetched', 'http://a.test/', 0.3);
      queue.request('fetched', 'http://bb.test/', 0.1); // the same, typed
    },
    fetched: (_ctx, [url]: [string, number], [bytes]: [number]) => console.log(`${url}: ${bytes} bytes`),
  },
});

// The promise form; from the main line it runs the kernel until the answer.
const [bytes] = await queue.enqueue('http://ccc.test/', 0.1);
console.log(`promise: ${bytes} bytes`);
queue.stop(); // no more jobs: the queue ends when its last worker does
await poeKernel.run();
