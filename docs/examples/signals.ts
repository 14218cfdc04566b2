import { Session, poeKernel, type DieInfo } from 'poe-ts';

Session.create({
  inlineStates: {
    _start: (ctx) => {
      ctx.kernel.sig('DIE', 'on_die'); // an exception in a handler
      ctx.kernel.sig('INT', 'on_int'); // an OS signal: Ctrl-C
      // A watcher does not keep its session alive; an extra reference does, until dropped.
      ctx.kernel.refcountIncrement(ctx.session.ID, 'waiting');
      ctx.kernel.yield('fail');
    },
    fail: () => {
      throw new Error('oops');
    },
    on_die: (ctx, _name, info) => {
      const { error, event } = info as DieInfo;
      console.log(`caught ${String(error)} in '${event}'`);
      ctx.kernel.sigHandled(); // the session carries on
      process.kill(process.pid, 'SIGINT'); // as if someone pressed Ctrl-C
    },
    on_int: (ctx, name) => {
      console.log(`got SIG${String(name)}`);
      ctx.kernel.sigHandled(); // unhandled, INT would stop every session
      ctx.kernel.refcountDecrement(ctx.session.ID, 'waiting');
    },
    _stop: () => console.log('stopped'),
  },
});

await poeKernel.run();
