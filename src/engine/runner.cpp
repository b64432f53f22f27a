// The run loop (runner.hpp): the plan's units in order, each one a
// UnitTransaction; after the first unit that does not commit, the rest are
// reported as not run and the run stops (resumable).
#include "engine/runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "engine/run_internal.hpp"
#include "engine/unit_txn.hpp"

namespace smartspec::engine {

namespace fs = std::filesystem;

int Runner::run() {
  begin_report();
  // Exit 2 promises that nothing changed: once this invocation has moved the
  // run's state ref, a failure is a stop (3), resumable.
  const auto state_before = run_.repo.read_ref(run_.refs.state);
  auto stop_code = [&](int code) {
    return code == to_int(Exit::kBadInput) && run_.repo.read_ref(run_.refs.state) != state_before
               ? to_int(Exit::kStopped)
               : code;
  };
  auto started = start_or_resume();
  if (!started) {
    std::fprintf(stderr, "smartspec-batch: error: %s\n", started.error().to_string().c_str());
    return stop_code(to_int(started.error().exit));
  }
  if (*started == Start::kAlreadyFinished) return to_int(Exit::kOk);
  spdlog::debug("run state written");
  if (auto opened = open_scratch(); !opened) {
    std::fprintf(stderr, "smartspec-batch: error: %s\n", opened.error().to_string().c_str());
    return stop_code(2);
  }
  start_syntax_session();
  verify_before();
  const auto earlier = committed_earlier();
  if (run_.opts.from_shards) find_shard_results(earlier);

  bool stopped = false;
  for (const auto& unit : run_.in.plan.units) {
    report::UnitReport ur;
    ur.unit = unit.unit;
    ur.priority = unit.priority;
    const std::string uname(unit_name(unit.unit));
    if (stopped) {
      report_not_run(unit, ur);
    } else if (auto it = earlier.find(uname); it != earlier.end()) {
      report_done_earlier(unit, it->second, ur);
    } else {
      UnitTransaction txn(run_, unit, ur);
      UnitEnd end = txn.run();
      if (end == UnitEnd::kRolledBack || end == UnitEnd::kCommittedThenFailed) {
        stopped = true;
        stop_at(uname, txn.reason());
      } else {
        // --jobs: the unit's task refs were for a resume of it; the checkpoint moved on.
        for (const auto& [ref, oid] : run_.repo.list_refs(run_.refs.tasks_prefix)) {
          if (auto gone = run_.repo.delete_ref(ref, oid); !gone)
            spdlog::warn("{}: {}", ref, gone.error().message);
        }
        drop_shard_refs(unit);
      }
    }
    run_.report.units.push_back(std::move(ur));
  }
  if (!stopped) {
    run_.state.stopped_at.clear();
    run_.state.reason.clear();
  }
  return finish(exit_code_of(stopped));
}

void Runner::begin_report() {
  const RunOptions& opts = run_.opts;
  const Inputs& in = run_.in;
  report::RunReport& rep = run_.report;
  run_.started_at = run_.clock.seconds();
  rep.run_id = in.run_id;
  rep.branch = "smartspec/" + in.run_id;
  rep.pack_digest = in.digest;
  rep.prompts_dir = opts.prompts_dir;
  rep.tasks_path = opts.tasks;
  rep.started = run_.clock.iso8601();
  rep.mode = opts.agent.empty() ? "apply" : "agent";
  rep.command = command_line(opts, in.run_id);
  for (const auto& w : in.plan.warnings)
    rep.warnings.push_back(
        (w.file.empty() ? "" : w.file + (w.line ? ":" + std::to_string(w.line) : "") + ": ") +
        w.message);
  run_.plan_json = plan::render_json(in.plan, in.pack);
  run_.task_total = static_cast<int>(in.plan.task_count());
}

Result<void> Runner::open_scratch() {
  run_.report.base = run_.state.base;
  run_.tasks_tracked =
      !run_.in.tasks_rel.empty() &&
      run_.repo.entry(run_.checkpoint, run_.in.tasks_rel).kind != git::Repository::Kind::kMissing;
  TRY(auto sc, git::Scratch::open(run_.repo, "main"));
  run_.scratch.emplace(std::move(sc));
  spdlog::debug("scratch worktree opened");
  run_.crash.step();
  if (!run_.opts.agent.empty()) {
    run_.log_dir = run_.repo.common_dir() + "/smartspec/logs/" + run_.in.run_id;
    std::error_code ec;
    fs::create_directories(run_.log_dir, ec);
  }
  return {};
}

// One checker process for the whole run (the worktree path never changes),
// started now when the plan names Python files, so that it is ready by the
// first task.
void Runner::start_syntax_session() {
  if (early_syntax_ && early_syntax_->root() == run_.scratch->path()) {
    run_.syntax = std::move(early_syntax_);
    return;
  }
  early_syntax_.reset();
  run_.syntax = std::make_unique<exec::SyntaxSession>(run_.scratch->path(), run_.opts.checks);
  run_.syntax->warm_up(plan_outputs(run_.in.plan));
}

std::vector<std::string> Runner::plan_outputs(const plan::Plan& plan) {
  std::vector<std::string> outputs;
  for (const auto& u : plan.units)
    for (const auto& t : u.tasks)
      for (const auto& f : t.files) outputs.push_back(f.path);
  return outputs;
}

void Runner::verify_before() {
  verify::Summary summary;
  auto figures = run_.verify_tree(run_.in.base, &summary);
  if (run_.opts.verify_at_end || run_.opts.verify_after_each) run_.report.before = figures;
  for (const auto& t : summary.tasks)
    if (t.verified) run_.already_done.insert(t.id);
}

std::map<std::string, std::string> Runner::committed_earlier() {
  std::map<std::string, std::string> out;
  if (auto done = committed_units(run_.repo, run_.state.base, run_.checkpoint))
    for (const auto& [u, c] : *done) out[u] = c;
  for (const auto& u : run_.state.completed) out.emplace(u, "");
  spdlog::debug("earlier commits of the run read");
  return out;
}

void Runner::report_not_run(const plan::PlannedUnit& unit, report::UnitReport& ur) {
  for (const auto& t : unit.tasks) {
    ++run_.task_n;
    report::TaskReport tr;
    tr.id = t.id;
    tr.title = t.title;
    tr.status = report::TaskStatus::kNotRun;
    ur.tasks.push_back(std::move(tr));
  }
}

// The results the earlier invocation recorded; a unit committed by an
// invocation killed before it recorded them is classified again by its
// evidence on its commit.
void Runner::report_done_earlier(const plan::PlannedUnit& unit, const std::string& commit,
                                 report::UnitReport& ur) {
  const std::string uname(unit_name(unit.unit));
  ur.status = report::UnitStatus::kDoneEarlier;
  ur.commit = commit;
  std::optional<verify::Summary> again;
  for (const auto& t : unit.tasks) {
    ++run_.task_n;
    report::TaskReport tr;
    const auto& results = run_.state.results;
    auto it = std::find_if(results.begin(), results.end(),
                           [&](const auto& r) { return r.first == uname && r.second.id == t.id; });
    if (it != results.end()) {
      tr = it->second;
    } else {
      tr.id = t.id;
      tr.title = t.title;
      if (!again) {
        again.emplace();
        run_.verify_tree(ur.commit.empty() ? run_.checkpoint : ur.commit, &*again);
      }
      const verify::TaskResult* res = again->find(t.id);
      tr.has_evidence = res != nullptr && !res->checks.empty();
      tr.status = tr.has_evidence && res->verified ? report::TaskStatus::kVerified
                                                   : report::TaskStatus::kAppliedUnverified;
      tr.notes.push_back(
          "result of the earlier invocation not recorded; classified by its evidence");
    }
    tr.number = run_.task_n;
    tr.notes.push_back("done in an earlier invocation");
    ur.tasks.push_back(tr);
  }
  run_.print_tasks(ur);
  run_.console.unit_done(ur);
}

void Runner::stop_at(const std::string& unit, const std::string& reason) {
  run_.state.stopped_at = unit;
  run_.state.reason = reason;
  run_.report.stopped_reason = "unit " + unit + ": " + reason;
}

// 3 when stopped; else 0 only when every planned task is done: verified, or
// (without evidence) changed and checked; 1 otherwise.
int Runner::exit_code_of(bool stopped) const {
  if (stopped) return to_int(Exit::kStopped);
  for (const auto& u : run_.report.units)
    for (const auto& t : u.tasks)
      if (!report::task_done(t)) return to_int(Exit::kTasksFailed);
  return to_int(Exit::kOk);
}

}  // namespace smartspec::engine
