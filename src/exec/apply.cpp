#include "smartspec/exec/apply.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "exec/snippet.hpp"
#include "smartspec/exec/confine.hpp"
#include "smartspec/util/path_rules.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::exec {

std::string_view status_name(TaskStatus s) {
  switch (s) {
    case TaskStatus::kSucceeded:
      return "succeeded";
    case TaskStatus::kFailed:
      return "failed";
    case TaskStatus::kSkippedNeedsAgent:
      return "skipped";
    case TaskStatus::kAlreadyPresent:
      return "already_present";
    case TaskStatus::kRefused:
      return "refused";
  }
  return "failed";
}

namespace {

// ------------------------------------------------------------ artefacts

// A template-engine control line left in content: {{else}}, {{#if x}}, {{/each}} ...
bool is_template_control(std::string_view line) {
  std::string_view t = text::trim(line);
  if (t.size() < 5 || t.substr(0, 2) != "{{" || !ends_with(t, "}}")) return false;
  std::string_view inner = text::trim(t.substr(2, t.size() - 4));
  if (inner.empty()) return false;
  return inner[0] == '#' || inner[0] == '/' || inner[0] == '^' || inner.rfind("else", 0) == 0;
}

struct Artefact {
  std::string text;
  int content_line = 0;
  int pack_line = 0;  // 0 when found by our own rule
};

std::optional<Artefact> find_artefact(const std::string& content, const PackTask& pt) {
  // The lines the pack reader flagged, looked up in the section's markdown.
  std::vector<std::pair<std::string, int>> flagged;
  auto raw = text::split_lines(pt.raw);
  for (const auto& d : pt.artefacts) {
    int idx = d.line - pt.line;
    if (idx < 0 || idx >= static_cast<int>(raw.size())) continue;
    std::string_view t = text::trim(raw[static_cast<std::size_t>(idx)].text);
    if (!t.empty()) flagged.emplace_back(std::string(t), d.line);
  }
  for (const auto& l : text::split_lines(content)) {
    std::string_view t = text::trim(l.text);
    if (t.empty()) continue;
    for (const auto& [ft, pl] : flagged) {
      if (t == ft) return Artefact{ft, l.number, pl};
    }
    if (is_template_control(t)) return Artefact{std::string(t), l.number, 0};
  }
  return std::nullopt;
}

// ------------------------------------------------------------ the executor

class Applier {
 public:
  Applier(const plan::PlannedTask& task, const PackTask& pt, const ApplyOptions& opt, FileTxn& txn)
      : task_(task), pt_(pt), opt_(opt), txn_(txn) {}

  TaskOutcome run();

 private:
  TaskOutcome& fail_with(std::string error, std::string file, int line, std::string hint) {
    (void)txn_.rollback();
    out_.status = TaskStatus::kFailed;
    out_.error = std::move(error);
    out_.file = std::move(file);
    out_.line = line;
    if (pt_.suggestions.empty()) {
      out_.suggested_fix = std::move(hint);
    } else {
      out_.suggested_fix = pt_.suggestions.front();
    }
    out_.files_created.clear();
    out_.files_modified.clear();
    out_.files_renamed.clear();
    out_.skeletons.clear();
    return out_;
  }
  // The same, for what the executor declines to write on purpose.
  TaskOutcome& refuse_with(std::string error, std::string file, int line, std::string hint) {
    fail_with(std::move(error), std::move(file), line, std::move(hint));
    out_.status = TaskStatus::kRefused;
    return out_;
  }
  bool writable(const plan::PlannedFile& f) const {
    if (f.action == plan::Action::kNone || f.action == plan::Action::kRename) return false;
    return f.has_content || (f.skeleton && opt_.apply_skeletons && !f.content.empty());
  }
  std::string new_file_eol(const std::string& rel) const {
    std::string eol = opt_.line_ending ? opt_.line_ending(rel) : std::string("\n");
    return eol == "\r\n" ? eol : std::string("\n");
  }
  bool create_category() const {
    return task_.category == Unit::kNotImplemented || task_.category == Unit::kMissingTests ||
           task_.category == Unit::kMissingCode;
  }

  // Each returns false after fail_with.
  bool create_file(const plan::PlannedFile& f, const std::string& rel);
  bool add_to_file(const plan::PlannedFile& f, const std::string& rel, bool* present);
  TaskOutcome& naming();
  TaskOutcome& finish(const std::vector<std::string>& written);
  // Nothing to write: the task needs an agent, and why.
  TaskOutcome& needs_agent();
  // Writes the checked files (created, or added to).
  TaskOutcome& write(const std::vector<std::pair<const plan::PlannedFile*, std::string>>& todo);

  const plan::PlannedTask& task_;
  const PackTask& pt_;
  const ApplyOptions& opt_;
  FileTxn& txn_;
  TaskOutcome out_;
};

bool Applier::create_file(const plan::PlannedFile& f, const std::string& rel) {
  std::string lf = text::crlf_to_lf(f.content);
  if (!lf.empty() && lf.back() != '\n') lf += '\n';
  auto existing = txn_.read(rel);
  if (!existing) {
    fail_with(existing.error().to_string(), rel, 0, "");
    return false;
  }
  if (*existing) {
    const std::string& old = **existing;
    if (text::crlf_to_lf(old) == lf) {
      out_.notes.push_back(rel + ": identical, nothing written");
      return true;
    }
    if (!opt_.overwrite) {
      refuse_with(rel + ": exists, would overwrite", rel, 0,
                  "rerun with --overwrite to replace it, or remove it first");
      return false;
    }
    // Overwriting follows the existing file's line endings.
    if (auto r = txn_.write_file(rel, with_eol(lf, detect_eol(old))); !r) {
      fail_with(r.error().to_string(), rel, 0, "");
      return false;
    }
    out_.files_modified.push_back(rel);
  } else {
    if (auto r = txn_.write_file(rel, with_eol(lf, new_file_eol(rel))); !r) {
      fail_with(r.error().to_string(), rel, 0, "");
      return false;
    }
    out_.files_created.push_back(rel);
  }
  if (!f.has_content && f.skeleton) {
    out_.skeletons.push_back(rel);
  }
  return true;
}

bool Applier::add_to_file(const plan::PlannedFile& f, const std::string& rel, bool* present) {
  auto existing = txn_.read(rel);
  if (!existing) {
    fail_with(existing.error().to_string(), rel, 0, "");
    return false;
  }
  if (!*existing) {
    fail_with(rel + ": file not found", rel, 0,
              "create " + rel + " first, or correct the path in the pack");
    return false;
  }
  const std::string& old = **existing;
  std::string old_lf = text::crlf_to_lf(old);
  std::string snippet = trim_blank_lines(text::crlf_to_lf(f.content));
  bool already = !snippet.empty() && old_lf.find(snippet) != std::string::npos;
  if (!already && f.role != FileRole::kTest) {
    if (pt_.symbol && !pt_.symbol->empty()) {
      already = contains_symbol(old, *pt_.symbol);
    } else if (pt_.contains && !pt_.contains->empty()) {
      already = old_lf.find(text::crlf_to_lf(*pt_.contains)) != std::string::npos;
    }
  }
  if (already) {
    *present = true;
    out_.notes.push_back("already present: " + rel);
    return true;
  }
  std::string updated = add_snippet_for(rel, old, snippet, f.lang);
  if (updated == old) {  // every part of the snippet is there already
    *present = true;
    out_.notes.push_back("already present: " + rel);
    return true;
  }
  if (auto r = txn_.write_file(rel, updated); !r) {
    fail_with(r.error().to_string(), rel, 0, "");
    return false;
  }
  out_.files_modified.push_back(rel);
  if (!f.has_content && f.skeleton) {
    out_.skeletons.push_back(rel);
  }
  return true;
}

TaskOutcome& Applier::naming() {
  bool renamed = false;
  bool all_present = !task_.files.empty();
  for (const auto& f : task_.files) {
    auto to = confine(opt_.root, f.path);
    if (!to) return fail_with(to.error().message, f.path, 0, "correct the path in the pack");
    if (f.action == plan::Action::kRename) {
      all_present = false;
      auto from = confine(opt_.root, f.from);
      if (!from) return fail_with(from.error().message, f.from, 0, "correct the path in the pack");
      if (auto r = txn_.rename(from->rel, to->rel); !r) {
        return fail_with(r.error().to_string(), r.error().file, 0,
                         "rename the file by hand or correct the pack");
      }
      out_.files_renamed.emplace_back(from->rel, to->rel);
      renamed = true;
      continue;
    }
    auto existing = txn_.read(to->rel);
    if (existing && *existing) {
      out_.notes.push_back("already present: " + to->rel);
      continue;
    }
    all_present = false;
    std::string list;
    for (const auto& c : f.candidates) list += (list.empty() ? "" : ", ") + c;
    if (task_.evidence_update) {
      // The pack's option A: the evidence path in tasks.md would be updated.
      std::string why =
          f.candidates.empty()
              ? to->rel +
                    ": no similar file to point the evidence at (the pack names none that exists)"
              : to->rel + ": " + std::to_string(f.candidates.size()) +
                    " similar files, cannot choose which to point the evidence at (" + list + ")";
      return fail_with(why, to->rel, 0,
                       "point the evidence path in tasks.md at the right file by hand, or rerun "
                       "with --rename-files");
    }
    std::string why = f.candidates.empty()
                          ? to->rel + ": no similar file to rename"
                          : to->rel + ": " + std::to_string(f.candidates.size()) +
                                " similar files, cannot choose which to rename (" + list + ")";
    return fail_with(why, to->rel, 0, "rename the right file to " + to->rel + " by hand");
  }
  if (task_.files.empty()) {
    return fail_with("no path to rename to in the pack or in tasks.md", pt_.source, pt_.line,
                     "name the expected path in the pack");
  }
  if (all_present && !renamed) {
    out_.status = TaskStatus::kAlreadyPresent;
    return out_;
  }
  out_.status = TaskStatus::kSucceeded;
  return out_;
}

TaskOutcome& Applier::finish(const std::vector<std::string>& written) {
  if (opt_.syntax_check && !written.empty()) {
    SyntaxReport rep = opt_.syntax != nullptr ? opt_.syntax->check(written)
                                              : check_syntax(opt_.root, written, opt_.extra_checks);
    out_.notes.insert(out_.notes.end(), rep.notes.begin(), rep.notes.end());
    if (!rep.errors.empty()) {
      const SyntaxError& e = rep.errors.front();
      auto notes = out_.notes;
      fail_with(describe(e), e.path, e.line,
                "fix the code for " + e.path + " in " + pt_.source + " and rerun");
      out_.notes = std::move(notes);
      return out_;
    }
  }
  return out_;
}

TaskOutcome Applier::run() {
  // A path the plan refused (util/path_rules.hpp, a submodule, filter=lfs)
  // fails the task before anything is written.
  for (const auto& f : task_.files) {
    if (!f.refused.empty()) {
      return fail_with(paths::printable(f.path) + ": " + f.refused, f.path, 0,
                       "correct the path in the pack");
    }
  }
  if (task_.category == Unit::kNamingIssue) return naming();

  // Check everything before writing anything.
  std::vector<std::pair<const plan::PlannedFile*, std::string>> todo;
  for (const auto& f : task_.files) {
    if (!writable(f)) {
      if (f.skeleton && !opt_.apply_skeletons) {
        out_.notes.push_back(f.path + ": skeleton only, not written (--apply-skeletons)");
      }
      continue;
    }
    auto c = confine(opt_.root, f.path);
    if (!c) return refuse_with(c.error().message, f.path, 0, "correct the path in the pack");
    // Artefacts between the fences that make up the content mean the template
    // engine left several alternatives ({{#if}} … {{else}} …): ambiguous.
    for (const auto& d : pt_.artefacts) {
      if (f.content_first_line == 0 || d.line < f.content_first_line ||
          d.line > f.content_last_line)
        continue;
      return refuse_with(
          c->rel + ": " + d.message + " between the content fences (" + pt_.source + ":" +
              std::to_string(d.line) + "): the pack's content is ambiguous; nothing written",
          c->rel, 0, "remove the template artefacts from the pack, or regenerate it");
    }
    if (auto a = find_artefact(f.content, pt_)) {
      std::string where = a->pack_line > 0
                              ? " (" + pt_.source + ":" + std::to_string(a->pack_line) + ")"
                              : std::string();
      return refuse_with(c->rel + ": template artefact '" + a->text + "' in the content" + where +
                             "; nothing written",
                         c->rel, a->content_line,
                         "remove the template artefact from the pack, or regenerate the pack");
    }
    todo.emplace_back(&f, c->rel);
  }
  if (todo.empty()) return needs_agent();
  return write(todo);
}

TaskOutcome& Applier::needs_agent() {
  out_.status = TaskStatus::kSkippedNeedsAgent;
  // Why, from the plan's notes ("the pack gives only a skeleton", "fence
  // language python does not fit src/a.ts; not written").
  std::string why;
  for (const auto& n : task_.notes) {
    std::string_view v = n;
    if (v.rfind("needs an agent: ", 0) == 0)
      v.remove_prefix(16);
    else if (v.find("fence language ") == std::string_view::npos)
      continue;
    why += (why.empty() ? "" : "; ") + std::string(v);
  }
  out_.error = why.empty() ? "needs an agent (--agent)" : why;
  out_.notes.insert(out_.notes.end(), task_.notes.begin(), task_.notes.end());
  return out_;
}

TaskOutcome& Applier::write(
    const std::vector<std::pair<const plan::PlannedFile*, std::string>>& todo) {
  std::vector<std::string> written;
  std::size_t present = 0;
  for (const auto& [f, rel] : todo) {
    if (create_category()) {
      if (!create_file(*f, rel)) return out_;
    } else {
      bool here = false;
      if (!add_to_file(*f, rel, &here)) return out_;
      if (here) ++present;
    }
  }
  for (const auto& p : out_.files_created) written.push_back(p);
  for (const auto& p : out_.files_modified) written.push_back(p);
  out_.status = present == todo.size() ? TaskStatus::kAlreadyPresent : TaskStatus::kSucceeded;
  return finish(written);
}

}  // namespace

TaskOutcome apply_task(const plan::PlannedTask& task, const PackTask& pack_task,
                       const ApplyOptions& options, FileTxn& txn) {
  return Applier(task, pack_task, options, txn).run();
}

}  // namespace smartspec::exec
