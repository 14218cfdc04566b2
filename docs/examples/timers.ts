import { Session, poeKernel } from 'poe-ts';

Session.create({
  inlineStates: {
    _start: (ctx) => {
      const { kernel, session } = ctx;
      kernel.yield('say', 'yielded: queued first'); // to this session, after events already queued
      kernel.post(session, 'say', 'posted: queued second'); // to any session, by object, id or alias
      kernel.call(session, 'say', 'called: handled at once'); // runs before call() returns
      kernel.delay('say', 0.2, 'a timer: 0.2 s later');
      kernel.delayAdd('say', 0.1, 'another: 0.1 s later'); // delay() would have replaced the first
      kernel.alarmAdd('say', kernel.clock.wall() + 0.3, 'an alarm at an epoch time');
      const id = kernel.delaySet('say', 0.05, 'never said'); // a timer with an id ...
      const removed = kernel.alarmRemove(id); // ... to remove or move it by
      console.log(`removed a '${String(removed?.[0])}' timer`);
    },
    say: (_ctx, text) => console.log(String(text)),
  },
});

await poeKernel.run();
