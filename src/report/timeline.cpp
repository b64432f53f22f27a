// The markdown report's timeline (issue 21): one bar per agent call of this
// invocation, grouped by lane, as a mermaid gantt chart (dateFormat x:
// milliseconds since the epoch, from the engine's clock).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <vector>

#include "smartspec/report/report.hpp"

namespace smartspec::report {

namespace {

// A gantt task's text: no ':' (it ends the text), '#' or ';', one line.
std::string label_text(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == ':' || c == '#' || c == ';' || c == '\n' || c == '\r') ? ' ' : c;
  return out;
}

long long millis(double seconds) { return std::llround(seconds * 1000.0); }

}  // namespace

std::string render_timeline(const RunReport& r) {
  struct Bar {
    const TaskReport* task;
    long long start, end;
  };
  std::map<int, std::vector<Bar>> lanes;
  for (const auto& u : r.units) {
    for (const auto& t : u.tasks) {
      if (t.lane <= 0 || t.call_end <= 0) continue;
      const long long start = millis(t.call_start);
      // A bar of no length is not drawn: at least 1 ms (a fixed clock).
      const long long end = std::max(millis(t.call_end), start + 1);
      lanes[t.lane].push_back({&t, start, end});
    }
  }
  if (lanes.empty()) return {};
  std::string md = "\n## Timeline\n\n";
  md += "Agent calls of this invocation, one bar per task: lane, start, end, attempts, status.\n\n";
  md += "```mermaid\ngantt\n  dateFormat x\n  axisFormat %H:%M:%S\n";
  for (auto& [lane, bars] : lanes) {
    std::stable_sort(bars.begin(), bars.end(),
                     [](const Bar& a, const Bar& b) { return a.start < b.start; });
    fmt::format_to(std::back_inserter(md), "  section lane {}\n", lane);
    for (const auto& b : bars) {
      const TaskReport& t = *b.task;
      const bool rerun = std::any_of(t.notes.begin(), t.notes.end(), [](const std::string& n) {
        return n.rfind("re-run after a conflict", 0) == 0;
      });
      const bool bad = t.status == TaskStatus::kFailed || t.status == TaskStatus::kRefused;
      // "  <id>, <n> attempt(s), <status>[, re-run] :[crit, ]<start>, <end>"
      fmt::format_to(std::back_inserter(md), "  {}, {} {}, {}{} :{}{}, {}\n", label_text(t.id),
                     t.attempts, t.attempts == 1 ? "attempt" : "attempts",
                     task_status_name(t.status), rerun ? ", re-run" : "", bad ? "crit, " : "",
                     b.start, b.end);
    }
  }
  md += "```\n";
  return md;
}

}  // namespace smartspec::report
