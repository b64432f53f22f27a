// Loading what every repository command starts from: the repository, the
// pack, tasks.md, the base commit and the plan. Bad input becomes one Error
// naming the file (exit 2) before anything is written.
#pragma once

#include <optional>
#include <string>

#include "smartspec/engine/options.hpp"
#include "smartspec/git/git.hpp"
#include "smartspec/model/model.hpp"
#include "smartspec/plan/plan.hpp"
#include "smartspec/util/result.hpp"

namespace smartspec::engine {

struct Inputs {
  git::Repository repo;
  Pack pack;
  TasksDoc tasks;
  std::string tasks_rel;  // tasks.md relative to the repository root ("" = outside it)
  std::string run_id;
  std::string base;    // resolved base commit
  std::string digest;  // pack digest
  plan::Plan plan;
};

// Reads pack and tasks.md (in that order, so the first bad input is reported),
// opens the repository, resolves the base (`base_override` when not empty,
// else --base, else HEAD) and plans against the base tree.
Result<Inputs> load_inputs(const RunOptions& opts, const std::string& base_override = "");

// Marks the naming_issue tasks done by the pack's option A, updating the
// evidence path in tasks.md (plan::PlannedTask::evidence_update): the pack
// recommends it ("Update Evidence") and --rename-files is not given.
void mark_evidence_updates(plan::Plan& plan, const Pack& pack, const RunOptions& opts);

// Digest of a pack's contents (sha1 over names and bytes).
std::string pack_digest(const Pack& pack);

// "refs/heads/smartspec/<id>" etc.
struct RunRefs {
  std::string branch, checkpoint, state, failed_prefix, undo_prefix;
  std::string tasks_prefix;  // --jobs: refs/smartspec/tasks/<run>/<task>, one per finished call
  explicit RunRefs(const std::string& run_id);
};
inline constexpr const char* kNotesRef = "refs/notes/smartspec";

}  // namespace smartspec::engine
