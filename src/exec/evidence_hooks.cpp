#include "smartspec/exec/evidence_hooks.hpp"

#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::exec {

namespace {

// One line of the file with its terminator kept apart, so the text can be
// rebuilt byte for byte.
struct RawLine {
  std::string_view body;  // without terminator
  std::string_view eol;   // "\n", "\r\n" or "" (last line without newline)
};

std::vector<RawLine> split_raw(std::string_view s) {
  std::vector<RawLine> out;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) {
      out.push_back({s.substr(start), {}});
      break;
    }
    std::size_t end = nl;
    if (end > start && s[end - 1] == '\r') --end;
    out.push_back({s.substr(start, end - start), s.substr(end, nl + 1 - end)});
    start = nl + 1;
  }
  return out;
}

std::string_view leading_ws(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(0, i);
}

// The task id on this line, as tasks::parse reads it; empty when not a task line.
std::string task_id_of(std::string_view line) {
  auto doc = tasks::parse(line, "");
  if (!doc || doc->tasks.empty()) return {};
  return doc->tasks.front().id;
}

// "evidence:" after optional indentation and an optional "-" bullet.
bool is_evidence_line(std::string_view line, std::string* prefix) {
  std::size_t p = leading_ws(line).size();
  if (p < line.size() && line[p] == '-') {
    ++p;
    while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
  }
  if (!text::starts_with_icase(line.substr(p), "evidence:")) return false;
  if (prefix != nullptr) *prefix = std::string(line.substr(0, p));
  return true;
}

struct Located {
  std::vector<RawLine> lines;
  std::size_t index = 0;  // of the task line
  TaskLine task;
};

Result<Located> locate(std::string_view text, const std::string& task_id, const std::string& path) {
  TRY(auto doc, tasks::parse(text, path));
  const TaskLine* t = doc.find(task_id);
  if (t == nullptr) return fail(path, 0, "task " + task_id + " not found");
  Located out;
  out.task = *t;
  out.lines = split_raw(text::strip_bom(text));
  for (std::size_t i = 0; i < out.lines.size(); ++i) {
    if (task_id_of(out.lines[i].body) == task_id) {
      out.index = i;
      return out;
    }
  }
  return fail(path, t->line, "task " + task_id + " not found");
}

std::string rebuild(std::string_view text, const std::vector<RawLine>& lines,
                    std::size_t insert_after, const std::string& inserted) {
  std::string out(text.substr(0, text.size() - text::strip_bom(text).size()));  // the BOM
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += lines[i].body;
    out += lines[i].eol;
    if (i == insert_after) out += inserted;
  }
  return out;
}

}  // namespace

std::vector<Evidence> canonical_evidence(const std::string& code,
                                         const std::optional<std::string>& symbol,
                                         const std::string& test) {
  std::vector<Evidence> out;
  if (!code.empty()) {
    Evidence e;
    e.type = "code";
    e.fields.emplace_back("path", code);
    if (symbol && !symbol->empty()) e.fields.emplace_back("symbol", *symbol);
    out.push_back(std::move(e));
  }
  if (!test.empty()) {
    Evidence e;
    e.type = "test";
    e.fields.emplace_back("path", test);
    out.push_back(std::move(e));
  }
  return out;
}

std::string evidence_payload(const Evidence& e) {
  std::string out = e.type;
  for (const auto& [k, v] : e.fields) out += " " + k + "=" + tasks::shell_quote(v);
  return out;
}

Result<std::string> ensure_evidence(std::string_view text, const std::string& task_id,
                                    const std::vector<Evidence>& entries, const std::string& path) {
  TRY(auto loc, locate(text, task_id, path));
  if (loc.task.evidence_lines > 0 || entries.empty()) return std::string(text);

  const auto& lines = loc.lines;
  std::string_view task_indent = leading_ws(lines[loc.index].body);

  // The file's style: the first evidence line that follows a task line.
  std::string prefix = std::string(task_indent) + "  ";
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string p;
    if (!is_evidence_line(lines[i].body, &p)) continue;
    std::size_t j = i;
    while (j > 0 && task_id_of(lines[j - 1].body).empty()) --j;
    if (j == 0) continue;
    std::string_view their_indent = leading_ws(lines[j - 1].body);
    if (p.size() > their_indent.size() && p.substr(0, their_indent.size()) == their_indent) {
      prefix = std::string(task_indent) + p.substr(their_indent.size());
    }
    break;
  }

  // After the lines that belong to the task: non-blank, more indented, not a task.
  std::size_t last = loc.index;
  for (std::size_t i = loc.index + 1; i < lines.size(); ++i) {
    std::string_view body = lines[i].body;
    if (text::trim(body).empty() || leading_ws(body).size() <= task_indent.size() ||
        !task_id_of(body).empty()) {
      break;
    }
    last = i;
  }

  std::string eol(lines[loc.index].eol);
  if (eol.empty()) eol = text.find("\r\n") != std::string_view::npos ? "\r\n" : "\n";
  std::string inserted;
  bool at_end_without_newline = lines[last].eol.empty();
  for (std::size_t k = 0; k < entries.size(); ++k) {
    if (at_end_without_newline) inserted += eol;  // the old last line gets its newline
    inserted += prefix + "evidence: " + evidence_payload(entries[k]);
    if (!at_end_without_newline) inserted += eol;
  }
  return rebuild(text, lines, last, inserted);
}

Result<std::string> mark_done(std::string_view text, const std::string& task_id,
                              const std::string& path) {
  TRY(auto loc, locate(text, task_id, path));
  if (loc.task.checked) return std::string(text);
  std::string_view body = loc.lines[loc.index].body;
  std::size_t box = body.find('[');
  std::string line(body);
  line[box + 1] = 'x';
  std::size_t offset = static_cast<std::size_t>(body.data() - text.data());
  std::string out(text);
  out.replace(offset, line.size(), line);
  return out;
}

}  // namespace smartspec::exec
