import { Kernel, Session, poeKernel,
  type SessionOrKernel } from 'poe-ts';

const id = (x: SessionOrKernel) => (x instanceof Kernel
  ? 'kernel' : `S${x.ID}`);

Session.create({
  inlineStates: {
    _start: (ctx) => {
      console.log(`parent _start (sender=${
        id(ctx.sender)})`);
      const child = Session.create({
        inlineStates: {
          _start: (c, ...args) => {
            console.log(`  child _start (sender=${
              id(c.sender)
            }, args=${args.join(' ')})`);
            return 'child-start-retval';
          },
          _parent: () =>
            console.log('  child _parent'),
          _stop: () => {
            console.log('  child _stop');
            return 'child-stop-retval';
          },
        },
        args: ['x', 'y'],
      });
      console.log(`parent: create() returned S${
        child!.ID}`);
      return 'parent-start-retval';
    },
    _child: (ctx, why, kid, ret) => {
      console.log(`parent _child ${why} S${kid.ID
        } ret=${ret === undefined ? 'undef' : String(ret)
        } (sender=${id(ctx.sender)})`);
    },
    _stop: () => console.log('parent _stop'),
  },
});
console.log('main: outer create() returned');
await poeKernel.run();
console.log('run returned');
