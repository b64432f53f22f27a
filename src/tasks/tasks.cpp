// tasks.md reader. The rules are those of SmartSpec's Python verifier
// (verify_evidence_enhanced.py v6): the same task-line and evidence-line
// patterns, shlex tokenisation, and the same reasons to reject an evidence
// line, so both tools see the same evidence in the same file.
#include "smartspec/tasks/tasks.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "smartspec/util/text.hpp"
#include "tasks/pytext.hpp"

namespace smartspec::tasks {

namespace {

bool is_id_start(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_id_char(char c) { return is_id_start(c) || c == '.' || c == '_' || c == ':' || c == '-'; }

// Skips Python `\s*` from pos; returns the new position.
std::size_t skip_spaces(std::string_view s, std::size_t pos) {
  while (std::size_t n = py::space_at(s, pos)) pos += n;
  return pos;
}

struct TaskMatch {
  bool checked = false;
  std::string_view id;
  std::string_view title;
};

// ^\s*-\s*\[([ xX])\]\s+(ID)(\s+|\s*$)(title.*)$ (only "-" bullets, as the
// Python tool: a "* [ ]" line is prose to it).
bool match_task(std::string_view line, TaskMatch& m) {
  std::size_t p = skip_spaces(line, 0);
  if (p >= line.size() || line[p] != '-') return false;
  p = skip_spaces(line, p + 1);
  if (p + 3 > line.size() || line[p] != '[' || line[p + 2] != ']') return false;
  char chk = line[p + 1];
  if (chk != ' ' && chk != 'x' && chk != 'X') return false;
  p += 3;
  std::size_t after_box = skip_spaces(line, p);
  if (after_box == p) return false;  // \s+ after "]"
  p = after_box;
  if (p >= line.size() || !is_id_start(line[p])) return false;
  std::size_t id_end = p + 1;
  while (id_end < line.size() && is_id_char(line[id_end])) ++id_end;
  // The id must be followed by whitespace or the end of the line.
  std::size_t title_start = skip_spaces(line, id_end);
  if (title_start == id_end && id_end != line.size()) return false;
  m.checked = chk != ' ';
  m.id = line.substr(p, id_end - p);
  m.title = py::strip(line.substr(title_start));
  return true;
}

// ^\s*(?:-\s*)?evidence:\s+(.+?)\s*$ (case-insensitive); returns the payload
// stripped, or false when the line is not an evidence line.
bool match_evidence(std::string_view line, std::string_view& payload) {
  std::size_t p = skip_spaces(line, 0);
  if (p < line.size() && line[p] == '-') p = skip_spaces(line, p + 1);
  constexpr std::string_view kKeyword = "evidence:";
  if (!text::starts_with_icase(line.substr(p), kKeyword)) return false;
  p += kKeyword.size();
  std::size_t first = py::space_at(line, p);
  if (first == 0) return false;
  // `\s+` then `.+?`: at least one more character after the first space.
  std::string_view rest = line.substr(p + first);
  if (rest.empty()) return false;
  payload = py::strip(rest);
  return true;
}

// repr() of a Python str, as the Python tool prints rejected tokens and keys.
std::string py_repr(std::string_view s) {
  char quote = (s.find('\'') != std::string_view::npos && s.find('"') == std::string_view::npos)
                   ? '"'
                   : '\'';
  std::string out(1, quote);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (ch == quote || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  out += quote;
  return out;
}

std::string py_list_repr(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += ", ";
    out += py_repr(items[i]);
  }
  return out + "]";
}

// The Python tool's _strip_quotes: strip, then drop one pair of matching
// surrounding quotes (a lone quote character counts as a pair).
std::string strip_quotes(std::string_view v) {
  v = py::strip(v);
  if (!v.empty() &&
      ((v.front() == '"' && v.back() == '"') || (v.front() == '\'' && v.back() == '\''))) {
    if (v.size() == 1) return {};
    return std::string(v.substr(1, v.size() - 2));
  }
  return std::string(v);
}

const std::map<std::string, std::vector<std::string>, std::less<>>& allowed_keys() {
  static const std::map<std::string, std::vector<std::string>, std::less<>> keys = {
      {"code", {"path", "symbol", "contains", "regex"}},
      {"test", {"path", "contains", "regex", "command"}},
      {"docs", {"path", "heading", "contains", "regex"}},
      {"ui", {"path", "selector", "contains", "regex"}},
  };
  return keys;
}

// The key=value tokens after the type, as a dict (later values win, the first
// position is kept); tokens without '=' go to `stray`.
void key_values(const std::vector<std::string>& tokens,
                std::vector<std::pair<std::string, std::string>>* kv,
                std::vector<std::string>* stray) {
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    std::size_t eq = t.find('=');
    if (eq == std::string::npos) {
      stray->push_back(t);
      continue;
    }
    std::string k(py::strip(std::string_view(t).substr(0, eq)));
    std::string v = strip_quotes(std::string_view(t).substr(eq + 1));
    auto it = std::find_if(kv->begin(), kv->end(), [&](const auto& p) { return p.first == k; });
    if (it != kv->end()) {
      it->second = std::move(v);
    } else {
      kv->emplace_back(std::move(k), std::move(v));
    }
  }
}

// _safe_rel_path: quotes stripped a second time, backslashes to '/', then
// Python's lstrip("./"), which eats every leading '.' and '/': the dot of
// ".github/…", the "../" of "../x" and the '/' of "/etc/passwd". By default
// only "./" prefixes go; an absolute path or a ".." component is refused.
// Rewrites `*value`; on rejection returns false with the reason.
bool safe_rel_path(std::string* value, const ParseOptions& options, std::string& why) {
  std::string path = strip_quotes(*value);
  std::replace(path.begin(), path.end(), '\\', '/');
  if (options.python_compat) {
    path.erase(0, std::min(path.find_first_not_of("./"), path.size()));
  } else {
    if (!path.empty() && path.front() == '/') {
      why = "invalid path (absolute/traversal): " + path;
      return false;
    }
    while (path.size() >= 2 && path[0] == '.' && path[1] == '/') {
      std::size_t n = 2;
      while (n < path.size() && path[n] == '/') ++n;
      path.erase(0, n);
    }
    if (path == ".") path.clear();
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (path.compare(start, slash - start, "..") == 0 && slash - start == 2) {
      why = "invalid path (absolute/traversal): " + path;
      return false;
    }
    start = slash + 1;
  }
  if (path.find_first_of("*?[]") != std::string::npos) {
    why = "glob path not supported in strict mode: " + path;
    return false;
  }
  *value = path;
  return true;
}

// Parses one evidence payload; on rejection returns false with the reason.
bool parse_evidence(std::string_view payload, int line, Evidence& ev, std::string& why,
                    const ParseOptions& options) {
  auto tokens = shell_split(payload);
  if (!tokens) {
    why = "tokenization error: " + tokens.error().message;
    return false;
  }
  if (tokens->empty()) {
    why = "empty evidence payload";
    return false;
  }
  std::string type = text::to_lower(py::strip((*tokens)[0]));
  const auto& keys = allowed_keys();
  auto allowed = keys.find(type);
  if (allowed == keys.end()) {
    why = "invalid evidence type '" + type + "'";
    return false;
  }
  std::vector<std::pair<std::string, std::string>> kv;
  std::vector<std::string> stray;
  key_values(*tokens, &kv, &stray);
  if (!stray.empty()) {
    why = "stray tokens not allowed: " + py_list_repr(stray);
    return false;
  }
  std::vector<std::string> unknown;
  for (const auto& [k, v] : kv) {
    if (std::find(allowed->second.begin(), allowed->second.end(), k) == allowed->second.end()) {
      unknown.push_back(k);
    }
  }
  if (!unknown.empty()) {
    why = "unknown keys for " + type + ": " + py_list_repr(unknown);
    return false;
  }
  auto path_it =
      std::find_if(kv.begin(), kv.end(), [](const auto& p) { return p.first == "path"; });
  if (path_it == kv.end()) {
    why = "missing required key path=";
    return false;
  }
  if (!safe_rel_path(&path_it->second, options, why)) return false;
  ev.type = std::move(type);
  ev.fields = std::move(kv);
  ev.line = line;
  ev.raw = std::string(payload);
  return true;
}

}  // namespace

Result<std::vector<std::string>> shell_split(std::string_view s) {
  // shlex.shlex(posix=True, whitespace_split=True, commenters=''): words
  // break on " \t\r\n"; '...' is literal; in "..." a backslash escapes only
  // '"' and '\'; outside quotes a backslash escapes any character.
  std::vector<std::string> out;
  std::string token;
  bool in_token = false;  // a token has started (possibly empty, e.g. "")
  std::size_t i = 0;
  auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (i < s.size()) {
    char c = s[i];
    if (is_ws(c)) {
      if (in_token) {
        out.push_back(std::move(token));
        token.clear();
        in_token = false;
      }
      ++i;
    } else if (c == '\\') {
      if (i + 1 >= s.size()) return fail("No escaped character");
      token += s[i + 1];
      in_token = true;
      i += 2;
    } else if (c == '\'') {
      std::size_t close = s.find('\'', i + 1);
      if (close == std::string_view::npos) return fail("No closing quotation");
      token.append(s.substr(i + 1, close - i - 1));
      in_token = true;
      i = close + 1;
    } else if (c == '"') {
      in_token = true;
      ++i;
      for (;;) {
        if (i >= s.size()) return fail("No closing quotation");
        char d = s[i];
        if (d == '"') {
          ++i;
          break;
        }
        if (d == '\\') {
          if (i + 1 >= s.size()) return fail("No escaped character");
          char e = s[i + 1];
          if (e != '"' && e != '\\') token += '\\';
          token += e;
          i += 2;
          continue;
        }
        token += d;
        ++i;
      }
    } else {
      token += c;
      in_token = true;
      ++i;
    }
  }
  if (in_token) out.push_back(std::move(token));
  return out;
}

Result<TasksDoc> parse(std::string_view input, const std::string& path,
                       const ParseOptions& options) {
  // read_text(encoding="utf-8", errors="ignore"): undecodable bytes are
  // dropped (a Windows-1252 file loses its accented letters, not its tasks).
  // Python keeps a BOM as U+FEFF, which `\s` does not match, so a task on
  // the first line is lost: a bug not copied unless python_compat.
  std::string decoded = text::decode_utf8_ignore(input);
  std::string_view body = decoded;
  if (!options.python_compat) body = text::strip_bom(body);
  TasksDoc doc;
  doc.path = path;
  std::map<std::string, int, std::less<>> first_line;  // id → line of its first task
  TaskLine* current = nullptr;
  int number = 0;
  for (std::string_view line : py::splitlines(body)) {
    ++number;
    TaskMatch m;
    if (match_task(line, m)) {
      TaskLine t;
      t.id = std::string(m.id);
      t.title = std::string(m.title);
      t.checked = m.checked;
      t.line = number;
      t.indent = std::string(line.substr(0, line.size() - py::lstrip(line).size()));
      t.last_line = number;
      auto [it, fresh] = first_line.emplace(t.id, number);
      if (!fresh) {
        doc.warnings.push_back({path, number,
                                "duplicate task id '" + t.id + "' (first on line " +
                                    std::to_string(it->second) + ")"});
      }
      doc.tasks.push_back(std::move(t));
      current = &doc.tasks.back();
      continue;
    }
    std::string_view payload;
    if (current == nullptr || !match_evidence(line, payload)) continue;
    ++current->evidence_lines;
    current->last_line = number;
    Evidence ev;
    std::string why;
    if (parse_evidence(payload, number, ev, why, options)) {
      current->evidence.push_back(std::move(ev));
    } else {
      doc.warnings.push_back({path, number, "evidence rejected: " + why});
    }
  }
  return doc;
}

Result<TasksDoc> load(const std::string& path, const ParseOptions& options) {
  auto bytes = text::read_file(path);
  if (!bytes) {
    Error e = bytes.error();
    if (e.file.empty()) e.file = path;
    return fail(std::move(e));
  }
  return parse(*bytes, path, options);
}

}  // namespace smartspec::tasks
