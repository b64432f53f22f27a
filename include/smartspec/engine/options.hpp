// Everything a run can be told on the command line (docs/DESIGN.md "Subcommands").
#pragma once

#include <map>
#include <optional>
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
  std::string agent;                           // --agent CMD
  int agent_timeout = 600;
  std::string agent_per = "task";  // task | unit
  bool land = false;
  bool run_hooks = false;
  bool agent_sandbox = false;               // --agent-sandbox (bubblewrap)
  std::vector<std::string> agent_writable;  // --agent-writable DIR (repeatable)
};

}  // namespace smartspec::engine
