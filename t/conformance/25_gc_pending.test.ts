/**
 * Conformance: spec probe 25_gc_lifetime (spec 1.6 creation step 6, 1.8, 5.3 #6, G5). The
 * probe itself is not shipped; the scenario below was written from the spec, run as Perl
 * against POE 1.370 (Debian libpoe-perl 1.3700-1, PERL_HASH_SEED=0), and its output is
 * `POE_OUTPUT`.
 *
 * - An event posted to a new idle session right after `create()` still reaches it (the
 *   deferred GC marker holds it), and the session is collected at the end of that batch,
 *   after the batch's other events.
 * - Sessions that become collectable in the same batch are stopped most recently released
 *   first (POE sweeps its GC marks in reverse): late, whose marker came last, before idle.
 * - tx makes rx drop its alias and posts to it: the pending post alone keeps both the
 *   receiver and the sender alive (G5) until it is delivered.
 * - A parent with nothing of its own lives as long as its child; it gets `_child('lose')`
 *   and is collected in the same sweep, after the child.
 */
import { expect, test } from 'vitest';
import { Session } from '../../src/index.js';
import { id, makeKernel } from '../kit/index.js';

const POE_OUTPUT = [
  'parent _child create S4',
  'post to the new idle session returned 1',
  'idle: posted right after create() from kernel',
  'late: same batch',
  'late _stop',
  'idle _stop',
  'rx: alias removed (0)',
  'tx: posted hello; nothing else holds tx or rx',
  'rx: hello from S2',
  'tx _stop',
  'rx _stop',
  'child: done',
  'child _stop',
  'parent _child lose S4',
  'parent _stop',
  'run returned',
];

test('25_gc_pending: pending posts hold sender and receiver; children hold parents; batch-end GC', async () => {
  const { kernel, log, say, run } = makeKernel();
  let rxId = 0;

  // S1 rx
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        rxId = ctx.session.ID;
        ctx.kernel.aliasSet('rx');
      },
      drop_alias(ctx) {
        say(`rx: alias removed (${ctx.kernel.aliasRemove('rx')})`);
      },
      hello(ctx) {
        say(`rx: hello from ${id(ctx.sender)}`);
      },
      _stop() {
        say('rx _stop');
      },
    },
  });
  // S2 tx
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.delay('send', 1);
      },
      send(ctx) {
        ctx.kernel.call('rx', 'drop_alias');
        ctx.kernel.post(rxId, 'hello');
        say('tx: posted hello; nothing else holds tx or rx');
      },
      _stop() {
        say('tx _stop');
      },
    },
  });
  // S3 parent, S4 child
  Session.create({
    kernel,
    inlineStates: {
      _start() {
        Session.create({
          inlineStates: {
            _start(ctx) {
              ctx.kernel.delay('done', 2);
            },
            done() {
              say('child: done');
            },
            _stop() {
              say('child _stop');
            },
          },
        });
      },
      _child(_ctx, reason, child) {
        say(`parent _child ${reason} ${id(child)}`);
      },
      _stop() {
        say('parent _stop');
      },
    },
  });
  // S5 idle
  const idle = Session.create({
    kernel,
    inlineStates: {
      _start() {},
      ping(ctx, text) {
        say(`idle: ${String(text)} from ${id(ctx.sender)}`);
      },
      _stop() {
        say('idle _stop');
      },
    },
  });
  say('post to the new idle session returned ', kernel.post(idle!, 'ping', 'posted right after create()'));
  // S6 late
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.yield('same_batch');
      },
      same_batch() {
        say('late: same batch');
      },
      _stop() {
        say('late _stop');
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
my $rx_id;
# S1 rx: lives on its alias until tx makes it drop the alias.
POE::Session->create(inline_states => {
  _start => sub { $rx_id = $_[SESSION]->ID; $_[KERNEL]->alias_set('rx'); return },
  drop_alias => sub { print "rx: alias removed (", $_[KERNEL]->alias_remove('rx'), ")\n"; return },
  hello => sub { print "rx: hello from ", sid($_[SENDER]), "\n"; return },
  _stop => sub { print "rx _stop\n"; return },
});
# S2 tx: after dropping rx's alias and posting to it, the pending post is all that
# keeps either of them alive.
POE::Session->create(inline_states => {
  _start => sub { $_[KERNEL]->delay(send => 1); return },
  send => sub {
    $_[KERNEL]->call(rx => 'drop_alias');
    $_[KERNEL]->post($rx_id, 'hello');
    print "tx: posted hello; nothing else holds tx or rx\n";
    return;
  },
  _stop => sub { print "tx _stop\n"; return },
});
# S3 parent: nothing of its own; its child S4 holds it.
POE::Session->create(inline_states => {
  _start => sub {
    POE::Session->create(inline_states => {
      _start => sub { $_[KERNEL]->delay(done => 2); return },
      done => sub { print "child: done\n"; return },
      _stop => sub { print "child _stop\n"; return },
    });
    return;
  },
  _child => sub { print "parent _child $_[ARG0] ", sid($_[ARG1]), "\n"; return },
  _stop => sub { print "parent _stop\n"; return },
});
# S5 idle: nothing to do; an event posted right after create() still reaches it,
# and it is collected at the end of that batch.
my $idle = POE::Session->create(inline_states => {
  _start => sub { return },
  ping => sub { print "idle: $_[ARG0] from ", sid($_[SENDER]), "\n"; return },
  _stop => sub { print "idle _stop\n"; return },
});
print "post to the new idle session returned ", $poe_kernel->post($idle, ping => 'posted right after create()'), "\n";
# S6: an event in the same batch, after the idle session's last event.
POE::Session->create(inline_states => {
  _start => sub { $_[KERNEL]->yield('same_batch'); return },
  same_batch => sub { print "late: same batch\n"; return },
  _stop => sub { print "late _stop\n"; return },
});
POE::Kernel->run; print "run returned\n";
*/
