/**
 * coro-channel: the column's Coro::Channel usage made whole
 * (bench/anchors/coro-anyevent/seed_channel.pl), ported line by line. A producer task puts
 * five items, ceding after each; the main line gets them until the channel, shut down and
 * empty, gives undefined (Coro's undef).
 *
 *   node build/samples/coro-channel.js
 */
import { Channel, cede, task } from '../src/index.js';

const channel = new Channel<string>();
task(async () => { for (let i = 1; i <= 5; i++) { console.log(`put ${i}`); await channel.put(`item ${i}`); await cede(); } channel.shutdown(); });
for (let data; (data = await channel.get()) !== undefined; ) { console.log(`got ${data}`); }
console.log('channel closed');
