/**
 * POE's examples/objsessions.perl, ported line by line: ten object sessions, each event handled
 * by the object's method of the same name, one of them added at run time.
 *
 *   node build/samples/poe-examples/objsessions.js
 */
import { type Context, Session, channels, poeKernel } from '../../src/index.js';

interface CounterHeap {
  counter: number;
}

class Counter {
  name: string;

  constructor(name: string) {
    console.log(`Session ${name}'s object created.`);
    this.name = name;
  }

  DESTROY() {
    console.log(`Session ${this.name}'s object destroyed.`);
  }

  _start(ctx: Context<unknown, CounterHeap>) {
    const { object, session, heap, kernel } = ctx;
    const self = object as Counter;
    kernel.sig('INT', 'sigint');
    heap.counter = 0;
    console.log(`Session ${self.name} started.`);

    kernel.post(session, 'increment');
  }

  _stop(ctx: Context<unknown, CounterHeap>) {
    const { object, heap } = ctx;

    console.log(`Session ${(object as Counter).name} stopped after ${heap.counter} loops.`);
  }

  sigint(ctx: Context, signal_name: unknown) {
    const { object, sender: from } = ctx;

    console.log(`${(object as Counter).name} caught SIG${String(signal_name)} from ${String(from)}`);
    return 0;
  }

  increment(ctx: Context<unknown, CounterHeap>) {
    const { object, kernel, session, heap } = ctx;

    heap.counter++;

    if (heap.counter % 2) {
      kernel.state('runtime_state', object!);
    } else {
      kernel.state('runtime_state');
    }

    console.log(`Session ${(object as Counter).name}, iteration ${heap.counter}.`);

    if (heap.counter < 5) {
      kernel.post(session, 'increment');
      kernel.yield('runtime_state', heap.counter);
    }
  }

  runtime_state(ctx: Context, iteration: unknown) {
    const self = ctx.object as Counter;
    console.log(`Session ${self.name} received a runtime_state event during iteration ${String(iteration)}`);
  }
}

// Perl calls DESTROY once nothing refers to the object, here when the kernel frees the session
// holding it. JavaScript has no destructors: the kernel's session-freed channel stands in.
const objects = new WeakMap<object, Counter>();
channels.sessionStop.subscribe((message) => objects.get((message as { session: object }).session)?.DESTROY());

for (const name of ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten']) {
  const counter = new Counter(name);
  const session = Session.create({
    objectStates: [counter, ['_start', '_stop', 'increment', 'sigint']],
  });
  objects.set(session!, counter);
}

await poeKernel.run();
