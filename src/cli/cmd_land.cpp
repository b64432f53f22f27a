// `land RUN`: fast-forward the current branch to a finished run's result.
#include "cli/commands.hpp"
#include "smartspec/engine/ops.hpp"

namespace smartspec::cli {

void register_land(CLI::App& app, Context& ctx) {
  static engine::RunSelect o;
  auto* cmd = app.add_subcommand("land", "Fast-forward the current branch to a finished run");
  add_common_flags(*cmd, ctx);
  cmd->add_option("RUN", o.run_id, "Run id")->required();
  cmd->callback([&ctx]() {
    apply_verbosity(ctx);
    o.common = ctx.common;
    ctx.exit_code = engine::land_command(o);
  });
}

}  // namespace smartspec::cli
