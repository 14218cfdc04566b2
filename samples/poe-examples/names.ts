/**
 * POE's examples/names.perl, ported line by line: a lock daemon known by its alias, `lockd`,
 * and five clients that take turns at one lock by posting to that name.
 *
 *   node build/samples/poe-examples/names.js      (runs until Ctrl-C)
 */
import { type Context, Session, type SessionOrKernel, channels, poeKernel } from '../../src/index.js';

// Perl prints a blessed hash as `Class=HASH(0xADDRESS)`; the port's objects print the same way.
let addresses = 0x1000;
abstract class PerlObject {
  abstract readonly package: string;
  readonly address = (addresses += 0x18).toString(16);
  toString() {
    return `${this.package}=HASH(0x${this.address})`;
  }
}

// Perl calls DESTROY once nothing refers to the object, here when the kernel frees the session
// holding it. JavaScript has no destructors: the kernel's session-freed channel stands in.
const objects = new WeakMap<object, { DESTROY: () => void }>();
channels.sessionStop.subscribe((message) => objects.get((message as { session: object }).session)?.DESTROY());

// --- the lock daemon ---

type Locks = Record<string, [owner: SessionOrKernel, time: number]>;

class LockDaemon extends PerlObject {
  readonly package = 'LockDaemon';

  static new() {
    const self = new LockDaemon();
    console.log(`> ${String(self)} created`);
    const session = Session.create({
      objectStates: [self, ['_start', '_stop', 'lock', 'unlock', 'sighandler']],
    });
    objects.set(session!, self);
    return undefined;
  }

  DESTROY() {
    console.log(`< ${String(this)} destroyed`);
  }

  _start(ctx: Context) {
    const { kernel } = ctx;
    kernel.aliasSet('lockd');
    kernel.sig('INT', 'sighandler');
    kernel.sig('IDLE', 'sighandler');
    kernel.sig('ZOMBIE', 'sighandler');
    console.log('+ lockd started.');
  }

  sighandler(_ctx: Context, signal_name: unknown) {
    console.log(`@ lockd caught and handled SIG${String(signal_name)}`);
    return 1;
  }

  _stop(ctx: Context) {
    const { kernel } = ctx;
    kernel.aliasRemove('lockd');
    console.log('- lockd stopped.');
  }

  lock(ctx: Context<unknown, Locks>, lock_name: unknown, success: unknown, failure: unknown) {
    const { kernel, heap, sender } = ctx;
    const name = String(lock_name);
    if (name in heap) {
      const [owner] = heap[name]!;
      if (owner === sender) {
        heap[name]![1] = Math.floor(Date.now() / 1000);
        kernel.post(sender, String(success));
        return 0;
      }
      kernel.post(sender, String(failure));
      return 0;
    }
    heap[name] = [sender, Math.floor(Date.now() / 1000)];
    return kernel.post(sender, String(success));
  }

  unlock(ctx: Context<unknown, Locks>, lock_name: unknown, success: unknown, failure: unknown) {
    const { kernel, heap, sender } = ctx;
    const name = String(lock_name);
    if (name in heap) {
      const [owner] = heap[name]!;
      if (owner === sender) {
        delete heap[name];
        kernel.post(sender, String(success));
        return 0;
      }
    }
    kernel.post(sender, String(failure));
    return 0;
  }
}

// --- the clients ---

class LockClient extends PerlObject {
  readonly package = 'LockClient';

  constructor(readonly name: string) {
    super();
  }

  static new(name: string) {
    const self = new LockClient(name);
    console.log(`> ${String(self)} created`);
    const session = Session.create({
      objectStates: [
        self,
        [
          '_start', '_stop',
          'acquire_lock', 'retry_acquire',
          'release_lock', 'retry_release',
          'perform_locked_operation', 'perform_unlocked_operation',
        ],
      ],
    });
    objects.set(session!, self);
    return undefined;
  }

  DESTROY() {
    console.log(`< ${String(this)} destroyed`);
  }

  _start(ctx: Context) {
    const { kernel, session, object } = ctx;
    console.log(`+ client ${(object as LockClient).name} started`);
    kernel.post(session, 'perform_unlocked_operation');
  }

  _stop(ctx: Context) {
    const object = ctx.object as LockClient;
    console.log(`+ client ${object.name} stopped`);
  }

  timer_loop(ctx: Context) {
    const { object, kernel } = ctx;
    console.log(`*** client ${(object as LockClient).name} alarm rang`);
    kernel.delay('timer_loop', 10);
  }

  acquire_lock(ctx: Context) {
    const { object, kernel } = ctx;
    console.log(`??? client ${(object as LockClient).name} attempting to acquire lock...`);
    kernel.delay('acquire_lock', 10);
    kernel.post('lockd', 'lock', 'lock name', 'perform_locked_operation', 'retry_acquire');
  }

  retry_acquire(ctx: Context) {
    const { object, kernel } = ctx;
    console.log(`--- client ${(object as LockClient).name} acquire failed... retrying...`);
    kernel.delay('acquire_lock', 1);
  }

  release_lock(ctx: Context) {
    const { object, kernel } = ctx;
    console.log(`??? client ${(object as LockClient).name} attempting to release lock...`);
    kernel.delay('release_lock', 10);
    kernel.post('lockd', 'unlock', 'lock name', 'perform_unlocked_operation', 'retry_release');
  }

  retry_release(ctx: Context) {
    const { object, kernel } = ctx;
    console.log(`--- client ${(object as LockClient).name} release failed... retrying...`);
    kernel.delay('release_lock', 1);
  }

  perform_locked_operation(ctx: Context) {
    const { object, kernel } = ctx;
    kernel.delay('acquire_lock');
    console.log(`+++ client ${(object as LockClient).name} acquired lock... processing...`);
    kernel.delay('release_lock', 1);
  }

  perform_unlocked_operation(ctx: Context) {
    const { object, kernel } = ctx;
    kernel.delay('release_lock');
    console.log(`+++ client ${(object as LockClient).name} released lock... processing...`);
    kernel.delay('acquire_lock', 1);
  }
}

LockDaemon.new();
for (const n of [1, 2, 3, 4, 5]) LockClient.new(String(n));

await poeKernel.run();
