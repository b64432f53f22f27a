// The run report (docs/DESIGN.md "Outputs"): what a person reads after a run
// (markdown, also attached as a git note) and what scripts parse (JSON).
// Pure rendering: the engine fills RunReport; nothing here touches git or disk.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "smartspec/model/model.hpp"

namespace smartspec::report {

// One status per task, derived from evidence (issue 19): what a task ends as.
// kSucceeded is the executors' "ran without error"; the engine classifies it
// against the evidence on the unit's tree before anything is reported (an
// unclassified one is shown as applied_unverified: nothing vouched for it).
enum class TaskStatus {
  kSucceeded,          // executed without error, not yet classified
  kVerified,           // its evidence verifies on the unit's tree
  kAppliedUnverified,  // changed files, the evidence does not verify (or it has none)
  kNoChange,           // changed nothing, and its evidence does not verify (or it has none)
  kNeedsAgent,         // apply mode had nothing it could stand behind to write
  kRefused,            // the tool refused to write it (path, artefact, would overwrite)
  kFailed,             // tried and failed (syntax, agent, verification, rolled back)
  kAlreadyDone,        // verified on the base before the run: not executed
  kNotRun,             // the run stopped before it
};
// "applied_unverified" (kSucceeded too), "verified", "no_change", "needs_agent",
// "refused", "failed", "already_done", "not_run".
std::string_view task_status_name(TaskStatus s);
std::optional<TaskStatus> task_status_from_name(std::string_view name);

struct TaskReport {
  std::string id;
  std::string title;
  TaskStatus status = TaskStatus::kNotRun;
  std::string error;          // one line, when failed/skipped
  std::string file;           // file the error is about
  int line = 0;               // 0 = unknown
  std::string suggested_fix;  // from the pack's suggestions
  std::vector<std::string> files_created;
  std::vector<std::string> files_modified;
  std::vector<std::pair<std::string, std::string>> files_renamed;  // from, to
  std::vector<std::string> notes;  // "already present", "skeleton", "no checker for .rb" ...
  std::string log;                 // agent output log path, when any (the last attempt's)
  int attempts = 0;                // agent calls made for the task (--agent-attempts); 0 = no agent
  long duration_ms = 0;
  bool has_evidence = false;  // tasks.md gives it evidence (checked on the unit's tree)
  int number = 0;             // its place in the run ([n/N]); not rendered in reports
  // Its agent call in this invocation, for the markdown report's timeline:
  // the lane it ran in (1 = the run's scratch; --jobs gives 2..N), start and
  // end in seconds since the epoch (the engine's clock). 0 = no call timed.
  int lane = 0;
  double call_start = 0;
  double call_end = 0;
};

// Whether the task counts towards exit 0: verified, already done, or (for a
// task without evidence) changed and checked.
bool task_done(const TaskReport& t);

enum class UnitStatus {
  kCommitted,
  kNothingToCommit,
  kRolledBack,
  kNotRun,
  kDoneEarlier,  // committed by an earlier invocation (resume)
};
std::string_view unit_status_name(
    UnitStatus s);  // "committed", "nothing_to_commit", "rolled_back", "not_run", "done_earlier"

struct UnitReport {
  Unit unit = Unit::kNotImplemented;
  int priority = 0;
  UnitStatus status = UnitStatus::kNotRun;
  std::string commit;             // full id when committed
  std::string reason;             // why rolled back
  std::string failed_ref;         // refs/smartspec/failed/<run>/<unit> when rolled back
  std::string verify_cmd_output;  // --verify-cmd output (tail), when it ran
  std::vector<TaskReport> tasks;
};

struct VerifyFigures {
  int total = 0;
  int verified = 0;
  int not_verified = 0;
};

struct RunReport {
  std::string run_id;
  std::string branch;  // "smartspec/<run-id>"
  std::string base;    // full commit id
  std::string tip;     // full commit id of the branch at the end
  std::string pack_digest;
  std::string prompts_dir;  // as given
  std::string tasks_path;   // as given
  std::string started;      // ISO-8601 with timezone, e.g. 2026-01-01T10:00:00+01:00
  std::string completed;
  double duration_seconds = 0;
  bool resumed = false;
  bool dry_run = false;
  std::string mode = "apply";  // "apply" | "agent"
  std::vector<UnitReport> units;
  std::optional<VerifyFigures> before;
  std::optional<VerifyFigures> after;
  std::vector<std::string> warnings;
  std::string stopped_reason;  // non-empty when the run stopped early (exit 3)
  int exit_code = 0;
  std::string report_md_path;  // where the files were saved (relative to the repo root)
  std::string report_json_path;
  // The command that reproduces the run (every option that shapes it), for
  // the resume hint; empty = rebuilt from prompts_dir/tasks_path/run_id.
  std::string command;
};

// Totals over all units' tasks.
struct Totals {
  int total = 0, verified = 0, applied_unverified = 0, no_change = 0, needs_agent = 0, refused = 0,
      failed = 0, already_done = 0, not_run = 0;
  int done = 0;  // tasks for which task_done() holds
};
Totals totals(const RunReport& r);

// Integer percentage of part in whole, rounded down like the seed script
// (2 of 12 = 16). A whole of 0 (or less) gives 0, never a division by zero.
int percent(long part, long whole);

// Human duration: "4.2s" under a minute, "2m 05s", "1h 02m 05s"; negative = 0.
std::string format_duration(double seconds);

std::string render_markdown(const RunReport& r);
// The run's agent calls as a mermaid gantt chart ("## Timeline" section, one
// bar per timed task: lane, start, end, attempts, status); "" when no task
// has a timed call.
std::string render_timeline(const RunReport& r);
std::string render_json(const RunReport& r);

// The checkpoint mirror (.spec/checkpoints/batch_execution_<run-id>.json) in
// the seed workflow's shape plus commit and ref.
struct CheckpointMirror {
  std::string timestamp;  // ISO-8601
  std::string prompts_dir;
  std::vector<std::string> completed_categories;
  std::string current_category;  // "" = none
  std::string current_task;      // "" = none
  int total_tasks = 0;
  int failures = 0;
  std::string commit;
  std::string ref;
};
std::string render_checkpoint(const CheckpointMirror& c);

}  // namespace smartspec::report
