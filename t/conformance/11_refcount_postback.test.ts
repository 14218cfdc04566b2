/**
 * Conformance: spec probe 11_refcount_postback (spec 1.14, 1.16, 5.3 #15). The probe itself is
 * not shipped; the scenario below was written from the spec, run as Perl against POE 1.370
 * (Debian libpoe-perl 1.3700-1, PERL_HASH_SEED=0), and its output is `POE_OUTPUT`.
 *
 * - `refcountIncrement`/`refcountDecrement` return the tag's new count; an unknown session id
 *   gives undefined with errno ESRCH (3).
 * - A postback posts with ARG0 = [...context], ARG1 = [...its own args] and returns 0; a
 *   callback calls, and returns the handler's value; SENDER is the session that invoked them.
 * - Each holds the target alive (extref `anon_event`) until dropped; a weakened one does not.
 *   The target has no alias and nothing queued, so once the last extra reference goes it is
 *   collected at the end of that batch. A weakened postback to the dead target returns 0 and
 *   leaves errno ESRCH.
 *
 * Perl drops a postback by letting go of it (`undef $pb`, then DESTROY); TypeScript has no
 * deterministic destructor, so the port calls `release()` at exactly those points.
 */
import { expect, test } from 'vitest';
import { type AnonEvent, Session } from '../../src/index.js';
import { id, makeKernel } from '../kit/index.js';

const POE_OUTPUT = [
  'target: refcount_increment tag -> 1',
  'target: refcount_increment tag -> 2',
  'target: refcount_decrement tag -> 1',
  'target: refcount_increment on S999 -> undef errno=3',
  'user: postback returned 0',
  'target: cb_ev ARG0=[cctx] ARG1=[z] sender=S2',
  'user: callback returned cb-ret:z',
  'user: weakened postback returned 0',
  'target: pb_ev ARG0=[ctx1 ctx2] ARG1=[x y] sender=S2',
  'target: weak_ev ARG0=[w] ARG1=[w1] sender=S2',
  'user: callback dropped; target still alive: yes',
  'target: refcount_decrement tag -> 0',
  'user: target still alive: yes',
  'user: postback dropped',
  'target _stop',
  'user: weakened postback to a dead session returned 0 errno=3',
  'user _stop',
  'run returned',
];

const show = (x: unknown): string => (x === undefined ? 'undef' : typeof x === 'string' ? x : JSON.stringify(x));
// Perl interpolates an array as its elements joined by spaces: "[@{$_[ARG0]}]".
const list = (x: unknown) => `[${(x as unknown[]).map(String).join(' ')}]`;

test('11_refcount_postback: extref counts, postback/callback shapes, SENDER and lifetime', async () => {
  const { kernel, log, say, run } = makeKernel();
  let targetId = 0;
  let pb: AnonEvent<0> | undefined;
  let cb: AnonEvent<unknown> | undefined;
  let weak: AnonEvent<0> | undefined;

  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        const k = ctx.kernel;
        targetId = ctx.session.ID;
        say('target: refcount_increment tag -> ', show(k.refcountIncrement(targetId, 'tag')));
        say('target: refcount_increment tag -> ', show(k.refcountIncrement(targetId, 'tag')));
        say('target: refcount_decrement tag -> ', show(k.refcountDecrement(targetId, 'tag')));
        k.errno = 0;
        const r = k.refcountIncrement(999, 'tag');
        say('target: refcount_increment on S999 -> ', show(r), ' errno=', k.errno);
        pb = ctx.session.postback('pb_ev', 'ctx1', 'ctx2');
        cb = ctx.session.callback('cb_ev', 'cctx');
        weak = ctx.session.postback('weak_ev', 'w').weaken();
      },
      pb_ev(ctx, a0, a1) {
        say(`target: pb_ev ARG0=${list(a0)} ARG1=${list(a1)} sender=${id(ctx.sender)}`);
        return 'ignored';
      },
      cb_ev(ctx, a0, a1) {
        say(`target: cb_ev ARG0=${list(a0)} ARG1=${list(a1)} sender=${id(ctx.sender)}`);
        return `cb-ret:${String((a1 as unknown[])[0])}`;
      },
      weak_ev(ctx, a0, a1) {
        say(`target: weak_ev ARG0=${list(a0)} ARG1=${list(a1)} sender=${id(ctx.sender)}`);
      },
      drop_tag(ctx) {
        say('target: refcount_decrement tag -> ', show(ctx.kernel.refcountDecrement(targetId, 'tag')));
      },
      _stop() {
        say('target _stop');
      },
    },
  });
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.delay('use', 1);
      },
      use(ctx) {
        say('user: postback returned ', show(pb!('x', 'y')));
        say('user: callback returned ', show(cb!('z')));
        say('user: weakened postback returned ', show(weak!('w1')));
        ctx.kernel.delay('drop', 1);
      },
      drop(ctx) {
        cb!.release(); // POE: undef $cb;
        cb = undefined;
        say('user: callback dropped; target still alive: ', ctx.kernel.idToSession(targetId) !== undefined ? 'yes' : 'no');
        ctx.kernel.call(targetId, 'drop_tag');
        ctx.kernel.delay('release', 1);
      },
      release(ctx) {
        say('user: target still alive: ', ctx.kernel.idToSession(targetId) !== undefined ? 'yes' : 'no');
        pb!.release(); // POE: undef $pb;
        pb = undefined;
        say('user: postback dropped');
        ctx.kernel.delay('late', 1);
      },
      late(ctx) {
        ctx.kernel.errno = 0;
        const r = weak!('w2');
        say('user: weakened postback to a dead session returned ', show(r), ' errno=', ctx.kernel.errno);
      },
      _stop() {
        say('user _stop');
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
my ($target_id, $pb, $cb, $weak);
POE::Session->create(inline_states => {
  _start => sub {
    my ($k, $s) = @_[KERNEL, SESSION];
    $target_id = $s->ID;
    print "target: refcount_increment tag -> ", show($k->refcount_increment($target_id, 'tag')), "\n";
    print "target: refcount_increment tag -> ", show($k->refcount_increment($target_id, 'tag')), "\n";
    print "target: refcount_decrement tag -> ", show($k->refcount_decrement($target_id, 'tag')), "\n";
    $! = 0;
    my $r = $k->refcount_increment(999, 'tag');
    print "target: refcount_increment on S999 -> ", show($r), " errno=", ($!+0), "\n";
    $pb = $s->postback(pb_ev => 'ctx1', 'ctx2');
    $cb = $s->callback(cb_ev => 'cctx');
    $weak = $s->postback(weak_ev => 'w')->weaken;
    return;
  },
  pb_ev => sub { print "target: pb_ev ARG0=[@{$_[ARG0]}] ARG1=[@{$_[ARG1]}] sender=", sid($_[SENDER]), "\n"; return 'ignored' },
  cb_ev => sub { print "target: cb_ev ARG0=[@{$_[ARG0]}] ARG1=[@{$_[ARG1]}] sender=", sid($_[SENDER]), "\n"; return "cb-ret:$_[ARG1][0]" },
  weak_ev => sub { print "target: weak_ev ARG0=[@{$_[ARG0]}] ARG1=[@{$_[ARG1]}] sender=", sid($_[SENDER]), "\n"; return },
  drop_tag => sub { print "target: refcount_decrement tag -> ", show($_[KERNEL]->refcount_decrement($target_id, 'tag')), "\n"; return },
  _stop => sub { print "target _stop\n"; return },
});
POE::Session->create(inline_states => {
  _start => sub { $_[KERNEL]->delay(use => 1); return },
  use => sub {
    print "user: postback returned ", show($pb->('x', 'y')), "\n";
    print "user: callback returned ", show($cb->('z')), "\n";
    print "user: weakened postback returned ", show($weak->('w1')), "\n";
    $_[KERNEL]->delay(drop => 1);
    return;
  },
  drop => sub {
    undef $cb;
    print "user: callback dropped; target still alive: ", (defined $_[KERNEL]->ID_id_to_session($target_id) ? 'yes' : 'no'), "\n";
    $_[KERNEL]->call($target_id, 'drop_tag');
    $_[KERNEL]->delay(release => 1);
    return;
  },
  release => sub {
    print "user: target still alive: ", (defined $_[KERNEL]->ID_id_to_session($target_id) ? 'yes' : 'no'), "\n";
    undef $pb;
    print "user: postback dropped\n";
    $_[KERNEL]->delay(late => 1);
    return;
  },
  late => sub {
    $! = 0;
    my $r = $weak->('w2');
    print "user: weakened postback to a dead session returned ", show($r), " errno=", ($!+0), "\n";
    return;
  },
  _stop => sub { print "user _stop\n"; return },
});
POE::Kernel->run; print "run returned\n";
*/
