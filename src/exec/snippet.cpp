// Adding a snippet to an existing file (apply's "add to file"): Python
// imports hoisted to the import block, the text helpers the executor shares,
// and the whole-word symbol test. Shell and JS rules: snippet_shell_js.cpp.
#include "exec/snippet.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "smartspec/exec/apply.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::exec {

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

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void end_with_blank_line(std::string& s, const std::string& eol) {
  if (s.empty()) return;
  if (s.back() != '\n') s += eol;
  if (!ends_with(s, eol + eol)) s += eol;
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

namespace {

bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
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

}  // namespace smartspec::exec
