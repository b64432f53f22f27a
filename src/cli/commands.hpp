// One file per subcommand (src/cli/cmd_<name>.cpp); each registers itself on
// the app and sets the callback that runs it. Only cli/ knows CLI11.
#pragma once

#include <CLI/CLI.hpp>

#include "smartspec/engine/options.hpp"
#include "smartspec/engine/ports.hpp"

namespace smartspec::cli {

// Filled by the global flags; every command reads it.
struct Context {
  engine::CommonOptions common;
  int quiet = 0;
  int verbose = 0;
  std::string colour = "auto";        // --color=auto|always|never
  int exit_code = to_int(Exit::kOk);  // set by the command that ran
  engine::Ports ports;  // the engine's ports, installed by main (the composition root)
};

// Adds -q/-v/--json/--repo-root/--color to a (sub)command.
void add_common_flags(CLI::App& app, Context& ctx);

void register_run(CLI::App& app, Context& ctx);  // also the default command
void register_plan(CLI::App& app, Context& ctx);
void register_verify(CLI::App& app, Context& ctx);
void register_status(CLI::App& app, Context& ctx);
void register_show(CLI::App& app, Context& ctx);
void register_rollback(CLI::App& app, Context& ctx);
void register_abort(CLI::App& app, Context& ctx);
void register_land(CLI::App& app, Context& ctx);
void register_clean(CLI::App& app, Context& ctx);
void register_hook(CLI::App& app, Context& ctx);

// The help formatter (src/cli/help.cpp): no CLI11 artefacts. Set on the app
// before the subcommands are added (they inherit it).
void set_help_format(CLI::App& app);

// Prints "smartspec-batch: error: <what>" on stderr; returns 2.
int usage_error(const std::string& what);
// Applies -q/-v to spdlog, and --color (with NO_COLOR and TERM) to the
// console and spdlog's colours.
void apply_verbosity(Context& ctx);

}  // namespace smartspec::cli
