// The worker thread of bench/ikc.mjs: kernel `b` counting posts to its published `sink`
// session (side `poe`), or a bare MessagePort listener counting messages (side `base`).
import { parentPort, workerData } from 'node:worker_threads';

const { side, n } = workerData;
if (side === 'base') {
  let got = 0;
  let sum = 0;
  parentPort.on('message', (i) => {
    sum += i;
    if (++got === n) {
      parentPort.postMessage({ done: got, sum });
      parentPort.close();
    }
  });
} else {
  const { Kernel, Responder, Session, ThreadTransport } = await import('../dist/index.js');
  const kernel = new Kernel({ name: 'b' });
  const ikc = Responder.spawn({ kernel });
  let got = 0;
  let sum = 0;
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('sink');
        ikc.publish('sink');
      },
      take(ctx, i) {
        sum += i;
        if (++got === n) {
          ctx.kernel.post('poe://a/source', 'done', got, sum);
          ctx.kernel.aliasRemove('sink');
          ikc.shutdown();
        }
      },
    },
  });
  ikc.connect(new ThreadTransport(parentPort));
  await kernel.run();
}
