// Entry points of the subcommands that act on a repository. Each returns the
// process exit code (docs/DESIGN.md "Exit codes") and prints what the user sees.
#pragma once

#include "smartspec/engine/options.hpp"

namespace smartspec::engine {

// Process set-up every command needs (libgit2, git's environment); main calls
// it once before parsing the command line.
void init_process();

int plan_command(const RunOptions& opts);
int run_command(const RunOptions& opts);

}  // namespace smartspec::engine
