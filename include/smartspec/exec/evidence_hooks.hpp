// Evidence hooks: the `evidence:` lines of tasks.md that let the verifier
// check a task (docs/DESIGN.md "Execution"). Pure text functions: every byte they
// do not add or tick is preserved (line endings, trailing spaces, unicode, a
// missing final newline).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smartspec/model/model.hpp"
#include "smartspec/util/result.hpp"

namespace smartspec::exec {

// The canonical hooks for what a task produced: `code path=<code> symbol=<symbol>`
// (symbol only when known) when `code` is not empty, `test path=<test>` when
// `test` is not empty. Only type and fields are set.
std::vector<Evidence> canonical_evidence(const std::string& code,
                                         const std::optional<std::string>& symbol,
                                         const std::string& test);

// "code path=src/a.py symbol=Foo": values quoted (tasks::shell_quote) only when
// needed for tasks::parse to read them back identically.
std::string evidence_payload(const Evidence& e);

// Adds one "evidence: <payload>" line per entry under the task `task_id` (its
// first occurrence), after the lines that belong to it (more indented, not a
// task line), ONLY when the task has no `evidence:` line at all; otherwise, or
// when `entries` is empty, returns the text unchanged (so a second call changes
// nothing). New lines take the indentation and bullet style of the file's
// existing evidence lines relative to their task (default: the task's
// indentation + 2 spaces, no bullet) and the task line's line ending.
// Errors: invalid UTF-8 (from tasks::parse), "<path>: task <id> not found".
Result<std::string> ensure_evidence(std::string_view text, const std::string& task_id,
                                    const std::vector<Evidence>& entries,
                                    const std::string& path = "tasks.md");

// Ticks the task's box ("- [ ]" → "- [x]"); unchanged when already ticked.
// Errors as ensure_evidence.
Result<std::string> mark_done(std::string_view text, const std::string& task_id,
                              const std::string& path = "tasks.md");

}  // namespace smartspec::exec
