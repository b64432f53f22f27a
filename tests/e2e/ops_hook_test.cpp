// `hook install|uninstall`, and the shipped hooks driven by the real git:
// checkout, merge and push to a local bare remote.
#include <sys/stat.h>

#include <cstdlib>

#include "e2e/ops_test_util.hpp"
#include "smartspec/engine/ops.hpp"

namespace smartspec::test {
namespace {

using namespace ops;

const char* const kHooks[] = {"post-merge", "post-checkout", "pre-push"};

// PATH with the built binary first, as a user who installed it has.
std::map<std::string, std::string> tool_env() {
  const char* path = std::getenv("PATH");
  return {
      {"PATH", fs::path(binary()).parent_path().string() + ":" + (path ? path : "/usr/bin:/bin")}};
}

// What the user owns apart from the run's own report files.
std::string user_view(const std::string& repo) {
  return git(repo, {"rev-parse", "HEAD"}) + "\n" +
         git(repo, {"symbolic-ref", "-q", "HEAD"}, false) + "\n" +
         git(repo, {"for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/main",
                    "refs/heads/pack"}) +
         "\n" + git(repo, {"ls-files", "-s"}) + "\n" +
         git(repo, {"status", "--porcelain", "-uall", "--", ".", ":(exclude).spec/reports"});
}

TEST(OpsHook, EmbeddedTextsAreTheShippedFiles) {
  const auto& hooks = engine::shipped_hooks();
  ASSERT_EQ(hooks.size(), 3u);
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    EXPECT_STREQ(hooks[i].name, kHooks[i]);
    EXPECT_EQ(std::string(hooks[i].text), read(source_dir() / "hooks" / hooks[i].name))
        << hooks[i].name;
  }
}

TEST(OpsHook, InstallAndUninstallInTheDefaultDirectory) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  fs::path hooks = fs::path(repo) / ".git" / "hooks";
  CmdResult r = run_tool({"hook", "install"}, repo);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : kHooks) {
    EXPECT_NE(r.out.find(std::string(name) + ": installed (" + (hooks / name).string() + ")\n"),
              std::string::npos)
        << r.out;
    EXPECT_EQ(read(hooks / name), read(source_dir() / "hooks" / name));
    struct stat st {};
    ASSERT_EQ(::stat((hooks / name).c_str(), &st), 0);
    EXPECT_TRUE(st.st_mode & S_IXUSR) << name;
  }
  CmdResult again = run_tool({"hook", "install"}, repo);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("pre-push: already installed"), std::string::npos) << again.out;
  CmdResult u = run_tool({"hook", "uninstall"}, repo);
  ASSERT_EQ(u.exit_code, 0) << u.err;
  for (const char* name : kHooks) EXPECT_FALSE(fs::exists(hooks / name)) << name;
}

TEST(OpsHook, KeepsAForeignHookUnlessForcedAndRestoresIt) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  git(repo, {"config", "core.hooksPath", "githooks"});
  fs::path hooks = fs::path(repo) / "githooks";
  write(hooks / "pre-push", "#!/bin/sh\nexit 0\n");
  CmdResult r = run_tool({"hook", "install"}, repo);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "smartspec-batch: error: " + (hooks / "pre-push").string() +
                       ": a different hook is installed; use --force to replace it (it is kept "
                       "as pre-push.smartspec-backup)\n");
  EXPECT_FALSE(fs::exists(hooks / "post-merge"));
  EXPECT_EQ(read(hooks / "pre-push"), "#!/bin/sh\nexit 0\n");

  CmdResult f = run_tool({"hook", "install", "--force"}, repo);
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(read(hooks / "pre-push"), read(source_dir() / "hooks" / "pre-push"));
  EXPECT_EQ(read(hooks / "pre-push.smartspec-backup"), "#!/bin/sh\nexit 0\n");
  EXPECT_FALSE(fs::exists(fs::path(repo) / ".git" / "hooks" / "pre-push"));

  // A hook edited since is not ours any more: uninstall leaves it.
  write(hooks / "post-merge", read(hooks / "post-merge") + "# mine\n");
  CmdResult u = run_tool({"hook", "uninstall"}, repo);
  ASSERT_EQ(u.exit_code, 0) << u.err;
  EXPECT_EQ(read(hooks / "pre-push"), "#!/bin/sh\nexit 0\n");
  EXPECT_FALSE(fs::exists(hooks / "pre-push.smartspec-backup"));
  EXPECT_FALSE(fs::exists(hooks / "post-checkout"));
  EXPECT_TRUE(fs::exists(hooks / "post-merge"));
  EXPECT_NE(u.out.find("post-merge: left in place (not smartspec-batch's)"), std::string::npos);
}

// A repository with the hooks installed and a branch `pack` that adds the
// example pack under .spec/prompts/.
std::string repo_with_pack_branch(const TempDir& dir) {
  std::string repo = make_inventory_repo(dir);
  EXPECT_EQ(run_tool({"hook", "install"}, repo).exit_code, 0);
  git(repo, {"checkout", "-q", "-b", "pack"});
  fs::create_directories(fs::path(repo) / ".spec" / "prompts");
  fs::copy(pack_dir(), fs::path(repo) / ".spec" / "prompts" / kRun, fs::copy_options::recursive);
  git(repo, {"add", ".spec/prompts"});
  git(repo, {"commit", "-q", "-m", "prompt pack"});
  // Leave main without the pack (no hook run: the pack is not new to HEAD).
  git(repo, {"checkout", "-q", "main"});
  return repo;
}

TEST(OpsHook, PostCheckoutStartsARunAndLeavesTheUserAlone) {
  TempDir dir;
  std::string repo = repo_with_pack_branch(dir);
  CmdResult c = run({"git", "checkout", "-q", "pack"}, repo, tool_env());
  ASSERT_EQ(c.exit_code, 0) << c.err;
  std::string log = (fs::path(repo) / ".git" / "smartspec" / ("hook-" + kRun + ".log")).string();
  // git shows a hook's output on its stderr.
  EXPECT_EQ(c.err, "smartspec-batch: running .spec/prompts/" + kRun +
                       " in the background; result on branch " + kBranch + " (log: " + log + ")\n");
  EXPECT_EQ(c.out, "");
  std::string before = user_view(repo);
  ASSERT_TRUE(wait_for_run(repo, kBranch)) << read(log);
  EXPECT_EQ(git(repo, {"log", "--format=%s", "-1", kBranch}), "smartspec(naming_issue): 1 task")
      << read(log);
  EXPECT_EQ(git(repo, {"rev-parse", kBranch + "~5"}), rev(repo, "pack"));
  EXPECT_EQ(user_view(repo), before);
  EXPECT_EQ(git(repo, {"rev-parse", "--abbrev-ref", "HEAD"}), "pack");
  // Coming back to the branch starts nothing: the pack is a run already.
  ASSERT_EQ(run({"git", "checkout", "-q", "main"}, repo, tool_env()).exit_code, 0);
  CmdResult again = run({"git", "checkout", "-q", "pack"}, repo, tool_env());
  ASSERT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.out + again.err, "");
}

// Issue 15 item 8: a pack directory whose name is no run id (here one that
// carries a terminal escape sequence) starts nothing and prints nothing.
TEST(OpsHook, PostCheckoutIgnoresAPackNameThatIsNoRunId) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  ASSERT_EQ(run_tool({"hook", "install"}, repo).exit_code, 0);
  git(repo, {"checkout", "-q", "-b", "pack"});
  const std::string name = "20250101_000000\x1b]0;owned\x07";
  fs::create_directories(fs::path(repo) / ".spec" / "prompts");
  fs::copy(pack_dir(), fs::path(repo) / ".spec" / "prompts" / name, fs::copy_options::recursive);
  git(repo, {"add", ".spec/prompts"});
  git(repo, {"commit", "-q", "-m", "prompt pack with an odd name"});
  git(repo, {"checkout", "-q", "main"});
  CmdResult c = run({"git", "checkout", "-q", "pack"}, repo, tool_env());
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out + c.err, "");
  EXPECT_EQ(git(repo, {"for-each-ref", "refs/smartspec", "refs/heads/smartspec"}), "");
  EXPECT_EQ(sh("ls .git/smartspec 2>/dev/null | grep -c hook-", repo).out, "0\n");
}

TEST(OpsHook, PostMergeStartsARun) {
  TempDir dir;
  std::string repo = repo_with_pack_branch(dir);
  CmdResult m = run({"git", "merge", "-q", "--no-edit", "pack"}, repo, tool_env());
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_NE(m.err.find("result on branch " + kBranch), std::string::npos) << m.err;
  EXPECT_EQ(rev(repo, "main"), rev(repo, "pack"));
  std::string before = user_view(repo);
  std::string log = (fs::path(repo) / ".git" / "smartspec" / ("hook-" + kRun + ".log")).string();
  ASSERT_TRUE(wait_for_run(repo, kBranch)) << read(log);
  EXPECT_EQ(git(repo, {"rev-parse", kBranch + "~5"}), rev(repo, "main"));
  EXPECT_EQ(user_view(repo), before);
  git(repo, {"fsck", "--strict", "--no-progress"});
}

TEST(OpsHook, PrePushRefusesAFailingDoneTask) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string remote = (dir.path() / "remote.git").string();
  git(dir.str(), {"init", "-q", "--bare", remote});
  git(repo, {"remote", "add", "origin", remote});
  ASSERT_EQ(run_tool({"hook", "install"}, repo).exit_code, 0);

  // The inventory tasks.md marks TSK-INV-002 [x], and its evidence fails.
  CmdResult refused = run({"git", "push", "-q", "origin", "main"}, repo, tool_env());
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("smartspec-batch pre-push: refusing to push refs/heads/main: "
                             "TSK-INV-002 is marked [x] in tasks.md but fails verification "
                             "(SMARTSPEC_SKIP=1 pushes anyway)\n"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(git(remote, {"for-each-ref"}), "");

  auto skip = tool_env();
  skip["SMARTSPEC_SKIP"] = "1";
  CmdResult skipped = run({"git", "push", "-q", "origin", "main"}, repo, skip);
  EXPECT_EQ(skipped.exit_code, 0) << skipped.err;
  EXPECT_EQ(git(remote, {"rev-parse", "main"}), rev(repo, "main"));

  // Unticking the task makes the tip honest: the push goes through.
  std::string tasks = read(fs::path(repo) / "tasks.md");
  tasks.replace(tasks.find("- [x] TSK-INV-002"), 5, "- [ ]");
  write(fs::path(repo) / "tasks.md", tasks);
  git(repo, {"commit", "-q", "-am", "untick TSK-INV-002"});
  CmdResult ok = run({"git", "push", "-q", "origin", "main"}, repo, tool_env());
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(git(remote, {"rev-parse", "main"}), rev(repo, "main"));
}

TEST(OpsHook, PrePushWithoutTheBinaryWarnsAndAllows) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string remote = (dir.path() / "remote.git").string();
  git(dir.str(), {"init", "-q", "--bare", remote});
  git(repo, {"remote", "add", "origin", remote});
  ASSERT_EQ(run_tool({"hook", "install"}, repo).exit_code, 0);
  CmdResult r = run({"git", "push", "-q", "origin", "main"}, repo,
                    {{"SMARTSPEC_BATCH", (dir.path() / "no-such-binary").string()}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("smartspec-batch pre-push: " + (dir.path() / "no-such-binary").string() +
                       " not found; push not checked"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace smartspec::test
