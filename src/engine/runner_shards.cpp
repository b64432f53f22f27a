// --from-shards in the run loop (runner.hpp, issue 21): the shards' results
// are found under refs/smartspec/shards/<key>/ (task_refs.hpp), the key
// computed here as every shard computed it; a unit done takes its tasks' refs
// with it.
#include <spdlog/spdlog.h>

#include "engine/runner.hpp"
#include "engine/task_refs.hpp"

namespace smartspec::engine {

void Runner::find_shard_results(const std::map<std::string, std::string>& earlier) {
  run_.shard_prefix = shard_prefix(shard_key(run_.opts, run_.in));
  std::size_t wanted = 0;
  std::vector<std::string> missing;
  for (const auto& unit : run_.in.plan.units) {
    if (earlier.count(std::string(unit_name(unit.unit))) > 0) continue;
    for (const auto& t : unit.tasks) {
      if (run_.already_done.count(t.id) > 0) continue;
      ++wanted;
      auto saved = read_task_ref(run_.repo, task_ref_name(run_.shard_prefix, t.id), t.id);
      if (!saved || saved->parent != run_.state.base) missing.push_back(t.id);
    }
  }
  const std::string where = "from shards (" + run_.shard_prefix + "): ";
  if (missing.empty()) {
    run_.console.note(where + "a result for each of the " + std::to_string(wanted) + " tasks");
    return;
  }
  std::string ids;
  for (std::size_t k = 0; k < missing.size() && k < 10; ++k) ids += (k ? ", " : "") + missing[k];
  if (missing.size() > 10) ids += ", …";
  run_.console.note(where + std::to_string(missing.size()) + " of " + std::to_string(wanted) +
                    " tasks have no shard result and run here: " + ids);
}

void Runner::drop_shard_refs(const plan::PlannedUnit& unit) {
  if (run_.shard_prefix.empty()) return;
  for (const auto& t : unit.tasks) {
    const std::string ref = task_ref_name(run_.shard_prefix, t.id);
    auto oid = run_.repo.read_ref(ref);
    if (!oid) continue;
    if (auto gone = run_.repo.delete_ref(ref, *oid); !gone)
      spdlog::warn("{}: {}", ref, gone.error().message);
  }
}

}  // namespace smartspec::engine
