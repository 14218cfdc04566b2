/**
 * Conformance: spec probe 12_detach (spec 1.6 "Detaching", 5.3 #14, G2). The probe itself is
 * not shipped; the scenario below was written from the spec, run as Perl against POE 1.370
 * (Debian libpoe-perl 1.3700-1, PERL_HASH_SEED=0), and its output is `POE_OUTPUT`.
 *
 * - `detachMyself()` from a top-level session: undefined, errno EPERM (1).
 * - A (S2) detaches itself inside `_start`: it gets `_parent(S1, kernel)` at once, and the
 *   parent gets neither `_child('create')` nor `_child('lose')` for it.
 * - C (S4) detaches itself later: the parent gets `_child('lose', C, undef)`, then C gets
 *   `_parent(S1, kernel)`; it returns 1, and a second try is EPERM.
 * - The parent detaches B (S3): `_child('lose', B, undef)`, then B's `_parent(S1, kernel)`;
 *   1. Again: EPERM. A session that is not its child: EPERM. An unknown name: ESRCH (3). The
 *   kernel: EPERM.
 * - SENDER of `_child`/`_parent` is the kernel. Detaching drops the parent's hold: the parent,
 *   with no children left, is collected at the end of that batch, and the children's later
 *   stops notify nobody.
 */
import { expect, test } from 'vitest';
import { Session, type SessionOrKernel } from '../../src/index.js';
import { id, makeKernel } from '../kit/index.js';

const POE_OUTPUT = [
  'parent: detach_myself at top level returned undef errno=1',
  'A _parent: old=S1 new=kernel sender=kernel',
  'A: detach_myself in _start returned 1',
  'parent _child create S3 ret=B-start sender=kernel',
  'parent _child create S4 ret=C-start sender=kernel',
  'parent _child lose S4 ret=undef sender=kernel',
  'C _parent: old=S1 new=kernel sender=kernel',
  'C: detach_myself returned 1',
  'C: detach_myself again returned undef errno=1',
  'parent _child lose S3 ret=undef sender=kernel',
  'B _parent: old=S1 new=kernel sender=kernel',
  'parent: detach_child B returned 1',
  'parent: detach_child B again returned undef errno=1',
  'parent: detach_child A (not a child) returned undef errno=1',
  'parent: detach_child nosuch returned undef errno=3',
  'parent: detach_child kernel returned undef errno=1',
  'parent _stop',
  'A: bye',
  'A _stop',
  'B: bye',
  'B _stop',
  'C: bye',
  'C _stop',
  'run returned',
];

const show = (x: unknown): string => (x === undefined ? 'undef' : typeof x === 'string' ? x : JSON.stringify(x));

test('12_detach: detach_myself and detach_child events, return values and errno', async () => {
  const { kernel, log, say, run } = makeKernel();

  const kid = (name: string, when: number, detachInStart: boolean, detachLater: boolean) =>
    Session.create({
      inlineStates: {
        _start(ctx) {
          ctx.kernel.aliasSet(name);
          ctx.kernel.delay('bye', when);
          if (detachInStart) {
            const r = ctx.kernel.detachMyself();
            say(`${name}: detach_myself in _start returned `, show(r));
          }
          if (detachLater) ctx.kernel.yield('go');
          return `${name}-start`;
        },
        go(ctx) {
          let r = ctx.kernel.detachMyself();
          say(`${name}: detach_myself returned `, show(r));
          ctx.kernel.errno = 0;
          r = ctx.kernel.detachMyself();
          say(`${name}: detach_myself again returned `, show(r), ' errno=', ctx.kernel.errno);
        },
        _parent(ctx, oldParent: SessionOrKernel, newParent: SessionOrKernel) {
          say(`${name} _parent: old=${id(oldParent)} new=${id(newParent)} sender=${id(ctx.sender)}`);
        },
        bye(ctx) {
          say(`${name}: bye`);
          ctx.kernel.aliasRemove(name);
        },
        _stop() {
          say(`${name} _stop`);
          return `${name}-stop`;
        },
      },
    });

  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        ctx.kernel.errno = 0;
        const r = ctx.kernel.detachMyself();
        say('parent: detach_myself at top level returned ', show(r), ' errno=', ctx.kernel.errno);
        kid('A', 1, true, false);
        kid('B', 2, false, false);
        kid('C', 3, false, true);
        ctx.kernel.yield('detach');
      },
      detach(ctx) {
        const k = ctx.kernel;
        say('parent: detach_child B returned ', show(k.detachChild('B')));
        k.errno = 0;
        let r = k.detachChild('B');
        say('parent: detach_child B again returned ', show(r), ' errno=', k.errno);
        k.errno = 0;
        r = k.detachChild('A');
        say('parent: detach_child A (not a child) returned ', show(r), ' errno=', k.errno);
        k.errno = 0;
        r = k.detachChild('nosuch');
        say('parent: detach_child nosuch returned ', show(r), ' errno=', k.errno);
        k.errno = 0;
        r = k.detachChild(k);
        say('parent: detach_child kernel returned ', show(r), ' errno=', k.errno);
      },
      _child(ctx, reason, child, ret) {
        say(`parent _child ${reason} ${id(child)} ret=${show(ret)} sender=${id(ctx.sender)}`);
      },
      _stop() {
        say('parent _stop');
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
sub kid {
  my ($name, $when, $detach_in_start, $detach_later) = @_;
  return POE::Session->create(inline_states => {
    _start => sub {
      $_[KERNEL]->alias_set($name);
      $_[KERNEL]->delay(bye => $when);
      if ($detach_in_start) {
        my $r = $_[KERNEL]->detach_myself();
        print "$name: detach_myself in _start returned ", show($r), "\n";
      }
      $_[KERNEL]->yield('go') if $detach_later;
      return "$name-start";
    },
    go => sub {
      my $r = $_[KERNEL]->detach_myself();
      print "$name: detach_myself returned ", show($r), "\n";
      $! = 0;
      $r = $_[KERNEL]->detach_myself();
      print "$name: detach_myself again returned ", show($r), " errno=", ($!+0), "\n";
      return;
    },
    _parent => sub { print "$name _parent: old=", sid($_[ARG0]), " new=", sid($_[ARG1]), " sender=", sid($_[SENDER]), "\n"; return },
    bye => sub { print "$name: bye\n"; $_[KERNEL]->alias_remove($name); return },
    _stop => sub { print "$name _stop\n"; return "$name-stop" },
  });
}
POE::Session->create(inline_states => {
  _start => sub {
    $! = 0;
    my $r = $_[KERNEL]->detach_myself();
    print "parent: detach_myself at top level returned ", show($r), " errno=", ($!+0), "\n";
    kid('A', 1, 1, 0);
    kid('B', 2, 0, 0);
    kid('C', 3, 0, 1);
    $_[KERNEL]->yield('detach');
    return;
  },
  detach => sub {
    my $k = $_[KERNEL];
    print "parent: detach_child B returned ", show($k->detach_child('B')), "\n";
    $! = 0; my $r = $k->detach_child('B');
    print "parent: detach_child B again returned ", show($r), " errno=", ($!+0), "\n";
    $! = 0; $r = $k->detach_child('A');
    print "parent: detach_child A (not a child) returned ", show($r), " errno=", ($!+0), "\n";
    $! = 0; $r = $k->detach_child('nosuch');
    print "parent: detach_child nosuch returned ", show($r), " errno=", ($!+0), "\n";
    $! = 0; $r = $k->detach_child($k);
    print "parent: detach_child kernel returned ", show($r), " errno=", ($!+0), "\n";
    return;
  },
  _child => sub { print "parent _child $_[ARG0] ", sid($_[ARG1]), " ret=", show($_[ARG2]), " sender=", sid($_[SENDER]), "\n"; return },
  _stop => sub { print "parent _stop\n"; return },
});
POE::Kernel->run; print "run returned\n";
*/
