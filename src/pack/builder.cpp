// Task assembly (see builder.hpp).
#include "pack/builder.hpp"

#include <algorithm>

namespace smartspec::pack {

using std::string;
using std::string_view;

// ---------------------------------------------------------------- tasks

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

}  // namespace smartspec::pack
