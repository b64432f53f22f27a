// `clean`: remove the kept scratch worktree(s).
#include "cli/commands.hpp"
#include "smartspec/engine/ops.hpp"

namespace smartspec::cli {

void register_clean(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("clean", "Remove the kept scratch worktree");
  add_common_flags(*cmd, ctx);
  cmd->callback([&ctx]() {
    apply_verbosity(ctx);
    ctx.exit_code = engine::clean_command(ctx.common);
  });
}

}  // namespace smartspec::cli
