/**
 * Conformance: spec probe 03_signal_tree_stop_order (spec 1.6 "Stopping", 1.11 dispatch
 * algorithm, 5.3 #11, G2, G17, G24, G25). The probe itself is not shipped; the scenario below
 * was written from the spec, run as Perl against POE 1.370 (Debian libpoe-perl 1.3700-1,
 * PERL_HASH_SEED=0, and the same output with other seeds), and its output is `POE_OUTPUT`.
 *
 * A chain root S1 -> mid S2 -> leaf S3 -> deep S4; mid and leaf watch TERM, deep does not.
 * Root signals TERM to mid twice:
 * - the signal reaches the descendants first (leaf, then mid); root, an ancestor, is not
 *   touched (only DIE goes up);
 * - the first time mid calls `sigHandled()`, which saves the whole subtree;
 * - the second time nobody handles it: every touched session stops, leaves first, deep
 *   included although it never watched TERM, each `_stop` followed by its parent's
 *   `_child('lose')` with the `_stop` return value;
 * - mid's handler creates a child (late S5) during that dispatch; late was not touched, so it
 *   survives, and when mid stops root gets `_child('gain', late)` and late gets
 *   `_parent(mid, root)`, before mid's `_stop`. `_parent` is never sent at creation.
 *
 * The tree is a chain so that no output depends on sibling order (G25).
 */
import { expect, test } from 'vitest';
import { Session, type SessionOrKernel } from '../../src/index.js';
import { id, makeKernel } from '../kit/index.js';

const POE_OUTPUT = [
  'leaf _child create S4 ret=undef',
  'mid _child create S3 ret=leaf-start',
  'root _child create S2 ret=mid-start',
  'root: TERM to mid, first time',
  'leaf S3 got TERM from kernel',
  'mid S2 got TERM (round 1)',
  'mid handles it',
  'root: TERM to mid, second time',
  'leaf S3 got TERM from kernel',
  'mid S2 got TERM (round 2)',
  'mid does not handle it; creates a late child',
  'late S5 _start, parent is S2',
  'mid _child create S5 ret=late-start',
  'deep S4 _stop (never watched TERM)',
  'leaf _child lose S4 ret=deep-ret',
  'leaf S3 _stop',
  'mid _child lose S3 ret=leaf-ret',
  'root _child gain S5 ret=undef',
  'late _parent: old=S2 new=S1',
  'mid S2 _stop',
  'root _child lose S2 ret=mid-ret',
  'late tick: still alive',
  'late S5 _stop',
  'root _child lose S5 ret=undef',
  'root: removing alias',
  'root _stop',
  'run returned',
];

const show = (x: unknown): string => (x === undefined ? 'undef' : typeof x === 'string' ? x : JSON.stringify(x));

test('03_signal_tree_stop_order: descendants first, leaves-first stops, _child gain and _parent', async () => {
  const { kernel, log, say, run } = makeKernel();
  let round = 0;

  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('root');
        Session.create({
          inlineStates: {
            _start(ctx) {
              ctx.kernel.sig('TERM', 'on_term');
              Session.create({
                inlineStates: {
                  _start(ctx) {
                    ctx.kernel.sig('TERM', 'on_term');
                    Session.create({
                      inlineStates: {
                        _start(ctx) {
                          ctx.kernel.aliasSet('deep');
                        },
                        _stop(ctx) {
                          say(`deep ${id(ctx.session)} _stop (never watched TERM)`);
                          return 'deep-ret';
                        },
                      },
                    });
                    return 'leaf-start';
                  },
                  on_term(ctx, name) {
                    say(`leaf ${id(ctx.session)} got ${String(name)} from ${id(ctx.sender)}`);
                  },
                  _child(_ctx, reason, child, ret) {
                    say(`leaf _child ${reason} ${id(child)} ret=${show(ret)}`);
                  },
                  _stop(ctx) {
                    say(`leaf ${id(ctx.session)} _stop`);
                    return 'leaf-ret';
                  },
                },
              });
              return 'mid-start';
            },
            on_term(ctx, name) {
              round++;
              say(`mid ${id(ctx.session)} got ${String(name)} (round ${round})`);
              if (round === 1) {
                say('mid handles it');
                ctx.kernel.sigHandled();
                return;
              }
              say('mid does not handle it; creates a late child');
              Session.create({
                inlineStates: {
                  _start(ctx) {
                    say(`late ${id(ctx.session)} _start, parent is ${id(ctx.sender)}`);
                    ctx.kernel.delay('tick', 1);
                    return 'late-start';
                  },
                  _parent(_ctx, oldParent: SessionOrKernel, newParent: SessionOrKernel) {
                    say(`late _parent: old=${id(oldParent)} new=${id(newParent)}`);
                  },
                  tick() {
                    say('late tick: still alive');
                  },
                  _stop(ctx) {
                    say(`late ${id(ctx.session)} _stop`);
                  },
                },
              });
            },
            _child(_ctx, reason, child, ret) {
              say(`mid _child ${reason} ${id(child)} ret=${show(ret)}`);
            },
            _stop(ctx) {
              say(`mid ${id(ctx.session)} _stop`);
              return 'mid-ret';
            },
          },
        });
        ctx.kernel.delay('term1', 1);
      },
      term1(ctx) {
        say('root: TERM to mid, first time');
        ctx.kernel.signal(2, 'TERM');
        ctx.kernel.delay('term2', 1);
      },
      term2(ctx) {
        say('root: TERM to mid, second time');
        ctx.kernel.signal(2, 'TERM');
        ctx.kernel.delay('bye', 3);
      },
      bye(ctx) {
        say('root: removing alias');
        ctx.kernel.aliasRemove('root');
      },
      _child(_ctx, reason, child, ret) {
        say(`root _child ${reason} ${id(child)} ret=${show(ret)}`);
      },
      _stop() {
        say('root _stop');
      },
    },
  });

  await run();
  say('run returned');
  expect(log).toEqual(POE_OUTPUT);
});

const POE_OUTPUT_NONMASKABLE = [
  'root _child create S2',
  'root: UIDESTROY to mid',
  'mid got UIDESTROY and calls sig_handled',
  'leaf _stop',
  'mid _stop',
  'root _child lose S2',
  'root: still here',
  'root _stop',
  'run returned',
];

test('03_signal_tree_stop_order: a non-maskable signal stops the subtree even when handled', async () => {
  // Not in the spec probe: written from spec 1.11 (non-maskable class, G18) and recorded from
  // POE 1.370 the same way. Root, the target's parent, is not touched and survives.
  const { kernel, log, say, run } = makeKernel();
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.aliasSet('root');
        Session.create({
          inlineStates: {
            _start(ctx) {
              ctx.kernel.aliasSet('mid');
              ctx.kernel.sig('UIDESTROY', 'on_sig');
              Session.create({
                inlineStates: {
                  _start(ctx) {
                    ctx.kernel.aliasSet('leaf');
                  },
                  _stop() {
                    say('leaf _stop');
                  },
                },
              });
            },
            on_sig(ctx, name) {
              say(`mid got ${String(name)} and calls sig_handled`);
              ctx.kernel.sigHandled();
            },
            _stop() {
              say('mid _stop');
            },
          },
        });
        ctx.kernel.yield('go');
      },
      go(ctx) {
        say('root: UIDESTROY to mid');
        ctx.kernel.signal('mid', 'UIDESTROY');
        ctx.kernel.delay('bye', 1);
      },
      bye(ctx) {
        say('root: still here');
        ctx.kernel.aliasRemove('root');
      },
      _child(_ctx, reason, child) {
        say(`root _child ${reason} ${id(child)}`);
      },
      _stop() {
        say('root _stop');
      },
    },
  });

  await run();
  say('run returned');
  expect(log).toEqual(POE_OUTPUT_NONMASKABLE);
});

/*
The Perl programs behind the POE_OUTPUT* arrays, as run against POE 1.370 with
PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 (stdout only).

---- POE_OUTPUT
use strict; use warnings; use POE; $|=1;
sub sid { my $s = shift; return 'undef' unless defined $s; return $s == $poe_kernel ? 'kernel' : 'S' . $s->ID }
my $round = 0;
POE::Session->create(inline_states => {
  _start => sub {
    $_[KERNEL]->alias_set('root');
    POE::Session->create(inline_states => {
      _start => sub {
        $_[KERNEL]->sig(TERM => 'on_term');
        POE::Session->create(inline_states => {
          _start => sub {
            $_[KERNEL]->sig(TERM => 'on_term');
            POE::Session->create(inline_states => {
              _start => sub { $_[KERNEL]->alias_set('deep'); return },
              _stop => sub { print "deep ", sid($_[SESSION]), " _stop (never watched TERM)\n"; return 'deep-ret' },
            });
            return 'leaf-start';
          },
          on_term => sub { print "leaf ", sid($_[SESSION]), " got $_[ARG0] from ", sid($_[SENDER]), "\n" },
          _child => sub { print "leaf _child $_[ARG0] ", sid($_[ARG1]), " ret=", ($_[ARG2] // 'undef'), "\n" },
          _stop => sub { print "leaf ", sid($_[SESSION]), " _stop\n"; return 'leaf-ret' },
        });
        return 'mid-start';
      },
      on_term => sub {
        $round++;
        print "mid ", sid($_[SESSION]), " got $_[ARG0] (round $round)\n";
        if ($round == 1) { print "mid handles it\n"; $_[KERNEL]->sig_handled(); return }
        print "mid does not handle it; creates a late child\n";
        POE::Session->create(inline_states => {
          _start => sub { print "late ", sid($_[SESSION]), " _start, parent is ", sid($_[SENDER]), "\n"; $_[KERNEL]->delay(tick => 1); return 'late-start' },
          _parent => sub { print "late _parent: old=", sid($_[ARG0]), " new=", sid($_[ARG1]), "\n" },
          tick => sub { print "late tick: still alive\n"; return },
          _stop => sub { print "late ", sid($_[SESSION]), " _stop\n"; return },
        });
      },
      _child => sub { print "mid _child $_[ARG0] ", sid($_[ARG1]), " ret=", ($_[ARG2] // 'undef'), "\n" },
      _stop => sub { print "mid ", sid($_[SESSION]), " _stop\n"; return 'mid-ret' },
    });
    $_[KERNEL]->delay(term1 => 1);
  },
  term1 => sub { print "root: TERM to mid, first time\n"; $_[KERNEL]->signal(2, 'TERM'); $_[KERNEL]->delay(term2 => 1) },
  term2 => sub { print "root: TERM to mid, second time\n"; $_[KERNEL]->signal(2, 'TERM'); $_[KERNEL]->delay(bye => 3) },
  bye => sub { print "root: removing alias\n"; $_[KERNEL]->alias_remove('root') },
  _child => sub { print "root _child $_[ARG0] ", sid($_[ARG1]), " ret=", ($_[ARG2] // 'undef'), "\n" },
  _stop => sub { print "root _stop\n" },
});
POE::Kernel->run; print "run returned\n";

---- POE_OUTPUT_NONMASKABLE
use strict; use warnings; use POE; $|=1;
sub sid { my $s = shift; return 'undef' unless defined $s; return $s == $poe_kernel ? 'kernel' : 'S' . $s->ID }
POE::Session->create(inline_states => {
  _start => sub {
    $_[KERNEL]->alias_set('root');
    POE::Session->create(inline_states => {
      _start => sub {
        $_[KERNEL]->alias_set('mid');
        $_[KERNEL]->sig(UIDESTROY => 'on_sig');
        POE::Session->create(inline_states => {
          _start => sub { $_[KERNEL]->alias_set('leaf'); return },
          _stop => sub { print "leaf _stop\n"; return },
        });
        return;
      },
      on_sig => sub { print "mid got $_[ARG0] and calls sig_handled\n"; $_[KERNEL]->sig_handled(); return },
      _stop => sub { print "mid _stop\n"; return },
    });
    $_[KERNEL]->yield('go');
    return;
  },
  go => sub { print "root: UIDESTROY to mid\n"; $_[KERNEL]->signal(mid => 'UIDESTROY'); $_[KERNEL]->delay(bye => 1); return },
  bye => sub { print "root: still here\n"; $_[KERNEL]->alias_remove('root'); return },
  _child => sub { print "root _child $_[ARG0] ", sid($_[ARG1]), "\n"; return },
  _stop => sub { print "root _stop\n"; return },
});
POE::Kernel->run; print "run returned\n";
*/
