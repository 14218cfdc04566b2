/**
 * POE's examples/packagesessions.perl, ported line by line: ten package sessions, each event
 * handled by a static method of the Counter class, one of them added at run time.
 *
 *   node build/samples/poe-examples/packagesessions.js
 */
import { type Context, Session, poeKernel } from '../../src/index.js';

interface CounterHeap {
  counter: number;
  name: string;
}

class Counter {
  // Perl's $Counter::name: the name the next session takes in its _start.
  static name_ = '';

  static _start(ctx: Context<unknown, CounterHeap>) {
    const { kernel, session, heap } = ctx;
    kernel.sig('INT', 'sigint');
    heap.counter = 0;
    heap.name = Counter.name_;
    console.log(`Session ${heap.name} started.`);
    kernel.post(session, 'increment');
  }

  static _stop(ctx: Context<unknown, CounterHeap>) {
    const { heap } = ctx;

    console.log(`Session ${heap.name} stopped after ${heap.counter} loops.`);
  }

  static sigint(ctx: Context<unknown, CounterHeap>, signal_name: unknown) {
    const { heap, sender: from } = ctx;

    console.log(`${heap.name} caught SIG${String(signal_name)} from ${String(from)}`);
    return 0;
  }

  static increment(ctx: Context<unknown, CounterHeap>) {
    const { object: pkg, kernel, session, heap } = ctx;

    heap.counter++;

    if (heap.counter % 2) {
      kernel.state('runtime_state', pkg!);
    } else {
      kernel.state('runtime_state');
    }

    console.log(`Session ${heap.name}, iteration ${heap.counter}.`);

    if (heap.counter < 5) {
      kernel.post(session, 'increment');
      kernel.yield('runtime_state', heap.counter);
    }
  }

  static runtime_state(ctx: Context<unknown, CounterHeap>, iteration: unknown) {
    const { heap } = ctx;
    console.log(`Session ${heap.name} received a runtime_state event during iteration ${String(iteration)}`);
  }
}

for (const name of ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten']) {
  Counter.name_ = name;
  Session.create({
    packageStates: [Counter, ['_start', '_stop', 'increment', 'sigint']],
  });
}

await poeKernel.run();
