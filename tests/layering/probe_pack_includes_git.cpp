// A file that breaks the dependency rule three ways, checked as if it were in the
// `pack` module (tests/CMakeLists.txt, Layering.ProbeIsCaught): the checker must
// name each line. Never compiled.
#include <git2.h>
#include <unistd.h>

#include "smartspec/git/git.hpp"

int probe() { return ::fork(); }
