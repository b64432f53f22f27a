// Apply mode (unit_txn.hpp): each task of the unit executed by exec::apply_task
// in a file transaction on the scratch worktree; a task's change is what its
// transaction wrote, read back as tree entries.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "engine/unit_txn.hpp"
#include "smartspec/exec/evidence_hooks.hpp"
#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

namespace {

// What the executor says; the engine classifies kSucceeded against the
// evidence on the unit's tree (classify_and_mark).
report::TaskStatus to_report(exec::TaskStatus s) {
  switch (s) {
    case exec::TaskStatus::kSucceeded:
    case exec::TaskStatus::kAlreadyPresent:
      return report::TaskStatus::kSucceeded;
    case exec::TaskStatus::kFailed:
      return report::TaskStatus::kFailed;
    case exec::TaskStatus::kRefused:
      return report::TaskStatus::kRefused;
    case exec::TaskStatus::kSkippedNeedsAgent:
      return report::TaskStatus::kNeedsAgent;
  }
  return report::TaskStatus::kFailed;
}

void fill_report(report::TaskReport& tr, const exec::TaskOutcome& out) {
  tr.status = to_report(out.status);
  tr.error = out.error;
  tr.file = out.file;
  tr.line = out.line;
  tr.suggested_fix = out.suggested_fix;
  tr.files_created = out.files_created;
  tr.files_modified = out.files_modified;
  tr.files_renamed = out.files_renamed;
  tr.notes = out.notes;
  for (const auto& sk : out.skeletons) tr.notes.push_back("skeleton: " + sk);
  if (out.status == exec::TaskStatus::kSkippedNeedsAgent && tr.error.empty())
    tr.error = "needs an agent (--agent)";
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
  return out;
}

}  // namespace

Result<void> UnitTransaction::execute_apply() {
  RunContext& r = run_;
  exec::ApplyOptions aopts;
  aopts.root = r.scratch->path();
  aopts.overwrite = r.opts.overwrite;
  aopts.apply_skeletons = r.opts.apply_skeletons;
  aopts.extra_checks = r.opts.checks;
  aopts.line_ending = [&r](const std::string& rel) { return r.line_ending(rel); };
  aopts.syntax = r.syntax.get();

  for (const auto& t : unit_.tasks) {
    report::TaskReport tr;
    if (begin_task(t, tr) != TaskStart::kRun) {
      ur_.tasks.push_back(std::move(tr));
      continue;
    }
    double t0 = r.clock.seconds();
    exec::FileTxn txn(r.scratch->path());
    exec::TaskOutcome out = apply_one(t, aopts, txn);
    r.crash.step();
    fill_report(tr, out);
    bool ok = out.status == exec::TaskStatus::kSucceeded ||
              out.status == exec::TaskStatus::kAlreadyPresent;
    if (ok) {
      add_evidence_hooks(t, r.in.pack.tasks[t.pack_index], txn);
      std::vector<std::string> touched;
      for (const auto& tch : txn.touched()) touched.push_back(tch.path);
      txn.commit();
      std::sort(touched.begin(), touched.end());
      touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
      TRY(auto entries, r.collect_changes(touched));
      changes_.push_back({t.id, std::move(entries)});
    } else {
      (void)txn.rollback();
      if (out.status == exec::TaskStatus::kFailed || out.status == exec::TaskStatus::kRefused)
        count_failure();
    }
    tr.duration_ms = static_cast<long>((r.clock.seconds() - t0) * 1000);
    ur_.tasks.push_back(std::move(tr));
  }
  TRY(tree_, tree_of_changes());
  return {};
}

exec::TaskOutcome UnitTransaction::apply_one(const plan::PlannedTask& t,
                                             const exec::ApplyOptions& aopts, exec::FileTxn& txn) {
  const PackTask& pt = run_.in.pack.tasks[t.pack_index];
  exec::TaskOutcome out;
  if (t.category != Unit::kNamingIssue) return exec::apply_task(t, pt, aopts, txn);
  if (naming_by_evidence(t, pt, txn, out)) return out;
  out = exec::apply_task(t, pt, aopts, txn);
  if (out.status == exec::TaskStatus::kSucceeded) check_references(out, txn);
  return out;
}

void UnitTransaction::add_evidence_hooks(const plan::PlannedTask& t, const PackTask& pt,
                                         exec::FileTxn& txn) {
  const RunContext& r = run_;
  if (!r.opts.evidence_hooks || !r.tasks_tracked) return;
  // Cheap filter first (parsing tasks.md per task is the expensive part): a
  // task the given tasks.md already gives evidence needs no hooks.
  const TaskLine* given = r.in.tasks.find(t.id);
  if (given == nullptr || given->evidence_lines != 0) return;
  // The worktree's tasks.md is the truth (earlier tasks may have edited it).
  auto current = txn.read(r.in.tasks_rel);
  if (!current || !*current) return;
  auto doc = tasks::parse(**current, r.in.tasks_rel);
  const TaskLine* wt = doc ? doc->find(t.id) : nullptr;
  if (wt == nullptr || wt->evidence_lines != 0) return;
  std::string code, test;
  for (const auto& f : t.files) {
    bool produced = f.action != plan::Action::kNone;
    if (f.role == FileRole::kCode && code.empty() && produced) code = f.path;
    if (f.role == FileRole::kTest && test.empty() && produced) test = f.path;
  }
  auto entries = exec::canonical_evidence(code, pt.symbol, test);
  if (entries.empty()) return;
  auto updated = exec::ensure_evidence(**current, t.id, entries, r.in.tasks_rel);
  if (updated && *updated != **current) {
    auto w = txn.write_file(r.in.tasks_rel, *updated);
    if (!w) spdlog::warn("evidence hooks not added: {}", w.error().to_string());
  }
}

// After a rename: files of the checkpoint that still name the old module or
// file (git grep, whole words) would break; the task fails listing them.
void UnitTransaction::check_references(exec::TaskOutcome& out, exec::FileTxn& txn) {
  const RunContext& r = run_;
  std::vector<std::string> users;
  for (const auto& [from, to] : out.files_renamed) {
    std::string stem = fs::path(from).stem().string();
    if (stem.empty()) continue;
    exec::ProcSpec spec;
    spec.argv = {"git", "-C", r.repo.workdir(), "grep", "-l", "-w", "-F",
                 "-e",  stem, r.checkpoint,     "--"};
    spec.timeout_seconds = 60;
    auto res = run_.procs.run(spec);
    if (!res || res->exit_code > 1) continue;  // no git, or an error: nothing known
    for (const auto& l : text::split_lines(res->output)) {
      std::string path(l.text);
      if (path.rfind(r.checkpoint + ":", 0) == 0) path = path.substr(r.checkpoint.size() + 1);
      if (path.empty() || path == from || path == to || path == r.in.tasks_rel ||
          path.rfind(".spec/", 0) == 0)
        continue;
      if (std::find(users.begin(), users.end(), path) == users.end()) users.push_back(path);
    }
  }
  if (users.empty()) return;
  (void)txn.rollback();
  out.status = exec::TaskStatus::kFailed;
  out.error = "renaming would break " + std::to_string(users.size()) +
              (users.size() == 1 ? " file that references the old name: "
                                 : " files that reference the old name: ") +
              join(users, ", ");
  out.file = users.front();
  out.suggested_fix =
      "update those references (or leave out --rename-files to update the evidence path instead)";
  out.files_renamed.clear();
}

}  // namespace smartspec::engine
