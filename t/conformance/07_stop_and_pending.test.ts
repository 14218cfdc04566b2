/**
 * Conformance: spec probe 07_stop_and_pending (spec 1.6 "Stopping" step 5, 1.8, 5.3 #7, G3,
 * G4). The probe itself is not shipped; the scenario below was written from the spec, run as
 * Perl against POE 1.370 (Debian libpoe-perl 1.3700-1, PERL_HASH_SEED=0), and its output is
 * `POE_OUTPUT`.
 *
 * - A (S2) handles one event and is then collected at the end of that batch, after the other
 *   events of the batch. In its `_stop`, `post` returns 1 and `yield`/`delay` return as usual,
 *   but everything it queues is purged with it; a `call` still works and returns its value.
 * - C (S3) signals itself TERM and then queues more (a post to keeper, a yield, a timer); D
 *   (S4) posts to C in the same batch. The unhandled TERM stops C in the middle of the next
 *   batch, and every event sent by C or to C is purged; D's post to keeper, after it in the
 *   same batch, is still delivered.
 */
import { expect, test } from 'vitest';
import { Session } from '../../src/index.js';
import { id, makeKernel } from '../kit/index.js';

const POE_OUTPUT = [
  'A: work',
  'C: arm',
  'D: poke',
  'A _stop: post to keeper returned 1',
  'A _stop: yield returned undef',
  'A _stop: delay returned 0',
  "keeper: called 'called in A _stop' by S2",
  'A _stop: call to keeper returned call-ok',
  'C _stop (forced by TERM)',
  "keeper: msg 'posted by D' from S4",
  'D: finish',
  'keeper: shutdown',
  'D _stop',
  'keeper: bye',
  'keeper _stop',
  'run returned',
];

const show = (x: unknown): string => (x === undefined ? 'undef' : typeof x === 'string' ? x : JSON.stringify(x));

test('07_stop_and_pending: posts from _stop are lost, call from _stop works, forced stops purge', async () => {
  const { kernel, log, say, run } = makeKernel();

  // S1 keeper: lives on its alias until told to go.
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('keeper');
      },
      msg(ctx, text) {
        say(`keeper: msg '${String(text)}' from ${id(ctx.sender)}`);
      },
      called(ctx, text) {
        say(`keeper: called '${String(text)}' by ${id(ctx.sender)}`);
        return 'call-ok';
      },
      shutdown(ctx) {
        say('keeper: shutdown');
        ctx.kernel.aliasRemove('keeper');
        ctx.kernel.delay('bye', 1);
      },
      bye() {
        say('keeper: bye');
      },
      _stop() {
        say('keeper _stop');
      },
    },
  });
  // S2 A
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.yield('work');
      },
      work() {
        say('A: work');
      },
      lost(ctx) {
        say(`ERROR: A got ${ctx.state}`);
      },
      _stop(ctx) {
        const k = ctx.kernel;
        say('A _stop: post to keeper returned ', show(k.post('keeper', 'msg', 'posted in A _stop')));
        say('A _stop: yield returned ', show(k.yield('lost')));
        say('A _stop: delay returned ', show(k.delay('lost', 0)));
        say('A _stop: call to keeper returned ', show(k.call('keeper', 'called', 'called in A _stop')));
      },
    },
  });
  // S3 C
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('C');
        ctx.kernel.yield('arm');
      },
      arm(ctx) {
        const k = ctx.kernel;
        say('C: arm');
        k.signal(ctx.session, 'TERM');
        k.post('keeper', 'msg', 'posted by C after its TERM');
        k.yield('lost');
        k.delay('lost_timer', 0.5);
      },
      msg(_ctx, text) {
        say(`ERROR: C got msg '${String(text)}'`);
      },
      lost(ctx) {
        say(`ERROR: C got ${ctx.state}`);
      },
      lost_timer(ctx) {
        say(`ERROR: C got ${ctx.state}`);
      },
      _stop() {
        say('C _stop (forced by TERM)');
      },
    },
  });
  // S4 D
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.yield('poke');
      },
      poke(ctx) {
        const k = ctx.kernel;
        say('D: poke');
        k.post('C', 'msg', 'posted to C by D');
        k.post('keeper', 'msg', 'posted by D');
        k.delay('finish', 1);
      },
      finish(ctx) {
        say('D: finish');
        ctx.kernel.post('keeper', 'shutdown');
      },
      _stop() {
        say('D _stop');
      },
    },
  });

  await run();
  say('run returned');
  expect(log).toEqual(POE_OUTPUT);
});

/*
The Perl programs behind the POE_OUTPUT* arrays, as run against POE 1.370 with
PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 (stdout only).

---- POE_OUTPUT
use strict; use warnings; use POE; $|=1;
sub sid { my $s = shift; return 'undef' unless defined $s; return $s == $poe_kernel ? 'kernel' : 'S' . $s->ID }
sub show { defined $_[0] ? $_[0] : 'undef' }
# S1 keeper: lives on its alias until told to go.
POE::Session->create(inline_states => {
  _start => sub { $_[KERNEL]->alias_set('keeper'); return },
  msg => sub { print "keeper: msg '$_[ARG0]' from ", sid($_[SENDER]), "\n"; return },
  called => sub { print "keeper: called '$_[ARG0]' by ", sid($_[SENDER]), "\n"; return "call-ok" },
  shutdown => sub { print "keeper: shutdown\n"; $_[KERNEL]->alias_remove('keeper'); $_[KERNEL]->delay(bye => 1); return },
  bye => sub { print "keeper: bye\n"; return },
  _stop => sub { print "keeper _stop\n"; return },
});
# S2 A: one event, then idle; collected at the end of that batch.  Its _stop posts
# (to keeper and to itself) are lost; its call works.
POE::Session->create(inline_states => {
  _start => sub { $_[KERNEL]->yield('work'); return },
  work => sub { print "A: work\n"; return },
  lost => sub { print "ERROR: A got $_[STATE]\n"; return },
  _stop => sub {
    my $k = $_[KERNEL];
    print "A _stop: post to keeper returned ", show($k->post(keeper => msg => 'posted in A _stop')), "\n";
    print "A _stop: yield returned ", show($k->yield('lost')), "\n";
    print "A _stop: delay returned ", show($k->delay(lost => 0)), "\n";
    print "A _stop: call to keeper returned ", show($k->call(keeper => called => 'called in A _stop')), "\n";
    return;
  },
});
# S3 C: signals itself TERM, then queues more; the TERM stops it mid-batch and purges
# everything it sent and everything sent to it.
POE::Session->create(inline_states => {
  _start => sub { $_[KERNEL]->alias_set('C'); $_[KERNEL]->yield('arm'); return },
  arm => sub {
    my $k = $_[KERNEL];
    print "C: arm\n";
    $k->signal($_[SESSION], 'TERM');
    $k->post(keeper => msg => 'posted by C after its TERM');
    $k->yield('lost');
    $k->delay(lost_timer => 0.5);
    return;
  },
  msg => sub { print "ERROR: C got msg '$_[ARG0]'\n"; return },
  lost => sub { print "ERROR: C got $_[STATE]\n"; return },
  lost_timer => sub { print "ERROR: C got $_[STATE]\n"; return },
  _stop => sub { print "C _stop (forced by TERM)\n"; return },
});
# S4 D: queues events to C and keeper in the same batch as C's arm.
POE::Session->create(inline_states => {
  _start => sub { $_[KERNEL]->yield('poke'); return },
  poke => sub {
    my $k = $_[KERNEL];
    print "D: poke\n";
    $k->post(C => msg => 'posted to C by D');
    $k->post(keeper => msg => 'posted by D');
    $k->delay(finish => 1);
    return;
  },
  finish => sub { print "D: finish\n"; $_[KERNEL]->post(keeper => 'shutdown'); return },
  _stop => sub { print "D _stop\n"; return },
});
POE::Kernel->run; print "run returned\n";
*/
