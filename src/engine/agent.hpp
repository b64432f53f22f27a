// The agent executor (`--agent CMD`, issue 7): runs a coding agent in the
// scratch worktree (a full checkout) for one task, or for all tasks of a unit
// with `--agent-per unit`; what the agent changed is the task's change.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/inputs.hpp"
#include "smartspec/engine/options.hpp"
#include "smartspec/engine/ports.hpp"
#include "smartspec/exec/syntax.hpp"
#include "smartspec/git/git.hpp"
#include "smartspec/plan/plan.hpp"
#include "smartspec/report/report.hpp"

namespace smartspec::engine {

struct AgentContext {
  const RunOptions& opts;
  const Inputs& in;
  git::Repository& repo;
  git::Scratch& scratch;       // a full checkout; before the call its files equal `snapshot_tree`
  std::string unit;            // unit name
  std::string snapshot_tree;   // tree id of the worktree's state before this call
  std::string log_dir;         // absolute directory for the agents' logs (created as needed)
  bool tasks_tracked = false;  // tasks.md (in_.tasks_rel) is tracked: evidence hooks apply
  exec::SyntaxSession* syntax = nullptr;  // the run's checker processes; null = one-shot
  // Called about once a second during each agent call: elapsed seconds of the
  // call, the last line of its output so far. Empty = nothing.
  std::function<void(double, const std::string&)> on_tick = {};
  // Starts the agent (the engine's process port; never null).
  ProcessRunner* processes = nullptr;
  // How the prompt tells the agent to run smartspec-batch (its verify command).
  std::string program = "smartspec-batch";
  // --jobs: the lock of the run's shared state (libgit2, the run context),
  // held by the caller of run_agent and released only while the agent
  // process runs. Null: one call at a time.
  std::mutex* shared_lock = nullptr;
  // Put after the stem of the call's log and prompt files: a conflict's
  // re-run (--jobs) writes <task>.rerun.log, keeping the first call's.
  std::string log_tag = {};
  // The user's repository as the last call of this context left it (its
  // check's "after"): the next call's "before" when the calls follow each
  // other with nothing but the tool in between (one context per unit, or per
  // task in a --jobs lane). Saves a snapshot of the repository per call.
  std::optional<git::UserState> user_state_after = std::nullopt;
  // --jobs: the newest snapshot of the user's repository a call's check took
  // and found unchanged, shared by the unit's lanes (guarded by
  // user_state_lock, or by shared_lock without it). Any snapshot taken before
  // a call's agent starts is a sound "before" for it: a change made while the
  // agent ran is after it either way. A check that finds a change empties it,
  // so the next call takes its own. Set by SharedUserState::attach.
  std::optional<git::UserState>* shared_user_state = nullptr;
  // --jobs: a handle of the user's repository for the checks of its state
  // alone, and the lock that guards it and shared_user_state. With both set
  // the check after a call runs while the run's lock is released (the other
  // lanes' git work goes on); taken after shared_lock, never before it.
  const git::Repository* user_state_repo = nullptr;
  std::mutex* user_state_lock = nullptr;
};

// What the calls that run at once (--jobs, a shard's calls) share for the
// checks of the user's repository: the "before" snapshot, a second handle of
// the repository (when it opens) and the lock that guards both. Outlives the
// calls it is attached to.
struct SharedUserState {
  explicit SharedUserState(const git::Repository& repo) : checker(repo.reopen()) {}
  void attach(AgentContext& c);
  std::optional<git::UserState> snapshot;
  std::mutex mu;
  Result<git::Repository> checker;
};

struct AgentResult {
  // One report per task given (status succeeded/failed, error, files, log path).
  std::vector<report::TaskReport> tasks;
  // On success: the tree of the worktree after the call (snapshot_tree plus the
  // agent's changes, evidence hooks included). On failure the worktree has been
  // put back to snapshot_tree and new_tree == snapshot_tree.
  std::string new_tree;
  bool ok = false;
  // When the call failed: the last lines of the agent's output (its log).
  std::vector<std::string> output_tail;
};

// Puts the full checkout in `scratch` back to `tree`: every path the
// comparison shows (untracked files, and ignored ones when asked), nested
// repositories, special files. Returns how many paths it put back; an error
// when the checkout still differs after.
Result<std::size_t> reset_checkout(git::Repository& repo, git::Scratch& scratch,
                                   const std::string& tree, bool include_ignored);

// Runs the agent for `tasks` (one task, or a whole unit with --agent-per unit).
// After each call the tasks' evidence is verified on the worktree; while some
// does not verify, the agent is called again (up to --agent-attempts calls)
// with what is still missing. Its changes accumulate across the attempts.
// Errors are reserved for failures of the tool itself (git, disk); an agent
// that fails, times out or writes where it must not gives ok = false.
Result<AgentResult> run_agent(AgentContext& ctx,
                              const std::vector<const plan::PlannedTask*>& tasks);

}  // namespace smartspec::engine
