/**
 * coro-cede: the column's first Coro example (bench/anchors/coro-anyevent/seed_cede_ps.pl),
 * ported line by line. Three tasks each name themselves, print a number and cede; the third
 * prints the kernel's ps table first. The main line's closing `await cede()` is what runs
 * them: without it the program would end before any task had its turn, as in Coro.
 *
 *   node build/samples/coro-cede.js
 *   POE_CALLER_INFO=1 node --enable-source-maps build/samples/coro-cede.js   (Where: file:line)
 *
 * The ps table is poe-ts's, not Coro's: it lists sessions (the three tasks, by session id),
 * not the main program or Coro's helper coroutines (docs/differences.md, 21).
 */
import { Kernel, cede, current, formatPs, task } from '../src/index.js';

task(async () => { current()!.desc = 'numero uno'; console.log('1'); await cede(); });
task(async () => { current()!.desc = 'numero dos'; console.log('2'); await cede(); });
task(async () => { current()!.desc = 'numero tres'; console.log('3'); console.log(formatPs(Kernel.default.ps())); await cede(); });
await cede();
