/**
 * POE's examples/forkbomb.perl, ported line by line. Not a process fork bomb: sessions that
 * randomly create child sessions until there are 200 of them, then all wind down, each parent
 * hearing of its children's comings and goings.
 *
 *   node build/samples/poe-examples/forkbomb.js
 *
 * POE_EXAMPLE_SEED=n makes the dice a fixed sequence (the test's way to compare with POE).
 */
import { type Context, Kernel, Session } from '../../src/index.js';

// Perl's `sub POE::Kernel::ASSERT_DEFAULT () { 1 }`: the kernel checks its calls.
const kernel = new Kernel({ assert: true });

// Perl's rand(n); with POE_EXAMPLE_SEED, a Park-Miller sequence that a Perl run can share.
let seed = Number(process.env.POE_EXAMPLE_SEED);
const rand = (n = 1): number => (Number.isInteger(seed) && seed > 0 ? (n * (seed = (seed * 16807) % 2147483647)) / 2147483647 : n * Math.random());

// Perl's printf "%4d": a right-aligned integer (undef is 0).
const d4 = (n: unknown): string => String(Math.trunc(Number(n ?? 0)) || 0).padStart(4);

let count = 0; // how many sessions were made: the limit on the run

interface Heap {
  id: number;
}

function _start(ctx: Context<unknown, Heap>): string {
  const { kernel, heap } = ctx;
  heap.id = ++count;
  console.log(`${d4(heap.id)} has started.`);
  kernel.sig('INT', 'signal_handler');
  kernel.sig('ZOMBIE', 'signal_handler');
  kernel.yield('fork');
  return `i am ${heap.id}`;
}

function _stop(ctx: Context<unknown, Heap>): void {
  console.log(`${d4(ctx.heap.id)} has stopped.`);
}

const english: Record<string, string> = {
  lose: 'is losing',
  gain: 'is gaining',
  create: 'has created',
};

function _child(ctx: Context<unknown, Heap>, direction: unknown, child: unknown, ret: unknown): void {
  const { kernel, heap } = ctx;
  console.log(
    `${d4(heap.id)} ${english[String(direction)]} child ${String(kernel.call(child as Session, 'fetch_id'))}` +
      (direction === 'create' ? ` (child returned: ${String(ret)})` : ''),
  );
}

function _parent(ctx: Context<unknown, Heap>, old_parent: unknown, new_parent: unknown): void {
  const { kernel, heap } = ctx;
  console.log(
    `${d4(heap.id)} parent is changing from ${Math.trunc(Number(kernel.call(old_parent as Session, 'fetch_id') ?? 0))} ` +
      `to ${Math.trunc(Number(kernel.call(new_parent as Session, 'fetch_id') ?? 0))}`,
  );
}

function signal_handler(ctx: Context<unknown, Heap>, signal_name: unknown): number {
  console.log(`${d4(ctx.heap.id)} has received SIG${String(signal_name)}`);
  return 0;
}

const max_sessions = 200;
const half_sessions = Math.trunc(max_sessions / 2);

function fork(ctx: Context<unknown, Heap>): void {
  const { kernel, heap } = ctx;
  if (count < max_sessions) {
    if (rand() < 0.5) {
      console.log(`${d4(heap.id)} is starting a new child...`);
      create_new_forkbomber();
    } else {
      console.log(`${d4(heap.id)} is just spinning its wheels this time...`);
    }
    if (count < half_sessions || rand() < 0.05) {
      kernel.yield('fork');
    } else {
      console.log(`${d4(heap.id)} has decided to die.  Bye!`);
      if (heap.id !== 1) {
        kernel.yield('_stop');
      }
    }
  } else {
    console.log(`${d4(heap.id)} notes that the session limit is met.  Bye!`);
    if (heap.id !== 1) {
      kernel.yield('_stop');
    }
  }
}

function fetch_id(ctx: Context<unknown, Heap>): number {
  return ctx.heap.id;
}

function create_new_forkbomber(): void {
  Session.create({
    kernel,
    inlineStates: {
      _start,
      _stop,
      _child,
      _parent,
      signal_handler,
      fork,
      fetch_id,
    },
  });
}

create_new_forkbomber();
await kernel.run();
