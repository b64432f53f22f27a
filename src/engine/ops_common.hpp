// Private helpers of the run-management subcommands (src/engine/ops_*.cpp).
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "engine/inputs.hpp"
#include "engine/state.hpp"
#include "smartspec/engine/ops.hpp"
#include "smartspec/git/git.hpp"
#include "smartspec/util/result.hpp"

namespace smartspec::engine::ops {

// Prints "smartspec-batch: error: <e>" and returns its exit code.
inline int report_error(const Error& e) {
  std::fprintf(stderr, "smartspec-batch: error: %s\n", e.to_string().c_str());
  return to_int(e.exit);
}

inline std::string short_id(const std::string& oid) { return oid.substr(0, 7); }

// Opens the repository (--repo-root, the cwd, or git's hook environment).
Result<git::Repository> open_repo(const CommonOptions& common);

// Every run id that has a state ref, a result branch or a checkpoint, sorted.
std::vector<std::string> run_ids(const git::Repository& repo);

// A run's refs and state as found; `state` is nullopt once aborted.
struct RunView {
  std::string id;
  RunRefs refs;
  std::optional<RunState> state;
  std::optional<std::string> branch;      // result branch tip
  std::optional<std::string> checkpoint;  // checkpoint commit
  std::optional<std::string> state_commit;
  std::vector<std::pair<std::string, std::string>> failed;  // (ref, commit)
  std::vector<std::pair<std::string, std::string>> undo;    // (ref, commit), by n
  std::vector<std::pair<std::string, std::string>> tasks;   // --jobs task refs (ref, commit)
  explicit RunView(std::string run_id) : id(std::move(run_id)), refs(id) {}
};
// Error "no run <id> in this repository (see `smartspec-batch status`)" when
// none of its refs exists.
Result<RunView> load_run(const git::Repository& repo, const std::string& id);

// "running" (a live process holds the lock for it), "stopped at <unit>",
// "finished", or "aborted" (no state, branch kept).
// Where a stopped run continues (the recorded unit, else the first not done).
std::string stopped_unit(const RunState& s);
std::string run_state_label(const git::Repository& repo, const RunView& run);

// The unit commits of a result branch, oldest first: the first-parent chain
// from `tip` down to (excluding) `base`; when `base` is empty, down to the
// first commit without a "Smartspec-Run: <id>" trailer.
struct ChainCommit {
  std::string commit;
  std::string unit;  // Smartspec-Unit trailer ("" for other commits)
};
Result<std::vector<ChainCommit>> unit_chain(const git::Repository& repo, const std::string& id,
                                            const std::string& base, const std::string& tip);

// The number n of the next refs/smartspec/undo/<id>/<n>.
int next_undo_number(const RunView& run);

}  // namespace smartspec::engine::ops
