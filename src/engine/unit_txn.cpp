// The unit transaction (unit_txn.hpp): its steps in order, the commit and
// the one rollback.
#include "engine/unit_txn.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>

#include "engine/agent.hpp"
#include "engine/run_internal.hpp"
#include "smartspec/exec/confine.hpp"
#include "smartspec/util/path_rules.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

namespace {

bool changed_files(const report::TaskReport& t) {
  if (!t.files_created.empty() || !t.files_modified.empty() || !t.files_renamed.empty())
    return true;
  for (const auto& n : t.notes)
    if (n.rfind("deleted ", 0) == 0) return true;
  return false;
}

// Apply mode materializes only the paths the unit reads or writes.
std::vector<std::string> unit_paths(const RunContext& run, const plan::PlannedUnit& unit) {
  std::vector<std::string> paths;
  for (const auto& t : unit.tasks)
    for (const auto& f : t.files) {
      if (!f.refused.empty()) continue;  // its task fails without writing
      paths.push_back(f.path);
      if (!f.from.empty()) paths.push_back(f.from);
    }
  if (run.tasks_tracked) paths.push_back(run.in.tasks_rel);
  // Paths a pack names that cannot be materialized (escapes, .git ...) are
  // refused by the executor per task, with the same check; leave them out here.
  std::vector<std::string> safe;
  for (const auto& p : paths) {
    if (auto c = exec::confine(run.scratch->path(), p)) safe.push_back(c->rel);
  }
  std::sort(safe.begin(), safe.end());
  safe.erase(std::unique(safe.begin(), safe.end()), safe.end());
  return safe;
}

// The commit names the tasks whose changes it holds (a task that changed
// nothing is not in it, whatever its evidence says).
std::string commit_message(const RunContext& run, const std::string& uname,
                           const report::UnitReport& ur) {
  std::vector<const report::TaskReport*> done;
  for (const auto& tr : ur.tasks)
    if (tr.status == report::TaskStatus::kSucceeded && changed_files(tr)) done.push_back(&tr);
  std::string msg = "smartspec(" + uname + "): " + std::to_string(done.size()) +
                    (done.size() == 1 ? " task" : " tasks") + "\n\n";
  std::string ids;
  for (const auto* t : done) {
    // Ids and titles come from the pack: no control character or escape
    // sequence reaches the message (nor `git log` on a terminal).
    const std::string id = paths::printable(t->id);
    msg += "- " + id + (t->title.empty() ? "" : ": " + paths::printable(t->title)) + "\n";
    ids += (ids.empty() ? "" : ", ") + id;
  }
  msg += "\nSmartspec-Run: " + run.in.run_id + "\n";
  msg += "Smartspec-Unit: " + uname + "\n";
  msg += "Smartspec-Tasks: " + ids + "\n";
  msg += "Smartspec-Pack-Digest: " + run.in.digest + "\n";
  return msg;
}

}  // namespace

UnitTransaction::UnitTransaction(RunContext& run, const plan::PlannedUnit& unit,
                                 report::UnitReport& ur)
    : run_(run), unit_(unit), ur_(ur), uname_(unit_name(unit.unit)) {}

UnitEnd UnitTransaction::run() {
  Result<void> done = fail("not run");
  try {
    done = steps();
  } catch (const std::exception& e) {
    done = fail(std::string("unexpected error: ") + e.what());
  }
  if (!done && published_) {
    // The commit point passed: the unit stays; the run stops (resumable).
    run_.console.clear_progress();
    std::fprintf(stderr, "smartspec-batch: error: %s\n", done.error().to_string().c_str());
    reason_ = done.error().to_string();
    ur_.reason = reason_;
    return UnitEnd::kCommittedThenFailed;
  }
  if (!done) {
    run_.console.clear_progress();
    std::fprintf(stderr, "smartspec-batch: error: %s\n", done.error().to_string().c_str());
    abort(done.error().to_string());
  }
  if (aborted()) return rollback();
  return commit_.empty() ? UnitEnd::kNothingToCommit : UnitEnd::kCommitted;
}

// The steps in order; an error leaves through run()'s rollback.
Result<void> UnitTransaction::steps() {
  TRY_VOID(prepare());
  if (!run_.opts.agent.empty()) {
    TRY_VOID(execute_agent());
  } else {
    TRY_VOID(execute_apply());
  }
  if (!aborted() && interrupted()) abort("interrupted");
  spdlog::debug("unit {}: tasks done", uname_);
  if (!aborted()) TRY_VOID(seal());
  if (!aborted() && interrupted()) abort("interrupted");
  if (aborted()) return {};
  return commit();
}

Result<void> UnitTransaction::prepare() {
  RunContext& r = run_;
  TRY(base_tree_, r.repo.tree_of(r.checkpoint));
  tree_ = base_tree_;
  // Apply mode materializes only the paths the unit reads or writes (lazy
  // worktree); a process (agent) needs the whole tree, kept across runs.
  if (!r.opts.agent.empty() || r.opts.run_hooks || r.scratch->is_full()) {
    TRY_VOID(r.scratch->checkout_full(r.checkpoint));
    (void)r.scratch->lock(
        "smartspec-batch: reusable full checkout (remove with smartspec-batch clean)");
    if (!r.checkout_checked) {
      // Once per invocation, and again after --verify-cmd ran: what a killed
      // agent or a process left in the checkout must not become part of the
      // next unit (the checkout's marker only knows what the tool wrote).
      TRY(auto n, reset_checkout(r.repo, *r.scratch, base_tree_, false));
      if (n > 0 && !r.verify_cmd_ran) {
        spdlog::warn(
            "scratch worktree: {} path(s) put back to the checkpoint (left by an "
            "interrupted run?)",
            n);
      }
      r.checkout_checked = true;
      r.verify_cmd_ran = false;
    }
  } else {
    TRY_VOID(r.scratch->materialize(r.checkpoint, unit_paths(r, unit_)));
  }
  spdlog::debug("unit {}: worktree ready", uname_);
  r.crash.step();
  return {};
}

// After the tasks: the commit object, its classification, the checks that
// can still fail the unit. Nothing is published here.
Result<void> UnitTransaction::seal() {
  message_ = commit_message(run_, uname_, ur_);
  if (tree_ != base_tree_ && run_.opts.run_hooks) TRY_VOID(run_commit_hooks());
  if (aborted()) return {};
  if (tree_ != base_tree_) {
    TRY(commit_, run_.repo.create_commit(tree_, {run_.checkpoint}, message_));
    run_.crash.step();
  }
  TRY_VOID(classify_and_mark());
  if (!aborted() && !run_.opts.verify_cmd.empty()) TRY_VOID(run_verify_cmd());
  return {};
}

// Publishes the unit: the checkpoint is the commit point, the branch is
// derived from it; then the state records the unit's results.
Result<void> UnitTransaction::commit() {
  RunContext& r = run_;
  if (commit_.empty()) {
    ur_.status = report::UnitStatus::kNothingToCommit;
  } else {
    TRY_VOID(r.repo.update_ref(r.refs.checkpoint, commit_, r.checkpoint,
                               "smartspec: checkpoint of run " + r.in.run_id));
    published_ = true;
    r.checkpoint = commit_;
    ur_.status = report::UnitStatus::kCommitted;
    ur_.commit = commit_;
    r.crash.step();
    auto branch = r.repo.read_ref(r.refs.branch);
    TRY_VOID(
        r.repo.update_ref(r.refs.branch, commit_, branch, "smartspec: unit of run " + r.in.run_id));
    r.crash.step();
    spdlog::debug("unit {}: committed", uname_);
  }
  published_ = true;
  r.state.completed.push_back(uname_);
  for (const auto& tr : ur_.tasks) r.state.results.emplace_back(uname_, tr);
  r.state.failures = r.failures;
  r.state.updated = r.clock.iso8601();
  TRY_VOID(write_state(r.repo, r.refs.state, r.state, "", "unit " + uname_ + " done"));
  spdlog::debug("unit {}: run state written", uname_);
  r.crash.step();
  r.write_checkpoint_mirror("", "");
  r.print_tasks(ur_);
  r.console.unit_done(ur_);
  return {};
}

// The one way out that is not commit(): nothing of the unit lands.
UnitEnd UnitTransaction::rollback() {
  reason_ = *abort_;
  for (auto& tr : ur_.tasks) {
    switch (tr.status) {
      case report::TaskStatus::kSucceeded:
      case report::TaskStatus::kVerified:
      case report::TaskStatus::kAppliedUnverified:
      case report::TaskStatus::kNoChange:
        tr.status = report::TaskStatus::kFailed;
        tr.error = "rolled back with its unit: " + reason_;
        break;
      default:
        break;
    }
  }
  ur_.status = report::UnitStatus::kRolledBack;
  ur_.reason = reason_;
  ur_.failed_ref = run_.refs.failed_prefix + uname_;
  if (auto saved = save_failed(); !saved)
    spdlog::warn("partial work not saved: {}", saved.error().to_string());
  // Put the worktree back at the checkpoint for every path the unit changed.
  if (run_.scratch && !base_tree_.empty() && !tree_.empty()) {
    if (auto diff = run_.repo.changed_paths(base_tree_, tree_); diff && !diff->empty()) {
      if (auto r = run_.scratch->materialize(run_.checkpoint, *diff); !r)
        spdlog::warn("scratch worktree not restored: {}", r.error().to_string());
    }
  }
  run_.print_tasks(ur_);
  run_.console.unit_done(ur_);
  return UnitEnd::kRolledBack;
}

// refs/smartspec/failed/<run>/<unit>: the unit's partial work on top of the
// checkpoint, with the agent logs, for inspection.
Result<void> UnitTransaction::save_failed() {
  RunContext& r = run_;
  std::string tree = tree_;
  if (tree.empty()) {
    TRY(tree, r.repo.tree_of(r.checkpoint));
  }
  std::vector<git::Repository::Change> logs;
  std::error_code ec;
  if (!r.log_dir.empty() && fs::is_directory(r.log_dir, ec)) {
    for (const auto& e : fs::directory_iterator(r.log_dir, ec)) {
      if (!e.is_regular_file()) continue;
      auto bytes = text::read_file(e.path().string(), 16u << 20);
      if (bytes)
        logs.push_back({".smartspec-logs/" + e.path().filename().string(), *bytes, 0100644});
    }
  }
  if (!logs.empty()) {
    TRY(tree, r.repo.update_tree(tree, logs));
  }
  std::string msg = "smartspec(" + uname_ + "): rolled back\n\n" + reason_ +
                    "\n\nSmartspec-Run: " + r.in.run_id + "\nSmartspec-Unit: " + uname_ + "\n";
  TRY(auto commit, r.repo.create_commit(tree, {r.checkpoint}, msg));
  const std::string ref = r.refs.failed_prefix + uname_;
  auto old = r.repo.read_ref(ref);
  TRY_VOID(r.repo.update_ref(ref, commit, old, "smartspec: failed unit of run " + r.in.run_id));
  r.crash.step();
  return {};
}

bool UnitTransaction::interrupted() const { return run_.interrupt.requested(); }

void UnitTransaction::abort(std::string reason) {
  if (!abort_) abort_ = std::move(reason);
}

TaskStart UnitTransaction::begin_task(const plan::PlannedTask& t, report::TaskReport& tr) {
  RunContext& r = run_;
  ++r.task_n;
  tr.id = t.id;
  tr.title = t.title;
  tr.number = r.task_n;
  r.console.progress(uname_, r.task_n, r.task_total, r.clock.seconds() - r.started_at, -1);
  if (!aborted() && interrupted()) abort("interrupted");
  if (aborted()) {
    tr.status = report::TaskStatus::kNotRun;
    return TaskStart::kNotRun;
  }
  if (r.already_done.count(t.id)) {
    tr.status = report::TaskStatus::kAlreadyDone;
    tr.has_evidence = true;
    tr.notes.push_back("already verified on the base");
    return TaskStart::kAlreadyDone;
  }
  r.write_checkpoint_mirror(uname_, t.id);
  return TaskStart::kRun;
}

// A failed task spends the budget; at --max-failures the unit rolls back.
void UnitTransaction::count_failure() {
  ++run_.failures;
  if (run_.failures >= run_.opts.max_failures) {
    abort("failure budget exhausted (" + std::to_string(run_.failures) + " of --max-failures " +
          std::to_string(run_.opts.max_failures) + ")");
  }
}

// The base tree with every task's change, in task order (a later task's
// entry for a path replaces an earlier one's).
Result<std::string> UnitTransaction::tree_of_changes() const {
  std::map<std::string, git::Repository::Change> last;
  for (const auto& c : changes_)
    for (const auto& e : c.entries) last.insert_or_assign(e.path, e);
  std::vector<git::Repository::Change> all;
  all.reserve(last.size());
  for (auto& [path, e] : last) all.push_back(e);
  return run_.repo.update_tree(base_tree_, all);
}

}  // namespace smartspec::engine
