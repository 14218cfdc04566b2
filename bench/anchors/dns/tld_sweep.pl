#!/usr/bin/perl
# The column's AnyEvent::DNS example (Practical Perl Tools, ;login: August 2015), kept line by
# line but for where its inputs come from: the TLD list from a file in IANA's format (default:
# samples/tlds.txt) or a URL given after the name, and the name server from DNS_SERVER
# (AnyEvent::DNS only asks port 53, so a ":53" suffix is all a port may say).
# samples/tld-sweep.ts is its port; t/fixtures/dns/tld-sweep.expected is its recorded output.
#   DNS_SERVER=127.0.53.53 perl bench/anchors/dns/tld_sweep.pl NAME [TLDS-FILE-OR-URL]
use strict; use warnings;
use AnyEvent;
use AnyEvent::DNS;
use AnyEvent::Socket;
use HTTP::Tiny;
use FindBin;

if (my $server = $ENV{DNS_SERVER}) {
    $server =~ s/:53$//;
    $AnyEvent::DNS::RESOLVER = AnyEvent::DNS->new(server => [parse_address($server)], search => [], ndots => 1);
}

# receive name to check from command line
my $name = shift;

my $domainslist = shift // "$FindBin::Bin/../../../samples/tlds.txt";

my $domainlist = $domainslist =~ m{^https?://} ? HTTP::Tiny->new->get($domainslist)->{content}
                                               : do { local (@ARGV, $/) = ($domainslist); <> };

# ignore the comment and the test TLDs
my @domains = grep ( !/^(\#|XN--)/,
                            split( "\n", $domainlist ) );

my $c = AnyEvent->condvar;

my %domainresults;

for my $domain (@domains) {
    $c->begin;
    AnyEvent::DNS::a "$name.$domain", sub {
        $domainresults{$domain} = shift || "did not resolve";
        $c->end;
        }
}

my $start = AnyEvent->now;

$c->wait;

print "$#domains domains looked up in " .
   (scalar AnyEvent->now - $start) . " seconds.\n";
