// smartspec-batch: executes a SmartSpec prompt pack transactionally on git.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "smartspec/engine/engine.hpp"
#include "smartspec/report/console.hpp"

namespace smartspec::cli {

int usage_error(const std::string& what) {
  std::fprintf(stderr, "smartspec-batch: error: %s\n", what.c_str());
  return to_int(Exit::kBadInput);
}

void add_common_flags(CLI::App& app, Context& ctx) {
  app.add_flag("-q,--quiet", ctx.quiet, "Only errors on stderr");
  app.add_flag("-v,--verbose", ctx.verbose, "More diagnostics on stderr (repeat for more)");
  app.add_flag("--json", ctx.common.json, "Print one JSON document on stdout");
  app.add_option("--repo-root", ctx.common.repo_root,
                 "Repository to work on (default: the one containing the current directory)")
      ->type_name("DIR");
  app.add_option("--color", ctx.colour,
                 "Colours: auto (on a terminal, unless NO_COLOR is set or TERM=dumb), always, "
                 "never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
}

void apply_colour(const Context& ctx) {
  using report::ColourMode;
  const ColourMode mode = ctx.colour == "always"  ? ColourMode::kAlways
                          : ctx.colour == "never" ? ColourMode::kNever
                                                  : ColourMode::kAuto;
  const char* term = std::getenv("TERM");
  report::Console::set_policy(mode, report::Console::dumb_terminal(term));
  // spdlog's own colours (its level names on stderr) follow the same rule.
  const bool paint = report::Console::colour_wanted(mode, ::isatty(STDERR_FILENO) == 1,
                                                    std::getenv("NO_COLOR"), term);
  for (auto& sink : spdlog::default_logger()->sinks()) {
    if (auto* coloured = dynamic_cast<spdlog::sinks::stderr_color_sink_mt*>(sink.get()))
      coloured->set_color_mode(paint ? spdlog::color_mode::always : spdlog::color_mode::never);
  }
}

void apply_verbosity(Context& ctx) {
  apply_colour(ctx);
  ctx.common.verbosity = ctx.verbose - ctx.quiet;
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

// Levenshtein distance, for "did you mean" on a mistyped subcommand.
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// A first argument that is neither an option nor a subcommand is a mistyped
// command (`run` takes no positional argument): git's answer, exit 2.
int unknown_command(const std::string& word, const std::vector<std::string>& names) {
  std::string msg =
      "'" + word + "' is not a smartspec-batch command. See 'smartspec-batch --help'.";
  std::vector<std::string> close;
  std::size_t best = 3;  // suggest at distance <= 2, or a prefix
  for (const auto& n : names) {
    std::size_t d = distance(word, n);
    if (n.rfind(word, 0) == 0) d = std::min<std::size_t>(d, 1);
    if (d < best) {
      best = d;
      close.clear();
    }
    if (d == best) close.push_back(n);
  }
  if (!close.empty()) {
    msg +=
        close.size() == 1 ? "\n\nThe most similar command is" : "\n\nThe most similar commands are";
    for (const auto& c : close) msg += "\n\t" + c;
  }
  return smartspec::cli::usage_error(msg);
}

// The composition root: the engine's real ports, and the only place the test
// seams of the binary are read — SMARTSPEC_CRASH_AT=N (SIGKILL at the N-th
// numbered step; scripts/torture, the kill tests) and SMARTSPEC_FAKE_TIME
// (epoch seconds: a fixed clock in UTC).
smartspec::engine::Ports engine_ports() {
  auto ports = smartspec::engine::real_ports();
  if (const char* c = std::getenv("SMARTSPEC_CRASH_AT"); c != nullptr && *c != '\0')
    ports.crash = smartspec::engine::kill_at_step(std::atol(c));
  if (const char* t = std::getenv("SMARTSPEC_FAKE_TIME"); t != nullptr && *t != '\0')
    ports.clock = smartspec::engine::fixed_clock(static_cast<std::time_t>(std::atoll(t)));
  return ports;
}

// Every subcommand, and the main help's footer.
void register_commands(CLI::App& app, smartspec::cli::Context& ctx) {
  using namespace smartspec::cli;
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
  // The main help only (set after the subcommands, which would inherit it).
  app.footer(
      "With no subcommand, the options are run's: smartspec-batch --prompts-dir DIR --tasks FILE.\n"
      "`smartspec-batch <command> --help` lists a command's options.\n"
      "\n"
      "--agent CMD: the agent gets the task's prompt on stdin; {prompt_file} anywhere in CMD\n"
      "is replaced by the path of a file holding the same prompt.\n"
      "\n"
      "Exit codes:\n"
      "  0   every planned task is verified (a management command: done)\n"
      "  1   the run finished, some tasks are not verified (verify: some task not verified)\n"
      "  2   bad usage or bad input, nothing changed\n"
      "  3   stopped early, resumable with --resume\n"
      "  4   another run holds the repository's lock\n"
      "  70  internal error\n");
}

// Parses `reversed` (CLI11's order) and runs the command it names: its exit
// code, or the one for a usage error, help, or an exception.
int parse(CLI::App& app, smartspec::cli::Context& ctx, std::vector<std::string>& reversed) {
  using smartspec::cli::usage_error;
  int rc = smartspec::to_int(smartspec::Exit::kOk);
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
    if (rc == smartspec::to_int(smartspec::Exit::kBadInput))
      rc = smartspec::to_int(smartspec::Exit::kInternalError);
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace smartspec::cli;
  smartspec::engine::init_process();
  auto logger = spdlog::stderr_color_mt("smartspec");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("smartspec-batch: %l: %v");

  CLI::App app{"smartspec-batch: execute a SmartSpec prompt pack transactionally on git",
               "smartspec-batch"};
  app.set_version_flag("--version", std::string("smartspec-batch ") + SMARTSPEC_VERSION);
  set_help_format(app);
  app.require_subcommand(0, 1);
  app.fallthrough();
  Context ctx;
  ctx.ports = engine_ports();

  register_commands(app, ctx);

  // `run` is the default: no subcommand named → parse as `run`.
  std::vector<std::string> args(argv + 1, argv + argc);
  bool has_sub = false;
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  for (const auto& a : args) {
    if (a.empty() || a[0] == '-') continue;
    for (const auto& n : names) {
      if (n == a) has_sub = true;
    }
    break;
  }
  if (!has_sub && !args.empty() && !args[0].empty() && args[0][0] != '-') {
    int code = unknown_command(args[0], names);
    spdlog::shutdown();
    return code;
  }
  bool wants_top_help = false;
  for (const auto& a : args)
    if (a == "--help" || a == "-h" || a == "--version") wants_top_help = true;
  if (!has_sub && !args.empty() && !wants_top_help) args.insert(args.begin(), "run");
  std::vector<std::string> reversed(args.rbegin(), args.rend());

  int rc = parse(app, ctx, reversed);
  if (args.empty()) {
    std::fputs(app.help().c_str(), stdout);
    rc = smartspec::to_int(smartspec::Exit::kBadInput);
  }
  spdlog::shutdown();
  return rc;
}
