#!/usr/bin/perl
# Reads an access log on stdin, prints counts per status code.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use LogStat::Parser;
use LogStat::Report;

my $parser = LogStat::Parser->new;
my $report = LogStat::Report->new;
while (my $line = <STDIN>) {
    chomp $line;
    my $rec = $parser->parse_line($line) or next;
    $report->add($rec);
}
print $report->summary, "\n";
