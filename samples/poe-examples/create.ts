/**
 * POE's examples/create.perl, ported line by line: sessions.perl with five inline sessions and
 * five object sessions (a Counter object whose methods are the same handlers).
 *
 *   node build/samples/poe-examples/create.js
 */
import { type Context, Session, poeKernel } from '../../src/index.js';

interface ChildHeap {
  name: string;
}

// The name a child picks up in its _start: set by the parent just before each create().
let session_name: string;

// --- the child sessions' handlers ---

function child_start(ctx: Context<unknown, ChildHeap>): string {
  const { kernel, heap } = ctx;
  heap.name = session_name;
  kernel.sig('INT', 'sigint');
  console.log(`Session ${heap.name} started.`);

  return `i am ${heap.name}`;
}

function child_stop(ctx: Context<unknown, ChildHeap>): void {
  const { heap } = ctx;
  console.log(`Session ${heap.name} stopped.`);
}

function child_increment(ctx: Context<unknown, ChildHeap>, name: unknown, count: unknown): void {
  const { kernel, session: me } = ctx;
  let n = Number(count);

  n++;

  console.log(`Session ${String(name)}, iteration ${n}...`);

  let ret = kernel.call(me, 'display_one', name, n);
  console.log(`\t(display one returns: ${String(ret)})`);

  ret = kernel.call(me, 'display_two', name, n);
  console.log(`\t(display two returns: ${String(ret)})`);

  if (n < 5) {
    kernel.post(me, 'increment', name, n);
  }
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

// --- an object for object sessions: each method is the matching child_ handler ---

class Counter {
  _start(ctx: Context<unknown, ChildHeap>) {
    return child_start(ctx);
  }
  _stop(ctx: Context<unknown, ChildHeap>) {
    return child_stop(ctx);
  }
  increment(ctx: Context<unknown, ChildHeap>, name: unknown, count: unknown) {
    return child_increment(ctx, name, count);
  }
  display_one(ctx: Context<unknown, ChildHeap>, name: unknown, count: unknown) {
    return child_display_one(ctx, name, count);
  }
  display_two(ctx: Context<unknown, ChildHeap>, name: unknown, count: unknown) {
    return child_display_two(ctx, name, count);
  }
  fetch_name(ctx: Context<unknown, ChildHeap>) {
    return child_fetch_name(ctx);
  }
}

// --- the parent session's handlers ---

function main_start(ctx: Context): void {
  const { kernel } = ctx;
  for (const name of ['one', 'two', 'three', 'four', 'five']) {
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

  for (const name of ['six', 'seven', 'eight', 'nine', 'ten']) {
    session_name = name;
    const session = Session.create({
      objectStates: [new Counter(), ['_start', '_stop', 'increment', 'display_one', 'display_two', 'fetch_name']],
    });

    kernel.post(session!, 'increment', name, 0);
  }
}

function main_stop(): void {
  console.log('*** Main session stopped.');
}

function main_child(ctx: Context, direction: unknown, child: unknown, ret: unknown): void {
  const { kernel } = ctx;
  console.log(
    `*** Main session ${String(direction)}s child ` +
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
