#include "engine/state.hpp"

#include <simdjson.h>

#include <algorithm>

#include "smartspec/util/json.hpp"

namespace smartspec::engine {

std::string state_to_json(const RunState& s) {
  JsonWriter w;
  w.begin_object();
  w.field("run_id", s.run_id).field("base", s.base).field("pack_digest", s.pack_digest);
  w.field("prompts_dir", s.prompts_dir).field("tasks_path", s.tasks_path);
  w.field("status", s.status).field("stopped_at", s.stopped_at).field("reason", s.reason);
  w.field("started", s.started).field("updated", s.updated);
  w.key("units").string_array(s.units);
  w.key("completed").string_array(s.completed);
  w.field("failures", s.failures).field("total_tasks", s.total_tasks).field("mode", s.mode);
  w.end_object();
  return w.str();
}

Result<RunState> state_from_json(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(json).get(doc); err) {
    return fail("run state", 0, std::string("corrupt run state: ") + simdjson::error_message(err));
  }
  RunState s;
  auto str = [&](const char* key, std::string& out) {
    std::string_view v;
    if (!doc[key].get_string().get(v)) out = std::string(v);
  };
  auto arr = [&](const char* key, std::vector<std::string>& out) {
    simdjson::dom::array a;
    if (doc[key].get_array().get(a)) return;
    for (auto e : a) {
      std::string_view v;
      if (!e.get_string().get(v)) out.emplace_back(v);
    }
  };
  str("run_id", s.run_id);
  str("base", s.base);
  str("pack_digest", s.pack_digest);
  str("prompts_dir", s.prompts_dir);
  str("tasks_path", s.tasks_path);
  str("status", s.status);
  str("stopped_at", s.stopped_at);
  str("reason", s.reason);
  str("started", s.started);
  str("updated", s.updated);
  str("mode", s.mode);
  arr("units", s.units);
  arr("completed", s.completed);
  int64_t n = 0;
  if (!doc["failures"].get_int64().get(n)) s.failures = static_cast<int>(n);
  if (!doc["total_tasks"].get_int64().get(n)) s.total_tasks = static_cast<int>(n);
  return s;
}

Result<std::optional<RunState>> read_state(const git::Repository& repo, const std::string& ref) {
  auto tip = repo.read_ref(ref);
  if (!tip) return std::optional<RunState>{};
  auto json = repo.read_file(*tip, "state.json");
  if (!json) return fail(ref, 0, "run state has no state.json");
  TRY(RunState s, state_from_json(*json));
  return std::optional<RunState>(std::move(s));
}

Result<void> write_state(git::Repository& repo, const std::string& ref, const RunState& s,
                         const std::string& plan_json, const std::string& event) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto old = repo.read_ref(ref);
    std::vector<git::Repository::Change> changes{{"state.json", state_to_json(s), 0100644}};
    if (!plan_json.empty()) changes.push_back({"plan.json", plan_json, 0100644});
    if (!s.report_json.empty()) changes.push_back({"report.json", s.report_json, 0100644});
    std::string base_tree;
    if (old) {
      TRY(auto t, repo.tree_of(*old));
      base_tree = t;
    }
    TRY(auto tree, repo.update_tree(base_tree, changes));
    std::vector<git::Oid> parents;
    if (old) parents.push_back(*old);
    TRY(auto commit, repo.create_commit(tree, parents,
                                        "smartspec state: " + s.run_id + ": " + event + "\n"));
    auto moved = repo.update_ref(ref, commit, old, "smartspec: " + event);
    if (moved) return {};
    if (moved.error().code != git::kRefMoved) return fail(moved.error());
  }
  return fail(ref, 0, "run state keeps moving under us (another process?)");
}

Result<std::vector<std::pair<std::string, std::string>>> committed_units(
    const git::Repository& repo, const std::string& base, const std::string& tip) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string cur = tip;
  int guard = 0;
  while (cur != base && guard++ < 1000) {
    TRY(auto msg, repo.message(cur));
    std::string unit;
    auto pos = msg.find("\nSmartspec-Unit: ");
    if (pos != std::string::npos) {
      auto start = pos + 17;
      auto end = msg.find('\n', start);
      unit = msg.substr(start, end == std::string::npos ? std::string::npos : end - start);
    }
    if (!unit.empty()) out.emplace_back(unit, cur);
    TRY(auto parents, repo.parents(cur));
    if (parents.empty()) break;
    cur = parents.front();
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace smartspec::engine
