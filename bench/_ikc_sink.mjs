// Kernel `b` of the IKC bench cases (run.mjs skips this file: it is a helper): a published
// session `sink` counting the `take` posts it gets; at the n-th it posts `done(got, sum)` to
// `poe://a/source` and, unless `stayAfterDone`, leaves. With `warm`, n posts come first that
// are answered with `warmed` instead, and counting starts over. `states` adds handlers (NATS's
// calls). The caller connects the returned responder its own way, then runs the kernel.
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
