// The run-management subcommands (docs/DESIGN.md "Subcommands"): status, show,
// rollback, abort, land, clean, hook. Each *_command returns the process exit
// code (docs/DESIGN.md "Exit codes"), prints what the user sees on stdout (one JSON
// document with --json) and errors as one line "smartspec-batch: error: …".
#pragma once

#include <string>
#include <vector>

#include "smartspec/engine/options.hpp"
#include "smartspec/git/git.hpp"
#include "smartspec/util/result.hpp"

namespace smartspec::engine {

struct RunSelect {
  CommonOptions common;
  std::string run_id;  // "" = every run (status) / the latest run (show)
};

struct RollbackOptions {
  CommonOptions common;
  std::string run_id;
  std::string unit;     // --unit NAME (singular or plural spelling)
  bool revert = false;  // --revert: add a revert commit on top instead
  bool undo = false;    // --undo: restore the latest undo ref
};

struct AbortOptions {
  CommonOptions common;
  std::string run_id;
  bool delete_branch = false;
};

struct HookOptions {
  CommonOptions common;
  std::string action;  // "install" | "uninstall"
  bool force = false;
};

int status_command(const RunSelect& opts);
int show_command(const RunSelect& opts);
int rollback_command(const RollbackOptions& opts);
int abort_command(const AbortOptions& opts);
int land_command(const RunSelect& opts);
int clean_command(const CommonOptions& opts);
int hook_command(const HookOptions& opts);

struct VerifyOptions {
  CommonOptions common;
  std::string tasks;           // TASKS
  std::string rev;             // --rev: a commit's tree instead of the working tree
  std::string out;             // --out DIR: <DIR>/<run_id>/summary.json and report.md
  std::string task;            // --task ID: only this task (exit 0 iff it verifies)
  bool checked_only = false;   // --checked-only: only tasks marked [x] decide the exit status
  bool python_compat = false;  // --python-compat: exactly the Python verifier's verdicts
};
// The native evidence verifier: exit 0 when every (selected) task verifies, 1
// when not, 2 on bad input.
int verify_command(const VerifyOptions& opts);

// Fast-forwards the user's current branch to the finished run's result and
// updates the working tree and index for the paths the run changed. Refuses
// (Error, exit 2, nothing changed) on a detached HEAD, when the current branch
// no longer points at the run's base, or when a local change (staged,
// unstaged, untracked or ignored file) touches one of those paths. The caller
// holds the repository lock (run --land) or land_command takes it.
Result<void> land_run(git::Repository& repo, const std::string& run_id);

// The shipped hooks, byte-identical to hooks/<name> in the source tree:
// (name, text) of post-merge, post-checkout, pre-push.
struct HookText {
  const char* name;
  const char* text;
};
const std::vector<HookText>& shipped_hooks();

}  // namespace smartspec::engine
