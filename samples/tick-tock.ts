/**
 * tick-tock: the smallest POE program worth running. Two sessions play ping-pong through
 * aliases, each volley after a short delay; a third watches SIGINT so Ctrl-C ends the game
 * cleanly. When the last volley lands, nothing is left to do and the kernel stops by itself.
 *
 *   node build/samples/tick-tock.js         (ROUNDS=5 INTERVAL=0.2 by default)
 */
import { pathToFileURL } from 'node:url';
import { Kernel, Session } from '../src/index.js';

export interface TickTockOptions {
  /** Volleys to play. @default 5 */
  rounds?: number;
  /** Seconds between volleys. @default 0.2 */
  interval?: number;
  /** Where lines go. @default console.log */
  out?: (line: string) => void;
  /** The kernel to run in. @default a new Kernel */
  kernel?: Kernel;
}

interface Player {
  serve: (n: number) => void;
  volley: (n: number) => void;
  over: () => void;
  interrupted: (signal: string) => void;
  _stop: () => void;
}

/** Starts the game; `done` settles when the kernel has nothing left to do. */
export function start(options: TickTockOptions = {}): { kernel: Kernel; done: Promise<void>; stop: () => void } {
  const { rounds = 5, interval = 0.2, out = (line: string) => console.log(line), kernel = new Kernel() } = options;

  const player = (me: string, other: string, serves: boolean) =>
    Session.create<Player>({
      kernel,
      inlineStates: {
        _start: (ctx) => {
          // The alias keeps the player alive between volleys; sig() alone would not (G16).
          ctx.kernel.aliasSet(me);
          ctx.kernel.sig('INT', 'interrupted');
          if (serves) ctx.kernel.delay('serve', interval, 1);
        },
        serve: (ctx, n) => {
          ctx.kernel.post(other, 'volley', n);
        },
        volley: (ctx, n) => {
          out(`${me} ${n}`);
          if (n < rounds) ctx.kernel.delay('serve', interval, n + 1);
          else ctx.kernel.post(other, 'over');
          if (n >= rounds) ctx.kernel.aliasRemove(me);
        },
        over: (ctx) => {
          ctx.kernel.aliasRemove(me);
        },
        interrupted: (_ctx, signal) => {
          // Not handled: INT is terminal, so every session stops and run() returns (spec 1.11).
          out(`${me} got SIG${signal}`);
        },
        _stop: () => out(`${me} leaves`),
      },
    });

  player('tick', 'tock', true);
  player('tock', 'tick', false);
  const done = kernel.run();
  return { kernel, done, stop: () => kernel.stop() };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.env.ROUNDS ?? 5);
  const interval = Number(process.env.INTERVAL ?? 0.2);
  start({ rounds, interval }).done.then(
    () => console.log('game over'),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
