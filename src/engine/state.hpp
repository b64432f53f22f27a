// The run state ref (refs/smartspec/runs/<id>): a chain of commits whose tree
// holds state.json (and the plan), one commit per change of state, so the
// ref's own history is the run's audit trail. The checkpoint ref stays the
// commit point of a unit; everything here is derivable or advisory.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "smartspec/engine/options.hpp"
#include "smartspec/git/git.hpp"
#include "smartspec/report/report.hpp"
#include "smartspec/util/result.hpp"

namespace smartspec::engine {

struct RunState {
  std::string run_id;
  std::string base;
  std::string pack_digest;
  std::string prompts_dir;  // as given on the first run
  std::string tasks_path;
  std::string status = "running";  // running | stopped | finished
  std::string stopped_at;          // unit name when stopped
  std::string reason;              // why it stopped
  std::string started;             // ISO-8601
  std::string updated;
  std::vector<std::string> units;      // planned units, in order
  std::vector<std::string> completed;  // units done (committed or nothing to commit)
  int failures = 0;
  int total_tasks = 0;
  std::string mode = "apply";
  // Every option that shapes the run (issue 19: --resume restores them);
  // has_options is false for a state written before they were recorded.
  RunOptions options;
  bool has_options = false;
  // The final result of every task of the units done so far (unit name,
  // task), so that a resumed run reports the earlier invocations' results.
  std::vector<std::pair<std::string, report::TaskReport>> results;
  int exit_code = -1;  // of the last invocation that finished or stopped
  std::string
      report_json;  // last report JSON: stored as report.json in the state tree (not in state.json)
};

std::string state_to_json(const RunState& s);
Result<RunState> state_from_json(const std::string& json);

// Reads the state at the tip of `ref`; nullopt when the ref does not exist.
Result<std::optional<RunState>> read_state(const git::Repository& repo, const std::string& ref);
// Appends a state commit (with plan_json alongside) and moves the ref by CAS.
Result<void> write_state(git::Repository& repo, const std::string& ref, const RunState& s,
                         const std::string& plan_json, const std::string& event);

// Units committed between base (exclusive) and tip (inclusive), oldest first,
// from the Smartspec-Unit trailers of the first-parent chain.
Result<std::vector<std::pair<std::string, std::string>>> committed_units(
    const git::Repository& repo, const std::string& base, const std::string& tip);

}  // namespace smartspec::engine
