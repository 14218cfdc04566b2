/**
 * anyevent-timers: the column's AnyEvent timer example
 * (bench/anchors/coro-anyevent/seed_ae_timers.pl), ported line by line. Two repeating timers,
 * every 5 and every 2 seconds, each print a line until 15 lines are out; then the condvar is
 * sent, and the main line's `await c.recv()`, which ran the kernel meanwhile, returns.
 * AnyEvent's watchers belong to no one; here they are intervals of one session.
 *
 *   SCALE=0.05 node build/samples/anyevent-timers.js       (SCALE multiplies every time; default 1)
 */
import { CondVar, Session } from '../src/index.js';

const scale = Number(process.env.SCALE ?? 1);
const enough = 15; let yammer = 0;
const c = new CondVar();
Session.create({
  inlineStates: {
    _start: (ctx) => {
      ctx.kernel.interval('every_5', { after: 0, every: 5 * scale });
      ctx.kernel.interval('every_2', { after: 0, every: 2 * scale });
    },
    every_5: () => { console.log('Every 5'); if (++yammer >= enough) c.send(); },
    every_2: () => { console.log('Every 2'); if (++yammer >= enough) c.send(); },
  },
});
await c.recv();
console.log('done');
