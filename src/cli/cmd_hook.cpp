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
                "Only with install: also install into a hooks directory tracked in the "
                "repository or set by a global/system core.hooksPath (a line says so)");
  cmd->callback([&ctx]() {
    if (o.force && o.action != "install") {
      ctx.exit_code = usage_error(
          "--force goes with `hook install` (it allows a tracked or "
          "global hooks directory); `hook " +
          o.action + "` takes no --force");
      return;
    }
    apply_verbosity(ctx);
    o.common = ctx.common;
    ctx.exit_code = engine::hook_command(o);
  });
}

}  // namespace smartspec::cli
