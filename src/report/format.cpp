#include "report/format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

#include "smartspec/util/path_rules.hpp"

namespace smartspec::report {

int percent(long part, long whole) {
  if (whole <= 0) return 0;
  return static_cast<int>((static_cast<long long>(part) * 100) / whole);
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  char buf[48];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
    return buf;
  }
  long s = static_cast<long>(seconds);  // whole seconds from a minute on
  long h = s / 3600;
  long m = (s / 60) % 60;
  s %= 60;
  if (h > 0) {
    std::snprintf(buf, sizeof buf, "%ldh %02ldm %02lds", h, m, s);
  } else {
    std::snprintf(buf, sizeof buf, "%ldm %02lds", m, s);
  }
  return buf;
}

namespace detail {

std::string one_line(std::string_view s) {
  // Line breaks and tabs become spaces; whatever else a terminal would obey
  // or hide (escape sequences, C1 controls, bidirectional overrides) is shown
  // escaped (paths::printable), never passed through.
  std::string flat(s);
  for (char& ch : flat)
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  return paths::printable(flat);
}

std::string code_span(std::string_view s) {
  // The fence must be longer than the longest run of backticks inside; a
  // leading or trailing backtick needs a space between it and the fence.
  std::size_t longest = 0, run = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(longest + 1, '`');
  const std::string body = one_line(s);
  // A backtick at either end is kept apart from the fence by a space.
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
  return fmt::format("{0}{1}{2}{1}{0}", fence, pad ? " " : "", body);
}

std::string count_noun(long n, std::string_view singular, std::string_view plural) {
  return fmt::format("{} {}", n, n == 1 ? singular : plural);
}

std::string_view status_marker(TaskStatus s) {
  switch (s) {
    case TaskStatus::kVerified:
      return "✅";
    case TaskStatus::kSucceeded:
    case TaskStatus::kAppliedUnverified:
      return "⚠️";
    case TaskStatus::kNoChange:
      return "➖";
    case TaskStatus::kNeedsAgent:
      return "⏭️";
    case TaskStatus::kRefused:
    case TaskStatus::kFailed:
      return "❌";
    case TaskStatus::kAlreadyDone:
      return "✔️";
    case TaskStatus::kNotRun:
      return "⬜";
  }
  return "?";
}

std::string_view exit_meaning(int code) {
  switch (code) {
    case 0:
      return "every planned task is verified";
    case 1:
      return "the run finished, some tasks are not verified";
    case 2:
      return "bad usage or bad input, nothing changed";
    case 3:
      return "stopped early, resumable";
    case 4:
      return "another run holds the lock";
    case 70:
      return "internal error";
  }
  return "unknown exit code";
}

std::string run_exit_meaning(const RunReport& r) {
  if (r.exit_code == 0) {
    const int unverified = totals(r).applied_unverified;
    if (unverified > 0) {
      return fmt::format(
          "every planned task is done; {} applied with no evidence in tasks.md to verify",
          unverified);
    }
  }
  return std::string(exit_meaning(r.exit_code));
}

std::string run_command(const RunReport& r) {
  if (!r.command.empty()) return r.command;
  std::string cmd = fmt::format("smartspec-batch run --prompts-dir {}", shell_quote(r.prompts_dir));
  if (!r.tasks_path.empty())
    fmt::format_to(std::back_inserter(cmd), " --tasks {}", shell_quote(r.tasks_path));
  // The run id defaults to the pack directory's resolved name; name it
  // explicitly whenever the directory as given does not end with it (a
  // `latest` symlink, or --run-id), so the command finds the same run.
  std::string_view dir = r.prompts_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  std::size_t slash = dir.rfind('/');
  std::string_view base = slash == std::string_view::npos ? dir : dir.substr(slash + 1);
  if (base != r.run_id)
    fmt::format_to(std::back_inserter(cmd), " --run-id {}", shell_quote(r.run_id));
  return cmd;
}

}  // namespace detail
}  // namespace smartspec::report
