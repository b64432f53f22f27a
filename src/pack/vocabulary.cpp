// The heading vocabulary (see vocabulary.hpp).
#include "pack/vocabulary.hpp"

#include <cctype>

namespace smartspec::pack {

using std::string;
using std::string_view;

// "Task N: ID - Title", "Task: ID", "Task #3: ID", "Task 3 : ID Title".
std::optional<TaskHeader> parse_task_header(const Heading& h) {
  string_view t = h.text;
  if (!text::starts_with_icase(t, "task")) return std::nullopt;
  t.remove_prefix(4);
  if (!t.empty() && (std::isalnum(static_cast<unsigned char>(t.front())) || t.front() == '_'))
    return std::nullopt;  // "Tasks", "Taskforce"
  t = text::trim_left(t);
  TaskHeader out;
  out.level = h.level;
  if (!t.empty() && t.front() == '#') t.remove_prefix(1);
  if (!t.empty() && is_digit(t.front())) {
    int n = 0;
    while (!t.empty() && is_digit(t.front())) {
      if (n < 100000000) n = n * 10 + (t.front() - '0');
      t.remove_prefix(1);
    }
    out.number = n;
    out.numbered = true;
    t = text::trim_left(t);
  }
  if (t.empty() || t.front() != ':') return std::nullopt;
  t = text::trim(t.substr(1));
  std::size_t sp = 0;
  while (sp < t.size() && !is_space(t[sp])) ++sp;
  string_view id = strip_decoration(t.substr(0, sp));
  if (id.empty()) return std::nullopt;
  out.id = string(id);
  string_view rest = text::trim(t.substr(sp));
  for (string_view sep : {string_view("-"), string_view("\xE2\x80\x93"),
                          string_view("\xE2\x80\x94"), string_view(":")}) {
    if (rest.substr(0, sep.size()) == sep) {
      rest = text::trim(rest.substr(sep.size()));
      break;
    }
  }
  out.title = string(rest);
  return out;
}

// Test files by name: tests/ or test/ directories, test_*.py, *_test.*, *.test.*, *.spec.*.
bool looks_like_test(string_view path) {
  string p = text::to_lower(path);
  if (p.rfind("tests/", 0) == 0 || p.rfind("test/", 0) == 0 || contains(p, "/tests/") ||
      contains(p, "/test/") || contains(p, "/__tests__/") || p.rfind("__tests__/", 0) == 0)
    return true;
  std::size_t slash = p.rfind('/');
  string_view base = string_view(p).substr(slash == string::npos ? 0 : slash + 1);
  if (base.rfind("test_", 0) == 0) return true;
  std::size_t dot = base.find('.');
  string_view stem = base.substr(0, dot);
  if (stem.size() > 5 && stem.substr(stem.size() - 5) == "_test") return true;
  if (stem.size() > 5 && stem.substr(stem.size() - 5) == "_spec") return true;
  return contains(base, ".test.") || contains(base, ".spec.");
}

// ---------------------------------------------------------------- context

// Lower-case, without emphasis markers, a leading "1." / "a)" numbering and
// leading symbols (emoji), without a trailing colon.
string normalize(string_view s) {
  string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '*' || c == '`') continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;  // ASCII only
  }
  string_view t = text::trim(out);
  while (!t.empty() && !std::isalnum(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  std::size_t i = 0;
  while (i < t.size() && is_digit(t[i])) ++i;
  if (i > 0 && i < t.size() && (t[i] == '.' || t[i] == ')')) t = text::trim_left(t.substr(i + 1));
  while (!t.empty() && (t.back() == ':' || is_space(t.back()))) t.remove_suffix(1);
  return string(t);
}

bool any_of(string_view s, std::initializer_list<string_view> words) {
  for (string_view w : words)
    if (contains(s, w)) return true;
  return false;
}

// Classifies a heading or label. `enclosing` is the heading context a label
// stands in ("Example" is content only under a content heading).
// Stays long: it is the vocabulary itself, its word lists one per line in
// precedence order; splitting it would scatter the precedence.
Context classify(string_view written, const string& n, const Context* enclosing) {
  Context c;
  c.label = string(written);
  string_view v = n;
  if (any_of(v, {"test"})) {
    c.role = Hint::kTest;
  } else if (any_of(v, {"implement", "code", "source"})) {
    c.role = Hint::kCode;
  }
  // "Step 3: Create Minimal Implementation" shows the implementation;
  // "Step 4: Run Tests" is a command.
  bool step = false;
  if (v.rfind("step", 0) == 0 && v.size() > 4 && (is_space(v[4]) || is_digit(v[4]))) {
    std::size_t i = 4;
    while (i < v.size() && is_space(v[i])) ++i;
    std::size_t d = i;
    while (i < v.size() && is_digit(v[i])) ++i;
    if (i > d) {
      step = true;
      v = text::trim_left(v.substr(i));
      while (!v.empty() && (v.front() == ':' || v.front() == '-' || v.front() == '.'))
        v = text::trim_left(v.substr(1));
    }
  }
  string_view core = v.substr(0, v.find(" ("));  // "Implementation (Green Phase)"
  core = text::trim(core);
  if (step) {
    bool shows_code = any_of(v, {"implement", "code"}) && !any_of(v, {"run", "review"});
    c.kind = shows_code ? Kind::kContent : Kind::kInstruction;
    if (shows_code && c.role == Hint::kNone) c.role = Hint::kCode;
    // The order of the tests is the vocabulary's precedence ("Template" before
    // the instruction words, the content names after them), so equal bodies
    // in different places are intended.
  } else if (contains(v, "template")) {  // NOLINT(bugprone-branch-clone)
    c.kind = Kind::kContent;
  } else if (contains(v, "example")) {
    c.kind = (enclosing != nullptr && enclosing->kind == Kind::kContent) ? Kind::kContent
                                                                         : Kind::kNeutral;
  } else if (any_of(v, {"step",
                        "verif",
                        "command",
                        "rename",
                        "usage",
                        "workflow",
                        "checklist",
                        "option",
                        "action",
                        "install",
                        "setup",
                        "review",
                        "search",
                        "alternative",
                        "evidence change",
                        "create code file",
                        "create test file",
                        "how to",
                        "troubleshoot",
                        "resolution",
                        "recommend",
                        "next"}) ||
             v.rfind("run", 0) == 0 || v.rfind("check", 0) == 0) {
    c.kind = Kind::kInstruction;
  } else if (core == "implementation" || core == "code" || core == "content" ||
             core == "contents" || core == "snippet" || core == "source" || core == "source code" ||
             core == "code snippet" || core == "full implementation" ||
             core == "complete implementation" || core == "implementation code" ||
             core == "test code" || core == "test implementation" || core == "file content" ||
             core == "file contents" || core == "new content" || core == "full code" ||
             core == "complete code" ||
             (core.size() > 7 && core.substr(core.size() - 7) == " to add") ||
             (core.size() > 10 && core.substr(core.size() - 10) == " to insert")) {
    c.kind = Kind::kContent;
  }
  if (c.kind == Kind::kNeutral && (contains(v, "file") || v.rfind("existing", 0) == 0)) {
    c.file_heading = true;
    c.existing = v.rfind("existing", 0) == 0;
  }
  return c;
}

// A non-task heading that ends a section: one at the task header's level or
// above, or the prompter's trailing "What's Next?" block at any level.
bool ends_section(const Heading& h, const string& n, int task_level) {
  if (h.level <= task_level) return true;
  return n.rfind("what's next", 0) == 0 || n.rfind("what\xE2\x80\x99s next", 0) == 0 ||
         n.rfind("whats next", 0) == 0;
}

}  // namespace smartspec::pack
