// naming_issue tasks by the pack's option A (unit_txn.hpp).
#include "engine/unit_txn.hpp"
#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

// naming_issue, the pack's option A (what the real template recommends):
// the similar file is the implementation, so the task's evidence path in
// tasks.md is updated to it. Used unless --rename-files, or when the pack
// offers only a rename. False = not handled here (rename instead).
bool UnitTransaction::naming_by_evidence(const plan::PlannedTask& t, const PackTask& /*pt*/,
                                         exec::FileTxn& txn, exec::TaskOutcome& out) {
  if (!t.evidence_update) return false;                    // mark_evidence_updates (inputs.hpp)
  std::vector<std::pair<std::string, std::string>> moves;  // expected → existing
  for (const auto& f : t.files)
    if (f.action == plan::Action::kRename) moves.emplace_back(f.path, f.from);
  if (moves.empty()) return false;  // nothing to choose: the executor says why
  auto fail_out = [&](std::string why) {
    out = exec::TaskOutcome{};
    out.status = exec::TaskStatus::kFailed;
    out.error = std::move(why);
    out.file = run_.in.tasks_rel.empty() ? run_.in.tasks.path : run_.in.tasks_rel;
    out.suggested_fix = "update the evidence path by hand, or rerun with --rename-files";
    return true;
  };
  if (!run_.tasks_tracked)
    return fail_out("tasks.md is not in the repository: its evidence path cannot be updated");
  auto current = txn.read(run_.in.tasks_rel);
  if (!current || !*current) return fail_out(run_.in.tasks_rel + ": cannot read");
  auto doc = tasks::parse(**current, run_.in.tasks_rel);
  const TaskLine* line = doc ? doc->find(t.id) : nullptr;
  if (line == nullptr) return fail_out(t.id + " is not in " + run_.in.tasks_rel);
  auto lines = text::split_lines(**current);
  std::string updated;
  std::size_t at = 0;
  bool changed = false;
  for (const auto& l : lines) {
    std::string s(l.text);
    if (l.number >= line->line && l.number <= line->last_line) {
      for (const auto& [expected, existing] : moves) {
        for (const std::string& form : {"path=" + expected, "path=\"" + expected + "\""}) {
          auto p = s.find(form);
          if (p == std::string::npos) continue;
          bool quoted = form.back() == '"';
          s.replace(p, form.size(), quoted ? "path=\"" + existing + "\"" : "path=" + existing);
          changed = true;
        }
      }
    }
    updated += s;
    at += l.text.size();
    // Keep each line's own terminator.
    std::string_view rest = std::string_view(**current).substr(at);
    std::size_t term = rest.rfind("\r\n", 0) == 0 ? 2 : (rest.rfind('\n', 0) == 0 ? 1 : 0);
    updated += rest.substr(0, term);
    at += term;
  }
  if (!changed) return fail_out("no evidence path of " + t.id + " names " + moves.front().first);
  if (auto w = txn.write_file(run_.in.tasks_rel, updated); !w)
    return fail_out(w.error().to_string());
  out = exec::TaskOutcome{};
  out.status = exec::TaskStatus::kSucceeded;
  out.files_modified.push_back(run_.in.tasks_rel);
  for (const auto& [expected, existing] : moves)
    out.notes.push_back("evidence path " + expected + " -> " + existing + " in " +
                        run_.in.tasks_rel +
                        " (the pack's option A; --rename-files renames the file instead)");
  return true;
}

}  // namespace smartspec::engine
