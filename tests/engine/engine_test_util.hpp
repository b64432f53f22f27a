// In-process runs of the engine (no binary started): fakes for the engine's
// ports (include/smartspec/engine/ports.hpp) and a real inventory repository.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/state.hpp"
#include "smartspec/engine/engine.hpp"
#include "smartspec/engine/ports.hpp"
#include "support/test_support.hpp"

namespace smartspec::engine::testing {

// What a test's crash port throws: the run "dies" at that step. It is not a
// std::exception, so no rollback runs — as after a SIGKILL.
struct SimulatedCrash {
  long step;
};

// Counts the numbered steps; throws SimulatedCrash at `target` (0 = never).
class CrashAt final : public CrashPort {
 public:
  explicit CrashAt(long target = 0) : target_(target) {}
  void step() override {
    if (++n_ == target_) throw SimulatedCrash{n_};
  }
  [[nodiscard]] long steps() const { return n_; }

 private:
  long target_;
  long n_ = 0;
};

// Real processes, except those `fake` answers (it returns true and fills the
// result, or sets `start_error`). Every call is recorded.
class ScriptedProcesses final : public ProcessRunner {
 public:
  using Fake = std::function<bool(const exec::ProcSpec&, exec::ProcResult&)>;
  Fake fake;
  std::vector<exec::ProcSpec> calls;
  Result<exec::ProcResult> run(const exec::ProcSpec& spec) override {
    calls.push_back(spec);
    exec::ProcResult r;
    if (fake && fake(spec, r)) return r;
    return exec::run_process(spec);
  }
};

// The run's interrupt as a test raises it: requested from the first time
// `when` says so (as if SIGINT arrived then), and from then on.
class InterruptWhen final : public InterruptPort {
 public:
  std::function<bool()> when;
  [[nodiscard]] bool requested() const override {
    if (!raised_ && when && when()) raised_ = true;
    return raised_;
  }

 private:
  mutable bool raised_ = false;
};

struct Harness {
  test::TempDir dir;
  std::string repo;
  std::shared_ptr<CrashAt> crash = std::make_shared<CrashAt>();
  std::shared_ptr<ScriptedProcesses> processes = std::make_shared<ScriptedProcesses>();
  std::shared_ptr<InterruptWhen> interrupt = std::make_shared<InterruptWhen>();
  RunOptions opts;

  Harness() {
    repo = test::make_inventory_repo(dir);
    opts.prompts_dir =
        (test::source_dir() / "examples" / "inventory" / "packs" / "20251226_083000").string();
    opts.tasks = repo + "/tasks.md";
    opts.common.repo_root = repo;
    opts.common.verbosity = -1;  // quiet console
  }

  [[nodiscard]] Ports ports() const {
    return Ports{fixed_clock(1767225600), crash, processes, interrupt};
  }
  int run() { return run_command(opts, ports()); }
  // A new invocation: no crash, no interrupt.
  int resume() {
    RunOptions o = opts;
    o.resume = true;
    crash = std::make_shared<CrashAt>();
    interrupt = std::make_shared<InterruptWhen>();
    return run_command(o, ports());
  }

  static constexpr const char* kRunId = "20251226_083000";
  [[nodiscard]] std::string branch() const { return std::string("smartspec/") + kRunId; }
  [[nodiscard]] std::string git(const std::vector<std::string>& args, bool check = true) const {
    return test::git(repo, args, check);
  }
  [[nodiscard]] std::string tree(const std::string& rev) const {
    return git({"rev-parse", rev + "^{tree}"});
  }
  [[nodiscard]] std::string messages() const {
    return git({"log", "--format=%B", "HEAD.." + branch()});
  }
  [[nodiscard]] RunState state() const {
    auto r = git::Repository::open({repo, false});
    auto s = read_state(*r, std::string("refs/smartspec/runs/") + kRunId);
    return s && *s ? **s : RunState{};
  }
};

}  // namespace smartspec::engine::testing
