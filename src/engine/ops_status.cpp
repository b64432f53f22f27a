// `status` (`show` is ops_show.cpp; the shared helpers of the run-management
// commands are in ops_run.cpp).
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "engine/ops_common.hpp"
#include "engine/run_internal.hpp"
#include "smartspec/util/json.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

namespace {

using ops::short_id;

struct UnitLine {
  std::string name;
  std::string status;  // committed | done | rolled_back | pending
  std::string commit;
};

// "rolled_back" (JSON, as in the report) is "rolled back" on the console.
std::string printable_status(const std::string& status) {
  return status == "rolled_back" ? "rolled back" : status;
}

std::vector<UnitLine> unit_lines(const git::Repository& repo, const ops::RunView& run) {
  std::vector<UnitLine> out;
  std::map<std::string, std::string> commit_of;
  if (run.branch) {
    auto chain = ops::unit_chain(repo, run.id, run.state ? run.state->base : "", *run.branch);
    if (chain)
      for (const auto& c : *chain)
        if (!c.unit.empty()) commit_of[c.unit] = c.commit;
  }
  if (!run.state) {
    for (const auto& [unit, commit] : commit_of) out.push_back({unit, "committed", commit});
    return out;
  }
  const RunState& s = *run.state;
  for (const auto& u : s.units) {
    UnitLine l{u, "pending", ""};
    bool done = std::find(s.completed.begin(), s.completed.end(), u) != s.completed.end();
    if (commit_of.count(u)) {
      l.status = "committed";
      l.commit = commit_of[u];
    } else if (done) {
      l.status = "done";
    } else if (u == s.stopped_at) {
      l.status = "rolled_back";
    }
    out.push_back(l);
  }
  return out;
}

std::string next_unit(const ops::RunView& run) {
  if (!run.state || run.state->status == "finished") return "";
  for (const auto& u : run.state->units)
    if (std::find(run.state->completed.begin(), run.state->completed.end(), u) ==
        run.state->completed.end())
      return u;
  return "";
}

std::string resume_command(const ops::RunView& run) {
  const RunState& s = *run.state;
  if (s.has_options) {  // the run's own options: the command continues it exactly
    RunOptions o = s.options;
    o.prompts_dir = s.prompts_dir;
    o.tasks = s.tasks_path;
    return command_line(o, s.run_id) + " --resume";
  }
  std::string cmd = "smartspec-batch run --prompts-dir " + s.prompts_dir + " --tasks " +
                    s.tasks_path + " --resume";
  if (s.run_id != fs::path(s.prompts_dir).filename().string()) cmd += " --run-id " + s.run_id;
  return cmd;
}

// Each unit's tasks with their status: unit name -> [(task id, status)].
using TaskStatuses = std::map<std::string, std::vector<std::pair<std::string, std::string>>>;

struct Summary {
  std::string id, state, base, tip;
  std::string state_name;  // running | stopped | interrupted | finished | aborted
  std::string stopped_at;  // the unit a stopped or interrupted run continues at
  int done = 0, total = 0, failures = 0;
  TaskStatuses tasks;  // from the run's last report
};

// What the run's last report (report.json in the state commit, read and
// parsed once) says: its failed-task count and each unit's task statuses.
struct LastReport {
  int64_t failed = 0;
  TaskStatuses tasks;
};

LastReport last_report(const git::Repository& repo, const ops::RunView& run) {
  LastReport out;
  if (!run.state_commit) return out;
  auto json = repo.read_file(*run.state_commit, "report.json");
  if (!json) return out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(*json).get(doc)) return out;
  if (doc["totals"]["failed"].get_int64().get(out.failed)) out.failed = 0;
  simdjson::dom::array units;
  if (doc["units"].get_array().get(units)) return out;
  for (auto u : units) {
    std::string_view name;
    simdjson::dom::array tasks;
    if (u["name"].get_string().get(name) || u["tasks"].get_array().get(tasks)) continue;
    auto& list = out.tasks[std::string(name)];
    for (auto t : tasks) {
      std::string_view id, status;
      if (t["id"].get_string().get(id) || t["status"].get_string().get(status)) continue;
      list.emplace_back(std::string(id), std::string(status));
    }
  }
  return out;
}

Summary summarize(const git::Repository& repo, const ops::RunView& run) {
  Summary s;
  s.id = run.id;
  s.state = ops::run_state_label(repo, run);
  // One word for the JSON: the label without where it stopped.
  s.state_name = s.state;
  if (s.state.rfind("stopped", 0) == 0) {
    s.state_name = run.state->status == "running" ? "interrupted" : "stopped";
    s.stopped_at = ops::stopped_unit(*run.state);
  }
  s.tip = run.branch.value_or("");
  if (run.state) {
    s.base = run.state->base;
    s.done = static_cast<int>(run.state->completed.size());
    s.total = static_cast<int>(run.state->units.size());
    // Failed tasks: the state counts them when a unit is done, the last
    // report also counts those of a unit that was rolled back.
    LastReport report = last_report(repo, run);
    s.failures = std::max(run.state->failures, static_cast<int>(report.failed));
    s.tasks = std::move(report.tasks);
  }
  return s;
}

void write_summary_fields(JsonWriter& w, const Summary& s) {
  w.field("run_id", s.id).field("state", s.state_name).field("stopped_at", s.stopped_at);
  w.field("base", s.base).field("tip", s.tip);
  w.field("branch", "smartspec/" + s.id);
  w.field("units_done", s.done).field("units_total", s.total).field("failures", s.failures);
}

int status_all(const git::Repository& repo, bool json) {
  std::vector<Summary> rows;
  for (const auto& id : ops::run_ids(repo)) {
    auto run = ops::load_run(repo, id);
    if (!run) return ops::report_error(run.error());
    rows.push_back(summarize(repo, *run));
  }
  if (json) {
    JsonWriter w;
    w.begin_object().key("runs").begin_array();
    for (const auto& r : rows) {
      w.begin_object();
      write_summary_fields(w, r);
      w.end_object();
    }
    w.end_array().end_object();
    std::fputs(w.str().c_str(), stdout);
    return to_int(Exit::kOk);
  }
  if (rows.empty()) {
    std::puts("no runs in this repository");
    return to_int(Exit::kOk);
  }
  std::size_t wid = 3, wstate = 5;
  for (const auto& r : rows) {
    wid = std::max(wid, r.id.size());
    wstate = std::max(wstate, r.state.size());
  }
  std::printf("%-*s  %-*s  %-7s  %-7s  %-5s  %s\n", static_cast<int>(wid), "RUN",
              static_cast<int>(wstate), "STATE", "BASE", "TIP", "UNITS", "FAILURES");
  for (const auto& r : rows) {
    std::string units = std::to_string(r.done) + "/" + std::to_string(r.total);
    std::printf("%-*s  %-*s  %-7s  %-7s  %-5s  %d\n", static_cast<int>(wid), r.id.c_str(),
                static_cast<int>(wstate), r.state.c_str(),
                r.base.empty() ? "-" : short_id(r.base).c_str(),
                r.tip.empty() ? "-" : short_id(r.tip).c_str(), units.c_str(), r.failures);
  }
  return to_int(Exit::kOk);
}

// What `status RUN` shows, in both forms.
struct RunStatus {
  Summary s;
  std::vector<UnitLine> units;
  std::optional<std::pair<std::string, std::string>> worktree;
  std::string next;
  std::string resume;
};

RunStatus gather_status(git::Repository& repo, const ops::RunView& run) {
  RunStatus st;
  st.s = summarize(repo, run);
  st.units = unit_lines(repo, run);
  for (const auto& wt : git::Scratch::list(repo)) st.worktree = wt;
  auto holder = git::RepoLock::holder(repo);
  st.next = next_unit(run);
  if (run.state && run.state->status != "finished") {
    if (st.s.state == "running") {
      st.resume = "running now (pid " + std::to_string(holder->pid) + ")";
    } else {
      st.resume = "`" + resume_command(run) + "` continues at unit " +
                  (st.next.empty() ? std::string("(none left)") : st.next);
    }
  } else if (run.state) {
    st.resume = "nothing: the run is finished";
  } else {
    st.resume = "nothing: the run was aborted";
  }
  return st;
}

void print_status_json(const ops::RunView& run, const RunStatus& st) {
  const Summary& s = st.s;
  const auto& units = st.units;
  const auto& worktree = st.worktree;
  const std::string& next = st.next;
  const std::string& resume = st.resume;
  JsonWriter w;
  w.begin_object();
  write_summary_fields(w, s);
  w.field("reason", run.state ? run.state->reason : std::string());
  w.field("started", run.state ? run.state->started : std::string());
  w.field("updated", run.state ? run.state->updated : std::string());
  w.field("prompts_dir", run.state ? run.state->prompts_dir : std::string());
  w.field("tasks_path", run.state ? run.state->tasks_path : std::string());
  w.key("refs").begin_object();
  w.key("branch").value(run.branch ? std::optional<std::string>(run.refs.branch) : std::nullopt);
  w.key("checkpoint")
      .value(run.checkpoint ? std::optional<std::string>(run.refs.checkpoint) : std::nullopt);
  w.key("state").value(run.state_commit ? std::optional<std::string>(run.refs.state)
                                        : std::nullopt);
  w.key("failed").begin_array();
  for (const auto& [ref, oid] : run.failed)
    w.begin_object().field("ref", ref).field("commit", oid).end_object();
  w.end_array();
  w.key("undo").begin_array();
  for (const auto& [ref, oid] : run.undo)
    w.begin_object().field("ref", ref).field("commit", oid).end_object();
  w.end_array();
  w.end_object();
  w.field("checkpoint", run.checkpoint.value_or(""));
  w.key("units").begin_array();
  for (const auto& u : units) {
    w.begin_object().field("name", u.name).field("status", u.status).field("commit", u.commit);
    w.key("tasks").begin_array();
    auto tasks = s.tasks.find(u.name);
    if (tasks != s.tasks.end())
      for (const auto& [task, status] : tasks->second)
        w.begin_object().field("id", task).field("status", status).end_object();
    w.end_array().end_object();
  }
  w.end_array();
  w.key("worktree");
  if (worktree) {
    w.begin_object().field("name", worktree->first).field("path", worktree->second).end_object();
  } else {
    w.null();
  }
  w.field("next_unit", next).field("resume", resume);
  w.end_object();
  std::fputs(w.str().c_str(), stdout);
}

void print_status_text(const std::string& id, const ops::RunView& run, const RunStatus& st) {
  const Summary& s = st.s;
  const auto& units = st.units;
  const auto& worktree = st.worktree;
  const std::string& resume = st.resume;
  std::printf("run %s: %s\n", id.c_str(), s.state.c_str());
  if (run.state && !run.state->reason.empty())
    std::printf("  reason      %s\n", run.state->reason.c_str());
  if (!s.base.empty()) std::printf("  base        %s\n", short_id(s.base).c_str());
  std::printf("  units       %d/%d done, %d failed task%s\n", s.done, s.total, s.failures,
              s.failures == 1 ? "" : "s");
  for (const auto& u : units) {
    std::printf("    %-16s %s%s\n", u.name.c_str(), printable_status(u.status).c_str(),
                u.commit.empty() ? "" : (" " + short_id(u.commit)).c_str());
  }
  auto ref_line = [](const char* label, const std::string& ref,
                     const std::optional<std::string>& oid) {
    if (oid) std::printf("  %-11s %s %s\n", label, ref.c_str(), short_id(*oid).c_str());
  };
  ref_line("branch", run.refs.branch, run.branch);
  ref_line("checkpoint", run.refs.checkpoint, run.checkpoint);
  ref_line("state", run.refs.state, run.state_commit);
  for (const auto& [ref, oid] : run.failed) ref_line("failed", ref, oid);
  for (const auto& [ref, oid] : run.undo) ref_line("undo", ref, oid);
  if (worktree) {
    std::printf("  worktree    %s\n", worktree->second.c_str());
  } else {
    std::printf("  worktree    none\n");
  }
  std::printf("  resume      %s\n", resume.c_str());
}

int status_one(git::Repository& repo, const std::string& id, bool json) {
  auto loaded = ops::load_run(repo, id);
  if (!loaded) return ops::report_error(loaded.error());
  const RunStatus st = gather_status(repo, *loaded);
  if (json) {
    print_status_json(*loaded, st);
  } else {
    print_status_text(id, *loaded, st);
  }
  return to_int(Exit::kOk);
}

}  // namespace

int status_command(const RunSelect& opts) {
  auto repo = ops::open_repo(opts.common);
  if (!repo) return ops::report_error(repo.error());
  if (opts.run_id.empty()) return status_all(*repo, opts.common.json);
  return status_one(*repo, opts.run_id, opts.common.json);
}

}  // namespace smartspec::engine
