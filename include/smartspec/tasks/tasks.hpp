// Reading tasks.md: task lines, evidence lines (the verifier's rules).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "smartspec/model/model.hpp"
#include "smartspec/util/result.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::tasks {

// How tasks.md is read. By default as SmartSpec's Python verifier reads it
// except for three fixes (docs/verify.md, "Deliberate differences"): a BOM is
// skipped, a
// leading dot is kept (Python's lstrip("./") turns ".github/x" into
// "github/x" and "../x" into "x") and an absolute path is refused (Python
// makes "/etc/passwd" the repository path "etc/passwd"). python_compat
// reads them exactly as Python does; neither ever leaves the repository.
struct ParseOptions {
  bool python_compat = false;
};

// Parses tasks.md bytes as the Python verifier reads them: UTF-8 with
// undecodable bytes dropped (errors="ignore"), lines split as
// str.splitlines(). A leading BOM is skipped (Python keeps it as a
// character, so a task on the first line is not a task to it: copied only
// with python_compat). Rejected evidence lines become warnings (with line
// numbers), never errors.
Result<TasksDoc> parse(std::string_view text, const std::string& path,
                       const ParseOptions& options = {});

// Reads and parses a file (missing/unreadable → error naming the file).
Result<TasksDoc> load(const std::string& path, const ParseOptions& options = {});

// POSIX-shell-like tokenizer (shlex.split semantics, posix=True). Error on
// an unterminated quote.
Result<std::vector<std::string>> shell_split(std::string_view s);

// Quotes a value so shell_split reads it back identically (shlex.quote; util's).
using text::shell_quote;

}  // namespace smartspec::tasks
