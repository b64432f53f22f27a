package LogStat::Report;
# Totals per status code.
use strict;
use warnings;

sub new {
    my ($class) = @_;
    return bless { by_status => {} }, $class;
}

sub add {
    my ($self, $rec) = @_;
    $self->{by_status}{ $rec->{status} }++;
    return $self;
}

sub summary {
    my ($self) = @_;
    my $h = $self->{by_status};
    return join "\n", map {"$_ $h->{$_}"} sort keys %$h;
}

1;
