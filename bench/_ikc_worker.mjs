// The worker thread of bench/ikc.mjs: kernel `b` counting posts to its published `sink`
// session (side `poe`), or a bare MessagePort listener counting messages (side `base`).
import { parentPort, workerData } from 'node:worker_threads';
import { ikcSink } from './_ikc_sink.mjs';

const { side, n } = workerData;
if (side === 'base') {
  let got = 0;
  let sum = 0;
  let warm = true;
  parentPort.on('message', (i) => {
    sum += i;
    if (++got === n && warm) {
      warm = false;
      got = 0;
      sum = 0;
      parentPort.postMessage({ warmed: true });
    } else if (got === n) {
      parentPort.postMessage({ done: got, sum });
      parentPort.close();
    }
  });
} else {
  const lib = await import('../dist/index.js');
  const { kernel, ikc } = ikcSink(lib, n, { warm: true });
  ikc.connect(new lib.ThreadTransport(parentPort));
  await kernel.run();
}
