/**
 * Type tests for PoeEmitter (issue 13): listeners get the argument tuple of their event, an
 * unknown event or a wrong listener fails to compile. `npm run typecheck` checks this file;
 * nothing here runs a kernel.
 */
import { once } from 'node:events';
import { describe, expectTypeOf, test } from 'vitest';
import { PoeEmitter, type ResolverResponse } from '../../src/index.js';

type Events = { answer: [ResolverResponse<'A'>]; pong: [n: number, s: string] };

describe('PoeEmitter types', () => {
  test('listeners get their event tuple; unknown events and wrong listeners fail', () => {
    if (false as boolean) {
      const face = new PoeEmitter<Events>();
      face.on('pong', (n, s) => {
        expectTypeOf(n).toEqualTypeOf<number>();
        expectTypeOf(s).toEqualTypeOf<string>();
      });
      face.on('answer', (r) => expectTypeOf(r.response).toEqualTypeOf<string[] | undefined>());
      face.on('close', () => undefined);
      // @ts-expect-error: no such event in the map
      face.on('pang', () => undefined);
      // @ts-expect-error: pong's first argument is a number
      face.on('pong', (n: string) => n);
      // @ts-expect-error: pong takes two arguments
      face.emit('pong', 1);
      face.emit('pong', 1, 'a');
      const pb = face.postback('pong');
      pb.release();
      // @ts-expect-error: postbacks name events of the map
      face.postback('pang');
      const fwd = face.forward('pong');
      expectTypeOf(fwd).toEqualTypeOf<(n: number, s: string) => void>();
      void once(face, 'pong');
    }
  });
});
