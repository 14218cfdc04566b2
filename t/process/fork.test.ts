/**
 * The kernel's process model (DESIGN.md "Processes"; spec 1.11 child processes, 1.13
 * has_forked): `fork()` starts the program again in a child role, `sigChild` reports each
 * child's end with Perl's `$?`, listeners made before `fork()` are inherited by descriptor, and
 * a forked child does not outlive its parent.
 *
 * Real processes: fixture programs under t/fixtures (run from dist/), and `node -e` children
 * handed to the kernel the way Wheel::Run hands its children over. Every pid a test learns of
 * is killed after it; waits are on events or bounded polls.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import { constants, tmpdir } from 'node:os';
import { afterEach, describe, expect, test } from 'vitest';
import { Kernel, Session } from '../../src/index.js';
import { alive, cleanup, exitOf, expectNoLeaks, processGroup, realKernel, run, runBounded, tempDir, track, until } from '../kit/index.js';

afterEach(cleanup);

/** A `node -e` child, as Wheel::Run would start it; tracked for cleanup. */
function nodeChild(code: string): ChildProcess {
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error('spawn failed');
  track(child.pid);
  return child;
}

describe('sigChild', () => {
  test.each([
    ['exit code 0', 'process.exit(0)', 0],
    ['exit code 3', 'process.exit(3)', 3 << 8],
    ['exit code 255', 'process.exit(255)', 255 << 8],
    ['SIGTERM', "process.kill(process.pid, 'SIGTERM')", constants.signals.SIGTERM],
    ['SIGKILL', "process.kill(process.pid, 'SIGKILL')", constants.signals.SIGKILL],
  ])('reports %s as $? (%s) with the extra args, then the CHLD broadcast', async (_what, code, status) => {
    const { kernel, log, say, warnings } = realKernel();
    let pid = 0;
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          const child = nodeChild(code);
          pid = child.pid!;
          ctx.kernel._adoptChild(child);
          ctx.kernel.sigChild(pid, 'reaped', 'a', 'b');
          ctx.kernel.sig('CHLD', 'blanket');
        },
        reaped(ctx, ...args: unknown[]) {
          say(`reaped ${args.map((a) => (a === pid ? 'PID' : String(a))).join(' ')} sender=${ctx.sender === ctx.kernel ? 'kernel' : '?'}`);
        },
        blanket(_ctx, ...args: unknown[]) {
          say(`blanket ${args.map((a) => (a === pid ? 'PID' : String(a))).join(' ')}`);
        },
        _stop() {
          say('_stop');
        },
      },
    });
    await runBounded(kernel, 10_000);
    expect(log).toEqual([`reaped CHLD PID ${status} a b sender=kernel`, `blanket CHLD PID ${status}`, '_stop']);
    expect(warnings).toEqual([]);
    expectNoLeaks(kernel);
  });

  test('is one-shot, holds the session while awaited, and shows in ps()', async () => {
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          const child = nodeChild('setTimeout(() => process.exit(1), 100)');
          ctx.kernel._adoptChild(child);
          ctx.kernel.sigChild(child.pid!, 'reaped');
          // Replacing the watch does not add a second hold.
          ctx.kernel.sigChild(child.pid!, 'reaped', 'again');
          const [me] = ctx.kernel.ps();
          say(`holds ${me!.holds}: ${me!.aliveBecause.join('; ')}`);
        },
        reaped(_ctx, sig, _pid, status, extra) {
          say(`reaped ${String(sig)} ${String(status)} ${String(extra)}`);
        },
        _stop() {
          say('_stop');
        },
      },
    });
    await runBounded(kernel, 10_000);
    expect(log).toEqual([expect.stringMatching(/^holds 1: sig_child watch\(es\) on pid\(s\) \d+$/), 'reaped CHLD 256 again', '_stop']);
    expectNoLeaks(kernel);
  });

  test('sigChild(pid) cancels; cancelling an unwatched pid is a no-op; blanket CHLD still sees the end', async () => {
    const { kernel, log, say } = realKernel();
    let pid = 0;
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          const child = nodeChild('setTimeout(() => process.exit(2), 100)');
          pid = child.pid!;
          ctx.kernel._adoptChild(child);
          ctx.kernel.sigChild(pid, 'reaped');
          ctx.kernel.sigChild(pid);
          ctx.kernel.sigChild(pid); // twice: still nothing
          ctx.kernel.sigChild(424242); // never watched
          say(`errno ${ctx.kernel.errno} holds ${ctx.kernel.ps()[0]!.holds}`);
          // sig() holds nothing (G16): an alias keeps the session until the blanket watcher runs.
          ctx.kernel.sig('CHLD', 'blanket');
          ctx.kernel.aliasSet('waiting');
        },
        reaped() {
          say('ERROR reaped after cancel');
        },
        blanket(ctx, sig, p, status) {
          say(`blanket ${String(sig)} ${p === pid ? 'PID' : String(p)} ${String(status)}`);
          ctx.kernel.aliasRemove('waiting');
        },
        _stop() {
          say('_stop');
        },
      },
    });
    await runBounded(kernel, 10_000);
    expect(log).toEqual(['errno 0 holds 0', 'blanket CHLD PID 512', '_stop']);
    expectNoLeaks(kernel);
  });

  test('a child that ended before sigChild was called is reported at once', async () => {
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          const child = nodeChild('process.exit(4)');
          ctx.heap.pid = child.pid;
          ctx.kernel._adoptChild(child);
          ctx.kernel.sig('CHLD', 'blanket');
          ctx.kernel.aliasSet('waiting');
        },
        blanket(ctx, _sig, pid) {
          say('ended');
          ctx.kernel.aliasRemove('waiting');
          ctx.kernel.sigChild(pid as number, 'late');
        },
        late(ctx, sig, pid, status) {
          say(`late ${String(sig)} ${pid === ctx.heap.pid ? 'PID' : String(pid)} ${String(status)}`);
        },
      },
    });
    await runBounded(kernel, 10_000);
    expect(log).toEqual(['ended', 'late CHLD PID 1024']);
    expectNoLeaks(kernel);
  });

  test('the kernel is not idle while a pid is awaited: no IDLE before the reap', async () => {
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          ctx.kernel.sig('IDLE', 'idle');
          ctx.kernel.aliasSet('daemon');
        },
        idle(ctx) {
          say('IDLE');
          ctx.kernel.aliasRemove('daemon');
        },
      },
    });
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          const child = nodeChild('setTimeout(() => process.exit(0), 150)');
          ctx.kernel._adoptChild(child);
          ctx.kernel.sigChild(child.pid!, 'reaped');
        },
        reaped() {
          say('reaped');
        },
      },
    });
    await runBounded(kernel, 10_000);
    expect(log).toEqual(['reaped', 'IDLE']);
    expectNoLeaks(kernel);
  });

  test('a pid the kernel did not start is found gone by polling, with status -1', async () => {
    const { kernel, log, say } = realKernel();
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          const child = nodeChild('setTimeout(() => process.exit(0), 100)');
          ctx.kernel.sigChild(child.pid!, 'reaped');
        },
        reaped(_ctx, sig, _pid, status) {
          say(`reaped ${String(sig)} ${String(status)}`);
        },
      },
    });
    await runBounded(kernel, 10_000);
    expect(log).toEqual(['reaped CHLD -1']);
    expectNoLeaks(kernel);
  });

  test('bad arguments throw', () => {
    const { kernel } = realKernel();
    expect.assertions(2);
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          expect(() => ctx.kernel.sigChild(0, 'x')).toThrow(expect.objectContaining({ code: 'ERR_POE_INVALID_ARGUMENT' }));
          expect(() => ctx.kernel.sigChild('12' as unknown as number, 'x')).toThrow(/positive integer/);
        },
      },
    });
    kernel.stop();
  });

  test('snake_case spellings are the same functions', () => {
    const kernel = new Kernel();
    expect(kernel.sig_child).toBe(kernel.sigChild);
    expect(kernel.has_forked).toBe(kernel.hasForked);
  });
});

describe('fork', () => {
  test('returns the pid in the parent and 0 in the child; the child forks real grandchildren after that', async () => {
    const p = run('fork-basics.mjs', ['roles']);
    const [, child] = await p.line(/^parent: fork returned (\d+)$/);
    track(Number(child));
    const [code, signal] = await exitOf(p);
    const grandchild = /^grandchild: fork returned 0 in (\d+)/.exec(p.lines.find((l) => l.startsWith('grandchild')) ?? '')?.[1];
    expect(grandchild).toBeDefined();
    // Two processes write to one stdout: compare each process's own lines in order.
    const of = (prefix: string) => p.lines.filter((l) => l.startsWith(prefix));
    expect(of('parent')).toEqual([`parent: fork returned ${child}`, `parent: reaped child ${child} CHLD status ${7 << 8}`]);
    expect(of('child')).toEqual([
      `child: fork returned 0 in ${child}; new kernel id yes`,
      'child: second fork returned a pid',
      `child: reaped grandchild ${grandchild} CHLD status ${5 << 8}`,
    ]);
    expect(of('grandchild')).toEqual([`grandchild: fork returned 0 in ${grandchild}; new kernel id yes`]);
    expect(p.stderr).toEqual([]);
    expect([code, signal]).toEqual([0, null]);
  });

  test.each([
    ['a missing program', { program: '/nonexistent/poe-ts-program.mjs' }, constants.errno.ENOENT],
    ['a missing Node binary', { execPath: '/nonexistent/node' }, constants.errno.ENOENT],
    ['a Node binary that is a directory', { execPath: tmpdir() }, constants.errno.EACCES],
  ])('fails with %s: undefined and errno, as Perl fork returns undef with $!', (_what, options, code) => {
    const { kernel } = realKernel(options);
    const seen: unknown[] = [];
    Session.create({
      kernel,
      inlineStates: {
        _start(ctx) {
          seen.push(ctx.kernel.fork(), ctx.kernel.errno);
        },
      },
    });
    kernel.stop();
    expect(seen).toEqual([undefined, code]);
  });

  test('assert mode turns a failed fork into a PoeErrnoError', () => {
    const kernel = new Kernel({ assert: true, program: '/nonexistent/poe-ts-program.mjs' });
    expect(() => kernel.fork()).toThrow(expect.objectContaining({ code: 'ERR_POE_KERNEL_ERRNO', errno: constants.errno.ENOENT }));
  });

  test('forkProgram and forkExecPath default to this process and can be set', () => {
    const kernel = new Kernel();
    expect(kernel.forkProgram).toBe(process.argv[1]);
    expect(kernel.forkExecPath).toBe(process.execPath);
    kernel.forkProgram = '/x.mjs';
    kernel.forkExecPath = '/bin/node';
    expect([kernel.forkProgram, kernel.forkExecPath]).toEqual(['/x.mjs', '/bin/node']);
    expect(() => new Kernel({ program: '' })).toThrow(/`program`/);
    expect(kernel.isForkChild).toBe(false);
  });

  test('a SIGINT kept for the fork point: one that reached the child while it rebuilt, and one pending in the parent', async () => {
    const p = run('fork-basics.mjs', ['signals']);
    const [code, signal] = await exitOf(p);
    expect([code, signal]).toEqual([0, null]);
    const lines = p.lines.map((l) => l.replace(/(child|in) \d+$/, '$1 PID'));
    // Each child handles SIGINT through the watcher its rebuild set up, once it is past its
    // fork point: neither dies of it (status 0), and the parent handles its own.
    expect(lines.filter((l) => l.startsWith('child early'))).toEqual(['child early: forked in PID', 'child early: got SIGINT']);
    expect(lines.filter((l) => l.startsWith('child pending'))).toEqual(['child pending: forked in PID', 'child pending: got SIGINT']);
    expect(lines.filter((l) => l.startsWith('parent'))).toEqual(
      expect.arrayContaining(['parent: forked early child PID', 'parent: forked pending child PID', 'parent: got SIGINT', 'parent: reaped early child status 0', 'parent: reaped pending child status 0']),
    );
    expect(lines.filter((l) => l === 'parent: got SIGINT')).toHaveLength(1);
    expect(p.stderr).toEqual([]);
  });

  test('a group signal that reaches the parent as it forks is passed on to the new child', async () => {
    const p = run('fork-basics.mjs', ['newborn']);
    // Without the hand-off the child would linger 30 s and the parent wait for it.
    const [code, signal] = await exitOf(p, 10_000);
    expect([code, signal]).toEqual([0, null]);
    expect(p.lines[0]).toMatch(/^parent: forked \d+$/);
    expect(p.lines).toContain('parent: got SIGINT');
    // Still inside Node's start-up the child ends by the signal; past it, its watcher has it.
    const reaped = p.lines.find((l) => l.startsWith('parent: reaped'));
    expect(['parent: reaped child, status 0', `parent: reaped child, by signal ${constants.signals.SIGINT}`]).toContain(reaped);
    if (reaped === 'parent: reaped child, status 0') expect(p.lines).toContain('child: got SIGINT');
  });

  test('a forked child does not outlive a parent that ends without watching it', async () => {
    const p = run('fork-basics.mjs', ['orphan']);
    const [, child] = await p.line(/^parent: forked (\d+)$/);
    const pid = Number(child);
    track(pid);
    // Unwatched, the child does not keep the parent's Node process alive.
    expect(await exitOf(p, 5000)).toEqual([0, null]);
    await until(() => !alive(pid), 8000, `orphaned child ${pid} to exit`);
  });
});

describe('listeners are inherited, never proxied', () => {
  /** One line from a fresh connection: the pid of the process that accepted it. */
  function ask(port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (text += d));
      socket.on('end', () => resolve(text.trim()));
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    });
  }

  async function start(mode: 'one' | 'all') {
    const p = run('fork-listener.mjs', ['2', mode]);
    const [, parent, port] = await p.line(/^parent (\d+) port (\d+)$/);
    const forked = p.lines.filter((l) => l.startsWith('forked ')).map((l) => Number(l.slice(7)));
    forked.forEach(track);
    expect(forked).toHaveLength(2);
    for (const pid of forked) await p.line(new RegExp(`^ready ${pid}$`));
    return { p, parent: Number(parent), port: Number(port), children: forked };
  }

  test('each child accepts on the parent socket and answers with its own pid', async () => {
    const { p, parent, port, children } = await start('one');
    // One process group, as after fork(2): a Ctrl-C at the terminal reaches every process.
    const group = processGroup(parent);
    if (group !== undefined) for (const pid of children) expect(processGroup(pid)).toBe(group);
    // A child answers one connection and closes its copy of the socket; the parent closed
    // its own after forking. So the second connection can only go to the other child, and a
    // third finds nobody listening: no process relays for another.
    const first = Number(await ask(port));
    const second = Number(await ask(port));
    expect(children).toContain(first);
    expect(children).toContain(second);
    expect(first).not.toBe(second);
    expect([first, second]).not.toContain(parent);
    await expect(ask(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await exitOf(p)).toEqual([0, null]);
    const reaped = p.lines.filter((l) => l.startsWith('reaped ')).sort();
    expect(reaped).toEqual(children.map((pid) => `reaped ${pid} 0`).sort());
    expect(p.lines.at(-1)).toBe('done');
    expect(p.stderr).toEqual([]);
  });

  test('concurrent connections are answered by the children directly; killing the parent (SIGKILL) ends them', async () => {
    const { p, parent, port, children } = await start('all');
    const pids = new Set<number>();
    for (let round = 0; round < 10 && pids.size < 2; round++) {
      const answers = await Promise.all(Array.from({ length: 20 }, () => ask(port)));
      for (const a of answers) pids.add(Number(a));
    }
    expect([...pids].sort()).toEqual([...children].sort());
    expect(pids.has(parent)).toBe(false);
    // Children do not outlive their parent, even one killed without a chance to clean up.
    p.child.kill('SIGKILL');
    await exitOf(p);
    for (const pid of children) await until(() => !alive(pid), 8000, `child ${pid} to exit after its parent's SIGKILL`);
    await expect(ask(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('listeners over unix sockets', () => {
  test('a unix listener is inherited too; parent and children all accept on it', async () => {
    const dir = tempDir();
    try {
      const path = dir.path('sock');
      // "shared": the parent keeps its listener, as the seed does (closing it would unlink
      // the path for everyone).
      const p = run('fork-listener.mjs', ['2', 'shared', path]);
      const [, parent] = await p.line(/^parent (\d+) port unix$/);
      const children = p.lines.filter((l) => l.startsWith('forked ')).map((l) => Number(l.slice(7)));
      children.forEach(track);
      for (const pid of children) await p.line(new RegExp(`^ready ${pid}$`));
      const ask = () =>
        new Promise<number>((resolve, reject) => {
          const s = net.connect({ path });
          let t = '';
          s.setEncoding('utf8').on('data', (d: string) => (t += d));
          s.on('end', () => resolve(Number(t.trim())));
          s.on('error', reject);
        });
      const pids = new Set<number>();
      for (let round = 0; round < 10 && children.some((c) => !pids.has(c)); round++) {
        for (const pid of await Promise.all(Array.from({ length: 20 }, ask))) pids.add(pid);
      }
      for (const pid of children) expect(pids).toContain(pid);
      expect([...pids].every((pid) => pid === Number(parent) || children.includes(pid))).toBe(true);
      // A child that had bound for itself would have failed with EADDRINUSE.
      expect(p.lines.filter((l) => l.startsWith('error'))).toEqual([]);
      p.child.kill('SIGTERM');
      await exitOf(p);
      for (const pid of children) await until(() => !alive(pid), 8000, `child ${pid} to exit after its parent`);
    } finally {
      dir.cleanup();
    }
  });
});
