// `hook install [--force]` / `hook uninstall`: the shipped git hooks.
#include "cli/commands.hpp"
#include "smartspec/engine/ops.hpp"

namespace smartspec::cli {

void register_hook(CLI::App& app, Context& ctx) {
  static engine::HookOptions o;
  auto* cmd = app.add_subcommand("hook", "Install or uninstall the sample git hooks");
  add_common_flags(*cmd, ctx);
  cmd->add_option("ACTION", o.action, "install | uninstall")
      ->required()
      ->check(CLI::IsMember({"install", "uninstall"}));
  cmd->add_flag("--force", o.force,
                "Replace a different existing hook (kept as <name>.smartspec-backup)");
  cmd->callback([&ctx]() {
    apply_verbosity(ctx);
    o.common = ctx.common;
    ctx.exit_code = engine::hook_command(o);
  });
}

}  // namespace smartspec::cli
