// Isolation of the processes a run starts in the scratch repository (issue
// 15): the before/after check of the user's repository around each agent
// call, --verify-cmd and hook, and the --agent-sandbox options.
#pragma once

#include <string>
#include <vector>

#include "smartspec/engine/options.hpp"
#include "smartspec/git/git.hpp"
#include "smartspec/util/result.hpp"

namespace smartspec::engine {

// Snapshots the user's repository (git::user_state) before a process and
// names what differs after it. The scratch itself is left out when it lies
// inside the user's working tree.
class UserStateCheck {
 public:
  UserStateCheck(const git::Repository& repo, const git::Scratch& scratch);
  Result<void> before();
  // Takes `known` as the state before (the previous call's after, when
  // nothing but the tool ran since: no snapshot of the repository again).
  void before(git::UserState known) { before_ = std::move(known); }
  // "" when nothing changed, else one line:
  // "<who> changed your repository outside its worktree: refs/heads/main,
  // .git/config, README.md (working tree) and 2 more".
  Result<std::string> after(const std::string& who);
  // The state before() took or was given.
  [[nodiscard]] const git::UserState& first() const { return before_; }
  // The state after() saw.
  [[nodiscard]] const git::UserState& last() const { return after_; }

 private:
  const git::Repository& repo_;
  std::vector<std::string> skip_;
  git::UserState before_;
  git::UserState after_;
};

// --agent-sandbox and --agent-writable, checked before anything is written:
// the sandbox needs --agent and bwrap in PATH; each writable directory must
// exist. Errors are exit-2 usage errors.
Result<void> check_sandbox_options(const RunOptions& opts);

// The agent's argv, run under bubblewrap when --agent-sandbox is on:
// writable are the scratch worktree and git directory and the
// --agent-writable directories; the repository, `readable` (the prompt's
// directory, the tasks file) are bound back read-only.
std::vector<std::string> agent_argv(const RunOptions& opts, const git::Repository& repo,
                                    const git::Scratch& scratch, std::vector<std::string> argv,
                                    const std::vector<std::string>& readable);

}  // namespace smartspec::engine
