/**
 * ikc-chat: a chat room over IKC. The room is a session in one kernel; each client is a kernel
 * of its own, in another process, that posts to the room and publishes a session the room
 * posts lines to. Over TCP by default (no broker, IKC's own model); with NATS_URL the same
 * program runs over a NATS broker, where the kernels find each other by themselves.
 *
 *   ROLE=room [PORT=0] [SECRET=...] node build/samples/ikc-chat.js
 *       prints `room listening on 127.0.0.1:<port>`; SIGINT or SIGTERM closes it
 *   ROLE=client NAME=ann PORT=<port> [SECRET=...] node build/samples/ikc-chat.js
 *       joins, sends each line typed on stdin, prints what the others say; `/quit` or EOF leaves
 *   NATS_URL=nats://127.0.0.1:4222 with either role: over NATS instead (no PORT); the room
 *       prints `room on NATS <url>`
 *
 * The room tells everyone when somebody joins, leaves, or is gone (its kernel disconnected
 * without leaving: the IKC monitor's `unregister`).
 */
import { pathToFileURL } from 'node:url';
import { Kernel, Line, NatsIkc, ReadWrite, Responder, Session, TcpTransport, listenTcp, remote } from '../../src/index.js';

/** The room's events, as clients post them. */
export interface Room {
  join: (name: string) => void;
  say: (name: string, text: string) => void;
  leave: (name: string) => void;
}

/** A client's published session: the room posts each line to it. */
export interface Chat {
  line: (text: string) => void;
}

const room = remote<Room>('room', 'room');
const chatOf = (name: string) => remote<Chat>(name, 'chat');

export interface ChatOptions {
  port?: number;
  secret?: string;
  natsUrl?: string;
  out?: (line: string) => void;
}

/** The room: resolves when it has closed (after SIGINT or SIGTERM). */
export async function runRoom(options: ChatOptions = {}): Promise<void> {
  const { out = (l: string) => console.log(l), natsUrl } = options;
  const kernel = new Kernel({ name: 'room' });
  const ikc = Responder.spawn({ kernel });
  const members = new Set<string>();
  const tell = (text: string, except?: string): void => {
    for (const m of members) if (m !== except) kernel.post(chatOf(m), 'line', text);
  };
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('room');
        ikc.publish('room', ['join', 'say', 'leave']);
        ikc.monitor('*', { unregister: 'gone' });
        ctx.kernel.sig('INT', 'close');
        ctx.kernel.sig('TERM', 'close');
        if (natsUrl !== undefined) return;
        listenTcp(ikc, {
          port: options.port ?? 0,
          ...(options.secret !== undefined ? { secret: options.secret } : {}),
          started: (port) => out(`room listening on 127.0.0.1:${port}`),
        });
      },
      join(_ctx, name: string) {
        members.add(name);
        out(`* ${name} joined`);
        tell(`* ${name} joined`, name);
      },
      say(_ctx, name: string, text: string) {
        out(`<${name}> ${text}`);
        tell(`<${name}> ${text}`, name);
      },
      leave(_ctx, name: string) {
        if (!members.delete(name)) return;
        out(`* ${name} left`);
        tell(`* ${name} left`);
      },
      gone(_ctx, name: string) {
        if (!members.delete(name)) return;
        out(`* ${name} is gone`);
        tell(`* ${name} is gone`);
      },
      close(ctx) {
        ctx.kernel.sigHandled();
        out('room closed');
        ctx.kernel.sig('INT');
        ctx.kernel.sig('TERM');
        ctx.kernel.aliasRemove('room');
        ikc.shutdown();
      },
    },
  });
  if (natsUrl !== undefined) {
    await NatsIkc.connect(ikc, { servers: natsUrl });
    out(`room on NATS ${natsUrl}`);
  }
  await kernel.run();
}

/** A client named `name`: `lines` are what it says (stdin by default). Resolves once it has left. */
export async function runClient(name: string, options: ChatOptions & { input?: NodeJS.ReadableStream } = {}): Promise<void> {
  const { out = (l: string) => console.log(l), input = process.stdin, natsUrl } = options;
  if (natsUrl === undefined && options.port === undefined) throw new Error('ikc-chat: a client needs PORT (the room prints it), or NATS_URL');
  const kernel = new Kernel({ name });
  const ikc = Responder.spawn({ kernel });
  let keyboard: ReadWrite<string, string> | undefined;
  let left = false;
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('chat');
        ikc.publish('chat', ['line']);
        ikc.monitor('room', { register: 'arrived', unregister: 'room_gone', reconnect: 'arrived' });
      },
      arrived(ctx) {
        ctx.kernel.post(room, 'join', name);
        out(`joined as ${name}`);
        keyboard ??= new ReadWrite<string, string>({ inputHandle: input as never, outputHandle: process.stdout, filter: new Line(), inputEvent: 'typed', errorEvent: 'typed_end' });
      },
      line: (_ctx, text: string) => void out(text),
      typed(ctx, text: string) {
        if (text === '/quit') return void ctx.kernel.yield('quit');
        ctx.kernel.post(room, 'say', name, text);
      },
      typed_end: (ctx) => void ctx.kernel.yield('quit'),
      room_gone(ctx) {
        out('* the room went away');
        ctx.kernel.yield('quit');
      },
      ikc_error(_ctx, code: string, address: string) {
        out(`! ${code} ${address}`);
      },
      quit(ctx) {
        if (left) return;
        left = true;
        if (ikc.kernels().includes('room')) ctx.kernel.post(room, 'leave', name);
        keyboard?.destroy();
        keyboard = undefined;
        ctx.kernel.aliasRemove('chat');
        // The leave goes out ahead of the link's goodbye.
        ikc.shutdown();
        out('left');
      },
    },
  });
  if (natsUrl !== undefined) await NatsIkc.connect(ikc, { servers: natsUrl });
  else ikc.connect(new TcpTransport({ port: options.port!, kernel, ...(options.secret !== undefined ? { secret: options.secret } : {}) }));
  await kernel.run();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const env = process.env;
  const common: ChatOptions = {
    ...(env.PORT !== undefined ? { port: Number(env.PORT) } : {}),
    ...(env.SECRET !== undefined ? { secret: env.SECRET } : {}),
    ...(env.NATS_URL !== undefined && env.NATS_URL !== '' ? { natsUrl: env.NATS_URL } : {}),
  };
  const role = env.ROLE ?? 'room';
  const done = role === 'room' ? runRoom(common) : role === 'client' ? runClient(env.NAME ?? `guest${process.pid}`, common) : Promise.reject(new Error(`ikc-chat: ROLE must be room or client, got ${role}`));
  done.then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
