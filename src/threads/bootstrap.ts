import { REVIVE, THREAD_STATE } from './wire.js';

/*
 * The code a thread starts with (a Worker in eval mode, so no file of poe-ts has to be found
 * at run time, bundled or not). It sets the thread's state where poe-ts's in-thread half
 * looks for it, imports the user's module, calls the export with the arguments (shared
 * objects revived by the copy of poe-ts that module loaded), posts the outcome, and ends
 * the thread: as in Perl, a thread is over when its function returns.
 *
 * Signals (`kill`) are messages: they reach the handler in `threads.SIG` when the thread's
 * event loop is free, i.e. between tasks (Perl's safe signals act between ops).
 */
export const BOOTSTRAP = `'use strict';
const { parentPort, workerData: W } = require('node:worker_threads');
const state = { tid: W.tid, tids: W.tids, stackSize: W.stackSize, detached: false, SIG: Object.create(null) };
globalThis[Symbol.for(${JSON.stringify(THREAD_STATE.description)})] = state;
parentPort.on('message', (m) => {
  if (m.t === 'detach') state.detached = true;
  else if (m.t === 'kill') {
    const h = state.SIG[m.sig];
    if (typeof h === 'function') h(m.sig);
  }
});
const pack = (e) => {
  if (!(e instanceof Error)) return e;
  const props = {};
  for (const k of Object.keys(e)) {
    try { structuredClone(e[k]); props[k] = e[k]; } catch { /* not cloneable: left out */ }
  }
  return { '@@poe-ts.error': true, name: e.name, message: e.message, stack: e.stack, props };
};
const send = (m) => {
  try {
    parentPort.postMessage(m);
  } catch (err) {
    const what = m.t === 'ret' ? 'return value' : 'error';
    parentPort.postMessage({ t: 'die', e: { '@@poe-ts.error': true, name: 'PoeError', message: 'thread ' + W.tid + ': its ' + what + ' cannot be cloned to the joining thread: ' + err.message, stack: undefined, props: { code: 'ERR_POE_CLONE' } } });
  }
};
import(W.url).then(
  (mod) => {
    const fn = mod[W.name];
    if (typeof fn !== 'function') {
      send({ t: 'bad', msg: 'module ' + W.url + ' has no exported function ' + JSON.stringify(W.name) + ' (exports: ' + (Object.keys(mod).join(', ') || 'none') + ')', e: undefined });
      return undefined;
    }
    const revive = globalThis[Symbol.for(${JSON.stringify(REVIVE.description)})];
    const args = typeof revive === 'function' ? revive(W.args) : W.args;
    return new Promise((resolve) => resolve(fn(...args))).then(
      (v) => send({ t: 'ret', v }),
      (e) => send({ t: 'die', e: pack(e) }),
    );
  },
  (e) => send({ t: 'bad', msg: 'cannot load module ' + W.url + ': ' + (e && e.message), e: pack(e) }),
).then(() => process.exit(0));
`;
