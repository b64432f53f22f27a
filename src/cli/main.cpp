// smartspec-batch: executes a SmartSpec prompt pack transactionally on git.
#include <git2.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"

namespace smartspec::cli {

int usage_error(const std::string& what) {
  std::fprintf(stderr, "smartspec-batch: error: %s\n", what.c_str());
  return 2;
}

void add_common_flags(CLI::App& app, Context& ctx) {
  app.add_flag("-q,--quiet", ctx.quiet, "Only errors on stderr");
  app.add_flag("-v,--verbose", ctx.verbose, "More diagnostics on stderr (repeat for more)");
  app.add_flag("--json", ctx.common.json, "Print one JSON document on stdout");
  app.add_option("--repo-root", ctx.common.repo_root,
                 "Repository to work on (default: the one containing the current directory)");
}

void apply_verbosity(const Context& ctx) {
  spdlog::level::level_enum level = spdlog::level::info;
  if (ctx.quiet > 0) level = spdlog::level::err;
  if (ctx.verbose == 1) level = spdlog::level::debug;
  if (ctx.verbose >= 2) level = spdlog::level::trace;
  spdlog::set_level(level);
  // -v: where the time goes, as microseconds since the previous line.
  if (ctx.verbose > 0) spdlog::set_pattern("smartspec-batch: %l: +%i us: %v");
}

}  // namespace smartspec::cli

namespace {

// libgit2 ignores GIT_CONFIG_NOSYSTEM; honour it as git does, so tests and CI
// jobs that isolate git from /etc/gitconfig isolate this tool too.
void isolate_git_config() {
  const char* nosystem = std::getenv("GIT_CONFIG_NOSYSTEM");
  if (nosystem != nullptr && *nosystem != '\0' && std::string(nosystem) != "0" &&
      std::string(nosystem) != "false") {
    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "");
    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_PROGRAMDATA, "");
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace smartspec::cli;
  git_libgit2_init();
  isolate_git_config();
  auto logger = spdlog::stderr_color_mt("smartspec");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("smartspec-batch: %l: %v");

  CLI::App app{"smartspec-batch: execute a SmartSpec prompt pack transactionally on git",
               "smartspec-batch"};
  app.set_version_flag("--version", std::string("smartspec-batch ") + SMARTSPEC_VERSION);
  app.require_subcommand(0, 1);
  app.fallthrough();
  Context ctx;

  register_run(app, ctx);
  register_plan(app, ctx);
  register_verify(app, ctx);
  register_status(app, ctx);
  register_show(app, ctx);
  register_rollback(app, ctx);
  register_abort(app, ctx);
  register_land(app, ctx);
  register_clean(app, ctx);
  register_hook(app, ctx);

  // `run` is the default: no subcommand named → parse as `run`.
  std::vector<std::string> args(argv + 1, argv + argc);
  bool has_sub = false;
  for (const auto& a : args) {
    if (a.empty() || a[0] == '-') continue;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == a) has_sub = true;
    }
    break;
  }
  bool wants_top_help = false;
  for (const auto& a : args)
    if (a == "--help" || a == "-h" || a == "--version") wants_top_help = true;
  if (!has_sub && !args.empty() && !wants_top_help) args.insert(args.begin(), "run");
  std::vector<std::string> reversed(args.rbegin(), args.rend());

  int rc = 0;
  try {
    app.parse(reversed);
    rc = ctx.exit_code;
  } catch (const CLI::CallForHelp& e) {
    rc = app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    rc = app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    rc = app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    rc = usage_error(what + " (see --help)");
  } catch (const std::exception& e) {
    rc = usage_error(std::string("internal error: ") + e.what());
    if (rc == 2) rc = 70;
  }
  if (args.empty()) {
    std::fputs(app.help().c_str(), stdout);
    rc = 2;
  }
  spdlog::shutdown();
  git_libgit2_shutdown();
  return rc;
}
