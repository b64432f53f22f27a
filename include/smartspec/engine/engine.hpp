// Entry points of the subcommands that act on a repository. Each returns the
// process exit code (docs/DESIGN.md "Exit codes") and prints what the user sees.
#pragma once

#include <string>

#include "smartspec/engine/options.hpp"
#include "smartspec/engine/ports.hpp"

namespace smartspec::engine {

// Process set-up every command needs (libgit2, git's environment); main calls
// it once before parsing the command line.
void init_process();

// Splits a `--check EXT=CMD` value (false when it has no "=" or an empty side).
bool parse_check_spec(const std::string& spec, std::string* ext, std::string* command);

int plan_command(const RunOptions& opts);
// `run` with the ports the composition root (cli/main.cpp) or a test installs.
int run_command(const RunOptions& opts, const Ports& ports);

}  // namespace smartspec::engine
