// Everything a run can be told on the command line (docs/DESIGN.md "Subcommands").
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace smartspec::engine {

struct CommonOptions {
  std::string repo_root;  // --repo-root; empty = discover from cwd / git environment
  bool json = false;      // --json
  int verbosity = 0;      // -q = -1, -v = 1, -vv = 2
};

struct RunOptions {
  CommonOptions common;
  std::string prompts_dir;  // --prompts-dir (required)
  std::string tasks;        // --tasks (required)
  std::string run_id;       // --run-id; default = resolved pack dir name
  std::string base;         // --base REV; default HEAD
  bool dry_run = false;
  bool checkpoint = false;
  bool resume = false;
  bool force = false;
  std::vector<std::string> skip_categories;
  std::vector<std::string> only_categories;
  int max_failures = 3;
  bool verify_after_each = false;
  bool verify_at_end = true;
  std::string verify_cmd;
  bool overwrite = false;
  bool evidence_hooks = true;
  bool mark_done = false;
  bool apply_skeletons = false;
  std::map<std::string, std::string> checks;  // --check EXT=CMD
  std::string agent;                          // --agent CMD
  int agent_timeout = 600;
  int agent_attempts = 2;  // --agent-attempts: calls per task while its evidence does not verify
  std::string agent_per = "task";  // task | unit
  int jobs = 1;  // --jobs: agent calls of a unit's tasks running at once (agent mode, per task)
  // --shard K/N (agent mode): run only this machine's share of the tasks, each
  // on the base, and keep their results as refs; no run, no unit commit.
  // 0/0 = not a shard.
  int shard_k = 0;
  int shard_n = 0;
  // --from-shards: take the tasks' results from the shards' refs (fetched),
  // merge and commit the units; a missing or conflicting result runs here.
  bool from_shards = false;
  bool land = false;
  bool run_hooks = false;
  // naming_issue: rename the file (and refuse while references to the old name
  // remain) instead of the pack's recommended option A, updating the evidence
  // path in tasks.md.
  bool rename_files = false;
  // The options given on the command line ("--agent", "--max-failures" ...):
  // --resume restores the others from the run state, and refuses a given one
  // that differs from the run's unless --force.
  std::set<std::string> given;
  bool agent_sandbox = false;               // --agent-sandbox (bubblewrap)
  std::vector<std::string> agent_writable;  // --agent-writable DIR (repeatable)
};

}  // namespace smartspec::engine
