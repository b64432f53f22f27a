// What one invocation of `run` shares between its loop (runner.cpp) and the
// unit transactions (unit_txn.hpp): the inputs, the ports, the scratch
// worktree, the run state and the checkpoint, the counters and the report.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/inputs.hpp"
#include "engine/state.hpp"
#include "smartspec/engine/options.hpp"
#include "smartspec/engine/ports.hpp"
#include "smartspec/exec/syntax.hpp"
#include "smartspec/git/git.hpp"
#include "smartspec/report/console.hpp"
#include "smartspec/report/report.hpp"
#include "smartspec/verify/verify.hpp"

namespace smartspec::engine {

struct RunContext {
  RunContext(const RunOptions& o, Inputs& i, report::Console& c, const Ports& ports)
      : opts(o),
        in(i),
        repo(i.repo),
        refs(i.run_id),
        console(c),
        clock(*ports.clock),
        crash(*ports.crash),
        procs(*ports.processes),
        interrupt(*ports.interrupt) {}

  const RunOptions& opts;
  Inputs& in;
  git::Repository& repo;
  RunRefs refs;
  report::Console& console;
  const Clock& clock;
  CrashPort& crash;
  ProcessRunner& procs;
  const InterruptPort& interrupt;

  std::optional<git::Scratch> scratch;
  std::unique_ptr<exec::SyntaxSession> syntax;  // one checker process for the whole run
  // --jobs N: lanes 2..N, each a scratch repository of its own ("lane-2" ...)
  // with its own checker; lane 1 is `scratch`. Opened by the first unit that
  // runs tasks in parallel (unit_jobs.cpp), kept for reuse like `scratch`.
  struct Lane {
    git::Scratch scratch;
    std::unique_ptr<exec::SyntaxSession> syntax;
    bool checked = false;            // compared with its checkout once in this invocation
    std::vector<std::string> dirty;  // paths its last task changed (all else: its checkout)
  };
  std::vector<std::unique_ptr<Lane>> lanes;
  RunState state;
  // --from-shards: refs/smartspec/shards/<key>/, where the shards left their results.
  std::string shard_prefix;
  std::string checkpoint;  // current checkpoint commit
  std::string plan_json;
  report::RunReport report;
  std::set<std::string> already_done;  // tasks verified on the base
  bool tasks_tracked = false;          // tasks.md is in the repository (in.tasks_rel)
  int failures = 0;
  int task_n = 0;
  int task_total = 0;
  double started_at = 0;
  std::string log_dir;            // agent logs of this run
  bool checkout_checked = false;  // the full checkout was compared with the checkpoint
  bool verify_cmd_ran = false;    // --verify-cmd ran in it since
  // The end of a failed agent call's output, printed under the task's line.
  std::map<std::string, std::vector<std::string>> agent_tails;

  // What `git add` would store for `paths` of the scratch worktree (deleted
  // ones as removals); a path that is not a regular file is refused.
  Result<std::vector<git::Repository::Change>> collect_changes(
      const std::vector<std::string>& paths);
  // The line ending a new file at `rel` gets in a checkout of the checkpoint.
  std::string line_ending(const std::string& rel);
  // False when no .gitattributes on rel's way and no configuration can change
  // its line endings (cached per directory and checkpoint).
  bool eol_rules_may_apply(const std::string& rel);
  // The tasks verified on `commit` (its own tasks.md when tracked): all of
  // them, or only those named in `only`. Verdicts only (no similar-file
  // search: nothing here shows a suggestion).
  std::optional<report::VerifyFigures> verify_tree(const std::string& commit,
                                                   verify::Summary* out = nullptr,
                                                   const std::set<std::string>* only = nullptr);
  // .spec/checkpoints/batch_execution_<id>.json with --checkpoint.
  void write_checkpoint_mirror(const std::string& current_unit, const std::string& current_task);
  // The unit's task lines (and failed agent calls' output) on the console.
  void print_tasks(const report::UnitReport& ur);

 private:
  std::optional<bool> eol_neutral_;
  std::unique_ptr<verify::FileSource> attr_source_;
  std::string attr_commit_;
  std::map<std::string, bool> attr_dirs_;  // directory → has a .gitattributes
};

}  // namespace smartspec::engine
