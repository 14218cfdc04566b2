/**
 * Type tests for tasks and their primitives (issue 11). `npm run typecheck` checks this file:
 * every `expectTypeOf` must hold and every `@ts-expect-error` line must really be an error.
 * Nothing here runs a kernel.
 */
import { describe, expectTypeOf, test } from 'vitest';
import { Channel, CondVar, Semaphore, current, task, type Task } from '../../src/index.js';

interface Inbox {
  go: (speed: number, label: string) => void;
}

describe('task types', () => {
  test('a task of any result is a Task; join gives its result', () => {
    if (false as boolean) {
      const quiet = task((): void => undefined);
      const plain: Task = quiet; // a Task<void> goes where any task goes
      expectTypeOf(plain).toEqualTypeOf<Task>();
      const counted = task(() => Promise.resolve(42));
      expectTypeOf(counted.join()).toEqualTypeOf<Promise<number>>();
      expectTypeOf(current()).toEqualTypeOf<Task | undefined>();
      // A body written for any task (its parameter a plain `Task`) makes a task with no result.
      const body = async (t: Task): Promise<void> => {
        await t.cede();
      };
      task(body);
    }
  });

  test('next() of a typed task takes its events and gives their arguments', () => {
    if (false as boolean) {
      task<void, Inbox>(async (t) => {
        expectTypeOf(await t.next('go')).toEqualTypeOf<[speed: number, label: string]>();
        // @ts-expect-error not an event of the task's map
        await t.next('stop');
      });
    }
  });

  test('the primitives carry their item types', () => {
    if (false as boolean) {
      const ch = new Channel<number>(1);
      expectTypeOf(ch.get()).toEqualTypeOf<Promise<number | undefined>>();
      expectTypeOf(ch.tryGet()).toEqualTypeOf<number | undefined>();
      // @ts-expect-error a string into a channel of numbers
      void ch.put('one');
      const cv = new CondVar<string>();
      expectTypeOf(cv.recv()).toEqualTypeOf<Promise<string>>();
      expectTypeOf(new Semaphore(1).tryDown()).toEqualTypeOf<boolean>();
    }
  });
});
