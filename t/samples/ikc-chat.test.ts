/**
 * samples/ikc-chat, built, in three processes: the room and two clients, over TCP and over a
 * NATS broker of the test's own (skipped where nats-server is not installed). Both join, each
 * says lines the other sees in order, one leaves (the other is told), the room is closed with
 * SIGTERM, and all three exit with 0.
 */
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { hasNatsServer, natsServer, NO_NATS, stopNatsServers } from '../ikc/nats-kit.js';
import { builtSample, cleanup, ensureBuilt, exitOf, onLines, run, trackChild, type Program } from '../kit/index.js';

const built = builtSample('ikc-chat');
beforeAll(() => ensureBuilt(built), 120_000);
afterEach(cleanup);
afterAll(stopNatsServers);

/** A client with its stdin piped, so the test types for it. */
function client(name: string, where: Record<string, string>): Program & { type: (line: string) => void; end: () => void } {
  const child = spawn(process.execPath, [built], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ROLE: 'client', NAME: name, ...where } });
  trackChild(child);
  const lines: string[] = [];
  const stderr: string[] = [];
  const waits: (() => void)[] = [];
  onLines(child.stdout, (l) => {
    lines.push(l);
    for (const w of waits.splice(0)) w();
  });
  onLines(child.stderr, (l) => stderr.push(l));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
  const until = async (check: () => boolean, ms: number, what: string): Promise<void> => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error(`${name}: ${what}; got:\n${lines.join('\n')}\nstderr:\n${stderr.join('\n')}`);
      await new Promise<void>((resolve) => {
        waits.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  };
  const line = async (re: RegExp, ms = 10_000): Promise<RegExpExecArray> => {
    let m: RegExpExecArray | null = null;
    await until(() => lines.some((l) => (m = re.exec(l)) !== null), ms, `no line matching ${re}`);
    return m!;
  };
  return { child, pid: child.pid!, lines, stderr, line, until, exited, type: (l) => void child.stdin.write(`${l}\n`), end: () => void child.stdin.end() };
}

async function chat(over: 'tcp' | 'nats'): Promise<void> {
  let where: Record<string, string>;
  let roomProc: Program;
  let first: string;
  if (over === 'tcp') {
    roomProc = run(built, [], { env: { ROLE: 'room', PORT: '0', SECRET: 'chat' } });
    const port = (await roomProc.line(/^room listening on 127\.0\.0\.1:(\d+)$/))[1]!;
    where = { PORT: port, SECRET: 'chat' };
    first = `room listening on 127.0.0.1:${port}`;
  } else {
    const broker = await natsServer();
    roomProc = run(built, [], { env: { ROLE: 'room', NATS_URL: broker.url } });
    first = `room on NATS ${broker.url}`;
    await roomProc.line(/^room on NATS /);
    where = { NATS_URL: broker.url };
  }
  const ann = client('ann', where);
  await ann.line(/^joined as ann$/);
  await roomProc.line(/^\* ann joined$/);
  const bob = client('bob', where);
  await bob.line(/^joined as bob$/);
  await ann.line(/^\* bob joined$/);
  for (let i = 1; i <= 3; i++) ann.type(`ann line ${i}`);
  for (let i = 1; i <= 3; i++) bob.type(`bob line ${i}`);
  await bob.line(/^<ann> ann line 3$/);
  await ann.line(/^<bob> bob line 3$/);
  bob.type('/quit');
  await ann.line(/^\* bob left$/);
  expect(await exitOf(bob)).toEqual([0, null]);
  ann.end();
  expect(await exitOf(ann)).toEqual([0, null]);
  await roomProc.line(/^\* ann left$/);
  roomProc.child.kill('SIGTERM');
  expect(await exitOf(roomProc)).toEqual([0, null]);

  expect(ann.lines).toEqual(['joined as ann', '* bob joined', '<bob> bob line 1', '<bob> bob line 2', '<bob> bob line 3', '* bob left', 'left']);
  expect(bob.lines).toEqual(['joined as bob', '<ann> ann line 1', '<ann> ann line 2', '<ann> ann line 3', 'left']);
  expect(roomProc.lines.filter((l) => !l.startsWith('<'))).toEqual([first, '* ann joined', '* bob joined', '* bob left', '* ann left', 'room closed']);
  // Each speaker's lines in the order said.
  expect(roomProc.lines.filter((l) => l.startsWith('<ann>'))).toEqual(['<ann> ann line 1', '<ann> ann line 2', '<ann> ann line 3']);
  expect(roomProc.lines.filter((l) => l.startsWith('<bob>'))).toEqual(['<bob> bob line 1', '<bob> bob line 2', '<bob> bob line 3']);
  expect([roomProc.stderr, ann.stderr, bob.stderr]).toEqual([[], [], []]);
}

describe('ikc-chat in three processes: join, lines in order both ways, a leave, clean exits', () => {
  test('over TCP', () => chat('tcp'));
  test.skipIf(!hasNatsServer)(`over NATS${hasNatsServer ? '' : ` (${NO_NATS})`}`, () => chat('nats'));
});
