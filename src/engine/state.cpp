#include "engine/state.hpp"

#include <simdjson.h>

#include <algorithm>
#include <type_traits>

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
  w.field("exit_code", s.exit_code);
  if (s.has_options) {
    const RunOptions& o = s.options;
    w.key("options").begin_object();
    w.field("agent", o.agent)
        .field("agent_timeout", o.agent_timeout)
        .field("agent_per", o.agent_per);
    w.field("verify_cmd", o.verify_cmd).field("max_failures", o.max_failures);
    w.field("verify_after_each", o.verify_after_each).field("verify_at_end", o.verify_at_end);
    w.field("overwrite", o.overwrite).field("evidence_hooks", o.evidence_hooks);
    w.field("mark_done", o.mark_done).field("apply_skeletons", o.apply_skeletons);
    w.field("run_hooks", o.run_hooks).field("checkpoint", o.checkpoint).field("land", o.land);
    w.field("rename_files", o.rename_files);
    w.field("agent_attempts", o.agent_attempts).field("agent_sandbox", o.agent_sandbox);
    if (o.jobs != 1) w.field("jobs", o.jobs);         // absent: 1 (states written before --jobs)
    if (o.from_shards) w.field("from_shards", true);  // absent: false
    w.key("agent_writable").string_array(o.agent_writable);
    w.key("only_categories").string_array(o.only_categories);
    w.key("skip_categories").string_array(o.skip_categories);
    w.key("checks").begin_object();
    for (const auto& [ext, cmd] : o.checks) w.field(ext, cmd);
    w.end_object();
    w.end_object();
  }
  w.key("results").begin_array();
  for (const auto& [unit, t] : s.results) {
    w.begin_object();
    w.field("unit", unit).field("id", t.id).field("title", t.title);
    w.field("status", report::task_status_name(t.status)).field("has_evidence", t.has_evidence);
    w.field("error", t.error).field("file", t.file).field("line", t.line);
    w.field("suggested_fix", t.suggested_fix).field("log", t.log);
    w.key("files_created").string_array(t.files_created);
    w.key("files_modified").string_array(t.files_modified);
    w.key("files_renamed").begin_array();
    for (const auto& [from, to] : t.files_renamed)
      w.begin_array().value(from).value(to).end_array();
    w.end_array();
    w.key("notes").string_array(t.notes);
    w.field("duration_ms", static_cast<std::int64_t>(t.duration_ms));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

namespace {

// Readers of optional fields: a missing or mistyped field leaves `out` as it is.
void ostr(simdjson::dom::element e, const char* key, std::string& out) {
  std::string_view v;
  if (!e[key].get_string().get(v)) out = std::string(v);
}
template <class Int>
void oint(simdjson::dom::element e, const char* key, Int& out) {
  int64_t v = 0;
  if (!e[key].get_int64().get(v)) out = static_cast<Int>(v);
}
void obool(simdjson::dom::element e, const char* key, bool& out) {
  bool v = false;
  if (!e[key].get_bool().get(v)) out = v;
}
void oarr(simdjson::dom::element e, const char* key, std::vector<std::string>& out) {
  simdjson::dom::array a;
  if (e[key].get_array().get(a)) return;
  for (auto x : a) {
    std::string_view v;
    if (!x.get_string().get(v)) out.emplace_back(v);
  }
}

void read_options(simdjson::dom::element opts, RunOptions& o) {
  ostr(opts, "agent", o.agent);
  oint(opts, "agent_timeout", o.agent_timeout);
  ostr(opts, "agent_per", o.agent_per);
  ostr(opts, "verify_cmd", o.verify_cmd);
  oint(opts, "max_failures", o.max_failures);
  obool(opts, "verify_after_each", o.verify_after_each);
  obool(opts, "verify_at_end", o.verify_at_end);
  obool(opts, "overwrite", o.overwrite);
  obool(opts, "evidence_hooks", o.evidence_hooks);
  obool(opts, "mark_done", o.mark_done);
  obool(opts, "apply_skeletons", o.apply_skeletons);
  obool(opts, "run_hooks", o.run_hooks);
  obool(opts, "checkpoint", o.checkpoint);
  obool(opts, "land", o.land);
  obool(opts, "rename_files", o.rename_files);
  oint(opts, "agent_attempts", o.agent_attempts);
  oint(opts, "jobs", o.jobs);
  obool(opts, "from_shards", o.from_shards);
  obool(opts, "agent_sandbox", o.agent_sandbox);
  oarr(opts, "agent_writable", o.agent_writable);
  oarr(opts, "only_categories", o.only_categories);
  oarr(opts, "skip_categories", o.skip_categories);
  simdjson::dom::object checks;
  if (!opts["checks"].get_object().get(checks)) {
    for (auto field : checks) {
      std::string_view v;
      if (!field.value.get_string().get(v)) o.checks[std::string(field.key)] = std::string(v);
    }
  }
}

// One element of "results": (unit, task); nullopt when its status is unknown.
std::optional<std::pair<std::string, report::TaskReport>> read_result(simdjson::dom::element e) {
  std::string unit, status;
  report::TaskReport t;
  ostr(e, "unit", unit);
  ostr(e, "id", t.id);
  ostr(e, "title", t.title);
  ostr(e, "status", status);
  auto st = report::task_status_from_name(status);
  if (!st) return std::nullopt;
  t.status = *st;
  obool(e, "has_evidence", t.has_evidence);
  ostr(e, "error", t.error);
  ostr(e, "file", t.file);
  oint(e, "line", t.line);
  ostr(e, "suggested_fix", t.suggested_fix);
  ostr(e, "log", t.log);
  oarr(e, "files_created", t.files_created);
  oarr(e, "files_modified", t.files_modified);
  simdjson::dom::array renamed;
  if (!e["files_renamed"].get_array().get(renamed)) {
    for (auto pair : renamed) {
      std::string_view from, to;
      if (!pair.at(0).get_string().get(from) && !pair.at(1).get_string().get(to))
        t.files_renamed.emplace_back(std::string(from), std::string(to));
    }
  }
  oarr(e, "notes", t.notes);
  oint(e, "duration_ms", t.duration_ms);
  return std::make_pair(std::move(unit), std::move(t));
}

}  // namespace

Result<RunState> state_from_json(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(json).get(doc); err) {
    return fail("run state", 0, std::string("corrupt run state: ") + simdjson::error_message(err));
  }
  RunState s;
  ostr(doc, "run_id", s.run_id);
  ostr(doc, "base", s.base);
  ostr(doc, "pack_digest", s.pack_digest);
  ostr(doc, "prompts_dir", s.prompts_dir);
  ostr(doc, "tasks_path", s.tasks_path);
  ostr(doc, "status", s.status);
  ostr(doc, "stopped_at", s.stopped_at);
  ostr(doc, "reason", s.reason);
  ostr(doc, "started", s.started);
  ostr(doc, "updated", s.updated);
  ostr(doc, "mode", s.mode);
  oarr(doc, "units", s.units);
  oarr(doc, "completed", s.completed);
  oint(doc, "failures", s.failures);
  oint(doc, "total_tasks", s.total_tasks);
  oint(doc, "exit_code", s.exit_code);
  simdjson::dom::element opts;
  if (!doc["options"].get(opts) && opts.is_object()) {
    s.has_options = true;
    read_options(opts, s.options);
  }
  simdjson::dom::array results;
  if (!doc["results"].get_array().get(results)) {
    for (auto e : results) {
      if (!e.is_object()) continue;
      if (auto r = read_result(e)) s.results.push_back(std::move(*r));
    }
  }
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
    TRY(auto commit,
        repo.create_commit(tree, parents, "smartspec state: " + s.run_id + ": " + event + "\n"));
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
