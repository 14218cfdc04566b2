/**
 * POE's examples/queue.perl, ported line by line: a parent keeps five children busy; each
 * child waits a random while, posts a random result to its parent and ends, and the parent
 * starts another in its place. It runs until interrupted.
 *
 *   node build/samples/poe-examples/queue.js      (runs until Ctrl-C)
 *
 * POE_EXAMPLE_SEED=n makes the dice a fixed sequence (the test's way to compare with POE).
 */
import { type Context, Session, type SessionOrKernel, poeKernel } from '../../src/index.js';

// Perl's rand(n); with POE_EXAMPLE_SEED, a Park-Miller sequence that a Perl run can share.
let seed = Number(process.env.POE_EXAMPLE_SEED);
const rand = (n = 1): number => (Number.isInteger(seed) && seed > 0 ? (n * (seed = (seed * 16807) % 2147483647)) / 2147483647 : n * Math.random());

const child_max = 5;

interface ChildHeap {
  parent: SessionOrKernel;
}
interface ParentHeap {
  child_count: number;
}

function create_a_child(): void {
  Session.create<unknown, ChildHeap>({
    inlineStates: {
      _start: child_start,
      _stop: child_stop,
      wake_up: child_awaken,
    },
  });
}

// --- the children ---

function child_start(ctx: Context<unknown, ChildHeap>): void {
  const { kernel, session, sender: parent, heap } = ctx;
  heap.parent = parent;
  const delay = Math.trunc(rand(10));
  console.error(`Child ${session.ID} will take ${delay} seconds to run.`);
  kernel.delay('wake_up', delay);
}

function child_awaken(ctx: Context<unknown, ChildHeap>): void {
  const { kernel, session, heap } = ctx;
  const result = Math.trunc(rand(100));
  console.error(`Child ${session.ID} is done doing something.  Result=${result}`);
  kernel.post(heap.parent, 'result', session.ID, result);
}

function child_stop(ctx: Context<unknown, ChildHeap>): void {
  const { session } = ctx;
  console.error(`Child ${session.ID} is stopped.`);
}

// --- the parent ---

function parent_start(ctx: Context<unknown, ParentHeap>): void {
  ctx.heap.child_count = 0;
  for (let i = 0; i < child_max; i++) {
    create_a_child();
  }
}

function parent_child(ctx: Context<unknown, ParentHeap>, what: unknown, child: unknown): void {
  const { heap, session } = ctx;
  const kid = child as Session;
  if (what === 'create' || what === 'gain') {
    heap.child_count++;
    console.error(`Child ${kid.ID} has appeared to parent ${session.ID} (${heap.child_count} active children now).`);
  } else if (what === 'lose') {
    heap.child_count--;
    console.error(`Child ${kid.ID} has left parent ${session.ID} (${heap.child_count} active children now).`);
    if (heap.child_count < child_max) {
      create_a_child();
    }
  }
}

function parent_result(_ctx: Context<unknown, ParentHeap>, child: unknown, result: unknown): void {
  console.error(`Parent received result from session ${String(child)}: ${String(result)}`);
}

function parent_stop(ctx: Context<unknown, ParentHeap>): void {
  console.error(`Parent ${ctx.session.ID} stopped.`);
}

Session.create<unknown, ParentHeap>({
  inlineStates: {
    _start: parent_start,
    _stop: parent_stop,
    _child: parent_child,
    result: parent_result,
  },
});

await poeKernel.run();
