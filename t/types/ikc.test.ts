/**
 * Type tests for remote sessions (issue 14): one event map, declared once and shared by both
 * kernels, types `post` and `call` to `remote<E>(kernel, session)` as it types a local
 * `Session<E>`: a wrong event or argument fails to compile, `call` gives a promise of the
 * handler's value. `npm run typecheck` checks this file; nothing here runs a kernel.
 */
import { describe, expectTypeOf, test } from 'vitest';
import { Kernel, remote, type RemoteSession } from '../../src/index.js';

/** Shared by both sides, e.g. in a module both import. */
interface Chat {
  say: (who: string, text: string) => void;
  count: () => number;
  history: (n: number) => Promise<string[]>;
}

describe('remote session types', () => {
  test('post and call check events and arguments; call answers a promise', () => {
    if (false as boolean) {
      const kernel = new Kernel();
      const room: RemoteSession<Chat> = remote<Chat>('hub', 'chat');
      kernel.post(room, 'say', 'ann', 'hi');
      // @ts-expect-error -- no such event
      kernel.post(room, 'shout', 'ann', 'hi');
      // @ts-expect-error -- wrong argument type
      kernel.post(room, 'say', 'ann', 42);
      // @ts-expect-error -- missing argument
      kernel.post(room, 'say', 'ann');
      expectTypeOf(kernel.call(room, 'count')).toEqualTypeOf<Promise<number>>();
      expectTypeOf(kernel.call(room, 'history', 3)).toEqualTypeOf<Promise<string[]>>();
      // @ts-expect-error -- wrong argument type
      void kernel.call(room, 'history', 'three');
      // Addresses as IKC writes them stay unchecked, as aliases do.
      kernel.post('poe://hub/chat', 'anything', 1, 2);
      expectTypeOf(kernel.call('poe://hub/chat', 'count')).toEqualTypeOf<unknown>();
    }
  });
});
