// User command lines (--agent, --verify-cmd) checked before anything is
// written: a run must not find out after its first commit that its command
// cannot start (issue 15 item 8).
#pragma once

#include <string>
#include <vector>

#include "smartspec/util/result.hpp"

namespace smartspec::exec {

// Splits `cmd` like run_process's callers do (split_command_line) and checks
// that its program can be started: a bare name must be an executable file on
// the PATH children get, an absolute path an executable file, a relative path
// with a '/' an executable file under `relative_to` (the directory the command
// will run in, or the repository root that mirrors it; unchecked when empty),
// and one that leads out of that directory ("../agent.sh") is refused: the
// scratch worktree the command runs in has nothing beside the repository's files.
// Errors: "empty command", "No closing quotation", "<program>: command not
// found on PATH", "<program>: not an executable file".
Result<std::vector<std::string>> check_command_line(const std::string& cmd,
                                                    const std::string& relative_to = {});

}  // namespace smartspec::exec
