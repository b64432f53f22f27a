// A finished agent call's result kept as a ref (issue 21): a commit of the
// task's tree on the base its call started from, the task's report in the
// message. `--jobs` keeps them under refs/smartspec/tasks/<run>/ for a resume
// of the unit; `--shard K/N` under refs/smartspec/shards/<key>/ for the run
// that finishes from the shards (`--from-shards`), on another machine.
#pragma once

#include <optional>
#include <string>

#include "engine/inputs.hpp"
#include "smartspec/engine/options.hpp"
#include "smartspec/git/git.hpp"
#include "smartspec/report/report.hpp"
#include "smartspec/util/result.hpp"

namespace smartspec::engine {

struct SavedTask {
  std::string commit;
  std::string parent;  // the commit the call started from (its base)
  std::string tree;    // base + the task's change
  report::TaskReport report;
};

// `prefix` + the task id with unusual characters replaced (the agent's log
// file names' rule), so a pack's id never shapes a ref name by itself.
std::string task_ref_name(const std::string& prefix, const std::string& task_id);

// Commits `tree` on `parent` ("smartspec task <id>", "attempts N", the
// report as a state's one result of `unit`) and points `ref` at it.
Result<void> write_task_ref(git::Repository& repo, const std::string& ref,
                            const std::string& parent, const std::string& unit,
                            const std::string& tree, const report::TaskReport& tr);

// The result `ref` holds for task `id`: nullopt when there is none, or it is
// not one commit with one parent whose message holds that task's report.
// The report's status is `succeeded` (the unit classifies it).
std::optional<SavedTask> read_task_ref(const git::Repository& repo, const std::string& ref,
                                       const std::string& id);

// What every shard and the run that finishes from them compute alike, with
// no word between them: 16 hex digits of a digest of the run's base commit,
// the pack's content, tasks.md's bytes and place, and the options that change
// a task's result (agent command, attempts, per, evidence hooks, renames,
// overwrite, checks, sandbox; not --agent-writable: its paths are the
// machine's).
std::string shard_key(const RunOptions& o, const Inputs& in);
// "refs/smartspec/shards/<key>/".
std::string shard_prefix(const std::string& key);

}  // namespace smartspec::engine
