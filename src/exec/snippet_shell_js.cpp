// Adding a snippet to a shell script (after the shebang and `set` lines,
// before a final `exit`) or a JS/TS module (imports with the imports).
#include <string>
#include <string_view>

#include "exec/snippet.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::exec {

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

bool is_js_import(std::string_view t) {
  return t.rfind("import ", 0) == 0 || t.rfind("import{", 0) == 0 ||
         ((t.rfind("const ", 0) == 0 || t.rfind("let ", 0) == 0 || t.rfind("var ", 0) == 0) &&
          t.find("require(") != std::string_view::npos);
}

// The snippet's leading shebang/`set` lines the script lacks (its own
// interpreter line is kept); *end is the index of the snippet's first other line.
std::vector<std::string> missing_header_lines(const std::vector<PyLine>& snip,
                                              const std::vector<PyLine>& file, std::size_t* end) {
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
  *end = i;
  return header;
}

// Where a final top-level `exit` line starts, npos when the script has none.
std::size_t final_exit_offset(const std::vector<PyLine>& file) {
  for (std::size_t k = file.size(); k-- > 0;) {
    std::string_view t = text::trim(file[k].text);
    if (t.empty() || t.front() == '#') continue;
    if (is_final_exit(file[k].text)) return k == 0 ? 0 : file[k - 1].end;
    break;
  }
  return std::string::npos;
}

}  // namespace

// Shell: the snippet's shebang and `set` lines join the script's header when
// missing (never repeated); the rest goes before a final top-level `exit`,
// else at the end.
std::string add_shell_snippet(std::string_view existing, const std::string& lf_snippet) {
  const std::string eol = existing.empty() ? std::string("\n") : detect_eol(existing);
  const bool final_newline = existing.empty() || existing.back() == '\n';
  auto file = py_lines(existing);
  auto snip = py_lines(lf_snippet);
  std::size_t i = 0;
  const std::vector<std::string> header = missing_header_lines(snip, file, &i);
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
  std::size_t exit_at = final_exit_offset(file);
  if (exit_at != std::string::npos) exit_at += shift;
  std::string add = with_eol(body, eol);
  if (exit_at != std::string::npos) {
    std::string pre = out.substr(0, exit_at), post = out.substr(exit_at);
    end_with_blank_line(pre, eol);
    return pre + add + eol + eol + post;
  }
  end_with_blank_line(out, eol);
  out += add;
  if (final_newline) out += eol;
  return out;
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
  end_with_blank_line(out, eol);
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

}  // namespace smartspec::exec
