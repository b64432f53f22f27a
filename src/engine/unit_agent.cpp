// Agent mode (unit_txn.hpp): the agent runs in the full checkout for each
// task (or once for the unit with --agent-per unit); each call's result is the
// tree of the worktree after it (engine/agent.hpp), the next call's start.
#include "engine/agent.hpp"
#include "engine/agent_progress.hpp"
#include "engine/run_internal.hpp"
#include "engine/unit_txn.hpp"

namespace smartspec::engine {

Result<std::vector<report::TaskReport>> UnitTransaction::call_agent(
    AgentContext& ctx, const std::vector<const plan::PlannedTask*>& batch) {
  RunContext& r = run_;
  std::string shown = batch.size() == 1 ? batch.front()->id : uname_;
  ctx.on_tick = [&r, uname = uname_, shown](double elapsed, const std::string& last) {
    r.console.agent_running(uname, r.task_n, r.task_total, shown, elapsed, last);
  };
  double t0 = r.clock.seconds();
  TRY(AgentResult res, run_agent(ctx, batch));
  r.crash.step();
  agent_tail_ = res.output_tail;
  if (res.ok) ctx.snapshot_tree = res.new_tree;
  std::vector<report::TaskReport> reports;
  for (std::size_t k = 0; k < batch.size(); ++k) {
    report::TaskReport tr = k < res.tasks.size() ? res.tasks[k] : report::TaskReport{};
    tr.id = batch[k]->id;
    tr.title = batch[k]->title;
    if (!res.ok && tr.status == report::TaskStatus::kSucceeded)
      tr.status = report::TaskStatus::kFailed;
    if (tr.duration_ms == 0) tr.duration_ms = static_cast<long>((r.clock.seconds() - t0) * 1000);
    tr.lane = 1;  // the run's scratch
    tr.call_start = t0;
    tr.call_end = r.clock.seconds();
    reports.push_back(std::move(tr));
  }
  return reports;
}

// The reports of one call, numbered from `first_number`; a failed task
// spends the budget (not when a signal ended the call).
void UnitTransaction::record_agent_reports(std::vector<report::TaskReport> reports,
                                           int first_number) {
  int n = first_number;
  for (auto& tr : reports) {
    if (tr.status == report::TaskStatus::kFailed && !interrupted()) count_failure();
    tr.number = n++;
    ur_.tasks.push_back(std::move(tr));
  }
}

Result<void> UnitTransaction::execute_agent() {
  RunContext& r = run_;
  AgentContext ctx{r.opts, r.in,       r.repo,    *r.scratch,
                   uname_, base_tree_, r.log_dir, r.tasks_tracked};
  ctx.syntax = r.syntax.get();
  ctx.program = self_program();
  ctx.processes = &r.procs;
  // --from-shards takes the shards' results and merges them as lanes' results.
  if ((r.opts.jobs > 1 || r.opts.from_shards) && r.opts.agent_per != "unit")
    return execute_agent_jobs(ctx);
  if (r.opts.agent_per == "unit") {
    std::vector<const plan::PlannedTask*> batch;
    for (const auto& t : unit_.tasks) {
      report::TaskReport tr;
      if (begin_task(t, tr) == TaskStart::kRun)
        batch.push_back(&t);
      else
        ur_.tasks.push_back(std::move(tr));
    }
    if (!batch.empty()) {
      TRY(auto reports, call_agent(ctx, batch));
      record_agent_reports(std::move(reports), r.task_n - static_cast<int>(batch.size()) + 1);
      if (!ur_.tasks.empty() && ur_.tasks.back().status == report::TaskStatus::kFailed)
        r.agent_tails[ur_.tasks.back().id] = agent_tail_;
    }
  } else {
    for (const auto& t : unit_.tasks) {
      report::TaskReport tr;
      if (begin_task(t, tr) != TaskStart::kRun) {
        ur_.tasks.push_back(std::move(tr));
        continue;
      }
      TRY(auto reports, call_agent(ctx, {&t}));
      for (const auto& rep : reports)
        if (rep.status == report::TaskStatus::kFailed) r.agent_tails[rep.id] = agent_tail_;
      record_agent_reports(std::move(reports), r.task_n);
    }
  }
  tree_ = ctx.snapshot_tree;
  return {};
}

}  // namespace smartspec::engine
