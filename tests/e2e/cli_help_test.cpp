// --help reads as documentation, not as CLI11's internals: no "{false}"
// after negatable flags, no TEXT/INT/UINT type names or validator ranges;
// the main help lists the exit codes and the {prompt_file} placeholder.
#include <regex>

#include "e2e/ops_test_util.hpp"

namespace smartspec::test {
namespace {

const std::vector<std::string> kSubcommands = {"run",      "plan",  "verify", "status", "show",
                                               "rollback", "abort", "land",   "clean",  "hook"};

std::string help(const std::vector<std::string>& args) {
  std::vector<std::string> a = args;
  a.push_back("--help");
  CmdResult r = run_tool(a, ".", {{"COLUMNS", "200"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

TEST(CliHelp, NoCli11Artefacts) {
  std::vector<std::vector<std::string>> all{{}};
  for (const auto& s : kSubcommands) all.push_back({s});
  const std::regex noise(R"(\{false\}|\{true\}|\bTEXT\b|\bU?INT\b|in \[|:POSITIVE|:NUMBER)");
  for (const auto& args : all) {
    std::string text = help(args);
    std::smatch m;
    EXPECT_FALSE(std::regex_search(text, m, noise))
        << testing::PrintToString(args) << " shows '" << m.str() << "':\n"
        << text;
  }
  // Placeholders that say what goes there.
  std::string run = help({"run"});
  for (const char* want :
       {"--prompts-dir DIR REQUIRED", "--tasks FILE REQUIRED", "--max-failures N ", "--agent CMD ",
        "--agent-timeout SECONDS ", "--agent-per {task,unit} ", "--color {auto,always,never} ",
        "--verify-at-end,--no-verify-at-end ", "--no-evidence-hooks "}) {
    EXPECT_NE(run.find(want), std::string::npos) << want << "\n" << run;
  }
  EXPECT_NE(run.find("{prompt_file}"), std::string::npos) << run;
  EXPECT_NE(help({"hook"}).find("ACTION {install,uninstall} REQUIRED"), std::string::npos);
}

TEST(CliHelp, MainHelpListsExitCodesAndThePromptFilePlaceholder) {
  std::string text = help({});
  EXPECT_NE(text.find("{prompt_file}"), std::string::npos) << text;
  EXPECT_NE(text.find("Exit codes:"), std::string::npos) << text;
  for (const char* line :
       {"  0   every planned task is verified",
        "  1   the run finished, some tasks are not verified",
        "  2   bad usage or bad input, nothing changed", "  3   stopped early, resumable",
        "  4   another run holds the repository's lock", "  70  internal error"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  // Every subcommand is listed.
  for (const auto& s : kSubcommands)
    EXPECT_TRUE(std::regex_search(text, std::regex("\n  " + s + " "))) << s;
  // No subcommand repeats the main help's footer.
  EXPECT_EQ(help({"status"}).find("Exit codes:"), std::string::npos);
}

}  // namespace
}  // namespace smartspec::test
