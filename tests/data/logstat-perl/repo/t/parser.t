use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/../lib";
use LogStat::Parser;

my $p = LogStat::Parser->new;
my $r = $p->parse_line('1.2.3.4 - - "GET /" 200 512');
is($r->{status}, 200, 'parse_line reads the status');
done_testing;
