import { InProcessTransport, Kernel, Responder, Session, remote } from 'poe-ts';

// Declared once, imported by both kernels: posts and calls to the remote session are checked.
interface Chat {
  say: (who: string, text: string) => void;
  count: () => number;
}

// The hub: publishes its `chat` session.
const hub = new Kernel({ name: 'hub', log: (line) => console.log(`hub log: ${line}`) });
const hubIkc = Responder.spawn({ kernel: hub });
let said = 0;
Session.create<Chat>({
  kernel: hub,
  inlineStates: {
    _start(ctx) {
      ctx.kernel.aliasSet('chat');
      hubIkc.publish('chat'); // other kernels may post to poe://hub/chat from now on
    },
    say: (_ctx, who, text) => void console.log(`hub: ${who} says ${text}`),
    count: () => ++said,
  },
});

// A client kernel: posts and calls when the hub connects.
const client = new Kernel({ name: 'client' });
const ikc = Responder.spawn({ kernel: client });
const room = remote<Chat>('hub', 'chat');
Session.create({
  kernel: client,
  inlineStates: {
    _start: () => ikc.monitor('hub', { register: 'hub_up' }),
    async hub_up(ctx, name: string) {
      console.log(`client: ${name} connected`);
      ctx.kernel.post(room, 'say', 'ann', 'hello');
      ctx.kernel.post('poe://hub/nosuch', 'say', 'ann', 'lost?'); // not published there
      console.log(`client: count is ${await ctx.kernel.call(room, 'count')}`);
      ikc.shutdown();
      hubIkc.shutdown();
    },
    // A post that could not be delivered comes back to its sender.
    ikc_error: (_ctx, code: string, address: string) => void console.log(`client: ${code} for ${address}`),
  },
});

// Two kernels in one process; a ThreadTransport joins a worker thread the same way.
const [a, b] = InProcessTransport.pair();
hubIkc.connect(a);
ikc.connect(b);
await Promise.all([hub.run(), client.run()]);
console.log('both kernels stopped');
