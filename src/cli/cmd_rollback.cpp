// `rollback RUN --unit NAME [--revert]` / `rollback RUN --undo`.
#include "cli/commands.hpp"
#include "smartspec/engine/ops.hpp"

namespace smartspec::cli {

void register_rollback(CLI::App& app, Context& ctx) {
  static engine::RollbackOptions o;
  auto* cmd = app.add_subcommand("rollback", "Drop one unit's commit from a run's result branch");
  add_common_flags(*cmd, ctx);
  cmd->add_option("RUN", o.run_id, "Run id")->required();
  cmd->add_option("--unit", o.unit, "The unit whose commit to drop")->type_name("UNIT");
  cmd->add_flag("--revert", o.revert, "Add a revert commit on top instead (for a pushed branch)");
  cmd->add_flag("--undo", o.undo, "Restore the tip the latest rollback replaced");
  cmd->callback([&ctx]() {
    apply_verbosity(ctx);
    o.common = ctx.common;
    ctx.exit_code = engine::rollback_command(o);
  });
}

}  // namespace smartspec::cli
