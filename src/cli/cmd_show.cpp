// `show [RUN] [--json]`: a run's report (its git note; --json: the report JSON).
#include "cli/commands.hpp"
#include "smartspec/engine/ops.hpp"

namespace smartspec::cli {

void register_show(CLI::App& app, Context& ctx) {
  static engine::RunSelect o;
  auto* cmd = app.add_subcommand("show", "Print a run's report (default: the latest run)");
  add_common_flags(*cmd, ctx);
  cmd->add_option("RUN", o.run_id, "Run id (default: the run updated last)");
  cmd->callback([&ctx]() {
    apply_verbosity(ctx);
    o.common = ctx.common;
    ctx.exit_code = engine::show_command(o);
  });
}

}  // namespace smartspec::cli
