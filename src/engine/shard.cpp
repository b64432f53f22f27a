// `run --shard K/N` (shard.hpp, issue 21). Each task of the share runs in the
// run's scratch (`main`), a full checkout of the base, and the scratch is put
// back to the base after it; a killed shard leaves refs only of finished
// tasks (each written in one ref update), and run again it skips them.
#include "engine/shard.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

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
  Result<void> run_one(const Share& s, int n, int total);
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
    if (auto opened = open_scratch(); !opened) error = opened.error();
    int n = 0;
    for (const Share& s : *todo) {
      if (error || interrupted()) {
        ++c_.not_run;
        continue;
      }
      if (auto done = run_one(s, ++n, static_cast<int>(todo->size())); !done) error = done.error();
    }
  }
  summary(share.size(), error);
  if (error || interrupted()) return to_int(Exit::kStopped);
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

// One task: the agent call on the base; its result kept as the task's ref,
// the scratch put back to the base.
Result<void> ShardRun::run_one(const Share& s, int n, int total) {
  AgentContext ctx{r_.opts, r_.in,      r_.repo,    *r_.scratch,
                   s.unit,  base_tree_, r_.log_dir, r_.tasks_tracked};
  ctx.syntax = r_.syntax.get();
  ctx.program = self_program();
  ctx.processes = &r_.procs;
  ctx.on_tick = [this, &s, n, total](double elapsed, const std::string& last) {
    r_.console.agent_running(s.unit, n, total, s.task->id, elapsed, last);
  };
  TRY(AgentResult res, run_agent(ctx, {s.task}));
  r_.crash.step();
  report::TaskReport tr = res.tasks.empty() ? report::TaskReport{} : res.tasks.front();
  tr.id = s.task->id;
  tr.title = s.task->title;
  tr.number = n;
  if (!res.ok) {
    ++c_.failed;
    tr.status = report::TaskStatus::kFailed;
    r_.console.task_done(n, total, tr);
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
  if (!changed.empty()) TRY_VOID(r_.scratch->materialize(r_.in.base, changed));
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
  } else if (interrupted()) {
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
