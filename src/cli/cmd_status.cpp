// `status [RUN] [--json]`: the runs of the repository, or one run in detail.
#include "cli/commands.hpp"
#include "smartspec/engine/ops.hpp"

namespace smartspec::cli {

void register_status(CLI::App& app, Context& ctx) {
  static engine::RunSelect o;
  auto* cmd = app.add_subcommand("status", "List the runs, or show one run's refs and state");
  add_common_flags(*cmd, ctx);
  cmd->add_option("RUN", o.run_id, "Run id (default: every run)");
  cmd->callback([&ctx]() {
    apply_verbosity(ctx);
    o.common = ctx.common;
    ctx.exit_code = engine::status_command(o);
  });
}

}  // namespace smartspec::cli
