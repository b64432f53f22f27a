// The run loop: plan, for each unit a transaction (unit_txn.hpp), report.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/run_context.hpp"

namespace smartspec::engine {

class Runner {
 public:
  Runner(const RunOptions& opts, Inputs& in, report::Console& console, const Ports& ports)
      : run_(opts, in, console, ports) {}

  // The process exit code (docs/DESIGN.md "Exit codes").
  int run();

  // The plan's output paths (what the syntax checks will see).
  static std::vector<std::string> plan_outputs(const plan::Plan& plan);
  // A checker already started for `root` (run_command starts it before the
  // lock, so that the interpreter's start-up overlaps the run's own start).
  void adopt_syntax_session(std::unique_ptr<exec::SyntaxSession> s) {
    early_syntax_ = std::move(s);
  }

 private:
  // What the start found: go on with the units, or the run already finished.
  enum class Start { kGoOn, kAlreadyFinished };
  Result<Start> start_or_resume();
  Result<Start> resume(const RunState& existing);
  Result<void> start_new();
  Result<void> align_refs();
  void report_finished() const;

  void begin_report();
  Result<void> open_scratch();
  void start_syntax_session();
  // The checker run_command started before taking the lock (see
  // start_syntax_checker), kept when its root is the scratch worktree.
  std::unique_ptr<exec::SyntaxSession> early_syntax_;
  void verify_before();
  // Units the run committed before this invocation: unit → commit ("" when
  // only the state records it).
  std::map<std::string, std::string> committed_earlier();
  void report_not_run(const plan::PlannedUnit& unit, report::UnitReport& ur);
  void report_done_earlier(const plan::PlannedUnit& unit, const std::string& commit,
                           report::UnitReport& ur);
  void stop_at(const std::string& unit, const std::string& reason);
  // --from-shards (runner_shards.cpp): where the shards' results are, and a
  // line on how many of the tasks still to run have none; the refs of a
  // unit once it is done.
  void find_shard_results(const std::map<std::string, std::string>& earlier);
  void drop_shard_refs(const plan::PlannedUnit& unit);
  int exit_code_of(bool stopped) const;

  int finish(int exit_code);
  Result<void> write_reports(std::string& json);

  RunContext run_;
};

}  // namespace smartspec::engine
