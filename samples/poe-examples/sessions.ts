/**
 * POE's examples/sessions.perl, ported line by line: ten inline sessions count to five,
 * calling two handlers synchronously at each step, and add and remove a handler at run time;
 * the parent hears of each child's birth and death through _child.
 *
 *   node build/samples/poe-examples/sessions.js
 */
import { type Context, Session, poeKernel } from '../../src/index.js';

interface ChildHeap {
  name: string;
}

// The name a child picks up in its _start: set by the parent just before each create().
let session_name: string;

// --- the child sessions' handlers ---

function child_start(ctx: Context<unknown, ChildHeap>): string {
  const { kernel, session, heap } = ctx;
  heap.name = session_name;
  kernel.sig('INT', 'sigint');

  const sid = session.ID;
  console.log(`Session ${heap.name} (SID ${sid}) started.`);
  return `i am ${heap.name} (SID ${sid})`;
}

function child_stop(ctx: Context<unknown, ChildHeap>): void {
  const { session, heap } = ctx;
  const sid = session.ID;
  console.log(`Session ${heap.name} (SID ${sid}) stopped.`);
}

function child_increment(ctx: Context<unknown, ChildHeap>, name: unknown, count: unknown): void {
  const { kernel, session } = ctx;
  let n = Number(count);

  n++;

  // On odd counts the handler exists; on even ones it is removed, and the event goes nowhere.
  if (n % 2) {
    kernel.state('runtime_state', child_runtime_state);
  } else {
    kernel.state('runtime_state');
  }

  const sid = session.ID;
  console.log(`Session ${String(name)} (SID ${sid}), iteration ${n}...`);

  let ret = kernel.call(session, 'display_one', name, n);
  console.log(`\t(display one returns: ${String(ret)})`);

  ret = kernel.call(session, 'display_two', name, n);
  console.log(`\t(display two returns: ${String(ret)})`);

  if (n < 5) {
    kernel.post(session, 'increment', name, n);
    kernel.yield('runtime_state', name, n);
  }
}

function child_runtime_state(_ctx: Context<unknown, ChildHeap>, name: unknown, iteration: unknown): void {
  console.log(`Session ${String(name)} received a runtime_state event during iteration ${String(iteration)}`);
}

function child_display_one(_ctx: Context<unknown, ChildHeap>, name: unknown, count: unknown): number {
  console.log(`\t(display one, ${String(name)}, iteration ${String(count)})`);
  return Number(count) * 2;
}

function child_display_two(_ctx: Context<unknown, ChildHeap>, name: unknown, count: unknown): number {
  console.log(`\t(display two, ${String(name)}, iteration ${String(count)})`);
  return Number(count) * 3;
}

function child_fetch_name(ctx: Context<unknown, ChildHeap>): string {
  return ctx.heap.name;
}

// --- the parent session's handlers ---

function main_start(ctx: Context): void {
  const { kernel } = ctx;
  for (const name of ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten']) {
    session_name = name;
    const session = Session.create({
      inlineStates: {
        _start: child_start,
        _stop: child_stop,
        increment: child_increment,
        display_one: child_display_one,
        display_two: child_display_two,
        fetch_name: child_fetch_name,
      },
    });

    // The first event: without it the new session would have nothing to do and be collected.
    kernel.post(session!, 'increment', name, 0);
  }
}

function main_stop(): void {
  console.log('*** Main session stopped.');
}

function main_child(ctx: Context, direction: unknown, child: unknown, ret: unknown): void {
  const { kernel, session } = ctx;
  const sid = session.ID;
  console.log(
    `*** Main session (SID ${sid}) ${String(direction)}s child ` +
      String(kernel.call(child as Session, 'fetch_name')) +
      (direction === 'create' ? ` (child returns: ${String(ret)})` : ''),
  );
}

Session.create({
  inlineStates: {
    _start: main_start,
    _stop: main_stop,
    _child: main_child,
  },
});

await poeKernel.run();
