/**
 * Type tests for JobQueue: a job's parameters and results are typed through `spawn`'s worker,
 * so a wrong job argument, a wrong result, or `enqueue` on an active queue fails to compile.
 * `npm run typecheck` checks this file; nothing here runs a kernel.
 */
import { describe, expectTypeOf, test } from 'vitest';
import { JobQueue, type ActiveJobQueue, type JobMetaPostback, type JobPostback } from '../../src/index.js';

describe('JobQueue types', () => {
  test('a passive queue takes the worker parameters and gives the postback results', () => {
    if (false as boolean) {
      const queue = JobQueue.spawn({
        worker: (postback: JobPostback<[size: number]>, url: string, retries: number) => {
          postback(url.length + retries);
          // @ts-expect-error a result of the wrong type
          postback('big');
          // @ts-expect-error too many results
          postback(1, 2);
        },
        passive: {
          prioritizer: (queued, incoming) => {
            expectTypeOf(queued).toEqualTypeOf<[url: string, retries: number]>();
            return incoming[1] - queued[1];
          },
        },
      });
      expectTypeOf(queue).toEqualTypeOf<JobQueue<[url: string, retries: number], [size: number]>>();
      expectTypeOf(queue.enqueue('http://x', 3)).toEqualTypeOf<Promise<[size: number]>>();
      // @ts-expect-error a job parameter of the wrong type
      void queue.enqueue('http://x', '3');
      // @ts-expect-error a missing job parameter
      void queue.enqueue('http://x');
      queue.request('fetched', 'http://x', 3);
      // @ts-expect-error the event form checks the parameters too
      queue.request('fetched', 3, 3);
    }
  });

  test('explicit type arguments type the worker', () => {
    if (false as boolean) {
      JobQueue.spawn<[name: string], [ok: boolean]>({
        worker: (postback, name) => {
          expectTypeOf(name).toEqualTypeOf<string>();
          postback(true);
        },
        passive: {},
      });
      JobQueue.spawn<[name: string], [ok: boolean]>({
        // @ts-expect-error the worker's parameters must be the job's
        worker: (_postback: JobPostback<[ok: boolean]>, _name: number) => undefined,
        passive: {},
      });
    }
  });

  test('an active queue gets a meta-postback and has no enqueue', () => {
    if (false as boolean) {
      const active = JobQueue.spawn({
        worker: (meta: JobMetaPostback<[line: string], [words: number]>) => {
          const postback = meta('a line');
          postback(2);
          // @ts-expect-error the meta-postback takes the job's parameters
          meta(42);
        },
        active: { pollInterval: 1 },
      });
      expectTypeOf(active).toEqualTypeOf<ActiveJobQueue<[line: string], [words: number]>>();
      active.stop();
      // @ts-expect-error an active queue takes no enqueue (POE's has no such event)
      void active.enqueue('x');
      // @ts-expect-error a queue is passive or active, not both
      JobQueue.spawn({ worker: () => undefined, passive: {}, active: {} });
      // @ts-expect-error nor neither
      JobQueue.spawn({ worker: () => undefined });
    }
  });
});
