/**
 * Conformance: spec probe 08_idle_zombie (spec 1.8 "IDLE and ZOMBIE", 1.11, 5.3 #8, G17, G18,
 * G20). The probe itself is not shipped; the scenarios below were written from the spec, run
 * as Perl against POE 1.370 (Debian libpoe-perl 1.3700-1, PERL_HASH_SEED=0), and their output
 * is `POE_OUTPUT_*`.
 *
 * An alias-only program (a parent and its child, each holding only an alias) has nothing
 * left to do once its timer fires. The kernel then broadcasts IDLE:
 * - handled: exactly one ZOMBIE follows; `sigHandled()` cannot save anyone from it, and every
 *   session stops, leaves first;
 * - unhandled: IDLE is terminal, so it stops everyone itself and no ZOMBIE is sent.
 * And the ZOMBIE re-check looks at the queue and watched handles only: an IDLE handler that
 * takes a postback (an extra reference, which would have kept IDLE from being sent at all)
 * still gets the ZOMBIE.
 */
import { expect, test } from 'vitest';
import { type AnonEvent, Session } from '../../src/index.js';
import { id, makeKernel } from '../kit/index.js';

const POE_OUTPUT_HANDLED = [
  'parent _child create S2',
  'tick: timer fired',
  'parent got IDLE #1 from kernel; handling it',
  'parent got ZOMBIE #1; sig_handled is ignored',
  'child _stop',
  'parent _child lose S2',
  'parent _stop',
  'run returned: IDLE 1, ZOMBIE 1',
];

const POE_OUTPUT_UNHANDLED = [
  'parent _child create S2',
  'work',
  'parent got IDLE #1; not handling it',
  'child _stop',
  'parent _child lose S2',
  'parent _stop',
  'run returned: IDLE 1, ZOMBIE 0',
];

const POE_OUTPUT_EXTREF = ['IDLE: handled, and a postback taken', 'ZOMBIE', '_stop', 'run returned'];

test('08_idle_zombie: a handled IDLE is followed by exactly one ZOMBIE, which kills everyone', async () => {
  const { kernel, log, say, run } = makeKernel();
  let idle = 0;
  let zombie = 0;

  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('parent');
        ctx.kernel.sig('IDLE', 'on_idle');
        ctx.kernel.sig('ZOMBIE', 'on_zombie');
        Session.create({
          inlineStates: {
            _start(ctx) {
              ctx.kernel.aliasSet('child');
            },
            _stop() {
              say('child _stop');
            },
          },
        });
        ctx.kernel.delay('tick', 1);
      },
      tick() {
        say('tick: timer fired');
      },
      on_idle(ctx, name) {
        idle++;
        say(`parent got ${String(name)} #${idle} from ${id(ctx.sender)}; handling it`);
        ctx.kernel.sigHandled();
      },
      on_zombie(ctx, name) {
        zombie++;
        say(`parent got ${String(name)} #${zombie}; sig_handled is ignored`);
        ctx.kernel.sigHandled();
      },
      _child(_ctx, reason, child) {
        say(`parent _child ${reason} ${id(child)}`);
      },
      _stop() {
        say('parent _stop');
      },
    },
  });

  await run();
  say(`run returned: IDLE ${idle}, ZOMBIE ${zombie}`);
  expect(log).toEqual(POE_OUTPUT_HANDLED);
});

test('08_idle_zombie: an unhandled IDLE stops every alias-only session and no ZOMBIE follows', async () => {
  const { kernel, log, say, run } = makeKernel();
  let idle = 0;
  let zombie = 0;

  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('parent');
        ctx.kernel.sig('IDLE', 'on_idle');
        ctx.kernel.sig('ZOMBIE', 'on_zombie');
        Session.create({
          inlineStates: {
            _start(ctx) {
              ctx.kernel.aliasSet('child');
            },
            _stop() {
              say('child _stop');
            },
          },
        });
        ctx.kernel.yield('work');
      },
      work() {
        say('work');
      },
      on_idle(_ctx, name) {
        idle++;
        say(`parent got ${String(name)} #${idle}; not handling it`);
      },
      on_zombie(_ctx, name) {
        zombie++;
        say(`ERROR: parent got ${String(name)}`);
      },
      _child(_ctx, reason, child) {
        say(`parent _child ${reason} ${id(child)}`);
      },
      _stop() {
        say('parent _stop');
      },
    },
  });

  await run();
  say(`run returned: IDLE ${idle}, ZOMBIE ${zombie}`);
  expect(log).toEqual(POE_OUTPUT_UNHANDLED);
});

test('08_idle_zombie: ZOMBIE follows a handled IDLE even if the handler took an extra reference', async () => {
  const { kernel, log, say, run } = makeKernel();
  let pb: AnonEvent<0> | undefined;

  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('a');
        ctx.kernel.sig('IDLE', 'on_idle');
        ctx.kernel.sig('ZOMBIE', 'on_zombie');
      },
      on_idle(ctx) {
        say('IDLE: handled, and a postback taken');
        pb = ctx.session.postback('pb');
        ctx.kernel.sigHandled();
      },
      on_zombie() {
        say('ZOMBIE');
      },
      pb() {
        say('pb');
      },
      _stop() {
        say('_stop');
      },
    },
  });

  await run();
  say('run returned');
  // POE: undef $pb after run(); the session is gone, so it only drops the function.
  pb?.release();
  expect(log).toEqual(POE_OUTPUT_EXTREF);
});

const POE_OUTPUT_IDLE_AGAIN = ['IDLE #1: handled, and an event posted', 'wake', 'IDLE #2: handled', 'ZOMBIE', '_stop', 'run returned'];

test('08_idle_zombie: an IDLE handler that makes work gets no ZOMBIE; IDLE comes again later', async () => {
  const { kernel, log, say, run } = makeKernel();
  let n = 0;
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('a');
        ctx.kernel.sig('IDLE', 'on_idle');
        ctx.kernel.sig('ZOMBIE', 'on_zombie');
      },
      on_idle(ctx) {
        n++;
        say(`IDLE #${n}: handled`, n === 1 ? ', and an event posted' : '');
        ctx.kernel.sigHandled();
        if (n === 1) ctx.kernel.yield('wake');
      },
      wake() {
        say('wake');
      },
      on_zombie() {
        say('ZOMBIE');
      },
      _stop() {
        say('_stop');
      },
    },
  });

  await run();
  say('run returned');
  expect(log).toEqual(POE_OUTPUT_IDLE_AGAIN);
});

const POE_OUTPUT_WATCHER_ONLY = ['stop S1', 'done'];

test('08_idle_zombie: a session whose only resource is an IDLE watcher is collected before any IDLE', async () => {
  // A new session's deferred GC marker is a queued item, so the kernel is not idle while it
  // waits; by the time the queue is empty the watcher-only session is gone (G16).
  const { kernel, log, say, run } = makeKernel();
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.sig('IDLE', 'idle');
      },
      idle() {
        say('got IDLE');
      },
      _stop(ctx) {
        say(`stop ${id(ctx.session)}`);
      },
    },
  });

  await run();
  say('done');
  expect(log).toEqual(POE_OUTPUT_WATCHER_ONLY);
});

/*
The Perl programs behind the POE_OUTPUT* arrays, as run against POE 1.370 with
PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 (stdout only).

---- POE_OUTPUT_HANDLED
use strict; use warnings; use POE; $|=1;
sub sid { my $s = shift; return 'undef' unless defined $s; return $s == $poe_kernel ? 'kernel' : 'S' . $s->ID }
my ($idle, $zombie) = (0, 0);
POE::Session->create(inline_states => {
  _start => sub {
    $_[KERNEL]->alias_set('parent');
    $_[KERNEL]->sig(IDLE => 'on_idle');
    $_[KERNEL]->sig(ZOMBIE => 'on_zombie');
    POE::Session->create(inline_states => {
      _start => sub { $_[KERNEL]->alias_set('child'); return },
      _stop => sub { print "child _stop\n"; return },
    });
    $_[KERNEL]->delay(tick => 1);
    return;
  },
  tick => sub { print "tick: timer fired\n"; return },
  on_idle => sub {
    $idle++;
    print "parent got $_[ARG0] #$idle from ", sid($_[SENDER]), "; handling it\n";
    $_[KERNEL]->sig_handled();
    return;
  },
  on_zombie => sub {
    $zombie++;
    print "parent got $_[ARG0] #$zombie; sig_handled is ignored\n";
    $_[KERNEL]->sig_handled();
    return;
  },
  _child => sub { print "parent _child $_[ARG0] ", sid($_[ARG1]), "\n"; return },
  _stop => sub { print "parent _stop\n"; return },
});
POE::Kernel->run; print "run returned: IDLE $idle, ZOMBIE $zombie\n";

---- POE_OUTPUT_UNHANDLED
use strict; use warnings; use POE; $|=1;
my ($idle, $zombie) = (0, 0);
POE::Session->create(inline_states => {
  _start => sub {
    $_[KERNEL]->alias_set('parent');
    $_[KERNEL]->sig(IDLE => 'on_idle');
    $_[KERNEL]->sig(ZOMBIE => 'on_zombie');
    POE::Session->create(inline_states => {
      _start => sub { $_[KERNEL]->alias_set('child'); return },
      _stop => sub { print "child _stop\n"; return },
    });
    $_[KERNEL]->yield('work');
    return;
  },
  work => sub { print "work\n"; return },
  on_idle => sub { $idle++; print "parent got $_[ARG0] #$idle; not handling it\n"; return },
  on_zombie => sub { $zombie++; print "ERROR: parent got $_[ARG0]\n"; return },
  _child => sub { print "parent _child $_[ARG0] S", $_[ARG1]->ID, "\n"; return },
  _stop => sub { print "parent _stop\n"; return },
});
POE::Kernel->run; print "run returned: IDLE $idle, ZOMBIE $zombie\n";

---- POE_OUTPUT_EXTREF
use strict; use warnings; use POE; $|=1;
my $pb;
POE::Session->create(inline_states => {
  _start => sub { $_[KERNEL]->alias_set('a'); $_[KERNEL]->sig(IDLE => 'on_idle'); $_[KERNEL]->sig(ZOMBIE => 'on_zombie'); return },
  on_idle => sub { print "IDLE: handled, and a postback taken\n"; $pb = $_[SESSION]->postback('pb'); $_[KERNEL]->sig_handled(); return },
  on_zombie => sub { print "ZOMBIE\n"; return },
  pb => sub { print "pb\n"; return },
  _stop => sub { print "_stop\n"; return },
});
POE::Kernel->run; print "run returned\n"; undef $pb;

---- POE_OUTPUT_IDLE_AGAIN
use strict; use warnings; use POE; $|=1;
my $n = 0;
POE::Session->create(inline_states => {
  _start => sub { $_[KERNEL]->alias_set('a'); $_[KERNEL]->sig(IDLE => 'on_idle'); $_[KERNEL]->sig(ZOMBIE => 'on_zombie'); return },
  on_idle => sub { $n++; print "IDLE #$n: handled", ($n == 1 ? ", and an event posted\n" : "\n"); $_[KERNEL]->sig_handled(); $_[KERNEL]->yield('wake') if $n == 1; return },
  wake => sub { print "wake\n"; return },
  on_zombie => sub { print "ZOMBIE\n"; return },
  _stop => sub { print "_stop\n"; return },
});
POE::Kernel->run; print "run returned\n";

---- POE_OUTPUT_WATCHER_ONLY
use strict; use warnings; use POE; $|=1;
POE::Session->create(inline_states => { _start => sub { $_[KERNEL]->sig(IDLE => 'idle') }, idle => sub { print "got IDLE\n" }, _stop => sub { print "stop S", $_[SESSION]->ID, "\n" } });
POE::Kernel->run; print "done\n";
*/
