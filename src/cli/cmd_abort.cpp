// `abort RUN [--delete-branch]`: end a run (state, checkpoint, worktree, lock).
#include "cli/commands.hpp"
#include "smartspec/engine/ops.hpp"

namespace smartspec::cli {

void register_abort(CLI::App& app, Context& ctx) {
  static engine::AbortOptions o;
  auto* cmd = app.add_subcommand("abort", "End a run: its state, worktree and lock go");
  add_common_flags(*cmd, ctx);
  cmd->add_option("RUN", o.run_id, "Run id")->required();
  cmd->add_flag("--delete-branch", o.delete_branch,
                "Also delete the result branch smartspec/<RUN> and its undo refs");
  cmd->callback([&ctx]() {
    apply_verbosity(ctx);
    o.common = ctx.common;
    ctx.exit_code = engine::abort_command(o);
  });
}

}  // namespace smartspec::cli
