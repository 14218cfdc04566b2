// The two kernels of the IKC bench cases (run.mjs skips this file: it is a helper), the same
// over every transport: `a` posts from its `source`, `b` counts in its `sink`.
import { emit, now, secondsSince } from './_lib.mjs';

// Kernel `b`: a published session `sink` counting the `take` posts it gets; at the n-th it
// posts `done(got, sum)` to `poe://a/source` and, unless `stayAfterDone`, leaves. With `warm`,
// n posts come first that are answered with `warmed` instead, and counting starts over.
// `states` adds handlers (NATS's calls). The caller connects the returned responder its own
// way, then runs the kernel.
export function ikcSink(lib, n, { stayAfterDone = false, states = {}, warm = false } = {}) {
  const { Kernel, Responder, Session } = lib;
  const kernel = new Kernel({ name: 'b' });
  const ikc = Responder.spawn({ kernel });
  const leave = (ctx) => {
    ctx.kernel.aliasRemove('sink');
    ikc.shutdown();
  };
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
        if (++got !== n) return;
        if (warm) {
          warm = false;
          got = 0;
          sum = 0;
          ctx.kernel.post('poe://a/source', 'warmed');
          return;
        }
        ctx.kernel.post('poe://a/source', 'done', got, sum);
        if (!stayAfterDone) leave(ctx);
      },
      stop: leave,
      ...states,
    },
  });
  return { kernel, ikc };
}

/** Posts per handler run: the source yields between chunks, as a POE producer would. */
export const CHUNK = Number(process.env.IKC_CHUNK ?? 1000);

/** Throws unless `r` says all n values 0..n-1 arrived once. */
export function checkSum(n, r) {
  if (r === undefined || r.got !== n || r.sum !== (n * (n - 1)) / 2) throw new Error(`wrong result ${JSON.stringify(r)}`);
}

/** A side's result `{ sec, got, sum }`, checked, as its JSON line. */
export function report(n, r) {
  checkSum(n, r);
  emit({ n, sec: r.sec, perSecond: Math.round(n / r.sec) });
}

// Kernel `a` of the IKC bench cases: a published session `source` that, once kernel `b`
// registers, posts `take(0 .. n-1)` to `poe://b/sink`, CHUNK per handler run, yielding between
// chunks. `paced`: it waits for the monitor's `drain` while the link is congested. `warm`: a
// round of n first that is not timed (the sink, made with `warm`, answers it `warmed`).
// `go(ctx, finish)` replaces the posting (NATS's calls); `stopSink` posts `stop` to a sink made
// with `stayAfterDone`. The caller connects `ikc` its own way and runs `kernel`; `result()`
// then gives `{ sec, got, sum }`.
export function ikcSource(lib, n, { paced = false, warm = false, go, stopSink = false } = {}) {
  const { Kernel, Responder, Session } = lib;
  const kernel = new Kernel({ name: 'a' });
  const ikc = Responder.spawn({ kernel });
  let t0;
  let result;
  let paused;
  const finish = (ctx, got, sum) => {
    result = { sec: secondsSince(t0), got, sum };
    if (stopSink) ctx.kernel.post('poe://b/sink', 'stop');
    ctx.kernel.aliasRemove('source');
    ikc.shutdown();
  };
  const start = (ctx) => {
    t0 = now();
    if (go !== undefined) return go(ctx, finish);
    ctx.kernel.yield('more', 0);
  };
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('source');
        ikc.publish('source');
        ikc.monitor('b', { register: 'go', drain: 'drain' });
      },
      go: (ctx) => (warm ? ctx.kernel.yield('more', 0) : start(ctx)),
      warmed: start,
      more(ctx, from) {
        const to = Math.min(n, from + CHUNK);
        for (let i = from; i < to; i++) ctx.kernel.post('poe://b/sink', 'take', i);
        if (to >= n) return;
        // Paced by the link: past half its buffer, wait for its drain event.
        if (paced && ikc.congested('b')) paused = to;
        else ctx.kernel.yield('more', to);
      },
      drain(ctx) {
        if (paused === undefined) return;
        ctx.kernel.yield('more', paused);
        paused = undefined;
      },
      done: (ctx, got, sum) => finish(ctx, got, sum),
    },
  });
  return { kernel, ikc, result: () => result };
}
