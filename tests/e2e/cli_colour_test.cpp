// --color=auto|always|never with NO_COLOR and TERM=dumb, on the real binary:
// off a terminal through a pipe, on a terminal through script(1)'s pty.
#include "e2e/ops_test_util.hpp"

namespace smartspec::test {
namespace {

using namespace ops;

const std::string kGreen = "\x1b[32m";
const std::string kLive = "\r\x1b[K";  // the live line's redraw

std::string quote(const std::string& s) { return "'" + s + "'"; }

// The example run with `flags`, stdout a pipe; env adds to (or, "" = unset
// per no-color.org, overrides) the test environment.
CmdResult piped(const TempDir& dir, const std::vector<std::string>& flags,
                const std::map<std::string, std::string>& env) {
  std::string repo = make_inventory_repo(dir);
  std::vector<std::string> args{"run", "--prompts-dir", pack_dir(), "--tasks", "tasks.md"};
  args.insert(args.end(), flags.begin(), flags.end());
  return run_tool(args, repo, env);
}

// The same on a terminal: script(1) gives the binary a pseudo-terminal.
CmdResult on_terminal(const TempDir& dir, const std::vector<std::string>& flags,
                      const std::map<std::string, std::string>& env) {
  std::string repo = make_inventory_repo(dir);
  std::string cmd =
      quote(binary()) + " run --prompts-dir " + quote(pack_dir()) + " --tasks tasks.md";
  for (const auto& f : flags) cmd += " " + f;
  return run({"script", "-qec", cmd, "/dev/null"}, repo, env);
}

TEST(CliColour, PipedAutoAndNeverHaveNoColourAlwaysHas) {
  {
    TempDir dir;
    CmdResult r = piped(dir, {}, {{"NO_COLOR", ""}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  }
  {
    TempDir dir;
    CmdResult r = piped(dir, {"--color=never"}, {{"NO_COLOR", ""}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  }
  {
    TempDir dir;  // always wins over NO_COLOR, and needs no terminal
    CmdResult r = piped(dir, {"--color", "always"}, {{"NO_COLOR", "1"}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(kGreen), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(kLive), std::string::npos) << "no live line off a terminal";
  }
}

TEST(CliColour, TerminalAutoColoursUnlessNoColorOrDumb) {
  {
    TempDir dir;
    CmdResult r = on_terminal(dir, {}, {{"NO_COLOR", ""}, {"TERM", "xterm"}});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find(kGreen), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(kLive), std::string::npos) << "the live line on a terminal";
  }
  {
    TempDir dir;
    CmdResult r = on_terminal(dir, {}, {{"NO_COLOR", "1"}, {"TERM", "xterm"}});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.find(kGreen), std::string::npos) << r.out;
  }
  {
    TempDir dir;
    CmdResult r = on_terminal(dir, {"--color=never"}, {{"NO_COLOR", ""}, {"TERM", "xterm"}});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.find(kGreen), std::string::npos) << r.out;
  }
  {
    TempDir dir;  // TERM=dumb: no colour and no live line
    CmdResult r = on_terminal(dir, {}, {{"NO_COLOR", ""}, {"TERM", "dumb"}});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("6 tasks: 6 verified"), std::string::npos) << r.out;
  }
  {
    TempDir dir;  // --color=always on a dumb terminal: colour, still no live line
    CmdResult r = on_terminal(dir, {"--color=always"}, {{"NO_COLOR", "1"}, {"TERM", "dumb"}});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find(kGreen), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(kLive), std::string::npos) << r.out;
  }
}

TEST(CliColour, BadValueIsUsageError) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  CmdResult r = run_tool({"status", "--color=sometimes"}, repo);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--color"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  // Every subcommand takes it.
  for (const char* sub : {"status", "clean"}) {
    CmdResult ok = run_tool({sub, "--color=never"}, repo);
    EXPECT_EQ(ok.exit_code, 0) << sub << ok.err;
  }
}

}  // namespace
}  // namespace smartspec::test
