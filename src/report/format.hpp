// Formatting helpers shared by the report renderers and the console printer.
// Private to the report module.
#pragma once

#include <string>
#include <string_view>

#include "smartspec/report/report.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::report::detail {

// Text from outside (titles, errors from a pack or a tool) made safe for one
// line of output: CR/LF/TAB become spaces, every other C0 control and DEL
// becomes '?', so nothing read from a pack can move a terminal's cursor or
// break a markdown list item.
std::string one_line(std::string_view s);

// First 7 characters of a commit id ("" stays ""): util's.
using text::short_id;

// A markdown code span that survives backticks inside `s`.
std::string code_span(std::string_view s);

// A word for a POSIX shell (shlex.quote): util's.
using text::shell_quote;

// "1 task" / "3 tasks".
std::string count_noun(long n, std::string_view singular, std::string_view plural);

// The marker for a task status: ✅ ⚠️ ➖ ⏭️ ❌ ✔️ ⬜.
std::string_view status_marker(TaskStatus s);

// The meaning of an exit code (docs/DESIGN.md "Exit codes").
std::string_view exit_meaning(int code);

// The meaning of a run's exit code, told by its tasks: exit 0 with tasks
// applied that tasks.md gives no evidence for says how many, so the line
// never claims "verified" for them.
std::string run_exit_meaning(const RunReport& r);

// The command that reproduces the run: RunReport::command when set, else
// "smartspec-batch run --prompts-dir <dir> [--tasks <path>] [--run-id <id>]".
std::string run_command(const RunReport& r);

}  // namespace smartspec::report::detail
