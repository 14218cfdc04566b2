import { Channel, CondVar, Semaphore, Session, cede, current, formatPs, poeKernel, task } from 'poe-ts';

// Coro's async blocks: each task is a session that runs until it cedes or waits.
const jobs = new Channel<string>(); // Coro::Channel, unbounded
const slots = new Semaphore(1); // Coro::Semaphore: one task at a time in the critical part
const finished = new CondVar<number>(); // AnyEvent's condvar with begin/end

for (const name of ['alpha', 'beta']) {
  finished.begin();
  task(async () => {
    current()!.desc = `worker ${name}`;
    for (let job; (job = await jobs.get()) !== undefined; ) {
      using _slot = await slots.guard(); // given back at the end of the block
      console.log(`${name} takes ${job}`);
      await cede(); // the other worker runs, but cannot enter: the slot is taken
    }
    finished.end();
  });
}

// An ordinary session uses the same primitives through events.
Session.create({
  inlineStates: {
    _start: (ctx) => {
      for (const job of ['one', 'two', 'three']) void jobs.put(job);
      jobs.shutdown();
      finished.recv(ctx.session, 'all_done');
    },
    all_done: () => console.log('session: every worker has ended'),
  },
});

// The main line waits like Coro's main thread: this runs the kernel until the workers start.
await cede();
console.log(formatPs(poeKernel.ps()).split('\n').slice(0, 3).join('\n'));
await poeKernel.run();
