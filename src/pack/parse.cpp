// Category-file parser (docs/DESIGN.md "Prompt packs"): one linear pass over the
// lines, no regular expressions. Fences are recognised first so that nothing
// inside a fence is ever taken for a heading, a path or a label.
//
// Which fence belongs to which file is decided by the context the fence stands
// in (the nearest heading, bold label, TDD step or numbered step above it), not
// by its language tag; see classify() for the vocabulary.
#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smartspec/pack/pack.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::pack {
namespace {

using std::string;
using std::string_view;

// ---------------------------------------------------------------- lines

struct SrcLine {
  string_view text;   // without "\n" / "\r\n"
  int number = 0;     // 1-based
  std::size_t begin;  // byte offset of the line in the document
  std::size_t end;    // byte offset just past its terminator
};

std::vector<SrcLine> lines_of(string_view doc) {
  std::vector<SrcLine> out;
  out.reserve(static_cast<std::size_t>(std::count(doc.begin(), doc.end(), '\n')) + 1);
  std::size_t start = 0;
  int number = 1;
  while (start < doc.size()) {
    std::size_t nl = doc.find('\n', start);
    std::size_t stop = nl == string_view::npos ? doc.size() : nl;
    string_view t = doc.substr(start, stop - start);
    if (!t.empty() && t.back() == '\r') t.remove_suffix(1);
    std::size_t next = nl == string_view::npos ? doc.size() : nl + 1;
    out.push_back({t, number++, start, next});
    start = next;
  }
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool contains(string_view s, string_view needle) { return s.find(needle) != string_view::npos; }

bool blank(string_view s) { return text::trim(s).empty(); }

// "---", "***", "___" (three or more, spaces allowed): a thematic break.
bool thematic_break(string_view s) {
  s = text::trim(s);
  if (s.size() < 3) return false;
  char c = s.front();
  if (c != '-' && c != '*' && c != '_') return false;
  int n = 0;
  for (char x : s) {
    if (x == c) {
      ++n;
    } else if (!is_space(x)) {
      return false;
    }
  }
  return n >= 3;
}

// ---------------------------------------------------------------- headings

struct Heading {
  int level = 0;
  string_view text;  // without the hashes and a closing hash run
};

// ATX headings only ("## Text"); up to three spaces of indentation. Setext
// headings are not recognised: "text\n---" in a prompt is a separator.
std::optional<Heading> parse_heading(string_view line) {
  std::size_t i = 0;
  while (i < line.size() && i < 3 && line[i] == ' ') ++i;
  std::size_t h = i;
  while (h < line.size() && line[h] == '#') ++h;
  int level = static_cast<int>(h - i);
  if (level < 1 || level > 6) return std::nullopt;
  if (h < line.size() && !is_space(line[h])) return std::nullopt;
  string_view t = text::trim(line.substr(h));
  // Optional closing sequence: " ##".
  std::size_t k = t.size();
  while (k > 0 && t[k - 1] == '#') --k;
  if (k < t.size() && (k == 0 || is_space(t[k - 1]))) t = text::trim_right(t.substr(0, k));
  return Heading{level, t};
}

struct TaskHeader {
  int level = 0;
  int number = 0;
  string id;
  string title;
  bool numbered = false;
};

string_view strip_decoration(string_view s) {
  while (!s.empty() && (s.front() == '*' || s.front() == '`' || s.front() == '_'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == '*' || s.back() == '`' || s.back() == '_')) s.remove_suffix(1);
  return s;
}

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

// ---------------------------------------------------------------- fences

struct FenceOpen {
  char ch = '`';
  std::size_t len = 0;
  std::size_t indent = 0;
  string_view info;
};

std::optional<FenceOpen> parse_fence_open(string_view line) {
  std::size_t i = 0;
  while (i < line.size() && is_space(line[i])) ++i;
  if (i >= line.size() || (line[i] != '`' && line[i] != '~')) return std::nullopt;
  char ch = line[i];
  std::size_t j = i;
  while (j < line.size() && line[j] == ch) ++j;
  if (j - i < 3) return std::nullopt;
  string_view info = text::trim(line.substr(j));
  // A backtick fence's info string cannot hold a backtick ("```x```" is inline code).
  if (ch == '`' && contains(info, "`")) return std::nullopt;
  return FenceOpen{ch, j - i, i, info};
}

bool closes(string_view line, const FenceOpen& open) {
  string_view t = text::trim_left(line);
  std::size_t j = 0;
  while (j < t.size() && t[j] == open.ch) ++j;
  return j >= open.len && blank(t.substr(j));
}

// Removes up to `indent` leading blanks (the opening fence's indentation).
string_view strip_indent(string_view line, std::size_t indent) {
  std::size_t i = 0;
  while (i < line.size() && i < indent && is_space(line[i])) ++i;
  return line.substr(i);
}

// ---------------------------------------------------------------- line shapes

// "**Label:**", "**Label**:", "**Label**" alone on a line: returns the label.
std::optional<string_view> parse_label(string_view line) {
  string_view t = text::trim(line);
  if (t.size() < 5 || t.substr(0, 2) != "**") return std::nullopt;
  t.remove_prefix(2);
  if (!t.empty() && t.back() == ':') t.remove_suffix(1);
  if (t.size() < 3 || t.substr(t.size() - 2) != "**") return std::nullopt;
  t.remove_suffix(2);
  if (contains(t, "**")) return std::nullopt;
  t = text::trim(t);
  if (!t.empty() && t.back() == ':') t.remove_suffix(1);
  t = text::trim(t);
  if (t.empty()) return std::nullopt;
  return t;
}

// Length of a list marker ("- ", "* ", "+ ", "12. ", "3) ") after the
// indentation, 0 when the line is not a list item. `ordered` tells which kind.
std::size_t list_marker(string_view t, bool* ordered) {
  *ordered = false;
  if (t.size() >= 2 && (t[0] == '-' || t[0] == '*' || t[0] == '+') && is_space(t[1])) return 2;
  std::size_t i = 0;
  while (i < t.size() && i < 9 && is_digit(t[i])) ++i;
  if (i > 0 && i + 1 < t.size() + 1 && i < t.size() && (t[i] == '.' || t[i] == ')') &&
      (i + 1 == t.size() || is_space(t[i + 1]))) {
    *ordered = true;
    return std::min(i + 2, t.size());
  }
  return 0;
}

struct KeyValue {
  string key;         // lower-case, without bold markers
  string_view value;  // trimmed
};

// "Key: value", "**Key:** value", "**Key**: value", "- Key: value". The key is
// a short run of letters, digits, spaces, '_' and '-'.
std::optional<KeyValue> parse_key_value(string_view line) {
  string_view t = text::trim(line);
  bool ordered = false;
  t.remove_prefix(list_marker(t, &ordered));
  t = text::trim_left(t);
  bool bold = t.substr(0, 2) == "**";
  if (bold) t.remove_prefix(2);
  std::size_t colon = t.find(':');
  if (colon == string_view::npos || colon == 0 || colon > 40) return std::nullopt;
  string_view key = t.substr(0, colon);
  string_view rest = t.substr(colon + 1);
  if (bold) {
    if (key.size() >= 2 && key.substr(key.size() - 2) == "**") {
      key.remove_suffix(2);  // "**Key**: value"
    } else if (rest.substr(0, 2) == "**") {
      rest.remove_prefix(2);  // "**Key:** value"
    } else {
      return std::nullopt;
    }
  }
  for (char c : key) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '_' || c == '-'))
      return std::nullopt;
  }
  key = text::trim(key);
  if (key.empty()) return std::nullopt;
  return KeyValue{text::to_lower(key), text::trim(rest)};
}

// The first `code span` of a value, or an unquoted path-like first word.
// Empty when the value names nothing ("``", "", prose).
string path_value(string_view v) {
  std::size_t tick = v.find('`');
  if (tick != string_view::npos) {
    std::size_t n = 0;
    while (tick + n < v.size() && v[tick + n] == '`') ++n;
    string_view after = v.substr(tick + n);
    string_view closer(v.data() + tick, n);
    std::size_t close = after.find(closer);
    if (close == string_view::npos) return {};
    return string(text::trim(after.substr(0, close)));
  }
  std::size_t sp = 0;
  while (sp < v.size() && !is_space(v[sp])) ++sp;
  string_view w = v.substr(0, sp);
  if (w.size() >= 2 && (w.front() == '"' || w.front() == '\'') && w.back() == w.front())
    w = w.substr(1, w.size() - 2);
  if (w.empty() || (!contains(w, "/") && !contains(w, "."))) return {};
  return string(w);
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

enum class Kind { kNeutral, kInstruction, kContent };
enum class Hint { kNone, kCode, kTest };

struct Context {
  Kind kind = Kind::kNeutral;
  Hint role = Hint::kNone;
  string label;  // heading or label text as written (Fence::heading)
  bool file_heading = false;
  bool existing = false;  // "Existing Test": describes a file, its fences are not content
};

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

// ---------------------------------------------------------------- artefacts

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == '@';
}

// Every "{{...}}" of the prompter's template language on one line: control
// tokens ({{#if x}}, {{/if}}, {{else}}, {{else if x}}, {{/each}}) and unfilled
// placeholders ({{name}}, {{similar_files.0.file}}). "${{ x }}" (GitHub
// Actions) and expressions with operators are code, not artefacts.
void scan_artefacts(string_view line, int number, const string& file,
                    std::vector<Diagnostic>* out) {
  std::size_t pos = 0;
  while ((pos = line.find("{{", pos)) != string_view::npos) {
    std::size_t close = line.find("}}", pos + 2);
    if (close == string_view::npos) return;
    string_view token = line.substr(pos, close + 2 - pos);
    string_view inner = text::trim(line.substr(pos + 2, close - pos - 2));
    bool dollar = pos > 0 && line[pos - 1] == '$';
    bool artefact = false;
    if (!dollar && !inner.empty()) {
      char f = inner.front();
      if (f == '#' || f == '/' || f == '^' || inner.rfind("else", 0) == 0) {
        artefact = true;
      } else {
        artefact = std::all_of(inner.begin(), inner.end(), ident_char) && !is_digit(inner.front());
      }
    }
    if (artefact) out->push_back({file, number, "template artefact '" + string(token) + "'"});
    pos = close + 2;
  }
}

// ---------------------------------------------------------------- tasks

struct PendingFence {
  Fence fence;
  Kind kind = Kind::kNeutral;
  Hint role = Hint::kNone;
  int file_index = -1;  // a path line's own file (context promoted by a path)
};

struct Builder {
  PackTask task;
  bool old_shape = false;
  std::size_t header_index = 0;  // index into lines
  int level = 2;                 // heading level of the task header
  bool title_pending = false;
  Context heading_ctx;
  std::optional<Context> label_ctx;
  int promoted_file = -1;  // file whose path line set the current context
  int last_file = -1;      // most recent file named under the current heading
  bool in_suggestions = false;
  bool in_similar = false;
  std::vector<PendingFence> fences;

  [[nodiscard]] const Context& ctx() const { return label_ctx ? *label_ctx : heading_ctx; }
};

void add_similar(PackTask* t, string path) {
  if (path.empty()) return;
  if (std::find(t->similar_files.begin(), t->similar_files.end(), path) == t->similar_files.end())
    t->similar_files.push_back(std::move(path));
}

// Candidate existing paths in a naming-issue suggestion: "Rename `a` to `b`"
// (a), "Found similar file: x", "Update evidence path to: x".
void similar_from_suggestion(PackTask* t, string_view s) {
  string lower = text::to_lower(s);
  std::size_t r = lower.find("rename");
  if (r != string::npos) {
    string_view after = s.substr(r + 6);
    if (contains(after, "`")) {
      add_similar(t, path_value(after));
    } else {
      string_view a = text::trim(after);
      std::size_t to = text::to_lower(a).find(" to ");
      add_similar(t, path_value(a.substr(0, to)));
    }
    return;
  }
  for (string_view key :
       {string_view("similar file:"), string_view("similar files:"), string_view("path to:")}) {
    std::size_t k = lower.find(key);
    if (k != string::npos) {
      add_similar(t, path_value(text::trim(s.substr(k + key.size()))));
      return;
    }
  }
}

std::optional<bool> status_value(string_view v) {
  string l = text::to_lower(v);
  if (any_of(l, {"not exist", "does not", "\xE2\x9D\x8C", "missing", "not found", "absent"}))
    return false;
  if (any_of(l, {"exist", "\xE2\x9C\x85", "found", "present"})) return true;
  return std::nullopt;
}

int add_file(Builder* b, string path, FileRole role, int line) {
  auto& files = b->task.files;
  for (std::size_t i = 0; i < files.size(); ++i)
    if (files[i].path == path) return static_cast<int>(i);
  PackFile f;
  f.path = std::move(path);
  f.role = role;
  f.line = line;
  files.push_back(std::move(f));
  return static_cast<int>(files.size() - 1);
}

Hint hint_of(FileRole r) {
  return r == FileRole::kCode ? Hint::kCode : r == FileRole::kTest ? Hint::kTest : Hint::kNone;
}

// Handles "Path:", "File:", "Code file:", "Expected path:" ... lines.
bool handle_path(Builder* b, const KeyValue& kv, int line) {
  static const std::initializer_list<string_view> kKeys = {"path",
                                                           "file",
                                                           "file path",
                                                           "code file",
                                                           "code path",
                                                           "test file",
                                                           "test path",
                                                           "implementation file",
                                                           "implementation path",
                                                           "expected path",
                                                           "expected file",
                                                           "source file",
                                                           "target file",
                                                           "target path",
                                                           "new file",
                                                           "test file path",
                                                           "code file path"};
  if (std::find(kKeys.begin(), kKeys.end(), string_view(kv.key)) == kKeys.end()) return false;
  string path = path_value(kv.value);
  if (path.empty()) return true;  // "**Path:** ``": the prompter had no path
  FileRole role = FileRole::kOther;
  bool qualified = true;
  if (contains(kv.key, "test")) {
    role = FileRole::kTest;
  } else if (any_of(kv.key, {"code", "implementation", "source"})) {
    role = FileRole::kCode;
  } else {
    qualified = false;
  }
  if (!qualified) {
    // A context that an earlier path line set says nothing about this path.
    const Context& rc = b->promoted_file >= 0 ? b->heading_ctx : b->ctx();
    Hint h = rc.role != Hint::kNone ? rc.role : b->heading_ctx.role;
    if (h == Hint::kCode) {
      role = FileRole::kCode;
    } else if (h == Hint::kTest || looks_like_test(path)) {
      role = FileRole::kTest;
    } else {
      bool have_code = std::any_of(b->task.files.begin(), b->task.files.end(),
                                   [](const PackFile& f) { return f.role == FileRole::kCode; });
      role = have_code ? FileRole::kOther : FileRole::kCode;
    }
  }
  int idx = add_file(b, std::move(path), role, line);
  b->last_file = idx;
  // A fence right under the line that names a file is that file's content,
  // unless an explicit heading or label already says what the fences are.
  const Context& cur = b->ctx();
  if (!b->old_shape && !cur.existing && (cur.kind == Kind::kNeutral)) {
    Context c = cur;
    c.kind = Kind::kContent;
    c.role = hint_of(b->task.files[static_cast<std::size_t>(idx)].role);
    b->label_ctx = c;
    b->promoted_file = idx;
  }
  return true;
}

void handle_key_value(Builder* b, const KeyValue& kv, int line) {
  if (handle_path(b, kv, line)) return;
  PackTask& t = b->task;
  if (kv.key == "status" || kv.key == "exists" || kv.key == "file status") {
    if (b->last_file < 0) return;
    std::optional<bool> e;
    string l = text::to_lower(kv.value);
    if (kv.key == "exists") {
      if (l.rfind("yes", 0) == 0 || l.rfind("true", 0) == 0) e = true;
      if (l.rfind("no", 0) == 0 || l.rfind("false", 0) == 0) e = false;
    } else {
      e = status_value(kv.value);
    }
    if (e) t.files[static_cast<std::size_t>(b->last_file)].exists = e;
  } else if (kv.key == "missing symbol" || kv.key == "required symbol") {
    string s = path_value(kv.value);
    if (s.empty() && !contains(kv.value, "`")) s = string(kv.value);
    if (!s.empty() && !t.symbol) t.symbol = s;
  } else if (kv.key == "missing content" || kv.key == "required content") {
    string s;
    std::size_t tick = kv.value.find('`');
    if (tick != string_view::npos) {
      s = path_value(kv.value);
    } else {
      s = string(kv.value);
    }
    if (!s.empty() && !t.contains) t.contains = s;
  } else if (kv.key == "priority") {
    string_view v = kv.value;
    int n = 0;
    std::size_t i = 0;
    while (i < v.size() && is_digit(v[i]) && i < 6) n = n * 10 + (v[i++] - '0');
    if (i > 0 && !t.priority) t.priority = n;
  } else if (kv.key == "similar file" || kv.key == "similar files" ||
             kv.key == "found similar file") {
    add_similar(&t, path_value(kv.value));
  }
}

// Chooses the file a content fence belongs to: the nearest file above it with
// the role the context asks for (any role when it asks for none), else the
// first such file below it.
int claim(const PackTask& t, const PendingFence& pf) {
  if (pf.file_index >= 0) return pf.file_index;
  int best = -1;
  int first = -1;
  for (std::size_t i = 0; i < t.files.size(); ++i) {
    const PackFile& f = t.files[i];
    bool match = pf.role == Hint::kNone || hint_of(f.role) == pf.role ||
                 (pf.role == Hint::kCode && f.role == FileRole::kOther);
    if (!match) continue;
    if (f.line < pf.fence.line) {
      if (best < 0 || t.files[static_cast<std::size_t>(best)].line <= f.line)
        best = static_cast<int>(i);
    } else if (first < 0) {
      first = static_cast<int>(i);
    }
  }
  return best >= 0 ? best : first;
}

PackTask finish(Builder* b, const std::vector<SrcLine>& lines, std::size_t end_index,
                string_view doc) {
  // The section ends before trailing blank lines and "---" separators.
  std::size_t last = end_index;
  while (last > b->header_index && (blank(lines[last].text) || thematic_break(lines[last].text)))
    --last;
  PackTask t = std::move(b->task);
  std::size_t from = lines[b->header_index].begin;
  t.raw = string(doc.substr(from, lines[last].end - from));

  int order = 0;  // old shape: first unlabelled fence = code, second = test
  for (PendingFence& pf : b->fences) {
    Fence& f = pf.fence;
    if (b->old_shape && pf.kind == Kind::kNeutral) {
      int slot = order++;
      f.content = true;
      int idx = -1;
      for (std::size_t i = 0; i < t.files.size() && idx < 0; ++i) {
        bool want =
            slot == 0 ? t.files[i].role != FileRole::kTest : t.files[i].role == FileRole::kTest;
        if (slot <= 1 && want) idx = static_cast<int>(i);
      }
      if (idx >= 0) {
        t.files[static_cast<std::size_t>(idx)].fences.push_back(std::move(f));
      } else {
        t.unassigned.push_back(std::move(f));
      }
      continue;
    }
    if (pf.kind != Kind::kContent) {
      f.content = false;
      t.instructions.push_back(std::move(f));
      continue;
    }
    f.content = true;
    int idx = claim(t, pf);
    if (idx >= 0) {
      t.files[static_cast<std::size_t>(idx)].fences.push_back(std::move(f));
    } else {
      t.unassigned.push_back(std::move(f));
    }
  }
  return t;
}

// A non-task heading that ends a section: one at the task header's level or
// above, or the prompter's trailing "What's Next?" block at any level.
bool ends_section(const Heading& h, const string& n, int task_level) {
  if (h.level <= task_level) return true;
  return n.rfind("what's next", 0) == 0 || n.rfind("what\xE2\x80\x99s next", 0) == 0 ||
         n.rfind("whats next", 0) == 0;
}

}  // namespace

Result<std::vector<PackTask>> parse_category(std::string_view text_in, const std::string& name,
                                             Unit category) {
  TRY_VOID(text::require_utf8(text_in, name));
  // Offsets below are relative to the text without its BOM; line numbers are unaffected.
  const string_view doc = text::strip_bom(text_in);
  const std::vector<SrcLine> lines = lines_of(doc);

  std::vector<PackTask> tasks;
  std::optional<Builder> cur;
  std::optional<FenceOpen> open;
  int open_line = 0;
  string body;
  Context fence_ctx;
  int fence_file = -1;

  for (std::size_t i = 0; i < lines.size(); ++i) {
    const SrcLine& ln = lines[i];
    string_view s = ln.text;
    if (open) {
      if (closes(s, *open)) {
        if (cur) {
          PendingFence pf;
          pf.fence.info = string(open->info);
          std::size_t sp = 0;
          while (sp < open->info.size() && !is_space(open->info[sp])) ++sp;
          pf.fence.lang = text::to_lower(open->info.substr(0, sp));
          pf.fence.body = std::move(body);
          pf.fence.line = open_line;
          pf.fence.heading = fence_ctx.label;
          pf.kind = fence_ctx.kind;
          pf.role = fence_ctx.role;
          pf.file_index = fence_file;
          cur->fences.push_back(std::move(pf));
        }
        body.clear();
        open.reset();
      } else {
        body.append(strip_indent(s, open->indent));
        body.push_back('\n');
        if (cur) scan_artefacts(s, ln.number, name, &cur->task.artefacts);
      }
      continue;
    }
    if (auto fo = parse_fence_open(s)) {
      open = fo;
      open_line = ln.number;
      body.clear();
      if (cur) {
        cur->title_pending = false;
        fence_ctx = cur->ctx();
        fence_file = cur->label_ctx && cur->promoted_file >= 0 ? cur->promoted_file : -1;
        scan_artefacts(s, ln.number, name, &cur->task.artefacts);
      }
      continue;
    }
    // A heading that holds an unfilled placeholder is template debris, not structure.
    std::optional<Heading> h;
    if (!contains(s, "{{")) h = parse_heading(s);
    if (h) {
      if (auto th = parse_task_header(*h)) {
        if (cur) tasks.push_back(finish(&*cur, lines, i - 1, doc));
        cur.emplace();
        cur->task.id = std::move(th->id);
        cur->task.title = std::move(th->title);
        cur->task.category = category;
        cur->task.source = name;
        cur->task.line = ln.number;
        cur->task.number = th->number;
        cur->old_shape = !th->numbered;
        cur->header_index = i;
        cur->level = th->level;
        cur->title_pending = cur->task.title.empty();
        cur->heading_ctx.label = string(h->text);
        continue;
      }
      if (!cur) continue;
      const string n = normalize(h->text);
      if (ends_section(*h, n, cur->level)) {
        tasks.push_back(finish(&*cur, lines, i - 1, doc));
        cur.reset();
        continue;
      }
      cur->title_pending = false;
      cur->heading_ctx = classify(h->text, n, nullptr);
      cur->label_ctx.reset();
      cur->promoted_file = -1;
      cur->last_file = -1;
      cur->in_suggestions = contains(n, "suggestion");
      cur->in_similar = contains(n, "similar file");
      // "#### File: `src/a.py`" (the shape SmartSpec's own guides use): the
      // heading names the file whose content the fences under it are.
      if (auto kv = parse_key_value(h->text); kv && !path_value(kv->value).empty()) {
        handle_path(&*cur, *kv, ln.number);
      }
      continue;
    }
    if (!cur) continue;
    Builder& b = *cur;
    scan_artefacts(s, ln.number, name, &b.task.artefacts);
    if (blank(s)) continue;

    std::optional<KeyValue> kv = parse_key_value(s);
    if (b.title_pending) {
      if (!kv && !thematic_break(s) && !parse_label(s)) {
        bool ordered = false;
        string_view t = text::trim(s);
        if (list_marker(t, &ordered) == 0) {
          b.task.title = string(t);
          b.title_pending = false;
          continue;
        }
      }
    }
    if (auto label = parse_label(s)) {
      b.label_ctx = classify(*label, normalize(*label), &b.heading_ctx);
      if (b.label_ctx->kind == Kind::kNeutral && b.label_ctx->role == Hint::kNone &&
          !b.label_ctx->file_heading) {
        b.label_ctx.reset();  // "**Note:**" says nothing about what follows
      }
      b.promoted_file = -1;
      continue;
    }
    string_view t = text::trim(s);
    bool ordered = false;
    std::size_t marker = list_marker(t, &ordered);
    if (marker > 0 && (b.in_suggestions || b.in_similar)) {
      string_view item = text::trim(t.substr(marker));
      if (b.in_suggestions && !item.empty()) {
        b.task.suggestions.emplace_back(item);
        similar_from_suggestion(&b.task, item);
      }
      if (b.in_similar) add_similar(&b.task, path_value(item));
      continue;
    }
    if (ordered) {
      // A numbered step: its fences are commands to run, never content.
      Context c;
      c.kind = Kind::kInstruction;
      string_view item = text::trim(t.substr(marker));
      item = strip_decoration(item);
      if (!item.empty() && item.back() == ':') item.remove_suffix(1);
      item = strip_decoration(text::trim(item));
      c.label = string(item);
      b.label_ctx = c;
      b.promoted_file = -1;
    }
    if (kv) handle_key_value(&b, *kv, ln.number);
  }
  if (open) return fail(name, open_line, "unterminated code fence");
  if (cur) tasks.push_back(finish(&*cur, lines, lines.size() - 1, doc));
  return tasks;
}

}  // namespace smartspec::pack
