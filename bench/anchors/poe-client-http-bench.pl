#!/usr/bin/perl
# The http.client case on POE: POE::Component::Client::HTTP over a Client::Keepalive pool of
# MAX_PER_HOST connections, GETs to http://127.0.0.1:PORT/ with IN_FLIGHT outstanding: a session
# posts `request` with a fresh HTTP::Request and posts the next one from each response. A warm-up
# of up to 1000 requests, then N timed. Prints one JSON line: {"n":...,"sec":...,"per_sec":...}.
#
#   perl bench/anchors/poe-client-http-bench.pl PORT [N] [MAX_PER_HOST] [IN_FLIGHT]
use strict;
use warnings;
use POE qw(Component::Client::HTTP Component::Client::Keepalive);
use HTTP::Request;
use Time::HiRes qw(time);

my ($port, $n, $per_host, $in_flight) = @ARGV;
die "usage: $0 PORT [N] [MAX_PER_HOST] [IN_FLIGHT]\n" unless $port;
$n ||= 10_000;
$per_host ||= 8;
$in_flight ||= 8;
my $url = "http://127.0.0.1:$port/";

my $pool = POE::Component::Client::Keepalive->new(max_per_host => $per_host, max_open => 128, keep_alive => 60);
POE::Component::Client::HTTP->spawn(Alias => 'ua', ConnectionManager => $pool, Timeout => 60, Proxy => '', NoProxy => []);

my ($t0, $sec, $bad) = (0, 0, 0);

sub run {
  my ($count, $done) = @_;
  my ($sent, $got) = (0, 0);
  POE::Session->create(
    inline_states => {
      _start => sub {
        for (1 .. $in_flight) {
          last if $sent >= $count;
          $sent++;
          $_[KERNEL]->post(ua => request => response => HTTP::Request->new(GET => $url));
        }
      },
      response => sub {
        my $res = $_[ARG1][0];
        $bad++ unless $res->code == 200;
        return $done->() if ++$got == $count;
        if ($sent < $count) {
          $sent++;
          $_[KERNEL]->post(ua => request => response => HTTP::Request->new(GET => $url));
        }
      },
    },
  );
}

run($n < 1000 ? $n : 1000, sub {
  $t0 = time;
  run($n, sub {
    $sec = time - $t0;
    $poe_kernel->post(ua => 'shutdown');
  });
});
POE::Kernel->run;
die "$bad bad responses\n" if $bad;
printf "{\"n\":%d,\"sec\":%.6f,\"per_sec\":%d}\n", $n, $sec, $n / $sec;
