/**
 * coro-semaphore: the column's Coro::Semaphore example, from Coro's own documentation
 * (bench/anchors/coro-anyevent/seed_semaphore.pl), ported line by line. The semaphore starts
 * locked; the main line's `await sem.down()` blocks, which runs the kernel, so the task gets
 * its turn, unlocks it, and the main line goes on.
 *
 *   node build/samples/coro-semaphore.js
 */
import { Semaphore, task } from '../src/index.js';

const sem = new Semaphore(0); // a locked semaphore
task(() => { console.log('unlocking semaphore'); sem.up(); });
console.log('trying to lock semaphore');
await sem.down();
console.log('we got it!');
