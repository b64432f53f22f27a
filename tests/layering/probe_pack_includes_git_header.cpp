// Compiled with the `pack` module's own flags (Layering.BuildRefusesAnUnlinkedHeader):
// pack does not link git, so the build must not find git's header.
#include "smartspec/git/git.hpp"

int probe();
