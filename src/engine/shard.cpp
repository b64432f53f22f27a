// `run --shard K/N` (shard.hpp, issue 21). Each task of the share runs in the
// run's scratch (`main`), a full checkout of the base, or with --jobs N in up
// to N lanes at once (as a run's unit, unit_jobs.cpp), and its lane is put
// back to the base after it; a killed shard leaves refs only of finished
// tasks (each written in one ref update), and run again it skips them.
#include "engine/shard.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "engine/agent.hpp"
#include "engine/agent_progress.hpp"
#include "engine/run_context.hpp"
#include "engine/run_internal.hpp"
#include "engine/task_refs.hpp"

namespace smartspec::engine {

namespace {

struct Share {
  std::string unit;  // unit name
  const plan::PlannedTask* task;
};

struct Counts {
  int run = 0, failed = 0, earlier = 0, on_base = 0, not_run = 0;
};

std::vector<Share> share_of(const plan::Plan& plan, int k, int n) {
  std::vector<Share> out;
  std::size_t position = 0;
  for (const auto& u : plan.units) {
    for (const auto& t : u.tasks) {
      if (position % static_cast<std::size_t>(n) == static_cast<std::size_t>(k - 1))
        out.push_back({std::string(unit_name(u.unit)), &t});
      ++position;
    }
  }
  return out;
}

class ShardRun {
 public:
  ShardRun(const RunOptions& o, Inputs& in, report::Console& console, const Ports& ports)
      : r_(o, in, console, ports), key_(shard_key(o, in)), prefix_(shard_prefix(key_)) {
    r_.state.base = in.base;
    r_.checkpoint = in.base;
    name_ = "shard " + std::to_string(o.shard_k) + "/" + std::to_string(o.shard_n);
  }

  int run();

 private:
  Result<std::vector<Share>> still_to_run(const std::vector<Share>& share);
  Result<void> open_scratch();
  AgentContext context(const Share& s, git::Scratch& lane, exec::SyntaxSession* syntax);
  Result<void> run_in_turn(const std::vector<Share>& todo);
  Result<void> run_at_once(const std::vector<Share>& todo);
  Result<std::vector<std::pair<git::Scratch*, exec::SyntaxSession*>>> open_lanes(std::size_t n);
  Result<void> record(const Share& s, std::size_t n, std::size_t total, const AgentResult& res,
                      git::Scratch& lane);
  void summary(std::size_t share_size, const std::optional<Error>& error) const;

  RunContext r_;
  std::string key_;
  std::string prefix_;
  std::string name_;
  std::string base_tree_;
  Counts c_;
};

int ShardRun::run() {
  const std::vector<Share> share = share_of(r_.in.plan, r_.opts.shard_k, r_.opts.shard_n);
  r_.console.note(name_ + ": " + std::to_string(share.size()) + " of " +
                  std::to_string(r_.in.plan.task_count()) + " tasks, on base " +
                  r_.in.base.substr(0, 7) + ", results under " + prefix_);
  std::optional<Error> error;
  auto todo = still_to_run(share);
  if (!todo) error = todo.error();
  if (!error && !todo->empty()) {
    auto ran = open_scratch();
    if (ran) ran = r_.opts.jobs > 1 && todo->size() > 1 ? run_at_once(*todo) : run_in_turn(*todo);
    if (!ran) error = ran.error();
  }
  summary(share.size(), error);
  if (error || r_.interrupt.requested()) return to_int(Exit::kStopped);
  return c_.failed > 0 ? to_int(Exit::kTasksFailed) : to_int(Exit::kOk);
}

// The share less its tasks verified on the base (nothing to do) and those
// with a result already (an earlier invocation of this shard).
Result<std::vector<Share>> ShardRun::still_to_run(const std::vector<Share>& share) {
  TRY(base_tree_, r_.repo.tree_of(r_.in.base));
  r_.tasks_tracked = !r_.in.tasks_rel.empty() && r_.repo.entry(r_.in.base, r_.in.tasks_rel).kind !=
                                                     git::Repository::Kind::kMissing;
  verify::Summary on_base;
  r_.verify_tree(r_.in.base, &on_base);
  std::vector<Share> todo;
  for (const Share& s : share) {
    const verify::TaskResult* v = on_base.find(s.task->id);
    if (v != nullptr && v->verified) {
      ++c_.on_base;
      continue;
    }
    auto saved = read_task_ref(r_.repo, task_ref_name(prefix_, s.task->id), s.task->id);
    if (saved && saved->parent == r_.in.base) {
      ++c_.earlier;
      continue;
    }
    todo.push_back(s);
  }
  return todo;
}

Result<void> ShardRun::open_scratch() {
  TRY(auto sc, git::Scratch::open(r_.repo, "main"));
  r_.scratch.emplace(std::move(sc));
  TRY_VOID(r_.scratch->checkout_full(r_.in.base));
  // What a killed run or shard left there is unknown: compare everything once.
  TRY(auto put_back, reset_checkout(r_.repo, *r_.scratch, base_tree_, false));
  if (put_back > 0) spdlog::debug("{}: {} path(s) of the scratch put back", name_, put_back);
  r_.syntax = std::make_unique<exec::SyntaxSession>(r_.scratch->path(), r_.opts.checks);
  r_.log_dir = r_.repo.common_dir() + "/smartspec/logs/shard-" + key_;
  return {};
}

AgentContext ShardRun::context(const Share& s, git::Scratch& lane, exec::SyntaxSession* syntax) {
  AgentContext ctx{r_.opts, r_.in, r_.repo, lane, s.unit, base_tree_, r_.log_dir, r_.tasks_tracked};
  ctx.syntax = syntax;
  ctx.program = self_program();
  ctx.processes = &r_.procs;
  return ctx;
}

// The tasks one at a time in the scratch, each from the base.
Result<void> ShardRun::run_in_turn(const std::vector<Share>& todo) {
  for (std::size_t i = 0; i < todo.size(); ++i) {
    if (r_.interrupt.requested()) {
      c_.not_run += static_cast<int>(todo.size() - i);
      break;
    }
    const Share& s = todo[i];
    AgentContext ctx = context(s, *r_.scratch, r_.syntax.get());
    ctx.on_tick = [this, &s, n = static_cast<int>(i + 1), total = static_cast<int>(todo.size())](
                      double elapsed, const std::string& last) {
      r_.console.agent_running(s.unit, n, total, s.task->id, elapsed, last);
    };
    TRY(AgentResult res, run_agent(ctx, {s.task}));
    TRY_VOID(record(s, i + 1, todo.size(), res, *r_.scratch));
  }
  return {};
}

// Lanes 2..n for --jobs, as a run's (scratch repositories "lane-2" ..., each
// compared whole with the base once); with the scratch as lane 1.
Result<std::vector<std::pair<git::Scratch*, exec::SyntaxSession*>>> ShardRun::open_lanes(
    std::size_t n) {
  std::vector<std::pair<git::Scratch*, exec::SyntaxSession*>> lanes{
      {&*r_.scratch, r_.syntax.get()}};
  for (std::size_t k = 2; k <= n; ++k) {
    TRY(auto sc, git::Scratch::open(r_.repo, "lane-" + std::to_string(k)));
    auto lane =
        std::make_unique<RunContext::Lane>(RunContext::Lane{std::move(sc), nullptr, false, {}});
    TRY_VOID(lane->scratch.checkout_full(r_.in.base));
    TRY(auto put_back, reset_checkout(r_.repo, lane->scratch, base_tree_, false));
    (void)put_back;
    lane->syntax = std::make_unique<exec::SyntaxSession>(lane->scratch.path(), r_.opts.checks);
    lanes.emplace_back(&lane->scratch, lane->syntax.get());
    r_.lanes.push_back(std::move(lane));
  }
  return lanes;
}

// --jobs N: up to N calls at once, each in a lane, on the threads and the
// one lock of unit_jobs.cpp (a thread holds it but while its agent process
// runs: AgentContext::shared_lock); this thread records each finished call.
// Long (issue 21): dispatch and collection share the lock and the queues.
Result<void> ShardRun::run_at_once(const std::vector<Share>& todo) {
  const std::size_t n = todo.size();
  TRY(auto lanes, open_lanes(std::min<std::size_t>(static_cast<std::size_t>(r_.opts.jobs), n)));
  std::vector<std::unique_ptr<AgentContext>> contexts(n);
  std::vector<std::optional<Result<AgentResult>>> results(n);
  std::vector<std::size_t> lane_of(n, 0);
  std::vector<std::size_t> free_lanes;
  for (std::size_t k = lanes.size(); k-- > 0;) free_lanes.push_back(k);  // lane 1 first
  std::mutex mu;
  // As with --jobs: the lanes share the "before" snapshot, and the checks
  // after the calls use a handle of their own outside the run's lock.
  SharedUserState user_state(r_.repo);
  std::condition_variable cv;
  std::deque<std::size_t> finished;
  std::vector<std::thread> threads;
  std::unique_lock<std::mutex> lock(mu);
  struct Joiner {  // every way out waits for the running calls (an interrupt ends them)
    std::unique_lock<std::mutex>& lock;
    std::vector<std::thread>& threads;
    ~Joiner() {
      if (lock.owns_lock()) lock.unlock();
      for (auto& t : threads)
        if (t.joinable()) t.join();
    }
  } joiner{lock, threads};
  std::optional<Error> error;
  std::size_t next = 0;
  std::size_t running = 0;
  for (;;) {
    while (!error && !r_.interrupt.requested() && !free_lanes.empty() && next < n) {
      const std::size_t i = next++;
      lane_of[i] = free_lanes.back();
      free_lanes.pop_back();
      auto [scratch, syntax] = lanes[lane_of[i]];
      contexts[i] = std::make_unique<AgentContext>(context(todo[i], *scratch, syntax));
      contexts[i]->shared_lock = &mu;
      user_state.attach(*contexts[i]);
      ++running;
      threads.emplace_back([&, i] {
        std::unique_lock<std::mutex> held(mu);
        try {
          results[i] = run_agent(*contexts[i], {todo[i].task});
        } catch (const std::exception& e) {
          results[i] = Result<AgentResult>(fail(std::string("agent lane: ") + e.what()));
        }
        finished.push_back(i);
        cv.notify_one();
      });
    }
    if (running == 0) break;
    cv.wait(lock, [&] { return !finished.empty(); });
    while (!finished.empty()) {
      const std::size_t i = finished.front();
      finished.pop_front();
      --running;
      free_lanes.push_back(lane_of[i]);
      Result<void> kept = *results[i]
                              ? record(todo[i], i + 1, n, **results[i], *lanes[lane_of[i]].first)
                              : Result<void>(fail(results[i]->error()));
      if (!kept && !error) error = kept.error();
    }
  }
  c_.not_run += static_cast<int>(n - next);
  if (error) return fail(std::move(*error));
  return {};
}

// A finished call: its result kept as the task's ref and its lane put back
// to the base (the paths it changed), or the failure shown.
Result<void> ShardRun::record(const Share& s, std::size_t n, std::size_t total,
                              const AgentResult& res, git::Scratch& lane) {
  r_.crash.step();
  report::TaskReport tr = res.tasks.empty() ? report::TaskReport{} : res.tasks.front();
  tr.id = s.task->id;
  tr.title = s.task->title;
  tr.number = static_cast<int>(n);
  if (!res.ok) {
    ++c_.failed;
    tr.status = report::TaskStatus::kFailed;
    r_.console.task_done(static_cast<int>(n), static_cast<int>(total), tr);
    r_.console.agent_output(res.output_tail, tr.log);
    return {};
  }
  const std::string ref = task_ref_name(prefix_, s.task->id);
  TRY_VOID(write_task_ref(r_.repo, ref, r_.in.base, s.unit, res.new_tree, tr));
  r_.crash.step();
  ++c_.run;
  r_.console.note("[" + std::to_string(n) + "/" + std::to_string(total) + "] " + tr.id + ": " +
                  tr.title + " — result kept as " + ref);
  TRY(auto changed, r_.repo.changed_paths(base_tree_, res.new_tree));
  if (!changed.empty()) TRY_VOID(lane.materialize(r_.in.base, changed));
  return {};
}

// What the shard did, in one line, then how to hand its results on.
void ShardRun::summary(std::size_t share_size, const std::optional<Error>& error) const {
  std::string line = name_ + ": " + std::to_string(share_size) +
                     " tasks: " + std::to_string(c_.run) + " run, " + std::to_string(c_.earlier) +
                     " done earlier, " + std::to_string(c_.on_base) + " verified on the base, " +
                     std::to_string(c_.failed) + " failed";
  if (c_.not_run > 0) line += ", " + std::to_string(c_.not_run) + " not run";
  std::FILE* out = r_.opts.common.json ? stderr : stdout;  // as the console's
  r_.console.clear_progress();
  std::fprintf(out, "%s\n", line.c_str());
  if (error) {
    std::fprintf(stderr, "smartspec-batch: error: %s\n", error->to_string().c_str());
  } else if (r_.interrupt.requested()) {
    std::fprintf(out, "%s: interrupted; run it again to finish its tasks\n", name_.c_str());
  }
  std::fprintf(out, "%s: push the results: git push <remote> '%s*:%s*'\n", name_.c_str(),
               prefix_.c_str(), prefix_.c_str());
  std::fflush(out);
}

}  // namespace

int run_shard(const RunOptions& opts, Inputs& in, report::Console& console, const Ports& ports) {
  ShardRun shard(opts, in, console, ports);
  return shard.run();
}

}  // namespace smartspec::engine
