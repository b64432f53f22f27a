// One unit of a run as a transaction: prepare the scratch worktree, execute
// the unit's tasks, seal the result (commit hooks, the commit object, the
// evidence classification, --mark-done, --verify-cmd), then commit():
// publish the checkpoint and the branch and record the state. Leaving it any
// other way — an error, an exception, the failure budget, a signal — goes
// through the one rollback(): the partial work is saved under the unit's
// failed/ ref, the scratch worktree put back at the checkpoint, and the
// unit's tasks reported as rolled back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/run_context.hpp"
#include "smartspec/exec/apply.hpp"
#include "smartspec/exec/file_txn.hpp"
#include "smartspec/git/git.hpp"
#include "smartspec/plan/plan.hpp"
#include "smartspec/report/report.hpp"

namespace smartspec::engine {

struct AgentContext;
struct AgentResult;

// How a unit ended. Every end but kCommitted and kNothingToCommit stops the run.
enum class UnitEnd {
  kCommitted,            // published: checkpoint, branch, state
  kNothingToCommit,      // its tasks changed nothing; recorded as done
  kRolledBack,           // rollback(): nothing of it landed; failed/ ref saved
  kCommittedThenFailed,  // published (the checkpoint moved), then recording it failed
};

// The change one task made: what it wrote in the scratch worktree, as the
// entries of a tree. The unit's tree is its base tree with every task's
// change applied in task order (so a task's result is a tree of its own:
// base + its change — what a merge of task trees would start from).
struct TaskChange {
  std::string task_id;
  std::vector<git::Repository::Change> entries;
};

// Whether a task is executed now (begin_task).
enum class TaskStart { kRun, kNotRun, kAlreadyDone };

class UnitTransaction {
 public:
  UnitTransaction(RunContext& run, const plan::PlannedUnit& unit, report::UnitReport& ur);
  UnitTransaction(const UnitTransaction&) = delete;
  UnitTransaction& operator=(const UnitTransaction&) = delete;

  // prepare → execute → seal → commit(), or rollback(). Exceptions other than
  // std::exception (a test's simulated crash) leave it untouched, as a kill does.
  UnitEnd run();
  // Why the unit was rolled back or stopped the run ("" when it committed).
  [[nodiscard]] const std::string& reason() const { return reason_; }

 private:
  Result<void> steps();
  Result<void> prepare();
  Result<void> execute_apply();
  Result<void> execute_agent();
  Result<void> seal();
  Result<void> classify_and_mark();
  Result<void> run_verify_cmd();
  Result<void> run_commit_hooks();
  // Starts `argv` in the scratch worktree, checking that the user's
  // repository is untouched after (`who` names it in the warning). The outer
  // error is the tool's; the inner one says the process could not start.
  Result<Result<exec::ProcResult>> run_in_scratch(std::vector<std::string> argv, const char* who);
  Result<void> commit();
  UnitEnd rollback();
  Result<void> save_failed();

  // The unit will roll back (the first reason wins).
  void abort(std::string reason);
  [[nodiscard]] bool aborted() const { return abort_.has_value(); }
  // SIGINT/SIGTERM/SIGHUP received (the interrupt port).
  [[nodiscard]] bool interrupted() const;
  TaskStart begin_task(const plan::PlannedTask& t, report::TaskReport& tr);
  void count_failure();
  Result<std::string> tree_of_changes() const;

  // Agent mode (unit_agent.cpp): one agent call for `batch`; its reports, and
  // the worktree's tree after it in ctx.snapshot_tree.
  Result<std::vector<report::TaskReport>> call_agent(
      AgentContext& ctx, const std::vector<const plan::PlannedTask*>& batch);
  void record_agent_reports(std::vector<report::TaskReport> reports, int first_number);
  // --jobs N (unit_jobs.cpp): the tasks' agent calls in up to N lanes at
  // once, each from the base; their trees merged in task order, a conflicting
  // task re-run after the others on the merged tree.
  Result<void> execute_agent_jobs(AgentContext& ctx);
  Result<void> open_lanes(std::size_t n);
  Result<void> stamp_lanes(std::size_t lanes);
  // --from-shards (unit_shards.cpp): when a shard left a result of `t` made on
  // the run's base, takes it instead of a call: its report in `tr`, its tree
  // in `res`, the tree it was made from in `from`.
  bool take_shard_result(const plan::PlannedTask& t, report::TaskReport& tr,
                         std::optional<Result<AgentResult>>& res, std::string& from);

  // Apply mode, per task (unit_apply.cpp).
  exec::TaskOutcome apply_one(const plan::PlannedTask& t, const exec::ApplyOptions& aopts,
                              exec::FileTxn& txn);
  void add_evidence_hooks(const plan::PlannedTask& t, const PackTask& pt, exec::FileTxn& txn);
  bool naming_by_evidence(const plan::PlannedTask& t, const PackTask& pt, exec::FileTxn& txn,
                          exec::TaskOutcome& out);
  void check_references(exec::TaskOutcome& out, exec::FileTxn& txn);

  RunContext& run_;
  const plan::PlannedUnit& unit_;
  report::UnitReport& ur_;
  const std::string uname_;
  std::optional<std::string> abort_;
  std::string reason_;
  bool published_ = false;  // the checkpoint moved to commit_: the commit point passed
  std::string base_tree_;
  std::string tree_;    // the unit's tree (base_tree_ until tasks changed something)
  std::string commit_;  // the unit's commit ("" = nothing to commit)
  std::string message_;
  std::vector<TaskChange> changes_;      // apply mode, in task order
  std::vector<std::string> agent_tail_;  // output of the last failed agent call
};

}  // namespace smartspec::engine
