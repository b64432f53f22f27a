// `status` and `show`, and the helpers every run-management command shares:
// finding a run's refs and state, and reading its unit commits.
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

namespace ops {

namespace {

// The value of trailer `key` ("Smartspec-Unit") in a commit message, or "".
std::string trailer(const std::string& msg, const std::string& key) {
  std::string needle = "\n" + key + ": ";
  auto pos = msg.rfind(needle);
  if (pos == std::string::npos) return {};
  auto start = pos + needle.size();
  auto end = msg.find('\n', start);
  return std::string(text::trim(msg.substr(start, end == std::string::npos ? end : end - start)));
}

std::string strip_prefix(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s;
}

}  // namespace

Result<git::Repository> open_repo(const CommonOptions& common) {
  git::OpenOptions o;
  o.repo_root = common.repo_root;
  return git::Repository::open(o);
}

std::vector<std::string> run_ids(const git::Repository& repo) {
  std::set<std::string> ids;
  for (const char* prefix :
       {"refs/smartspec/runs/", "refs/smartspec/checkpoints/", "refs/heads/smartspec/"}) {
    for (const auto& [name, oid] : repo.list_refs(prefix)) {
      std::string id = strip_prefix(name, prefix);
      if (id.find('/') == std::string::npos) ids.insert(id);
    }
  }
  return {ids.begin(), ids.end()};
}

Result<RunView> load_run(const git::Repository& repo, const std::string& id) {
  RunView v(id);
  v.branch = repo.read_ref(v.refs.branch);
  v.checkpoint = repo.read_ref(v.refs.checkpoint);
  v.state_commit = repo.read_ref(v.refs.state);
  TRY(v.state, read_state(repo, v.refs.state));
  v.failed = repo.list_refs(v.refs.failed_prefix);
  v.undo = repo.list_refs(v.refs.undo_prefix);
  auto n = [&v](const std::string& ref) {
    return std::atoi(strip_prefix(ref, v.refs.undo_prefix).c_str());
  };
  std::sort(v.undo.begin(), v.undo.end(),
            [&n](const auto& a, const auto& b) { return n(a.first) < n(b.first); });
  if (!v.branch && !v.checkpoint && !v.state) {
    return fail("no run " + id + " in this repository (see `smartspec-batch status`)");
  }
  return v;
}

namespace {

// Where a stopped run continues: the unit it recorded, else (killed before it
// could record where it stopped) the first unit not done.
std::string stopped_unit(const RunState& s) {
  if (!s.stopped_at.empty()) return s.stopped_at;
  for (const auto& u : s.units)
    if (std::find(s.completed.begin(), s.completed.end(), u) == s.completed.end()) return u;
  return "";
}

}  // namespace

std::string run_state_label(const git::Repository& repo, const RunView& run) {
  if (!run.state) return "aborted";
  const RunState& s = *run.state;
  if (s.status == "finished") return "finished";
  auto holder = git::RepoLock::holder(repo);
  if (s.status == "running" && holder && holder->run_id == run.id) return "running";
  std::string at = stopped_unit(s);
  std::string label = at.empty() ? "stopped" : "stopped at " + at;
  if (s.status == "running") label += " (interrupted)";
  return label;
}

Result<std::vector<ChainCommit>> unit_chain(const git::Repository& repo, const std::string& id,
                                            const std::string& base, const std::string& tip) {
  std::vector<ChainCommit> out;
  std::string cur = tip;
  for (int guard = 0; cur != base; ++guard) {
    if (guard > 100000) return fail("the result branch of run " + id + " is too long");
    TRY(auto msg, repo.message(cur));
    if (base.empty() && trailer(msg, "Smartspec-Run") != id) break;
    out.push_back({cur, trailer(msg, "Smartspec-Unit")});
    TRY(auto parents, repo.parents(cur));
    if (parents.empty()) {
      if (base.empty()) break;
      return fail("the result branch of run " + id + " does not descend from its base " +
                  short_id(base));
    }
    cur = parents.front();
  }
  std::reverse(out.begin(), out.end());
  return out;
}

int next_undo_number(const RunView& run) {
  int n = 0;
  for (const auto& [ref, oid] : run.undo)
    n = std::max(n, std::atoi(strip_prefix(ref, run.refs.undo_prefix).c_str()));
  return n + 1;
}

}  // namespace ops

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

struct Summary {
  std::string id, state, base, tip;
  std::string state_name;  // running | stopped | interrupted | finished | aborted
  std::string stopped_at;  // the unit a stopped or interrupted run continues at
  int done = 0, total = 0, failures = 0;
};

// Each unit's tasks with their status in the run's last report (report.json
// in the state commit): unit name -> [(task id, status)].
std::map<std::string, std::vector<std::pair<std::string, std::string>>> task_statuses(
    const git::Repository& repo, const ops::RunView& run) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> out;
  if (!run.state_commit) return out;
  auto json = repo.read_file(*run.state_commit, "report.json");
  if (!json) return out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array units;
  if (parser.parse(*json).get(doc) || doc["units"].get_array().get(units)) return out;
  for (auto u : units) {
    std::string_view name;
    simdjson::dom::array tasks;
    if (u["name"].get_string().get(name) || u["tasks"].get_array().get(tasks)) continue;
    auto& list = out[std::string(name)];
    for (auto t : tasks) {
      std::string_view id, status;
      if (t["id"].get_string().get(id) || t["status"].get_string().get(status)) continue;
      list.emplace_back(std::string(id), std::string(status));
    }
  }
  return out;
}

// Failed tasks of the run: the state counts them when a unit is done, the
// last report also counts those of a unit that was rolled back.
int failures_of(const git::Repository& repo, const ops::RunView& run) {
  int n = run.state ? run.state->failures : 0;
  if (!run.state_commit) return n;
  auto json = repo.read_file(*run.state_commit, "report.json");
  if (!json) return n;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  int64_t failed = 0;
  if (!parser.parse(*json).get(doc) && !doc["totals"]["failed"].get_int64().get(failed))
    n = std::max(n, static_cast<int>(failed));
  return n;
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
    s.failures = failures_of(repo, run);
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
    return 0;
  }
  if (rows.empty()) {
    std::puts("no runs in this repository");
    return 0;
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
  return 0;
}

int status_one(git::Repository& repo, const std::string& id, bool json) {
  auto loaded = ops::load_run(repo, id);
  if (!loaded) return ops::report_error(loaded.error());
  const ops::RunView& run = *loaded;
  Summary s = summarize(repo, run);
  auto units = unit_lines(repo, run);
  std::optional<std::pair<std::string, std::string>> worktree;
  for (const auto& wt : git::Scratch::list(repo)) worktree = wt;
  auto holder = git::RepoLock::holder(repo);
  std::string next = next_unit(run);
  std::string resume;
  if (run.state && run.state->status != "finished") {
    if (s.state == "running") {
      resume = "running now (pid " + std::to_string(holder->pid) + ")";
    } else {
      resume = "`" + resume_command(run) + "` continues at unit " +
               (next.empty() ? std::string("(none left)") : next);
    }
  } else if (run.state) {
    resume = "nothing: the run is finished";
  } else {
    resume = "nothing: the run was aborted";
  }

  if (json) {
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
    auto tasks = task_statuses(repo, run);
    w.key("units").begin_array();
    for (const auto& u : units) {
      w.begin_object().field("name", u.name).field("status", u.status).field("commit", u.commit);
      w.key("tasks").begin_array();
      for (const auto& [task, status] : tasks[u.name])
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
    return 0;
  }

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
  return 0;
}

// The report JSON of a run: report.json in its state tree, else the newest
// .spec/reports/batch_execution_*.json whose run_id is the run's.
std::optional<std::string> report_json(const git::Repository& repo, const ops::RunView& run) {
  if (run.state_commit) {
    if (auto j = repo.read_file(*run.state_commit, "report.json")) return j;
  }
  fs::path dir = fs::path(repo.workdir()) / ".spec" / "reports";
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("batch_execution_", 0) == 0 && e.path().extension() == ".json")
      files.push_back(e.path());
  }
  std::sort(files.rbegin(), files.rend());
  simdjson::dom::parser parser;
  for (const auto& f : files) {
    auto bytes = text::read_file(f.string());
    if (!bytes) continue;
    simdjson::dom::element doc;
    std::string_view id;
    if (parser.parse(*bytes).get(doc) || doc["run_id"].get_string().get(id)) continue;
    if (id == run.id) return *bytes;
  }
  return std::nullopt;
}

}  // namespace

int status_command(const RunSelect& opts) {
  auto repo = ops::open_repo(opts.common);
  if (!repo) return ops::report_error(repo.error());
  if (opts.run_id.empty()) return status_all(*repo, opts.common.json);
  return status_one(*repo, opts.run_id, opts.common.json);
}

int show_command(const RunSelect& opts) {
  auto repo = ops::open_repo(opts.common);
  if (!repo) return ops::report_error(repo.error());
  std::string id = opts.run_id;
  if (id.empty()) {
    // The latest run: the state updated last.
    std::string newest;
    for (const auto& candidate : ops::run_ids(*repo)) {
      auto st = read_state(*repo, RunRefs(candidate).state);
      if (st && *st && (*st)->updated >= newest) {
        newest = (*st)->updated;
        id = candidate;
      }
    }
    if (id.empty()) return ops::report_error(Error{{}, 0, "no runs in this repository"});
  }
  auto run = ops::load_run(*repo, id);
  if (!run) return ops::report_error(run.error());
  if (opts.common.json) {
    auto json = report_json(*repo, *run);
    if (!json) {
      return ops::report_error(Error{{},
                                     0,
                                     "run " + id + " has no report JSON (neither in " +
                                         run->refs.state +
                                         " nor in .spec/reports/); it may have been "
                                         "stopped before writing one"});
    }
    std::fputs(json->c_str(), stdout);
    return 0;
  }
  if (!run->branch) {
    return ops::report_error(
        Error{{}, 0, "run " + id + " has no result branch smartspec/" + id + " (deleted?)"});
  }
  auto note = repo->read_note(kNotesRef, *run->branch);
  if (!note) {
    return ops::report_error(Error{{},
                                   0,
                                   "run " + id + " has no report note on smartspec/" + id + " (" +
                                       std::string(kNotesRef) +
                                       "); it may have been stopped before writing one"});
  }
  std::fputs(note->c_str(), stdout);
  if (!note->empty() && note->back() != '\n') std::fputc('\n', stdout);
  return 0;
}

}  // namespace smartspec::engine
