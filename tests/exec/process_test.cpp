#include "smartspec/exec/process.hpp"

#include <signal.h>
#include <stdlib.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace smartspec::exec {
namespace {

Result<ProcResult> run_argv(std::vector<std::string> argv) {
  ProcSpec spec;
  spec.argv = std::move(argv);
  return run_process(spec);
}

TEST(Process, ExitCodesAndOutput) {
  auto ok = run_argv({"sh", "-c", "echo out; echo err >&2; exit 0"});
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->exit_code, 0);
  EXPECT_EQ(ok->output, "out\nerr\n");
  EXPECT_TRUE(ok->ok());
  auto bad = run_argv({"sh", "-c", "exit 7"});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->exit_code, 7);
  EXPECT_FALSE(bad->ok());
  auto sig = run_argv({"sh", "-c", "kill -KILL $$"});
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->exit_code, -1);
  EXPECT_EQ(sig->signal, SIGKILL);
}

TEST(Process, MissingCommandIsAnError) {
  auto r = run_argv({"no-such-command-smartspec"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kCommandNotFound);
  EXPECT_EQ(r.error().to_string(), "no-such-command-smartspec: command not found");
}

TEST(Process, StdinCwdEnvAndLog) {
  test::TempDir dir;
  ProcSpec spec;
  spec.argv = {"sh", "-c", "cat; pwd; echo \"$EXTRA\""};
  spec.cwd = dir.str();
  spec.stdin_data = std::string(200000, 'x') + "\n";  // more than a pipe buffer
  spec.env = {{"EXTRA", "value with spaces"}};
  spec.log_path = (dir.path() / "log.txt").string();
  auto r = run_process(spec);
  ASSERT_TRUE(r) << r.error().to_string();
  std::string expected = spec.stdin_data + dir.str() + "\nvalue with spaces\n";
  EXPECT_EQ(r->output, expected);
  EXPECT_EQ(test::read(dir.path() / "log.txt"), expected);
}

TEST(Process, ChildThatIgnoresStdinDoesNotKillUs) {
  ProcSpec spec;
  spec.argv = {"true"};
  spec.stdin_data = std::string(1 << 20, 'y');
  auto r = run_process(spec);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 0);
}

TEST(Process, EnvironmentExcludesGitLocalVariables) {
  ::setenv("GIT_DIR", "/somewhere/.git", 1);
  ::setenv("GIT_INDEX_FILE", "/somewhere/.git/index", 1);
  ::setenv("SMARTSPEC_KEEP_ME", "kept", 1);
  auto r = run_argv({"sh", "-c",
                         "echo \"dir=${GIT_DIR-unset} index=${GIT_INDEX_FILE-unset} "
                         "keep=$SMARTSPEC_KEEP_ME\""});
  ::unsetenv("GIT_DIR");
  ::unsetenv("GIT_INDEX_FILE");
  ::unsetenv("SMARTSPEC_KEEP_ME");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->output, "dir=unset index=unset keep=kept\n");
}

TEST(Process, TimeoutKillsTheWholeGroup) {
  test::TempDir dir;
  ProcSpec spec;
  // The grandchild ignores TERM and outlives its parent unless the group is killed.
  spec.argv = {"sh", "-c",
               "sh -c 'trap \"\" TERM; sleep 60' & echo $! > grandchild.pid; echo started; "
               "sleep 60"};
  spec.cwd = dir.str();
  spec.timeout_seconds = 0.5;
  spec.kill_grace_seconds = 0.2;
  auto r = run_process(spec);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->output, "started\n");
  int pid = std::stoi(test::read(dir.path() / "grandchild.pid"));
  EXPECT_TRUE(test::process_gone(pid)) << pid;
}

TEST(Process, GrandchildLeftBehindAfterANormalExitIsKilled) {
  test::TempDir dir;
  ProcSpec spec;
  spec.argv = {"sh", "-c", "sleep 60 & echo $! > bg.pid; exit 3"};
  spec.cwd = dir.str();
  spec.kill_grace_seconds = 0.2;
  auto r = run_process(spec);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->timed_out);
  int pid = std::stoi(test::read(dir.path() / "bg.pid"));
  EXPECT_TRUE(test::process_gone(pid)) << pid;
}

TEST(Process, SplitCommandLine) {
  auto r = split_command_line("python3 -m 'my tool' --x=\"a b\"");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<std::string>{"python3", "-m", "my tool", "--x=a b"}));
  auto empty = split_command_line("  ");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().to_string(), "empty command: '  '");
}

}  // namespace
}  // namespace smartspec::exec
