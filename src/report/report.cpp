// The run report's model: status names, what counts as done, the totals.
// Rendered as markdown by report_markdown.cpp and as JSON (with the checkpoint
// mirror) by report_json.cpp.
#include "smartspec/report/report.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "report/format.hpp"
#include "smartspec/util/json.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::report {

std::string_view task_status_name(TaskStatus s) {
  switch (s) {
    case TaskStatus::kVerified:
      return "verified";
    case TaskStatus::kSucceeded:
    case TaskStatus::kAppliedUnverified:
      return "applied_unverified";
    case TaskStatus::kNoChange:
      return "no_change";
    case TaskStatus::kNeedsAgent:
      return "needs_agent";
    case TaskStatus::kRefused:
      return "refused";
    case TaskStatus::kFailed:
      return "failed";
    case TaskStatus::kAlreadyDone:
      return "already_done";
    case TaskStatus::kNotRun:
      return "not_run";
  }
  return "not_run";
}

std::optional<TaskStatus> task_status_from_name(std::string_view name) {
  for (TaskStatus s : {TaskStatus::kVerified, TaskStatus::kAppliedUnverified, TaskStatus::kNoChange,
                       TaskStatus::kNeedsAgent, TaskStatus::kRefused, TaskStatus::kFailed,
                       TaskStatus::kAlreadyDone, TaskStatus::kNotRun}) {
    if (task_status_name(s) == name) return s;
  }
  return std::nullopt;
}

bool task_done(const TaskReport& t) {
  switch (t.status) {
    case TaskStatus::kVerified:
    case TaskStatus::kAlreadyDone:
      return true;
    case TaskStatus::kAppliedUnverified:
      return !t.has_evidence;
    default:
      return false;
  }
}

std::string_view unit_status_name(UnitStatus s) {
  switch (s) {
    case UnitStatus::kCommitted:
      return "committed";
    case UnitStatus::kNothingToCommit:
      return "nothing_to_commit";
    case UnitStatus::kRolledBack:
      return "rolled_back";
    case UnitStatus::kNotRun:
      return "not_run";
    case UnitStatus::kDoneEarlier:
      return "done_earlier";
  }
  return "not_run";
}

Totals totals(const RunReport& r) {
  Totals t;
  for (const auto& u : r.units) {
    for (const auto& task : u.tasks) {
      ++t.total;
      if (task_done(task)) ++t.done;
      switch (task.status) {
        case TaskStatus::kVerified:
          ++t.verified;
          break;
        case TaskStatus::kSucceeded:
        case TaskStatus::kAppliedUnverified:
          ++t.applied_unverified;
          break;
        case TaskStatus::kNoChange:
          ++t.no_change;
          break;
        case TaskStatus::kNeedsAgent:
          ++t.needs_agent;
          break;
        case TaskStatus::kRefused:
          ++t.refused;
          break;
        case TaskStatus::kFailed:
          ++t.failed;
          break;
        case TaskStatus::kAlreadyDone:
          ++t.already_done;
          break;
        case TaskStatus::kNotRun:
          ++t.not_run;
          break;
      }
    }
  }
  return t;
}
}  // namespace smartspec::report
