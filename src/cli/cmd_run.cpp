#include <limits>
#include <string>

#include "cli/commands.hpp"
#include "smartspec/engine/engine.hpp"

namespace smartspec::cli {

namespace {

// "K/N": two decimal numbers (at most 6 digits each), 1 <= K <= N.
bool parse_shard(const std::string& spec, int* k, int* n) {
  const std::size_t slash = spec.find('/');
  if (slash == std::string::npos) return false;
  auto number = [](const std::string& s, int* out) {
    if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos)
      return false;
    *out = std::stoi(s);
    return true;
  };
  return number(spec.substr(0, slash), k) && number(spec.substr(slash + 1), n) && *k >= 1 &&
         *k <= *n;
}

// --shard and --from-shards with the other flags: the line naming what is
// wrong, or "" when they go together.
std::string shard_misuse(const engine::RunOptions& o, bool shard) {
  if (shard && o.from_shards)
    return "--shard runs one share of the tasks, --from-shards finishes the run from the shares: "
           "one or the other";
  if (shard && o.resume)
    return "--shard goes without --resume (a shard is no run: run it again to finish its tasks)";
  if (shard && (o.land || o.checkpoint || o.mark_done || o.run_hooks || o.verify_after_each ||
                !o.verify_cmd.empty()))
    return "--shard commits no unit: --land, --checkpoint, --mark-done, --run-hooks, "
           "--verify-after-each and --verify-cmd act on units; give them to --from-shards";
  const char* flag = shard ? "--shard" : "--from-shards";
  if ((shard || (o.from_shards && !o.resume)) && o.agent.empty())
    return std::string(flag) + " needs --agent (it shares out agent calls; apply mode has none)";
  if ((shard || o.from_shards) && o.agent_per == "unit")
    return std::string(flag) + " needs --agent-per task (it shares out the tasks' calls)";
  return {};
}

// The flags shared by `run` and `plan` (a plan takes every input a run takes).
void add_plan_inputs(CLI::App& cmd, engine::RunOptions& o) {
  cmd.add_option("--prompts-dir", o.prompts_dir, "The prompt pack directory (may be a symlink)")
      ->type_name("DIR")
      ->required();
  cmd.add_option("--tasks", o.tasks, "The project's tasks.md")->type_name("FILE")->required();
  cmd.add_option("--run-id", o.run_id, "Run id (default: the pack directory's resolved name)")
      ->type_name("ID");
  cmd.add_option("--base", o.base, "Base revision (default: HEAD)")->type_name("REV");
  cmd.add_option("--skip-category", o.skip_categories, "Units to skip (comma separated)")
      ->type_name("UNIT")
      ->delimiter(',');
  cmd.add_option("--only-category", o.only_categories, "Only these units (comma separated)")
      ->type_name("UNIT")
      ->delimiter(',');
  cmd.add_flag("--rename-files", o.rename_files,
               "naming_issue: rename the file instead of updating the evidence path in tasks.md");
}

}  // namespace

// Long (issue 16): a flat list, one registration per `run` flag, and the
// checks CLI11 cannot express in its callback.
void register_run(CLI::App& app, Context& ctx) {
  static engine::RunOptions o;
  auto* cmd = app.add_subcommand("run", "Execute a prompt pack (the default command)");
  add_common_flags(*cmd, ctx);
  add_plan_inputs(*cmd, o);
  cmd->add_flag("--dry-run", o.dry_run, "Print the plan; change nothing");
  cmd->add_flag("--checkpoint", o.checkpoint,
                "Mirror the checkpoint ref in .spec/checkpoints/batch_execution_<run-id>.json");
  cmd->add_flag("--resume", o.resume, "Continue a stopped run after its last committed unit");
  cmd->add_flag("--force", o.force,
                "Only with --resume: continue although the pack's content or a given option "
                "differs from the run's start");
  cmd->add_option(
         "--max-failures", o.max_failures,
         "Failure budget across the run: failed tasks before it stops (0 or more, default 3)")
      ->type_name("N")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()));
  cmd->add_flag("--verify-after-each", o.verify_after_each,
                "Verify each unit's tasks after it; an unverified task fails the unit");
  cmd->add_flag("--verify-at-end,!--no-verify-at-end", o.verify_at_end,
                "Verify the final tree for the report (default on)");
  cmd->add_option("--verify-cmd", o.verify_cmd,
                  "Command run in the scratch worktree after each unit; non-zero fails it")
      ->type_name("CMD");
  cmd->add_flag("--overwrite", o.overwrite, "Let created files replace different existing ones");
  cmd->add_flag("!--no-evidence-hooks", o.evidence_hooks, "Do not add evidence: lines to tasks.md");
  cmd->add_flag("--mark-done", o.mark_done, "Tick [x] the tasks that verify after their unit");
  cmd->add_flag("--apply-skeletons", o.apply_skeletons,
                "Write TODO-only skeleton code too (marked as skeletons in the report)");
  static std::vector<std::string> checks;
  cmd->add_option("--check", checks, "Extra syntax checker EXT=CMD, e.g. rb='ruby -c' (repeatable)")
      ->type_name("EXT=CMD")
      ->take_all();
  cmd->add_option("--agent", o.agent,
                  "Run this coding agent command for each task (prompt on stdin; {prompt_file} "
                  "in CMD: the path of a file holding it)")
      ->type_name("CMD");
  cmd->add_option("--agent-timeout", o.agent_timeout, "Seconds per agent call (default 600)")
      ->type_name("SECONDS")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--agent-attempts", o.agent_attempts,
                  "Agent calls per task while its evidence does not verify (default 2)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--jobs", o.jobs,
                  "Agent calls of a unit's tasks running at once, each in a worktree of its own "
                  "(default 1)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--agent-per", o.agent_per, "Call the agent once per task or per unit")
      ->check(CLI::IsMember({"task", "unit"}));
  cmd->add_flag("--agent-sandbox", o.agent_sandbox,
                "Run the agent under bubblewrap: filesystem read-only except its worktree");
  cmd->add_option("--agent-writable", o.agent_writable,
                  "A directory the sandboxed agent may write (repeatable), e.g. its config")
      ->type_name("DIR")
      ->take_all();
  static std::string shard;
  cmd->add_option("--shard", shard,
                  "Run only share K of N of the tasks (agent mode) and keep their results as "
                  "refs/smartspec/shards/... refs; no unit commit")
      ->type_name("K/N");
  cmd->add_flag("--from-shards", o.from_shards,
                "Take the tasks' results from fetched shard refs, run what is missing or "
                "conflicts, commit the units");
  cmd->add_flag("--land", o.land, "Fast-forward the current branch to the result when done");
  cmd->add_flag("--run-hooks", o.run_hooks,
                "Run the repository's pre-commit and commit-msg hooks for each unit commit");
  cmd->callback([&ctx, cmd]() {
    // --force forces one thing, a resume that differs from the run's start:
    // anywhere else it would be accepted silently and do nothing.
    if (o.force && !o.resume) {
      ctx.exit_code = usage_error(
          "--force goes with --resume (it lets a resume use a changed pack or option); "
          "without --resume there is nothing to force");
      return;
    }
    if (o.force && o.dry_run) {
      ctx.exit_code = usage_error("--force does nothing with --dry-run (a plan changes nothing)");
      return;
    }
    // Given but empty is bad usage, not "no agent" (issue 15 item 8).
    for (const auto& [flag, value] :
         {std::pair<const char*, const std::string*>{"--agent", &o.agent},
          {"--verify-cmd", &o.verify_cmd}}) {
      if (cmd->get_option(flag)->count() > 0 &&
          value->find_first_not_of(" \t\n") == std::string::npos) {
        ctx.exit_code = usage_error(std::string(flag) + ": empty command");
        return;
      }
    }
    if (cmd->count("--shard") > 0 && !parse_shard(shard, &o.shard_k, &o.shard_n)) {
      ctx.exit_code = usage_error("--shard '" + shard +
                                  "': expected K/N, shard K of N with 1 <= K <= N (e.g. 2/4)");
      return;
    }
    if (auto misuse = shard_misuse(o, cmd->count("--shard") > 0); !misuse.empty()) {
      ctx.exit_code = usage_error(misuse);
      return;
    }
    // What the command line gave: --resume restores the rest from the run state.
    for (const char* name : {"--skip-category",  "--only-category",
                             "--max-failures",   "--verify-after-each",
                             "--verify-at-end",  "--verify-cmd",
                             "--overwrite",      "--no-evidence-hooks",
                             "--mark-done",      "--apply-skeletons",
                             "--check",          "--agent",
                             "--agent-timeout",  "--agent-attempts",
                             "--agent-per",      "--agent-sandbox",
                             "--agent-writable", "--land",
                             "--run-hooks",      "--checkpoint",
                             "--rename-files",   "--jobs",
                             "--from-shards"}) {
      if (cmd->count(name) > 0) o.given.insert(name);
    }
    for (const auto& spec : checks) {
      std::string ext, command;
      if (!engine::parse_check_spec(spec, &ext, &command)) {
        ctx.exit_code = usage_error("--check " + spec + ": expected EXT=CMD");
        return;
      }
      o.checks[ext] = command;
    }
    apply_verbosity(ctx);
    o.common = ctx.common;
    o.common.verbosity = ctx.verbose - ctx.quiet;
    ctx.exit_code = o.dry_run ? engine::plan_command(o) : engine::run_command(o, ctx.ports);
  });
}

void register_plan(CLI::App& app, Context& ctx) {
  static engine::RunOptions o;
  auto* cmd = app.add_subcommand("plan", "Print the execution plan (same as run --dry-run)");
  add_common_flags(*cmd, ctx);
  add_plan_inputs(*cmd, o);
  cmd->callback([&ctx]() {
    apply_verbosity(ctx);
    o.common = ctx.common;
    o.common.verbosity = ctx.verbose - ctx.quiet;
    ctx.exit_code = engine::plan_command(o);
  });
}

}  // namespace smartspec::cli
