/**
 * Conformance: spec probe 22_run_variants (spec 1.13, G22). The probe itself is not shipped;
 * the scenario below was written from the spec, run as Perl against POE 1.370 (Debian
 * libpoe-perl 1.3700-1, PERL_HASH_SEED=0), and its output is `POE_OUTPUT`. One kernel goes
 * through every stage in turn, as POE's singleton does:
 *
 * 1. `run()` with no sessions returns at once; so does `runOneTimeslice()`, with undefined.
 * 2. `runOneTimeslice()` runs one batch per call and returns 1; the session's last event and
 *    its collection share a slice. POE's kernel is a session of its own, stopped by the IDLE
 *    it sends itself once every other session is gone, so one more slice returns 1 before
 *    the kernel reports undefined.
 * 3. `runWhile(cond)` stops when the condition goes false and leaves sessions in place; a
 *    later `run()` finishes them.
 * 4. `stop()` inside a handler stops every session deepest first, with `_stop` (SENDER: the
 *    caller) and `_child('lose')` (G22); the rest of the handler runs with the kernel as the
 *    active session, the queued events are dropped, and `run()` returns.
 * 5. The kernel runs again afterwards, and session ids keep counting.
 *
 * POE's `run()`, `run_one_timeslice()` and `run_while(\$flag)` block; the port's return
 * promises, so each is awaited, and `$flag` is a function the port polls.
 */
import { expect, test } from 'vitest';
import { Session } from '../../src/index.js';
import { expectNoLeaks, id, makeKernel } from '../kit/index.js';

const POE_OUTPUT = [
  'run() with no sessions',
  'run() returned at once',
  'run_one_timeslice() with no sessions returned undef',
  'slicer S1 _start',
  'slicer: a',
  'run_one_timeslice #1 returned 1',
  'slicer: b',
  'slicer _stop',
  'run_one_timeslice #2 returned 1',
  'run_one_timeslice #3 returned 1',
  'run_one_timeslice #4 returned undef',
  'ticker S2 _start',
  'ticker: tick 1',
  'ticker: tick 2',
  'run_while returned after tick 2',
  'ticker: tick 3',
  'ticker: tick 4',
  'ticker _stop',
  'run() returned after tick 4',
  'top S3 _start',
  'mid _child create S5 ret=undef',
  'top _child create S4 ret=undef',
  'top: calling stop()',
  'leaf S5 _stop sender=S3',
  'mid _child lose S5 ret=leaf-ret',
  'mid S4 _stop sender=S3',
  'top _child lose S4 ret=mid-ret',
  'top S3 _stop sender=S3',
  'top: after stop(), the handler goes on; active session is kernel',
  'run() returned after stop()',
  'again S6 _start',
  'again: timer fired',
  'again _stop',
  'run() returned again',
];

const show = (x: unknown): string => (x === undefined ? 'undef' : typeof x === 'string' ? x : JSON.stringify(x));

test('22_run_variants: run with no sessions, runOneTimeslice, runWhile, stop(), and running again', async () => {
  const { kernel, log, say, run } = makeKernel();

  // 1. Nothing to run.
  say('run() with no sessions');
  await kernel.run();
  say('run() returned at once');
  say('run_one_timeslice() with no sessions returned ', show(await kernel.runOneTimeslice()));

  // 2. One batch per slice.
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        say(`slicer ${id(ctx.session)} _start`);
        ctx.kernel.yield('a');
      },
      a(ctx) {
        say('slicer: a');
        ctx.kernel.yield('b');
      },
      b() {
        say('slicer: b');
      },
      _stop() {
        say('slicer _stop');
      },
    },
  });
  for (let i = 1; i <= 5; i++) {
    const r = await kernel.runOneTimeslice();
    say(`run_one_timeslice #${i} returned `, show(r));
    if (r === undefined) break;
  }

  // 3. runWhile leaves the ticker in place; run() finishes it.
  let flag = true;
  let ticks = 0;
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        say(`ticker ${id(ctx.session)} _start`);
        ctx.kernel.delay('tick', 1);
      },
      tick(ctx) {
        ticks++;
        say(`ticker: tick ${ticks}`);
        if (ticks === 2) flag = false;
        if (ticks < 4) ctx.kernel.delay('tick', 1);
      },
      _stop() {
        say('ticker _stop');
      },
    },
  });
  await kernel.runWhile(() => flag);
  say(`run_while returned after tick ${ticks}`);
  expect(kernel.sessionCount).toBe(1);
  await kernel.run();
  say(`run() returned after tick ${ticks}`);

  // 4. stop() from a handler.
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        say(`top ${id(ctx.session)} _start`);
        ctx.kernel.aliasSet('top');
        Session.create({
          inlineStates: {
            _start() {
              Session.create({
                inlineStates: {
                  _start(ctx) {
                    ctx.kernel.aliasSet('leaf');
                  },
                  _stop(ctx) {
                    say(`leaf ${id(ctx.session)} _stop sender=${id(ctx.sender)}`);
                    return 'leaf-ret';
                  },
                },
              });
            },
            _child(_ctx, reason, child, ret) {
              say(`mid _child ${reason} ${id(child)} ret=${show(ret)}`);
            },
            _stop(ctx) {
              say(`mid ${id(ctx.session)} _stop sender=${id(ctx.sender)}`);
              return 'mid-ret';
            },
          },
        });
        ctx.kernel.yield('halt');
      },
      halt(ctx) {
        ctx.kernel.yield('never');
        say('top: calling stop()');
        ctx.kernel.stop();
        say('top: after stop(), the handler goes on; active session is ', id(ctx.kernel.getActiveSession()));
      },
      never() {
        say('ERROR: queued event survived stop()');
      },
      _child(_ctx, reason, child, ret) {
        say(`top _child ${reason} ${id(child)} ret=${show(ret)}`);
      },
      _stop(ctx) {
        say(`top ${id(ctx.session)} _stop sender=${id(ctx.sender)}`);
      },
    },
  });
  await kernel.run();
  say('run() returned after stop()');
  expectNoLeaks(kernel);

  // 5. Again.
  Session.create({
    kernel,
    inlineStates: {
      _start(ctx) {
        say(`again ${id(ctx.session)} _start`);
        ctx.kernel.delay('t', 1);
      },
      t() {
        say('again: timer fired');
      },
      _stop() {
        say('again _stop');
      },
    },
  });
  await run();
  say('run() returned again');

  expect(log).toEqual(POE_OUTPUT);
});

/*
The Perl programs behind the POE_OUTPUT* arrays, as run against POE 1.370 with
PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 (stdout only).

---- POE_OUTPUT
use strict; use warnings; use POE; $|=1;
sub sid { my $s = shift; return 'undef' unless defined $s; return $s == $poe_kernel ? 'kernel' : 'S' . $s->ID }
sub show { defined $_[0] ? $_[0] : 'undef' }

print "run() with no sessions\n";
POE::Kernel->run;
print "run() returned at once\n";
print "run_one_timeslice() with no sessions returned ", show(POE::Kernel->run_one_timeslice), "\n";

# run_one_timeslice: one batch per call.
POE::Session->create(inline_states => {
  _start => sub { print "slicer ", sid($_[SESSION]), " _start\n"; $_[KERNEL]->yield('a'); return },
  a => sub { print "slicer: a\n"; $_[KERNEL]->yield('b'); return },
  b => sub { print "slicer: b\n"; return },
  _stop => sub { print "slicer _stop\n"; return },
});
for my $i (1 .. 5) {
  my $r = POE::Kernel->run_one_timeslice;
  print "run_one_timeslice #$i returned ", show($r), "\n";
  last unless defined $r;
}

# run_while: stops when the flag goes false, sessions and all left in place.
my $flag = 1;
my $ticks = 0;
POE::Session->create(inline_states => {
  _start => sub { print "ticker ", sid($_[SESSION]), " _start\n"; $_[KERNEL]->delay(tick => 1); return },
  tick => sub {
    $ticks++;
    print "ticker: tick $ticks\n";
    $flag = 0 if $ticks == 2;
    $_[KERNEL]->delay(tick => 1) if $ticks < 4;
    return;
  },
  _stop => sub { print "ticker _stop\n"; return },
});
POE::Kernel->run_while(\$flag);
print "run_while returned after tick $ticks\n";
POE::Kernel->run;
print "run() returned after tick $ticks\n";

# stop(): every session stops, deepest first, with _stop and _child lose; the rest of
# the handler runs; queued events are dropped.
POE::Session->create(inline_states => {
  _start => sub {
    print "top ", sid($_[SESSION]), " _start\n";
    $_[KERNEL]->alias_set('top');
    POE::Session->create(inline_states => {
      _start => sub {
        POE::Session->create(inline_states => {
          _start => sub { $_[KERNEL]->alias_set('leaf'); return },
          _stop => sub { print "leaf ", sid($_[SESSION]), " _stop sender=", sid($_[SENDER]), "\n"; return 'leaf-ret' },
        });
        return;
      },
      _child => sub { print "mid _child $_[ARG0] ", sid($_[ARG1]), " ret=", show($_[ARG2]), "\n"; return },
      _stop => sub { print "mid ", sid($_[SESSION]), " _stop sender=", sid($_[SENDER]), "\n"; return 'mid-ret' },
    });
    $_[KERNEL]->yield('halt');
    return;
  },
  halt => sub {
    $_[KERNEL]->yield('never');
    print "top: calling stop()\n";
    POE::Kernel->stop();
    print "top: after stop(), the handler goes on; active session is ", sid($_[KERNEL]->get_active_session), "\n";
    return;
  },
  never => sub { print "ERROR: queued event survived stop()\n"; return },
  _child => sub { print "top _child $_[ARG0] ", sid($_[ARG1]), " ret=", show($_[ARG2]), "\n"; return },
  _stop => sub { print "top ", sid($_[SESSION]), " _stop sender=", sid($_[SENDER]), "\n"; return },
});
POE::Kernel->run;
print "run() returned after stop()\n";

# The kernel runs again; session IDs keep counting.
POE::Session->create(inline_states => {
  _start => sub { print "again ", sid($_[SESSION]), " _start\n"; $_[KERNEL]->delay(t => 1); return },
  t => sub { print "again: timer fired\n"; return },
  _stop => sub { print "again _stop\n"; return },
});
POE::Kernel->run;
print "run() returned again\n";
*/
