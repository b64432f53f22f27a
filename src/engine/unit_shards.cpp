// --from-shards (unit_txn.hpp, issue 21): a task's result comes from the ref
// its shard left (task_refs.hpp), made on the run's base on another machine;
// execute_agent_jobs merges it like a lane's result, from that base.
#include "engine/agent.hpp"
#include "engine/task_refs.hpp"
#include "engine/unit_txn.hpp"

namespace smartspec::engine {

bool UnitTransaction::take_shard_result(const plan::PlannedTask& t, report::TaskReport& tr,
                                        std::optional<Result<AgentResult>>& res,
                                        std::string& from) {
  RunContext& r = run_;
  if (!r.opts.from_shards || r.shard_prefix.empty()) return false;
  const std::string ref = task_ref_name(r.shard_prefix, t.id);
  auto saved = read_task_ref(r.repo, ref, t.id);
  if (!saved || saved->parent != r.state.base) return false;
  auto base_tree = r.repo.tree_of(saved->parent);
  if (!base_tree) return false;
  report::TaskReport done = std::move(saved->report);
  done.id = t.id;
  done.title = t.title;
  done.number = tr.number;
  // Another machine's clock: not drawn in this invocation's timeline.
  done.lane = 0;
  done.call_start = done.call_end = 0;
  done.notes.push_back("done by shard (" + ref + "): the agent was not called here");
  AgentResult result;
  result.ok = true;
  result.new_tree = saved->tree;
  result.tasks = {done};
  res = std::move(result);
  tr = std::move(done);
  from = *base_tree;
  return true;
}

}  // namespace smartspec::engine
