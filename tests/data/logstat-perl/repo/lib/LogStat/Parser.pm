package LogStat::Parser;
# Parses access-log lines into hashes.
use strict;
use warnings;

sub new {
    my ($class) = @_;
    return bless { lines => 0 }, $class;
}

sub parse_line {
    my ($self, $line) = @_;
    $self->{lines}++;
    my ($ip, $status, $bytes) = $line =~ /^(\S+) .* (\d{3}) (\d+)$/ or return;
    return { ip => $ip, status => $status, bytes => $bytes };
}

1;
