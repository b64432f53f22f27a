// Internals shared by the engine's files.
#pragma once

#include <string>

#include "smartspec/engine/options.hpp"
#include "smartspec/util/result.hpp"

namespace smartspec::engine {

// The command that reproduces a run: its inputs and every option that shapes
// it and is not the default ("smartspec-batch run --prompts-dir … --agent …").
std::string command_line(const RunOptions& o, const std::string& run_id);

// --resume: the run's recorded options, with those given on the command line
// where they agree (or with --force); a given option that differs is an error.
Result<RunOptions> merge_resume_options(const RunOptions& cli, const RunOptions& saved,
                                        const std::string& run_id);

}  // namespace smartspec::engine
