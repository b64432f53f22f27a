// What apply.cpp (the executor) and the snippet insertion (snippet.cpp,
// snippet_shell_js.cpp) share: line endings, blank-line trimming, path kinds,
// Python's physical lines, and the shell and JS insertion rules. Private to
// the exec module.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace smartspec::exec {

std::string with_eol(std::string_view lf_text, std::string_view eol);
// The file's line ending: CRLF when most of its line ends are CRLF.
std::string detect_eol(std::string_view s);
// Leading and trailing blank lines removed; LF endings; no final newline.
std::string trim_blank_lines(std::string_view lf_text);
bool ends_with(std::string_view s, std::string_view suffix);
// A non-empty `s` ends with a line end and one blank line (`eol` twice) before
// an addition; an empty one stays empty.
void end_with_blank_line(std::string& s, const std::string& eol);
bool is_python_path(const std::string& path, const std::string& lang);
bool is_shell_path(const std::string& path, std::string_view existing);

struct PyLine {
  std::string_view text;  // without terminator
  std::size_t end = 0;    // offset just after its terminator
};
std::vector<PyLine> py_lines(std::string_view s);

// Shell: the snippet's shebang and `set` lines join the script's header when
// missing (never repeated); the rest goes before a final top-level `exit`,
// else at the end.
std::string add_shell_snippet(std::string_view existing, const std::string& lf_snippet);
// JavaScript/TypeScript: the snippet's leading import lines go after the
// file's import block (never twice); the rest at the end.
std::string add_js_snippet(std::string_view existing, const std::string& lf_snippet);
bool is_js_path(const std::string& path);

}  // namespace smartspec::exec
