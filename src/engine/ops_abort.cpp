// `abort RUN [--delete-branch]` ends a run: its state, checkpoint and failed
// refs go, the scratch worktree is removed when no other unfinished run may
// reuse it, and the lock is released; the result branch (and the undo refs
// that go with it) stay unless asked. `clean` removes the kept scratch
// worktree(s) when no run is going on.
#include <cstdio>
#include <filesystem>

#include "engine/ops_common.hpp"
#include "smartspec/util/json.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

namespace {

// Removes every registered scratch worktree; returns their paths.
Result<std::vector<std::string>> remove_scratches(git::Repository& repo) {
  std::vector<std::string> removed;
  for (const auto& [name, path] : git::Scratch::list(repo)) {
    TRY(auto scratch, git::Scratch::open(repo, name));
    TRY_VOID(scratch.remove());
    removed.push_back(path);
  }
  return removed;
}

// Deletes the run's state, checkpoint, failed and task refs (and with
// `delete_branch` its branch and undo refs); returns the refs deleted.
Result<std::vector<std::string>> delete_run_refs(git::Repository& repo, const ops::RunView& run,
                                                 bool delete_branch) {
  std::vector<std::string> deleted;
  auto drop = [&](const std::string& ref, const std::string& oid) -> Result<void> {
    TRY_VOID(repo.delete_ref(ref, oid));
    deleted.push_back(ref);
    return {};
  };
  Result<void> ok;
  if (run.state_commit) ok = drop(run.refs.state, *run.state_commit);
  if (ok && run.checkpoint) ok = drop(run.refs.checkpoint, *run.checkpoint);
  for (const auto& [ref, oid] : run.failed)
    if (ok) ok = drop(ref, oid);
  for (const auto& [ref, oid] : run.tasks)
    if (ok) ok = drop(ref, oid);
  if (ok && delete_branch) {
    if (run.branch) ok = drop(run.refs.branch, *run.branch);
    for (const auto& [ref, oid] : run.undo)
      if (ok) ok = drop(ref, oid);
  }
  if (!ok) return fail(ok.error());
  return deleted;
}

// The last other run (in run_ids order) that is not finished, "" when none.
std::string other_unfinished_run(const git::Repository& repo, const std::string& run_id) {
  std::string kept_for;
  for (const auto& other : ops::run_ids(repo)) {
    if (other == run_id) continue;
    auto st = read_state(repo, RunRefs(other).state);
    if (st && *st && (*st)->status != "finished") kept_for = other;
  }
  return kept_for;
}

// What abort did: a JSON object with --json, else one or two lines.
void print_aborted(const AbortOptions& opts, const ops::RunView& run,
                   const std::vector<std::string>& deleted, const std::vector<std::string>& removed,
                   const std::string& kept_for) {
  if (opts.common.json) {
    JsonWriter w;
    w.begin_object().field("run_id", opts.run_id);
    w.key("deleted_refs").string_array(deleted);
    w.key("removed_worktrees").string_array(removed);
    w.field("branch_kept", !opts.delete_branch && run.branch.has_value());
    w.end_object();
    std::fputs(w.str().c_str(), stdout);
    return;
  }
  std::printf("run %s aborted: %zu ref%s deleted", opts.run_id.c_str(), deleted.size(),
              deleted.size() == 1 ? "" : "s");
  if (!removed.empty()) std::printf(", scratch worktree removed");
  if (!kept_for.empty()) std::printf(", scratch worktree kept for run %s", kept_for.c_str());
  std::printf("\n");
  if (!opts.delete_branch && run.branch) {
    std::printf("branch smartspec/%s kept at %s (delete it with --delete-branch)\n",
                opts.run_id.c_str(), ops::short_id(*run.branch).c_str());
  }
}

}  // namespace

int abort_command(const AbortOptions& opts) {
  if (opts.run_id.empty()) return ops::report_error(Error{{}, 0, "abort needs a RUN id"});
  auto repo = ops::open_repo(opts.common);
  if (!repo) return ops::report_error(repo.error());
  // Taking the lock proves no live process runs (a dead one's lock is taken
  // over); releasing it at the end leaves none behind.
  auto lock = git::RepoLock::acquire(*repo, opts.run_id);
  if (!lock) return ops::report_error(lock.error());
  auto run = ops::load_run(*repo, opts.run_id);
  if (!run) return ops::report_error(run.error());

  auto deleted = delete_run_refs(*repo, *run, opts.delete_branch);
  if (!deleted) return ops::report_error(deleted.error());

  // The scratch worktree is shared by the repository's runs: keep it while
  // another run may resume on it.
  const std::string kept_for = other_unfinished_run(*repo, opts.run_id);
  std::vector<std::string> removed;
  if (kept_for.empty()) {
    auto r = remove_scratches(*repo);
    if (!r) return ops::report_error(r.error());
    removed = *r;
  }
  // Never through a symlink: a committed `.spec` may point out of the repository.
  (void)text::remove_file_beneath(repo->workdir(),
                                  ".spec/checkpoints/batch_execution_" + opts.run_id + ".json");
  lock->release();
  print_aborted(opts, *run, *deleted, removed, kept_for);
  return to_int(Exit::kOk);
}

int clean_command(const CommonOptions& opts) {
  auto repo = ops::open_repo(opts);
  if (!repo) return ops::report_error(repo.error());
  auto lock = git::RepoLock::acquire(*repo, "clean");
  if (!lock) return ops::report_error(lock.error());
  auto removed = remove_scratches(*repo);
  if (!removed) return ops::report_error(removed.error());
  lock->release();
  if (opts.json) {
    JsonWriter w;
    w.begin_object().key("removed_worktrees").string_array(*removed).end_object();
    std::fputs(w.str().c_str(), stdout);
  } else if (removed->empty()) {
    std::printf("no scratch worktree to remove\n");
  } else {
    for (const auto& p : *removed) std::printf("removed scratch worktree %s\n", p.c_str());
  }
  return to_int(Exit::kOk);
}

}  // namespace smartspec::engine
