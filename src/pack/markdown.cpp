// The markdown scanner: line shapes, no meaning (see markdown.hpp).
#include "pack/markdown.hpp"

#include <algorithm>
#include <cctype>

namespace smartspec::pack {

using std::string;
using std::string_view;

// ---------------------------------------------------------------- lines

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

string_view strip_decoration(string_view s) {
  while (!s.empty() && (s.front() == '*' || s.front() == '`' || s.front() == '_'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == '*' || s.back() == '`' || s.back() == '_')) s.remove_suffix(1);
  return s;
}

// ---------------------------------------------------------------- fences

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

namespace {

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == '@';
}

}  // namespace

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

}  // namespace smartspec::pack
