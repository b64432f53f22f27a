// The process runner: the only place in smartspec-batch that starts a process
// (ARCHITECTURE.md). Runs an argv without a shell, in its own process group, with
// git's repository-local variables removed from the environment, so a command
// started from inside a git hook sees the worktree it runs in, not the hook's
// repository or index.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "smartspec/util/result.hpp"

namespace smartspec::exec {

// Error::code of run_process when the program could not be started.
inline constexpr int kCommandNotFound = 1;  // argv[0] not found / not executable
inline constexpr int kCannotStart = 2;      // fork, pipe, chdir ... failed

struct ProcSpec {
  std::vector<std::string> argv;            // argv[0] is searched in PATH when it has no '/'
  std::string cwd;                          // empty = the current directory
  std::map<std::string, std::string> env;   // added to (or replacing in) the environment
  std::string stdin_data;                   // written to the child's stdin, then closed
  double timeout_seconds = 0;               // 0 = no limit
  double kill_grace_seconds = 2;            // TERM → KILL delay on timeout
  std::string log_path;                     // when set, the output is also written there
};

struct ProcResult {
  int exit_code = -1;      // exit status; -1 when killed by a signal
  int signal = 0;          // the signal that ended the child, 0 when it exited
  bool timed_out = false;  // the timeout expired and the process group was terminated
  std::string output;      // stdout and stderr, interleaved as written
  [[nodiscard]] bool ok() const { return exit_code == 0 && !timed_out; }
};

// Runs the process to completion. The child is the leader of a new process group;
// when it ends (or times out) every process left in that group is terminated
// (TERM, then KILL after the grace period), so nothing it spawned outlives the
// call. Errors: the program cannot be found (code kCommandNotFound, message
// "<argv0>: command not found") or started (kCannotStart).
Result<ProcResult> run_process(const ProcSpec& spec);

// Splits a command line like a POSIX shell would (quotes, backslashes), without
// expanding anything. Errors: unterminated quote, empty command.
Result<std::vector<std::string>> split_command_line(const std::string& cmd);

// git's repository-local environment variables (`git rev-parse --local-env-vars`
// plus the few a hook may carry), removed from every child's environment.
const std::vector<std::string>& git_local_env_vars();

// The environment a child gets: the current one minus git_local_env_vars(), plus `extra`.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra);

}  // namespace smartspec::exec
