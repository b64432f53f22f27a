// Sealing a unit (unit_txn.hpp): the user's commit hooks, the classification
// of its tasks against the evidence on its tree, --mark-done, --verify-cmd.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "engine/isolation.hpp"
#include "engine/unit_txn.hpp"
#include "smartspec/exec/evidence_hooks.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

namespace {

bool changed_files(const report::TaskReport& t) {
  if (!t.files_created.empty() || !t.files_modified.empty() || !t.files_renamed.empty())
    return true;
  for (const auto& n : t.notes)
    if (n.rfind("deleted ", 0) == 0) return true;
  return false;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
  return out;
}

// The one status model (issue 19): an executed task is verified when its
// evidence verifies on the unit's tree; otherwise applied_unverified when it
// changed files, no_change when it did not. A task without evidence keeps
// applied_unverified (has_evidence false), which counts as done.
void classify_unit(report::UnitReport& ur, const verify::Summary& s,
                   std::vector<std::string>* verified, std::vector<std::string>* unverified) {
  for (auto& tr : ur.tasks) {
    const verify::TaskResult* res = s.find(tr.id);
    tr.has_evidence = res != nullptr && !res->checks.empty();
    if (tr.status != report::TaskStatus::kSucceeded) continue;
    const bool changed = changed_files(tr);
    if (tr.has_evidence && res->verified) {
      tr.status = report::TaskStatus::kVerified;
      if (!changed) tr.notes.push_back("no file changed; the evidence verifies");
      verified->push_back(tr.id);
      continue;
    }
    tr.status = changed ? report::TaskStatus::kAppliedUnverified : report::TaskStatus::kNoChange;
    if (tr.has_evidence) {
      unverified->push_back(tr.id);
      for (const auto& c : res->checks) {
        if (c.ok) continue;
        tr.error = "evidence not verified: " + c.path + ": " + c.reason;
        break;
      }
      if (!changed) tr.error = "nothing changed; " + tr.error;
    } else if (!changed) {
      tr.error = "nothing changed (no evidence to verify)";
    }
  }
}

std::string last_line(const std::string& out) {
  auto lines = text::split_lines(text::trim(out));
  return lines.empty() ? std::string() : ": " + std::string(lines.back().text);
}

}  // namespace

// Every executed task is classified against the evidence on the unit's tree
// (also when the unit commits nothing): the one status model.
Result<void> UnitTransaction::classify_and_mark() {
  RunContext& r = run_;
  verify::Summary s;
  std::set<std::string> ids;  // the unit's tasks only: the others are not classified here
  for (const auto& tr : ur_.tasks) ids.insert(tr.id);
  r.verify_tree(commit_.empty() ? r.checkpoint : commit_, &s, &ids);
  std::vector<std::string> unverified, verified;
  classify_unit(ur_, s, &verified, &unverified);
  if (r.opts.verify_after_each && !unverified.empty()) {
    abort("not verified after the unit: " + join(unverified, ", "));
    for (auto& tr : ur_.tasks)
      if (std::find(unverified.begin(), unverified.end(), tr.id) != unverified.end()) {
        tr.status = report::TaskStatus::kFailed;
        tr.error = "not verified after the unit" + (tr.error.empty() ? "" : " (" + tr.error + ")");
      }
    return {};
  }
  if (!r.opts.mark_done || !r.tasks_tracked || verified.empty()) return {};
  auto text_now = r.repo.read_file(tree_, r.in.tasks_rel);
  if (!text_now) return {};
  std::string t = *text_now;
  for (const auto& id : verified) {
    if (auto m = exec::mark_done(t, id, r.in.tasks_rel)) t = *m;
  }
  if (t == *text_now) return {};
  // Keep the worktree equal to the unit's tree.
  TRY_VOID(text::write_file_atomic(r.scratch->path() + "/" + r.in.tasks_rel, t));
  TRY(tree_, r.repo.update_tree(tree_, {{r.in.tasks_rel, t, 0100644}}));
  TRY(commit_, r.repo.create_commit(tree_, {r.checkpoint}, message_));
  return {};
}

Result<Result<exec::ProcResult>> UnitTransaction::run_in_scratch(std::vector<std::string> argv,
                                                                 const char* who) {
  exec::ProcSpec spec;
  spec.argv = std::move(argv);
  spec.cwd = run_.scratch->path();
  spec.timeout_seconds = run_.opts.agent_timeout;
  UserStateCheck user_state(run_.repo, *run_.scratch);
  TRY_VOID(user_state.before());
  Result<exec::ProcResult> res = run_.procs.run(spec);
  // Named, not refused: the user may commit while a run goes on.
  TRY(const std::string escaped, user_state.after(who));
  if (!escaped.empty()) spdlog::warn("{} (or someone else did meanwhile)", escaped);
  return res;
}

// The user's pre-commit and commit-msg hooks (libgit2 never runs hooks), run
// in the scratch worktree whose index holds the unit's tree, as `git commit`
// would run them. A hook that rewrites files has its changes taken into the
// unit's tree; one that edits the message has its message used.
Result<void> UnitTransaction::run_commit_hooks() {
  RunContext& r = run_;
  const std::string dir = git::hooks_dir(r.repo);
  auto runnable = [](const std::string& path) { return ::access(path.c_str(), X_OK) == 0; };
  const std::string pre_commit = dir + "/pre-commit";
  if (runnable(pre_commit)) {
    TRY_VOID(git::set_worktree_index(r.repo, r.scratch->path(), tree_));
    TRY(auto started, run_in_scratch({pre_commit}, "pre-commit hook"));
    TRY(auto res, std::move(started));
    if (res.interrupted) abort("interrupted");
    if (!res.ok())
      abort("pre-commit hook failed (exit " + std::to_string(res.exit_code) + ")" +
            last_line(res.output));
    if (aborted()) return {};
    // What the hook changed in the worktree becomes part of the unit.
    TRY(auto changes, git::worktree_changes(r.repo, r.scratch->path(), tree_));
    if (!changes.empty()) {
      std::vector<std::string> paths;
      for (const auto& c : changes) paths.push_back(c.path);
      TRY(auto collected, r.collect_changes(paths));
      TRY(tree_, r.repo.update_tree(tree_, collected));
    }
  }
  const std::string commit_msg = dir + "/commit-msg";
  if (!runnable(commit_msg)) return {};
  std::string file = r.repo.common_dir() + "/smartspec/COMMIT_EDITMSG-" + r.in.run_id;
  TRY_VOID(text::write_file_atomic(file, message_));
  auto started = run_in_scratch({commit_msg, file}, "commit-msg hook");
  auto edited = text::read_file(file);
  ::unlink(file.c_str());
  TRY(auto ran, std::move(started));
  TRY(auto res, std::move(ran));
  if (res.interrupted) abort("interrupted");
  if (!res.ok())
    abort("commit-msg hook failed (exit " + std::to_string(res.exit_code) + ")" +
          last_line(res.output));
  if (!aborted() && edited && !text::trim(*edited).empty()) message_ = *edited;
  return {};
}

// --verify-cmd runs on the whole tree of the unit.
Result<void> UnitTransaction::run_verify_cmd() {
  RunContext& r = run_;
  std::string target = commit_.empty() ? r.checkpoint : commit_;
  if (r.opts.agent.empty()) {
    TRY_VOID(r.scratch->checkout_full(target));
    (void)r.scratch->lock(
        "smartspec-batch: reusable full checkout (remove with smartspec-batch clean)");
  }
  TRY(auto argv, exec::split_command_line(r.opts.verify_cmd));
  TRY(auto res, run_in_scratch(std::move(argv), "--verify-cmd"));
  r.checkout_checked = false;  // what it wrote is put back before the next unit
  r.verify_cmd_ran = true;
  if (!res) {
    abort("--verify-cmd: " + res.error().message);
  } else if (res->interrupted) {
    abort("interrupted");
  } else {
    std::string out = res->output;
    if (out.size() > 4000) out = "…" + out.substr(out.size() - 4000);
    ur_.verify_cmd_output = out;
    if (!res->ok()) {
      abort(res->timed_out ? "--verify-cmd timed out"
                           : "--verify-cmd exited with " + std::to_string(res->exit_code));
    }
  }
  return {};
}

}  // namespace smartspec::engine
