// Task results kept as refs (task_refs.hpp): --jobs' resume refs and the
// shards' results share one format.
#include "engine/task_refs.hpp"

#include <cstdlib>

#include "engine/agent_internal.hpp"
#include "engine/state.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

std::string task_ref_name(const std::string& prefix, const std::string& task_id) {
  return prefix + agent_detail::file_stem(task_id);
}

Result<void> write_task_ref(git::Repository& repo, const std::string& ref,
                            const std::string& parent, const std::string& unit,
                            const std::string& tree, const report::TaskReport& tr) {
  RunState one;
  one.results.emplace_back(unit, tr);
  const std::string message = "smartspec task " + tr.id + "\n\nattempts " +
                              std::to_string(tr.attempts) + "\n\n" + state_to_json(one);
  TRY(auto commit, repo.create_commit(tree, {parent}, message));
  return repo.update_ref(ref, commit, repo.read_ref(ref), "smartspec: task " + tr.id);
}

std::optional<SavedTask> read_task_ref(const git::Repository& repo, const std::string& ref,
                                       const std::string& id) {
  auto commit = repo.read_ref(ref);
  if (!commit) return std::nullopt;
  auto parents = repo.parents(*commit);
  if (!parents || parents->size() != 1) return std::nullopt;
  auto tree = repo.tree_of(*commit);
  auto message = repo.message(*commit);
  if (!tree || !message) return std::nullopt;
  const std::string head = "\n\nattempts ";
  const std::size_t at = message->find(head);
  const std::size_t json = message->find("\n\n{");
  if (at == std::string::npos || json == std::string::npos) return std::nullopt;
  auto state = state_from_json(message->substr(json + 2));
  if (!state || state->results.size() != 1 || state->results.front().second.id != id)
    return std::nullopt;
  SavedTask out{*commit, parents->front(), *tree, state->results.front().second};
  out.report.attempts = std::atoi(message->c_str() + at + head.size());
  // Only a call that succeeded leaves a ref; the state's form gave it a
  // final status, which the unit's classification decides again.
  out.report.status = report::TaskStatus::kSucceeded;
  return out;
}

std::string shard_key(const RunOptions& o, const Inputs& in) {
  std::string tasks_bytes;
  if (auto bytes = text::read_file(o.tasks)) tasks_bytes = std::move(*bytes);
  std::string all = "smartspec-batch shard v1\n";
  auto add = [&all](const char* name, const std::string& value) {
    all += name;
    all += ' ';
    all += std::to_string(value.size());
    all += '\n';
    all += value;
    all += '\n';
  };
  add("base", in.base);
  add("pack", in.digest);
  add("tasks", git::Repository::hash(tasks_bytes));
  add("tasks-path", in.tasks_rel);
  add("agent", o.agent);
  add("agent-attempts", std::to_string(o.agent_attempts));
  add("agent-per", o.agent_per);
  add("evidence-hooks", o.evidence_hooks ? "on" : "off");
  add("rename-files", o.rename_files ? "on" : "off");
  add("overwrite", o.overwrite ? "on" : "off");
  for (const auto& [ext, cmd] : o.checks) add("check", ext + "=" + cmd);
  add("agent-sandbox", o.agent_sandbox ? "on" : "off");
  return git::Repository::hash(all).substr(0, 16);
}

std::string shard_prefix(const std::string& key) { return "refs/smartspec/shards/" + key + "/"; }

}  // namespace smartspec::engine
