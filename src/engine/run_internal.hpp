// Internals shared by the engine's files.
#pragma once

#include <string>

#include "smartspec/engine/options.hpp"

namespace smartspec::engine {

// The command that reproduces a run: its inputs and every option that shapes
// it and is not the default ("smartspec-batch run --prompts-dir … --agent …").
std::string command_line(const RunOptions& o, const std::string& run_id);

// SIGINT/SIGTERM/SIGHUP received.
bool interrupted();

}  // namespace smartspec::engine
