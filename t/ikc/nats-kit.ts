/**
 * A nats-server of a test's own: on 127.0.0.1, a port found free, stopped (or killed) and
 * started again on the same port. Tests that need one are skipped where `nats-server` is not
 * installed (`apt-get install -y nats-server`; .ci/run installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { listeningServer, portOf } from '../kit/index.js';

export const hasNatsServer = spawnSync('nats-server', ['--version'], { stdio: 'ignore' }).status === 0;
export const NO_NATS = 'nats-server is not installed: `apt-get install -y nats-server` to run the NATS tests';
if (!hasNatsServer) console.warn(`skipped: ${NO_NATS}`);

export interface NatsServer {
  port: number;
  url: string;
  /** Starts it (again, on the same port); resolves when it accepts clients. */
  start(): Promise<void>;
  /** Sends `signal` and waits for the process to end. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const servers = new Set<NatsServer>();

/** A server with `args` (`--user u --pass p`, `--auth token`), started. */
export async function natsServer(args: string[] = []): Promise<NatsServer> {
  const probe = await listeningServer();
  const port = portOf(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const server: NatsServer = {
    port,
    url: `nats://127.0.0.1:${port}`,
    async start() {
      const c = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      let err = '';
      await new Promise<void>((resolve, reject) => {
        const onData = (d: Buffer): void => {
          err += d.toString();
          if (err.includes('Server is ready')) {
            c.stderr.off('data', onData);
            c.stderr.resume();
            resolve();
          }
        };
        c.stderr.on('data', onData);
        c.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${err}`)));
      });
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const c = child;
      child = undefined;
      if (c === undefined || c.exitCode !== null) return;
      c.kill(signal);
      await exited;
    },
  };
  servers.add(server);
  await server.start();
  return server;
}

/** Stops every server the tests of this file started. */
export async function stopNatsServers(): Promise<void> {
  await Promise.all([...servers].map((s) => s.stop()));
  servers.clear();
}
