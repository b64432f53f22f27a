// The process runner: the only place in smartspec-batch that starts a process
// (ARCHITECTURE.md). Runs an argv without a shell, in its own process group, with
// git's repository-local variables removed from the environment, so a command
// started from inside a git hook sees the worktree it runs in, not the hook's
// repository or index.
//
// Containment: the tool makes itself a child subreaper (PR_SET_CHILD_SUBREAPER),
// so whatever a command starts — setsid, double fork — stays below the tool; when
// the call ends (exit, timeout, interrupt) every process of the command's tree is
// ended (TERM, then KILL) until none is left. The direct child dies with the
// tool (PR_SET_PDEATHSIG); for the rest, set_process_record() keeps the tree's
// pids and start times in a file that the next run reads with
// end_recorded_processes() after a SIGKILL of the tool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "smartspec/util/result.hpp"

namespace smartspec::exec {

// Error::code of run_process when the program could not be started.
inline constexpr int kCommandNotFound =
    errc::kCommandNotFound;                              // argv[0] not found / not executable
inline constexpr int kCannotStart = errc::kCannotStart;  // fork, pipe, chdir ... failed

// Output kept per call: the first and the last kOutputKeep bytes; what lies
// between is counted and replaced by one line saying how many bytes were dropped.
inline constexpr std::size_t kOutputKeep = std::size_t{4} << 20;  // 4 MiB
// TERM → KILL delay when the tool is interrupted (interrupt_processes()).
inline constexpr double kInterruptGraceSeconds = 1.0;

struct ProcSpec {
  std::vector<std::string> argv;           // argv[0] is searched in PATH when it has no '/'
  std::string cwd;                         // empty = the current directory
  std::map<std::string, std::string> env;  // added to (or replacing in) the environment
  std::string stdin_data;                  // written to the child's stdin, then closed
  double timeout_seconds = 0;              // 0 = no limit
  double kill_grace_seconds = 2;           // TERM → KILL delay on timeout
  std::string log_path;                    // when set, the output is also written there
  std::size_t output_keep = kOutputKeep;   // first and last bytes kept (output and log)
};

struct ProcResult {
  int exit_code = -1;                // exit status; -1 when killed by a signal
  int signal = 0;                    // the signal that ended the child, 0 when it exited
  bool timed_out = false;            // the timeout expired and the process tree was terminated
  bool interrupted = false;          // interrupt_processes() ended it (or it was not started)
  std::string output;                // stdout and stderr, interleaved as written; the first and
                                     // last output_keep bytes when longer (the log file likewise)
  std::uint64_t output_dropped = 0;  // bytes left out between them
  [[nodiscard]] bool ok() const { return exit_code == 0 && !timed_out; }
};

// Runs the process to completion. The child is the leader of a new process group;
// when it ends, times out or is interrupted, every process of its tree (its
// group, and every process it started, wherever it moved: setsid, double fork)
// is terminated (TERM, then KILL after the grace period) until none is left, so
// nothing it spawned outlives the call. Errors: the program cannot be found
// (code kCommandNotFound, message "<argv0>: command not found") or started
// (kCannotStart).
Result<ProcResult> run_process(const ProcSpec& spec);

// Async-signal-safe (call it from a SIGINT/SIGTERM handler): the running call
// ends its process tree (TERM, then KILL after kInterruptGraceSeconds) and
// returns with `interrupted` set; later calls start nothing and return so too.
void interrupt_processes() noexcept;
bool processes_interrupted() noexcept;
// Lets run_process start processes again (tests).
void clear_interrupt() noexcept;

// From now on, each call's live process tree (pid and start time, one
// "pid start" line per process) is kept in `path` while the call runs, and the
// file is removed when the tree is gone. Empty: no record.
void set_process_record(const std::string& path);

// Ends (SIGKILL) every process a record names that is still the same process
// (pid AND start time) and everything below it, waits until they are gone, and
// removes the record. Returns how many processes were ended (0 when there is no
// record).
int end_recorded_processes(const std::string& path);

// Splits a command line like a POSIX shell would (quotes, backslashes), without
// expanding anything. Errors: unterminated quote, empty command.
Result<std::vector<std::string>> split_command_line(const std::string& cmd);

// git's repository-local environment variables (`git rev-parse --local-env-vars`
// plus the few a hook may carry), removed from every child's environment.
const std::vector<std::string>& git_local_env_vars();

// The environment a child gets: the current one minus git_local_env_vars(), plus `extra`.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra);

// A regular file this process may execute.
bool is_executable_file(const std::string& path);
// `name` looked up as execvp does in the PATH value `path` (a name with a '/'
// is taken as it is); empty when not found. The one PATH search of the tool.
std::string find_program(const std::string& name, const std::string& path);

}  // namespace smartspec::exec
