/**
 * threads-tour: the runnable examples of Perl's `threads` document, on poe-ts's threads (Node
 * worker_threads): create and join, a thread that dies, list context, detach, list by state,
 * kill with the thread's signal handler (and Perl's cancellation idiom), and a Thread::Queue
 * pipeline through two threads.
 *
 * The thread functions are this file's exports: a thread imports this module (its own copy,
 * in its own isolate) and calls one of them, which is why nothing runs at import inside a
 * thread. Closures cannot cross into a thread; a module and an export name can.
 *
 *   node build/samples/threads-tour.js
 */
import { pathToFileURL } from 'node:url';
import type { Kernel} from '../src/index.js';
import { Queue, threads } from '../src/index.js';

// ------------------------------------------------------------------------------------------
// thread functions (each runs in a thread of its own)

/** Perl: `sub start_thread { my @args = @_; print('Thread started: ', join(' ', @args), "\n"); }` */
export function startThread(...args: string[]): string {
  return `Thread started: ${args.join(' ')} (tid ${threads.tid()})`;
}

/** Perl: `threads->create({'context' => 'list'}, sub { return (qw/a b c/); })` */
export function listContext(): string[] {
  return ['a', 'b', 'c'];
}

export function dies(what: string): never {
  throw new Error(`${what} went wrong`);
}

export function sleeper(ms: number): Promise<string> {
  return new Promise((resolve) => setTimeout(() => resolve('woke up'), ms));
}

/** Waits for TERM; tells `ready` once its handler is set (Perl: `$SIG{'TERM'} = sub { ... }`). */
export function worker(ready: Queue<number>): Promise<string> {
  return new Promise((resolve) => {
    threads.SIG.TERM = (sig) => resolve(`thread ${threads.tid()} got SIG${sig}`);
    ready.enqueue(threads.tid());
  });
}

/** Perl's cancellation: `$SIG{'KILL'} = sub { threads->exit(); };` then work forever. */
export function cancellable(ready: Queue<number>): Promise<never> {
  threads.SIG.KILL = () => threads.exit();
  ready.enqueue(threads.tid());
  return new Promise<never>(() => undefined);
}

/** A pipeline stage: Thread::Queue's `while (defined(my $item = $q->dequeue())) { ... }`. */
export function stage(name: string, input: Queue<number>, output: Queue<string | number>, op: 'square' | 'label'): number {
  let n = 0;
  for (let x = input.dequeueSync(); x !== undefined; x = input.dequeueSync()) {
    output.enqueue(op === 'square' ? x * x : `${name}: ${x}`);
    n++;
  }
  output.end();
  return n;
}

// ------------------------------------------------------------------------------------------
// the tour (main thread)

export interface ThreadsTourOptions {
  /** Where lines go. @default console.log */
  out?: (line: string) => void;
  /** The module holding the thread functions (this file, built). @default import.meta.url */
  module?: string | URL;
  /** The kernel whose main line waits. @default the default kernel */
  kernel?: Kernel;
}

async function tour(out: (line: string) => void, module: string | URL, kernel: Kernel | undefined): Promise<void> {
  const spec = (name: string): { module: string | URL; export: string; kernel?: Kernel } => ({ module, export: name, ...(kernel ? { kernel } : {}) });

  out('== create and join');
  const thr = threads.create(spec('startThread'), 'argument');
  out(String(await thr.join()));
  out(`main thread is tid ${threads.tid()}`);

  out('== list context');
  out(`results: ${(await threads.create(spec('listContext')).join() as string[]).join(' ')}`);

  out('== a thread that dies');
  const bad = threads.create(spec('dies'), 'the work');
  try {
    await bad.join();
  } catch (err) {
    out(`Thread error: ${(err as Error).message}`);
  }

  out('== detach');
  const bg = threads.create(spec('sleeper'), 60_000).detach();
  out(`detached thread ${bg.tid}: is_detached ${bg.isDetached()}, listed ${threads.list().length}`);

  out('== list by state, kill with a signal handler');
  const ready = new Queue<number>();
  const workers = [1, 2, 3].map(() => threads.create(spec('worker'), ready));
  for (let i = 0; i < workers.length; i++) await ready.dequeue();
  out(`running ${threads.list(threads.running).length}, joinable ${threads.list(threads.joinable).length}`);
  for (const w of workers) w.kill('TERM');
  for (const w of workers) await w.finished;
  out(`running ${threads.list(threads.running).length}, joinable ${threads.list(threads.joinable).length}`);
  for (const w of workers) out(String(await w.join()));
  out(`listed after the joins: ${threads.list().length}`);

  out("== cancellation: $thr->kill('KILL')");
  const c = threads.create(spec('cancellable'), ready);
  await ready.dequeue();
  out(`joined: ${String(await c.kill('KILL').join())}`);

  out('== Thread::Queue pipeline');
  const q1 = new Queue<number>();
  const q2 = new Queue<number>();
  const q3 = new Queue<string | number>();
  const s1 = threads.create(spec('stage'), 'square', q1, q2, 'square');
  const s2 = threads.create(spec('stage'), 'label', q2, q3, 'label');
  q1.enqueue(1, 2, 3, 4, 5);
  q1.end();
  for (let item = await q3.dequeue(); item !== undefined; item = await q3.dequeue()) out(String(item));
  out(`stages handled ${String(await s1.join())} and ${String(await s2.join())} items`);
}

/** Runs the tour; `done` settles when it is over (the detached thread is left to the process's end). */
export function start(options: ThreadsTourOptions = {}): { done: Promise<void> } {
  const out = options.out ?? ((line: string) => console.log(line));
  return { done: tour(out, options.module ?? import.meta.url, options.kernel) };
}

if (!threads.isThread && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  start().done.then(
    () => console.log('tour over'),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
