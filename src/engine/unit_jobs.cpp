// --jobs N in agent mode (issue 21): the agent calls of a unit's tasks run in
// up to N lanes at once. A lane is a scratch repository of its own (lane 1 is
// the run's scratch, lanes 2..N "lane-2" ...), a full checkout of the unit's
// base. Each task starts from the base; its result is a tree (base + its
// change). The unit's tree is the base merged with each task's tree in task
// order (git::merge_trees); a task whose change conflicts with the earlier
// ones is re-run after them, one at a time, on the merged tree.
//
// Threads: one per running call. The run's shared state (libgit2 handles, the
// run context, the console) is guarded by one lock; a lane's thread holds it
// for everything but the agent process itself (AgentContext::shared_lock), so
// git is used by one thread at a time and only the agents overlap.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "engine/agent.hpp"
#include "engine/agent_internal.hpp"
#include "engine/isolation.hpp"
#include "engine/run_internal.hpp"
#include "engine/state.hpp"
#include "engine/task_refs.hpp"
#include "engine/unit_txn.hpp"

namespace smartspec::engine {

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
  return out;
}

// The live line of the calls running at once (issue 21). Each call's ticker
// (a thread of its own, about once a second) reports here; drawing needs the
// run's lock (the console is shared state), and a tick that finds it taken is
// skipped: the next one comes a second later. The last output line shown is
// that of the call whose output changed last.
class JobsBoard {
 public:
  JobsBoard(report::Console& console, std::string unit, int total, std::mutex& mu)
      : console_(console), unit_(std::move(unit)), total_(total), mu_(mu) {}

  std::function<void(double, const std::string&)> ticker_for(std::size_t i, std::string task) {
    return [this, i, task = std::move(task)](double elapsed, const std::string& last) {
      std::unique_lock<std::mutex> held(mu_, std::try_to_lock);
      if (!held) return;
      report::RunningCall& call = calls_[i];
      call.task = task;
      call.elapsed = elapsed;
      if (!last.empty() && last != call.last_output) latest_ = i;
      call.last_output = last;
      draw();
    };
  }
  // A task is settled: its call ended, or it needs none (already done, not
  // run, restored from its ref, a shard's result). The caller holds the
  // run's lock. "<done>/<total> done" counts these.
  void finished(std::size_t i) {
    calls_.erase(i);
    ++done_;
    if (calls_.empty()) console_.clear_progress();
  }

 private:
  void draw() {
    std::vector<report::RunningCall> shown;
    for (const auto& [k, call] : calls_) {
      shown.push_back(call);
      if (k != latest_) shown.back().last_output.clear();
    }
    const double since =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began_).count();
    console_.agents_running(unit_, done_, total_, shown, since);
  }

  report::Console& console_;
  std::string unit_;
  int total_;
  std::mutex& mu_;
  std::map<std::size_t, report::RunningCall> calls_;  // by task index: task order
  std::size_t latest_ = static_cast<std::size_t>(-1);
  int done_ = 0;
  std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now();
};

// A finished call's result, kept for a resume of the unit: a commit of the
// task's tree on the unit's base under refs/smartspec/tasks/<run>/<task>
// (task_refs.hpp).
std::string task_ref(const RunContext& r, const std::string& id) {
  return task_ref_name(r.refs.tasks_prefix, id);
}

Result<void> save_task(RunContext& r, const std::string& unit, const std::string& tree,
                       const report::TaskReport& tr) {
  return write_task_ref(r.repo, task_ref(r, tr.id), r.checkpoint, unit, tree, tr);
}

// The task's saved result when it was made on this base: (tree, report).
std::optional<std::pair<std::string, report::TaskReport>> saved_task(const RunContext& r,
                                                                     const std::string& id) {
  auto saved = read_task_ref(r.repo, task_ref(r, id), id);
  if (!saved || saved->parent != r.checkpoint) return std::nullopt;
  return std::make_pair(saved->tree, std::move(saved->report));
}

}  // namespace

// Lanes 2..n at the unit's base: created on first use, then reused. Once per
// invocation a lane is compared with its checkout whole (what a killed run
// left); after that only the paths its last task changed are put back.
Result<void> UnitTransaction::open_lanes(std::size_t n) {
  RunContext& r = run_;
  while (r.lanes.size() + 1 < n) {
    TRY(auto sc, git::Scratch::open(r.repo, "lane-" + std::to_string(r.lanes.size() + 2)));
    auto lane =
        std::make_unique<RunContext::Lane>(RunContext::Lane{std::move(sc), nullptr, false, {}});
    lane->syntax = std::make_unique<exec::SyntaxSession>(lane->scratch.path(), r.opts.checks);
    r.lanes.push_back(std::move(lane));
  }
  for (std::size_t k = 0; k + 1 < n; ++k) {
    RunContext::Lane& lane = *r.lanes[k];
    TRY_VOID(lane.scratch.checkout_full(r.checkpoint));
    (void)lane.scratch.lock(
        "smartspec-batch: reusable full checkout of a --jobs lane (remove with "
        "smartspec-batch clean)");
    // What a killed run left there is unknown: compared whole once per
    // invocation, unless the lane's clean stamp says the tool put it back
    // and nothing ran in it since (Scratch::stamp_clean).
    if (!lane.checked) {
      if (!lane.scratch.clean_stamped()) {
        TRY(auto put_back, reset_checkout(r.repo, lane.scratch, base_tree_, false));
        (void)put_back;
      }
      lane.checked = true;
    } else if (!lane.dirty.empty()) {
      TRY_VOID(lane.scratch.materialize(r.checkpoint, lane.dirty));
    }
    lane.dirty.clear();
  }
  return {};
}

// Every call has ended: each extra lane is put back to the unit's base (the
// paths its last task changed) and stamped clean, so that the next
// invocation need not compare it whole.
Result<void> UnitTransaction::stamp_lanes(std::size_t lanes) {
  RunContext& r = run_;
  for (std::size_t k = 0; k + 1 < lanes; ++k) {
    RunContext::Lane& lane = *r.lanes[k];
    if (!lane.dirty.empty()) TRY_VOID(lane.scratch.materialize(r.checkpoint, lane.dirty));
    lane.dirty.clear();
    TRY_VOID(lane.scratch.stamp_clean());
  }
  return {};
}

// Long (issue 16): not split yet, because its lanes' dispatch, the collection
// of their results under the run's one lock and the merge are being changed at
// the same time on main (--jobs) and wip/shard (--shard); once those land it
// splits along those lines (dispatch, collect, merge, re-run the conflicting).
Result<void> UnitTransaction::execute_agent_jobs(AgentContext& ctx) {
  RunContext& r = run_;
  const std::size_t n = unit_.tasks.size();
  const std::size_t lanes = std::min<std::size_t>(static_cast<std::size_t>(r.opts.jobs), n);
  TRY_VOID(open_lanes(lanes));
  spdlog::debug("unit {}: {} lane(s) ready", uname_, lanes);
  std::vector<git::Scratch*> lane_scratch{&ctx.scratch};
  std::vector<exec::SyntaxSession*> lane_syntax{ctx.syntax};
  // What a lane's last task changed: a lane that ran a task is put back to
  // the base by rewriting these paths only (a failed call puts itself back).
  std::vector<std::string> main_dirty;
  std::vector<std::vector<std::string>*> lane_dirty{&main_dirty};
  for (std::size_t k = 0; k + 1 < lanes; ++k) {
    lane_scratch.push_back(&r.lanes[k]->scratch);
    lane_syntax.push_back(r.lanes[k]->syntax.get());
    lane_dirty.push_back(&r.lanes[k]->dirty);
  }

  std::vector<report::TaskReport> slots(n);
  std::vector<std::optional<Result<AgentResult>>> results(n);
  std::vector<std::unique_ptr<AgentContext>> contexts(n);
  std::vector<std::size_t> free_lanes;
  for (std::size_t k = lanes; k-- > 0;) free_lanes.push_back(k);  // lane 1 first
  std::vector<std::size_t> lane_of(n, 0);
  std::vector<double> started(n, 0);
  // The tree each task's result was made from: the unit's base, or for a
  // shard's result (--from-shards) the run's base.
  std::vector<std::string> task_base(n, base_tree_);
  std::vector<bool> no_shard(n, false);  // --from-shards: no result of a shard, called here

  std::mutex mu;
  // One snapshot of the user's repository serves as "before" for the calls
  // that start together (AgentContext::shared_user_state); when it cannot be
  // taken, each call takes its own and says why. The checks after the calls
  // use a handle of their own, outside the run's lock (without one, under it).
  SharedUserState user_state(r.repo);
  if (UserStateCheck first(r.repo, ctx.scratch); first.before())
    user_state.snapshot = first.first();
  if (!user_state.checker) spdlog::debug("unit {}: {}", uname_, user_state.checker.error().message);
  JobsBoard board(r.console, uname_, static_cast<int>(n), mu);
  std::condition_variable cv;
  std::deque<std::size_t> finished;
  std::vector<std::thread> threads;
  std::unique_lock<std::mutex> lock(mu);
  // Every way out waits for the running calls (an interrupt ends them).
  struct Joiner {
    std::unique_lock<std::mutex>& lock;
    std::vector<std::thread>& threads;
    ~Joiner() {
      if (lock.owns_lock()) lock.unlock();
      for (auto& t : threads)
        if (t.joinable()) t.join();
    }
  } joiner{lock, threads};

  std::optional<Error> tool_error;
  std::size_t next = 0;
  std::size_t running = 0;
  auto dispatch = [&] {
    while (!tool_error && !free_lanes.empty() && next < n) {
      const std::size_t i = next++;
      const plan::PlannedTask& t = unit_.tasks[i];
      if (begin_task(t, slots[i]) != TaskStart::kRun) {
        board.finished(i);
        continue;
      }
      if (auto saved = saved_task(r, t.id)) {  // a resumed unit: not called again
        report::TaskReport tr = std::move(saved->second);
        tr.number = slots[i].number;
        tr.notes.push_back("done by an earlier invocation (" + task_ref(r, t.id) +
                           "): the agent was not called again");
        AgentResult res;
        res.ok = true;
        res.new_tree = saved->first;
        res.tasks = {tr};
        results[i] = std::move(res);
        slots[i] = std::move(tr);
        board.finished(i);
        continue;
      }
      if (take_shard_result(t, slots[i], results[i], task_base[i])) {
        board.finished(i);
        continue;
      }
      no_shard[i] = r.opts.from_shards;
      const std::size_t lane = free_lanes.back();
      if (!lane_dirty[lane]->empty()) {  // the lane's previous task left its change there
        auto put_back = lane_scratch[lane]->materialize(r.checkpoint, *lane_dirty[lane]);
        if (!put_back) {
          tool_error = put_back.error();
          return;
        }
        lane_dirty[lane]->clear();
      }
      if (auto dropped = lane_scratch[lane]->drop_clean_stamp(); !dropped) {
        tool_error = dropped.error();  // an agent must never run under a clean stamp
        return;
      }
      free_lanes.pop_back();
      lane_of[i] = lane;
      started[i] = r.clock.seconds();
      contexts[i] = std::make_unique<AgentContext>(
          AgentContext{r.opts, r.in, r.repo, *lane_scratch[lane], uname_, base_tree_, r.log_dir,
                       r.tasks_tracked});
      AgentContext& c = *contexts[i];
      c.syntax = lane_syntax[lane];
      c.program = ctx.program;
      c.processes = ctx.processes;
      c.shared_lock = &mu;
      user_state.attach(c);
      c.on_tick = board.ticker_for(i, t.id);
      ++running;
      threads.emplace_back([&, i] {
        std::unique_lock<std::mutex> held(mu);
        Result<AgentResult> res = [&]() -> Result<AgentResult> {
          try {
            return run_agent(*contexts[i], {&unit_.tasks[i]});
          } catch (const std::exception& e) {
            return fail(std::string("agent lane: ") + e.what());
          }
        }();
        results[i] = std::move(res);
        finished.push_back(i);
        cv.notify_one();
      });
    }
  };

  dispatch();
  while (running > 0) {
    cv.wait(lock, [&] { return !finished.empty(); });
    while (!finished.empty()) {
      const std::size_t i = finished.front();
      finished.pop_front();
      --running;
      board.finished(i);
      free_lanes.push_back(lane_of[i]);
      Result<AgentResult>& res = *results[i];
      if (!res) {
        if (!tool_error) tool_error = res.error();
        continue;
      }
      report::TaskReport tr = res->tasks.empty() ? report::TaskReport{} : res->tasks.front();
      tr.id = unit_.tasks[i].id;
      tr.title = unit_.tasks[i].title;
      tr.number = slots[i].number;
      tr.lane = static_cast<int>(lane_of[i]) + 1;
      tr.call_start = started[i];
      tr.call_end = r.clock.seconds();
      if (no_shard[i])
        tr.notes.push_back("no shard result (" + task_ref_name(r.shard_prefix, tr.id) +
                           "): run here");
      if (res->ok) {
        auto saved = save_task(r, uname_, res->new_tree, tr);
        auto changed = r.repo.changed_paths(base_tree_, res->new_tree);
        if (!saved || !changed) {
          if (!tool_error) tool_error = !saved ? saved.error() : changed.error();
          continue;
        }
        *lane_dirty[lane_of[i]] = std::move(*changed);
      }
      r.crash.step();
      if (!res->ok) {
        tr.status = report::TaskStatus::kFailed;
        r.agent_tails[tr.id] = res->output_tail;
        if (!interrupted()) count_failure();
      }
      slots[i] = std::move(tr);
    }
    dispatch();
  }
  lock.unlock();
  for (auto& t : threads) t.join();
  threads.clear();
  if (tool_error) return fail(std::move(*tool_error));
  TRY_VOID(stamp_lanes(lanes));
  spdlog::debug("unit {}: calls done", uname_);

  // The base merged with each task's tree, in task order.
  std::string merged = base_tree_;
  std::vector<std::pair<std::size_t, std::vector<std::string>>> conflicting;
  for (std::size_t i = 0; i < n; ++i) {
    if (!results[i] || !*results[i] || !(*results[i])->ok) continue;
    const std::string& tree = (*results[i])->new_tree;
    if (tree == task_base[i]) continue;
    if (merged == base_tree_ && task_base[i] == base_tree_) {
      merged = tree;
      continue;
    }
    TRY(auto m, git::merge_trees(r.repo, task_base[i], merged, tree));
    if (m.conflicts.empty())
      merged = m.tree;
    else
      conflicting.emplace_back(i, std::move(m.conflicts));
  }

  spdlog::debug("unit {}: task trees merged ({} conflicting)", uname_, conflicting.size());
  // Conflicting tasks again, one at a time, in the run's scratch at the
  // merged tree: each starts from everything before it. That lane holds the
  // unit's base plus its last task's change (a failed call put itself back),
  // so the paths of that change and those the merge changed are rewritten,
  // as a lane is put back before its next task.
  TRY(auto to_merged, r.repo.changed_paths(base_tree_, merged));
  to_merged.insert(to_merged.end(), main_dirty.begin(), main_dirty.end());
  std::sort(to_merged.begin(), to_merged.end());
  to_merged.erase(std::unique(to_merged.begin(), to_merged.end()), to_merged.end());
  if (!to_merged.empty()) TRY_VOID(ctx.scratch.materialize(merged, to_merged));
  main_dirty.clear();
  for (auto& [i, paths] : conflicting) {
    const plan::PlannedTask& t = unit_.tasks[i];
    report::TaskReport& tr = slots[i];
    if (aborted() || interrupted()) {
      tr.status = report::TaskStatus::kNotRun;
      tr.notes.push_back("its change conflicts with an earlier task's on " + joined(paths) +
                         "; not re-run (the unit rolls back)");
      continue;
    }
    const int first_attempts = tr.attempts;
    ctx.snapshot_tree = merged;
    ctx.log_tag = ".rerun";
    auto called = call_agent(ctx, {&t});
    ctx.log_tag.clear();
    TRY(auto reports, std::move(called));
    report::TaskReport again = std::move(reports.front());
    again.number = tr.number;
    again.notes.insert(
        again.notes.begin(),
        std::string("re-run after a conflict: its change from ") +
            (task_base[i] == base_tree_ ? "the unit's base (" : "the run's base, by a shard (") +
            std::to_string(first_attempts) + (first_attempts == 1 ? " attempt" : " attempts") +
            ") conflicts with an earlier task's on " + joined(paths));
    if (!tr.log.empty())
      again.notes.insert(again.notes.begin() + 1, "the first call's log: " + tr.log);
    if (again.status == report::TaskStatus::kFailed) {
      r.agent_tails[again.id] = agent_tail_;
      if (!interrupted()) count_failure();
    } else {
      merged = ctx.snapshot_tree;
    }
    tr = std::move(again);
  }
  for (auto& tr : slots) ur_.tasks.push_back(std::move(tr));
  tree_ = merged;
  return {};
}

}  // namespace smartspec::engine
