// The markdown report's timeline (issue 21): one mermaid gantt bar per timed
// agent call, by lane; exact text.
#include <gtest/gtest.h>

#include <string>

#include "smartspec/report/report.hpp"

namespace smartspec::report {
namespace {

TaskReport call(const std::string& id, int lane, double start, double end, int attempts,
                TaskStatus status) {
  TaskReport t;
  t.id = id;
  t.title = "title of " + id;
  t.lane = lane;
  t.call_start = start;
  t.call_end = end;
  t.attempts = attempts;
  t.status = status;
  return t;
}

TEST(ReportTimeline, OneBarPerCallByLane) {
  RunReport r;
  UnitReport u;
  u.tasks.push_back(call("TSK-1", 1, 1000.0, 1002.5, 1, TaskStatus::kVerified));
  u.tasks.push_back(call("TSK-2", 2, 1000.0, 1001.25, 2, TaskStatus::kFailed));
  TaskReport rerun = call("TSK:3#x", 1, 1002.5, 1002.5, 1, TaskStatus::kAppliedUnverified);
  rerun.notes.push_back(
      "re-run after a conflict: its change from the unit's base (1 attempt) "
      "conflicts with an earlier task's on a.txt");
  u.tasks.push_back(rerun);
  TaskReport earlier;  // no call in this invocation: no bar
  earlier.id = "TSK-4";
  earlier.status = TaskStatus::kVerified;
  u.tasks.push_back(earlier);
  r.units.push_back(u);
  EXPECT_EQ(render_timeline(r),
            "\n## Timeline\n\n"
            "Agent calls of this invocation, one bar per task: lane, start, end, attempts, "
            "status.\n\n"
            "```mermaid\n"
            "gantt\n"
            "  dateFormat x\n"
            "  axisFormat %H:%M:%S\n"
            "  section lane 1\n"
            "  TSK-1, 1 attempt, verified :1000000, 1002500\n"
            "  TSK 3 x, 1 attempt, applied_unverified, re-run :1002500, 1002501\n"
            "  section lane 2\n"
            "  TSK-2, 2 attempts, failed :crit, 1000000, 1001250\n"
            "```\n");
  // In the report: after the units, before the failed tasks.
  const std::string md = render_markdown(r);
  const std::size_t at = md.find(render_timeline(r));
  ASSERT_NE(at, std::string::npos) << md;
  EXPECT_LT(md.find("## By unit"), at);
  EXPECT_EQ(md.find("\n## Failed tasks", at), at + render_timeline(r).size()) << md;
}

TEST(ReportTimeline, NoCallNoTimeline) {
  RunReport r;
  UnitReport u;
  TaskReport t;
  t.id = "TSK-1";
  t.status = TaskStatus::kVerified;
  u.tasks.push_back(t);
  r.units.push_back(u);
  EXPECT_EQ(render_timeline(r), "");
  EXPECT_EQ(render_markdown(r).find("## Timeline"), std::string::npos);
  EXPECT_EQ(render_markdown(r).find("mermaid"), std::string::npos);
}

}  // namespace
}  // namespace smartspec::report
