// Starting or resuming a run (runner.hpp): the run state, the checkpoint and
// the branch brought to where the run continues.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "engine/run_internal.hpp"
#include "engine/runner.hpp"

namespace smartspec::engine {

Result<Runner::Start> Runner::start_or_resume() {
  const Inputs& in = run_.in;
  TRY(auto existing, read_state(run_.repo, run_.refs.state));
  if (existing && !run_.opts.resume) {
    return fail(Error{{},
                      0,
                      "run " + in.run_id + " already exists (" + existing->status +
                          "): use --resume to continue it, `smartspec-batch abort " + in.run_id +
                          " --delete-branch` to drop it, or --run-id for a new run"});
  }
  if (!existing && run_.opts.resume) {
    return fail(Error{{}, 0, "no run " + in.run_id + " to resume (see `smartspec-batch status`)"});
  }
  if (existing) {
    TRY(Start s, resume(*existing));
    if (s == Start::kAlreadyFinished) return s;
  } else {
    TRY_VOID(start_new());
  }
  TRY_VOID(align_refs());
  return Start::kGoOn;
}

Result<Runner::Start> Runner::resume(const RunState& existing) {
  const RunOptions& opts = run_.opts;
  Inputs& in = run_.in;
  RunState& state = run_.state;
  state = existing;
  if (state.base != in.base) {
    // The plan was made against HEAD; a resume continues on the run's base.
    if (!opts.base.empty()) {
      return fail(Error{{},
                        0,
                        "--base " + opts.base + " is not the base of run " + in.run_id + " (" +
                            state.base.substr(0, 7) + ")"});
    }
    auto again = load_inputs(opts, state.base);
    if (!again) return fail(again.error());
    in.plan = std::move(again->plan);
    in.base = state.base;
  }
  if (state.pack_digest != in.digest && !opts.force) {
    return fail(Error{opts.prompts_dir, 0,
                      "the pack changed since run " + in.run_id +
                          " started; use --force to resume with the new content"});
  }
  if (state.status == "finished") {
    report_finished();
    return Start::kAlreadyFinished;
  }
  state.pack_digest = in.digest;
  state.options = opts;
  state.options.given.clear();
  state.has_options = true;
  state.mode = opts.agent.empty() ? "apply" : "agent";
  run_.report.resumed = true;
  run_.failures = state.failures;
  return Start::kGoOn;
}

void Runner::report_finished() const {
  const RunState& state = run_.state;
  run_.console.note("run " + run_.in.run_id + " already finished; nothing to resume");
  report::RunReport done;
  for (const auto& [u, t] : state.results) {
    if (done.units.empty() || unit_name(done.units.back().unit) != u) {
      done.units.emplace_back();
      if (auto parsed = unit_from_name(u)) done.units.back().unit = *parsed;
    }
    done.units.back().tasks.push_back(t);
  }
  if (!state.results.empty()) run_.console.note(report::totals_line(report::totals(done)));
  if (state.exit_code >= 0) {
    done.exit_code = state.exit_code;
    run_.console.note("it ended with exit " + std::to_string(state.exit_code) + " (" +
                      report::run_exit_meaning(done) + "); see `smartspec-batch show " +
                      run_.in.run_id + "`");
  }
  // --json: the run's report, as `show --json` prints it, so a script gets a
  // document here too.
  if (run_.opts.common.json) {
    auto tip = run_.repo.read_ref(run_.refs.state);
    auto json = tip ? run_.repo.read_file(*tip, "report.json") : std::nullopt;
    if (json) {
      std::fputs(json->c_str(), stdout);
    } else {
      spdlog::warn("run {} has no report JSON in {}", run_.in.run_id, run_.refs.state);
    }
  }
}

Result<void> Runner::start_new() {
  const RunOptions& opts = run_.opts;
  const Inputs& in = run_.in;
  RunState& state = run_.state;
  // A branch or checkpoint without state: debris of a run killed before its
  // first state write, or a user's branch with our name.
  auto branch = run_.repo.read_ref(run_.refs.branch);
  auto cp = run_.repo.read_ref(run_.refs.checkpoint);
  if (branch && *branch != in.base && (!cp || *cp != *branch)) {
    return fail(
        Error{{},
              0,
              "branch smartspec/" + in.run_id + " exists and is not a run's result; use --run-id"});
  }
  state.run_id = in.run_id;
  state.base = in.base;
  state.pack_digest = in.digest;
  state.prompts_dir = opts.prompts_dir;
  state.tasks_path = opts.tasks;
  state.started = run_.report.started;
  state.mode = opts.agent.empty() ? "apply" : "agent";
  state.options = opts;
  state.options.given.clear();
  state.has_options = true;
  for (const auto& u : in.plan.units) state.units.emplace_back(unit_name(u.unit));
  state.total_tasks = static_cast<int>(in.plan.task_count());
  state.updated = run_.clock.iso8601();
  TRY_VOID(write_state(run_.repo, run_.refs.state, state, run_.plan_json, "started"));
  run_.crash.step();
  if (!run_.repo.read_ref(run_.refs.checkpoint)) {
    TRY_VOID(run_.repo.update_ref(run_.refs.checkpoint, in.base, std::nullopt,
                                  "smartspec: start run " + in.run_id));
    run_.crash.step();
  }
  return {};
}

// The checkpoint is where the run continues; the branch follows it (a kill
// between the two updates leaves it one unit behind): bring it there.
Result<void> Runner::align_refs() {
  git::Repository& repo = run_.repo;
  const std::string& run_id = run_.in.run_id;
  auto cp = repo.read_ref(run_.refs.checkpoint);
  if (!cp) {
    TRY_VOID(repo.update_ref(run_.refs.checkpoint, run_.state.base, std::nullopt,
                             "smartspec: start run " + run_id));
    cp = run_.state.base;
  }
  run_.checkpoint = *cp;
  auto branch = repo.read_ref(run_.refs.branch);
  if (!branch || *branch != run_.checkpoint) {
    TRY_VOID(repo.update_ref(run_.refs.branch, run_.checkpoint, branch,
                             "smartspec: result of run " + run_id));
    run_.crash.step();
  }
  return {};
}

}  // namespace smartspec::engine
