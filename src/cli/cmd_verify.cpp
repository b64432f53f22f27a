#include "cli/commands.hpp"

namespace smartspec::cli {

void register_verify(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("verify", "(verify: not yet available)");
  add_common_flags(*cmd, ctx);
  cmd->allow_extras();
  cmd->callback([&ctx]() { ctx.exit_code = usage_error("'verify' is not yet available"); });
}

}  // namespace smartspec::cli
