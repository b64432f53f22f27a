// Reading tasks.md: task lines, evidence lines (the verifier's rules).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "smartspec/model/model.hpp"
#include "smartspec/util/result.hpp"

namespace smartspec::tasks {

// Parses tasks.md text. Rejected evidence lines become warnings (with line
// numbers), never errors. Errors only for invalid UTF-8.
Result<TasksDoc> parse(std::string_view text, const std::string& path);

// Reads and parses a file (missing/unreadable → error naming the file).
Result<TasksDoc> load(const std::string& path);

// POSIX-shell-like tokenizer (shlex.split semantics, posix=True). Error on
// an unterminated quote.
Result<std::vector<std::string>> shell_split(std::string_view s);

// Quotes a value so shell_split reads it back identically (shlex.quote).
std::string shell_quote(std::string_view s);

}  // namespace smartspec::tasks
