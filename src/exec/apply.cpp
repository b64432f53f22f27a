#include "smartspec/exec/apply.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

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

// ------------------------------------------------------------ text helpers

std::string with_eol(std::string_view lf_text, std::string_view eol) {
  if (eol == "\n") return std::string(lf_text);
  std::string out;
  out.reserve(lf_text.size() + lf_text.size() / 16);
  for (char c : lf_text) {
    if (c == '\n') {
      out += eol;
    } else {
      out += c;
    }
  }
  return out;
}

// The file's line ending: CRLF when most of its line ends are CRLF.
std::string detect_eol(std::string_view s) {
  std::size_t crlf = 0, lf = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\n') continue;
    if (i > 0 && s[i - 1] == '\r') {
      ++crlf;
    } else {
      ++lf;
    }
  }
  return crlf > lf ? "\r\n" : "\n";
}

// Leading and trailing blank lines removed; LF endings; no final newline.
std::string trim_blank_lines(std::string_view lf_text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= lf_text.size()) {
    std::size_t nl = lf_text.find('\n', start);
    lines.push_back(
        lf_text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  std::size_t b = 0, e = lines.size();
  while (b < e && text::trim(lines[b]).empty()) ++b;
  while (e > b && text::trim(lines[e - 1]).empty()) --e;
  std::string out;
  for (std::size_t i = b; i < e; ++i) {
    if (i > b) out += '\n';
    out += lines[i];
  }
  return out;
}

bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_python_path(const std::string& path, const std::string& lang) {
  std::string p = text::to_lower(path);
  if (ends_with(p, ".py") || ends_with(p, ".pyi")) return true;
  return p.rfind('.') == std::string::npos && (lang == "python" || lang == "py");
}

bool is_shell_path(const std::string& path, std::string_view existing) {
  std::string p = text::to_lower(path);
  for (const char* e : {".sh", ".bash", ".zsh", ".ksh", ".bats"})
    if (ends_with(p, e)) return true;
  if (p.rfind('.') != std::string::npos && p.rfind('.') > p.rfind('/') + 1) return false;
  std::string_view first = existing.substr(0, existing.find('\n'));
  return first.rfind("#!", 0) == 0 && (first.find("sh") != std::string_view::npos);
}

// ------------------------------------------------------------ python layout

struct PyLine {
  std::string_view text;  // without terminator
  std::size_t end = 0;    // offset just after its terminator
};

std::vector<PyLine> py_lines(std::string_view s) {
  std::vector<PyLine> out;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t nl = s.find('\n', start);
    std::size_t stop = nl == std::string_view::npos ? s.size() : nl;
    std::string_view t = s.substr(start, stop - start);
    if (!t.empty() && t.back() == '\r') t.remove_suffix(1);
    out.push_back({t, nl == std::string_view::npos ? s.size() : nl + 1});
    start = stop + 1;
  }
  return out;
}

bool is_import_start(std::string_view line) {
  // Top level only: no indentation.
  if (line.rfind("import ", 0) == 0) return true;
  if (line.rfind("from ", 0) == 0) return line.find(" import") != std::string_view::npos;
  return false;
}

// Index of the last line of the import statement starting at line i.
std::size_t import_statement_end(const std::vector<PyLine>& lines, std::size_t i) {
  int depth = 0;
  for (std::size_t k = i; k < lines.size(); ++k) {
    std::string_view t = lines[k].text;
    std::size_t hash = t.find('#');
    std::string_view code = hash == std::string_view::npos ? t : t.substr(0, hash);
    for (char c : code) {
      if (c == '(') ++depth;
      if (c == ')') --depth;
    }
    bool continued = depth > 0 || ends_with(text::trim_right(code), "\\");
    if (!continued) return k;
  }
  return lines.size() - 1;
}

// Index just past a module docstring starting at line i (0 when none there).
std::size_t docstring_end(const std::vector<PyLine>& lines, std::size_t i) {
  std::string_view t = text::trim(lines[i].text);
  std::size_t p = 0;
  while (p < t.size() && p < 2 && std::string_view("rRuUbB").find(t[p]) != std::string_view::npos)
    ++p;
  std::string_view rest = t.substr(p);
  for (std::string_view q : {std::string_view("\"\"\""), std::string_view("'''")}) {
    if (rest.rfind(q, 0) != 0) continue;
    if (rest.size() >= 6 && rest.find(q, 3) != std::string_view::npos) return i + 1;
    for (std::size_t k = i + 1; k < lines.size(); ++k) {
      if (lines[k].text.find(q) != std::string_view::npos) return k + 1;
    }
    return lines.size();
  }
  if (!rest.empty() && (rest[0] == '"' || rest[0] == '\'')) return i + 1;  // one-line string
  return 0;
}

bool is_blank_or_comment(std::string_view line) {
  std::string_view t = text::trim(line);
  return t.empty() || t.front() == '#';
}

// Splits a Python snippet (LF) into its leading import statements and the rest.
std::pair<std::vector<std::string>, std::string> split_snippet_imports(const std::string& lf) {
  auto lines = py_lines(lf);
  std::vector<std::string> imports;
  std::size_t i = 0;
  std::size_t consumed = 0;  // lines taken into `imports`
  std::string comments;      // comment lines waiting for the import they annotate
  while (i < lines.size()) {
    std::string_view t = text::trim(lines[i].text);
    if (t.empty()) {
      ++i;
      continue;
    }
    if (t.front() == '#') {  // a comment goes with the import it stands above
      comments += std::string(lines[i].text) + "\n";
      ++i;
      continue;
    }
    if (!is_import_start(lines[i].text)) break;
    std::size_t e = import_statement_end(lines, i);
    std::string stmt = comments;
    comments.clear();
    for (std::size_t k = i; k <= e; ++k) stmt += std::string(lines[k].text) + "\n";
    imports.push_back(std::move(stmt));
    i = e + 1;
    consumed = i;
  }
  std::size_t offset = consumed == 0 ? 0 : lines[consumed - 1].end;
  return {std::move(imports), lf.substr(std::min(offset, lf.size()))};
}

// Whether the import statement (LF, ending "\n") is already in the file.
bool import_present(std::string_view existing_lf, const std::string& with_comments) {
  std::string stmt;
  for (const auto& l : py_lines(with_comments))
    if (text::trim(l.text).rfind('#', 0) != 0) stmt += std::string(l.text) + "\n";
  if (stmt.empty()) return true;
  std::string_view body(stmt);
  body.remove_suffix(1);
  if (body.find('\n') != std::string_view::npos) {
    return existing_lf.find(body) != std::string_view::npos;
  }
  for (const auto& l : py_lines(existing_lf)) {
    if (text::trim(l.text) == text::trim(body)) return true;
  }
  return false;
}

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
  if (todo.empty()) {
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

std::size_t python_import_insert_offset(std::string_view source) {
  auto lines = py_lines(source);
  std::size_t i = 0;
  std::size_t header_end = 0;  // after leading comments and the docstring
  // Leading comments (shebang, coding, licence) and blank lines.
  while (i < lines.size() && is_blank_or_comment(lines[i].text)) {
    if (!text::trim(lines[i].text).empty()) header_end = lines[i].end;
    ++i;
  }
  if (i < lines.size()) {
    if (std::size_t d = docstring_end(lines, i); d > 0) {
      header_end = lines[d - 1].end;
      i = d;
    }
  }
  std::size_t last_import_end = 0;
  bool any = false;
  while (i < lines.size()) {
    if (is_blank_or_comment(lines[i].text)) {
      ++i;
      continue;
    }
    if (!is_import_start(lines[i].text)) break;
    std::size_t e = import_statement_end(lines, i);
    last_import_end = lines[e].end;
    any = true;
    i = e + 1;
  }
  return any ? last_import_end : header_end;
}

namespace {

bool is_shell_header_line(std::string_view t) {
  return t.rfind("#!", 0) == 0 || t == "set" || t.rfind("set -", 0) == 0 ||
         t.rfind("set +", 0) == 0;
}

bool is_final_exit(std::string_view line) {
  // Top level only: an indented exit belongs to a function or a branch.
  if (line.rfind("exit", 0) != 0) return false;
  return line.size() == 4 || line[4] == ' ' || line[4] == '\t' || line[4] == ';';
}

// Shell: the snippet's shebang and `set` lines join the script's header when
// missing (never repeated); the rest goes before a final top-level `exit`,
// else at the end.
std::string add_shell_snippet(std::string_view existing, const std::string& lf_snippet) {
  const std::string eol = existing.empty() ? std::string("\n") : detect_eol(existing);
  const bool final_newline = existing.empty() || existing.back() == '\n';
  auto file = py_lines(existing);
  auto snip = py_lines(lf_snippet);
  std::vector<std::string> header;
  std::size_t i = 0;
  for (; i < snip.size(); ++i) {
    std::string_view t = text::trim(snip[i].text);
    if (t.empty()) continue;
    if (!is_shell_header_line(t)) break;
    if (t.rfind("#!", 0) == 0) continue;  // the script has its own interpreter line (or none)
    bool present = false;
    for (const auto& l : file) present = present || text::trim(l.text) == t;
    if (!present) header.emplace_back(t);
  }
  std::string body = trim_blank_lines(lf_snippet.substr(i == 0 ? 0 : snip[i - 1].end));
  if (!body.empty() && text::crlf_to_lf(existing).find(body) != std::string::npos) body.clear();
  std::string out(existing);
  // Header lines after the script's own shebang/set lines.
  std::size_t header_end = 0;
  for (const auto& l : file) {
    std::string_view t = text::trim(l.text);
    if (!is_shell_header_line(t)) break;
    header_end = l.end;
  }
  std::size_t shift = 0;
  if (!header.empty()) {
    std::string ins;
    for (const auto& h : header) ins += h + eol;
    if (header_end > 0 && existing[header_end - 1] != '\n') ins = eol + ins;
    out.insert(header_end, ins);
    shift = ins.size();
  }
  if (body.empty()) return out;
  // A final top-level exit: the addition goes before it.
  std::size_t exit_at = std::string::npos;
  for (std::size_t k = file.size(); k-- > 0;) {
    std::string_view t = text::trim(file[k].text);
    if (t.empty() || t.front() == '#') continue;
    if (is_final_exit(file[k].text)) exit_at = (k == 0 ? 0 : file[k - 1].end) + shift;
    break;
  }
  std::string add = with_eol(body, eol);
  if (exit_at != std::string::npos) {
    std::string pre = out.substr(0, exit_at), post = out.substr(exit_at);
    if (!pre.empty() && pre.back() != '\n') pre += eol;
    std::string blank = eol + eol;
    if (!pre.empty() && (pre.size() < blank.size() ||
                         pre.compare(pre.size() - blank.size(), blank.size(), blank) != 0))
      pre += eol;
    return pre + add + eol + eol + post;
  }
  if (!out.empty()) {
    if (out.back() != '\n') out += eol;
    std::string blank = eol + eol;
    if (out.size() < blank.size() ||
        out.compare(out.size() - blank.size(), blank.size(), blank) != 0)
      out += eol;
  }
  out += add;
  if (final_newline) out += eol;
  return out;
}

bool is_js_import(std::string_view t) {
  return t.rfind("import ", 0) == 0 || t.rfind("import{", 0) == 0 ||
         ((t.rfind("const ", 0) == 0 || t.rfind("let ", 0) == 0 || t.rfind("var ", 0) == 0) &&
          t.find("require(") != std::string_view::npos);
}

// JavaScript/TypeScript: the snippet's leading import lines go after the
// file's import block (never twice); the rest at the end.
std::string add_js_snippet(std::string_view existing, const std::string& lf_snippet) {
  const std::string eol = existing.empty() ? std::string("\n") : detect_eol(existing);
  auto file = py_lines(existing);
  auto snip = py_lines(lf_snippet);
  std::string imports;
  std::size_t i = 0;
  for (; i < snip.size(); ++i) {
    std::string_view t = text::trim(snip[i].text);
    if (t.empty()) continue;
    if (!is_js_import(t)) break;
    bool present = false;
    for (const auto& l : file) present = present || text::trim(l.text) == t;
    if (!present) imports += std::string(t) + eol;
  }
  std::string body = trim_blank_lines(lf_snippet.substr(i == 0 ? 0 : snip[i - 1].end));
  std::string out(existing);
  if (!imports.empty()) {
    // After the last import of the file's leading block ("import {" … "} from 'x';" spans lines).
    std::size_t at = 0;
    for (std::size_t k = 0; k < file.size(); ++k) {
      std::string_view t = text::trim(file[k].text);
      if (t.empty() || t.rfind("//", 0) == 0 || t.rfind("/*", 0) == 0 || t.rfind('*', 0) == 0 ||
          t.rfind("#!", 0) == 0 || t == "'use strict';" || t == "\"use strict\";") {
        if (at == 0 && !t.empty()) at = file[k].end;  // keep a header above the imports
        continue;
      }
      if (!is_js_import(t)) break;
      std::size_t e = k;
      if (t.find(" from ") == std::string_view::npos &&
          t.find("require(") == std::string_view::npos && t.find('{') != std::string_view::npos &&
          t.find('}') == std::string_view::npos) {
        while (e + 1 < file.size() &&
               text::trim(file[e].text).find(" from ") == std::string_view::npos &&
               text::trim(file[e].text).rfind('}', 0) != 0)
          ++e;
      }
      at = file[e].end;
      k = e;
    }
    if (at > 0 && out[at - 1] != '\n') imports = eol + imports;
    out.insert(at, imports);
  }
  if (!body.empty() && text::crlf_to_lf(existing).find(body) != std::string::npos) body.clear();
  if (body.empty()) return out;
  const bool final_newline = existing.empty() || existing.back() == '\n';
  if (!out.empty()) {
    if (out.back() != '\n') out += eol;
    std::string blank = eol + eol;
    if (out.size() < blank.size() ||
        out.compare(out.size() - blank.size(), blank.size(), blank) != 0)
      out += eol;
  }
  out += with_eol(body, eol);
  if (final_newline) out += eol;
  return out;
}

bool is_js_path(const std::string& path) {
  std::string p = text::to_lower(path);
  for (const char* e : {".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts"})
    if (ends_with(p, e)) return true;
  return false;
}

}  // namespace

std::string add_snippet(std::string_view existing, std::string_view snippet, bool python,
                        bool shell) {
  if (shell) return add_shell_snippet(existing, trim_blank_lines(text::crlf_to_lf(snippet)));
  return add_snippet(existing, snippet, python);
}

std::string add_snippet_for(const std::string& path, std::string_view existing,
                            std::string_view snippet, const std::string& lang) {
  if (is_js_path(path))
    return add_js_snippet(existing, trim_blank_lines(text::crlf_to_lf(snippet)));
  return add_snippet(existing, snippet, is_python_path(path, lang), is_shell_path(path, existing));
}

std::string add_snippet(std::string_view existing, std::string_view snippet, bool python) {
  const std::string eol = existing.empty() ? std::string("\n") : detect_eol(existing);
  const bool final_newline = existing.empty() || existing.back() == '\n';
  std::string lf = trim_blank_lines(text::crlf_to_lf(snippet));
  std::string body = lf;
  std::string imports;
  std::string out(existing);
  if (python) {
    auto [stmts, rest] = split_snippet_imports(lf);
    std::string existing_lf = text::crlf_to_lf(existing);
    for (const auto& s : stmts) {
      if (!import_present(existing_lf, s)) imports += s;
    }
    body = trim_blank_lines(rest);
    // What the file already holds is never added twice.
    if (!body.empty() && existing_lf.find(body) != std::string::npos) body.clear();
    if (!imports.empty()) {
      std::size_t at = python_import_insert_offset(existing);
      std::string ins = with_eol(imports, eol);
      if (at > 0 && existing[at - 1] != '\n') ins = eol + ins;
      out.insert(at, ins);
      if (!final_newline && at == existing.size() && body.empty()) {
        out.resize(out.size() - eol.size());  // keep "no final newline"
      }
    }
  }
  if (body.empty()) return out;
  if (!out.empty()) {
    if (out.back() != '\n') out += eol;
    // One blank line between the existing code and the addition.
    std::string blank = eol + eol;
    if (out.size() < blank.size() ||
        out.compare(out.size() - blank.size(), blank.size(), blank) != 0) {
      if (out != eol) out += eol;
    }
  }
  out += with_eol(body, eol);
  if (final_newline) out += eol;
  return out;
}

bool contains_symbol(std::string_view text, std::string_view symbol) {
  if (symbol.empty()) return false;
  std::size_t pos = 0;
  while ((pos = text.find(symbol, pos)) != std::string_view::npos) {
    bool left = pos == 0 || !is_ident_char(text[pos - 1]);
    std::size_t end = pos + symbol.size();
    bool right = end >= text.size() || !is_ident_char(text[end]);
    if (left && right) return true;
    ++pos;
  }
  return false;
}

TaskOutcome apply_task(const plan::PlannedTask& task, const PackTask& pack_task,
                       const ApplyOptions& options, FileTxn& txn) {
  return Applier(task, pack_task, options, txn).run();
}

}  // namespace smartspec::exec
