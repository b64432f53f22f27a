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

// The shipped hook as `hook install` writes it: the installing binary recorded.
std::string installed_text(const char* name) {
  std::string t = read(source_dir() / "hooks" / name);
  const std::string line = "bin=${SMARTSPEC_BATCH:-smartspec-batch}\n";
  auto at = t.find(line);
  EXPECT_NE(at, std::string::npos) << name;
  return t.replace(at, line.size(),
                   "bin=${SMARTSPEC_BATCH:-" + fs::canonical(binary()).string() + "}\n");
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
    EXPECT_EQ(read(hooks / name), installed_text(name));
    struct stat st {};
    ASSERT_EQ(::stat((hooks / name).c_str(), &st), 0);
    EXPECT_TRUE(st.st_mode & S_IXUSR) << name;
  }
  CmdResult again = run_tool({"hook", "install"}, repo);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("pre-push: already installed"), std::string::npos) << again.out;
  // A hook installed by an earlier version (the shipped text as is) is ours too.
  write(hooks / "post-merge", read(source_dir() / "hooks" / "post-merge"));
  CmdResult updated = run_tool({"hook", "install"}, repo);
  EXPECT_NE(updated.out.find("post-merge: updated"), std::string::npos) << updated.out;
  EXPECT_FALSE(fs::exists(hooks / "post-merge.smartspec-chained"));
  CmdResult quiet = run_tool({"hook", "install", "-q"}, repo);
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.out + quiet.err, "");
  CmdResult u = run_tool({"hook", "uninstall"}, repo);
  ASSERT_EQ(u.exit_code, 0) << u.err;
  for (const char* name : kHooks) EXPECT_FALSE(fs::exists(hooks / name)) << name;
}

// A hook that was there (e.g. the pre-commit framework's) keeps running, first,
// with the same arguments and standard input; its refusal refuses the push.
TEST(OpsHook, ChainsToTheHookThatWasThereAndRestoresItOnUninstall) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  std::string remote = (dir.path() / "remote.git").string();
  git(dir.str(), {"init", "-q", "--bare", remote});
  git(repo, {"remote", "add", "origin", remote});
  fs::path hooks = fs::path(repo) / ".git" / "hooks";
  const std::string theirs =
      "#!/bin/sh\necho \"theirs: $1\" >&2\ncat >\"$0.stdin\"\nexit \"${THEIRS_EXIT:-0}\"\n";
  write(hooks / "pre-push", theirs);
  ::chmod((hooks / "pre-push").c_str(), 0755);
  CmdResult r = run_tool({"hook", "install"}, repo);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pre-push: installed; the hook that was there runs first (kept as "
                       "pre-push.smartspec-chained) (" +
                       (hooks / "pre-push").string() + ")\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(read(hooks / "pre-push.smartspec-chained"), theirs);

  auto env = tool_env();
  env["THEIRS_EXIT"] = "3";
  CmdResult refused = run({"git", "push", "-q", "origin", "main"}, repo, env);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("theirs: origin"), std::string::npos) << refused.err;
  EXPECT_EQ(
      read(hooks / "pre-push.smartspec-chained.stdin"),
      "refs/heads/main " + rev(repo, "main") + " refs/heads/main " + std::string(40, '0') + "\n");
  EXPECT_EQ(git(remote, {"for-each-ref"}), "");
  CmdResult pushed = run({"git", "push", "-q", "origin", "main"}, repo, tool_env());
  EXPECT_EQ(pushed.exit_code, 0) << pushed.err;
  EXPECT_EQ(git(remote, {"rev-parse", "main"}), rev(repo, "main"));

  CmdResult u = run_tool({"hook", "uninstall"}, repo);
  ASSERT_EQ(u.exit_code, 0) << u.err;
  EXPECT_NE(u.out.find("pre-push: removed (the hook that was there before is back)"),
            std::string::npos)
      << u.out;
  EXPECT_EQ(read(hooks / "pre-push"), theirs);
  EXPECT_FALSE(fs::exists(hooks / "pre-push.smartspec-chained"));
}

TEST(OpsHook, ATrackedHooksDirectoryIsOnlyWrittenWithForce) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"githooks/pre-push", "#!/bin/sh\nexit 0\n"}});
  git(repo, {"config", "core.hooksPath", "githooks"});
  fs::path hooks = fs::path(repo) / "githooks";
  CmdResult r = run_tool({"hook", "install"}, repo);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "smartspec-batch: error: " + hooks.string() +
                       ": this hooks directory is tracked in the repository: installing edits "
                       "the team's hooks; use --force to install there anyway\n");
  EXPECT_FALSE(fs::exists(hooks / "post-merge"));
  EXPECT_EQ(git(repo, {"status", "--porcelain"}), "");

  CmdResult f = run_tool({"hook", "install", "--force"}, repo);
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(f.err, "smartspec-batch: installing into " + hooks.string() +
                       ", a hooks directory tracked in the repository (--force): commit the "
                       "change only if the team wants it\n");
  EXPECT_EQ(read(hooks / "pre-push"), installed_text("pre-push"));
  EXPECT_EQ(read(hooks / "pre-push.smartspec-chained"), "#!/bin/sh\nexit 0\n");
  EXPECT_FALSE(fs::exists(fs::path(repo) / ".git" / "hooks" / "pre-push"));

  // A hook edited since is not ours any more: uninstall leaves it.
  write(hooks / "post-merge", read(hooks / "post-merge") + "# mine\n");
  CmdResult u = run_tool({"hook", "uninstall"}, repo);
  ASSERT_EQ(u.exit_code, 0) << u.err;
  EXPECT_EQ(read(hooks / "pre-push"), "#!/bin/sh\nexit 0\n");
  EXPECT_FALSE(fs::exists(hooks / "pre-push.smartspec-chained"));
  EXPECT_FALSE(fs::exists(hooks / "post-checkout"));
  EXPECT_TRUE(fs::exists(hooks / "post-merge"));
  EXPECT_NE(u.out.find("post-merge: left in place (not smartspec-batch's)"), std::string::npos);
}

TEST(OpsHook, AGlobalHooksPathIsOnlyWrittenWithForce) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  fs::path home = dir.path() / "home";
  fs::path shared = dir.path() / "shared-hooks";
  write(home / ".gitconfig", "[core]\n\thooksPath = " + shared.string() + "\n");
  std::map<std::string, std::string> env{{"HOME", home.string()}};
  CmdResult r = run_tool({"hook", "install"}, repo, env);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "smartspec-batch: error: " + shared.string() +
                       ": core.hooksPath is set in your global git configuration: installing "
                       "there changes the hooks of every repository that uses it; use --force "
                       "to install there anyway\n");
  EXPECT_FALSE(fs::exists(shared));
  CmdResult f = run_tool({"hook", "install", "--force"}, repo, env);
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_NE(f.err.find("the core.hooksPath of your global git configuration (--force)"),
            std::string::npos)
      << f.err;
  EXPECT_TRUE(fs::exists(shared / "pre-push"));
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
  EXPECT_NE(refused.err.find("smartspec-batch pre-push: refusing to push refs/heads/main: a task "
                             "marked [x] in tasks.md fails verification (SMARTSPEC_SKIP=1 "
                             "pushes anyway)\n❌ TSK-INV-002 "),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(git(remote, {"for-each-ref"}), "");
  // The tool's own review branches are not checked: they are pushed for review.
  git(repo, {"branch", "smartspec/review", "main"});
  CmdResult review = run({"git", "push", "-q", "origin", "smartspec/review"}, repo, tool_env());
  EXPECT_EQ(review.exit_code, 0) << review.err;
  EXPECT_EQ(git(remote, {"rev-parse", "smartspec/review"}), rev(repo, "main"));

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

TEST(OpsHook, PrePushWithoutTheBinaryFailsClosed) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string remote = (dir.path() / "remote.git").string();
  git(dir.str(), {"init", "-q", "--bare", remote});
  git(repo, {"remote", "add", "origin", remote});
  ASSERT_EQ(run_tool({"hook", "install"}, repo).exit_code, 0);
  const std::string missing = (dir.path() / "no-such-binary").string();
  CmdResult r = run({"git", "push", "-q", "origin", "main"}, repo, {{"SMARTSPEC_BATCH", missing}});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("smartspec-batch pre-push: " + missing +
                       " not found, push refused (reinstall: smartspec-batch hook install; push "
                       "unchecked: SMARTSPEC_SKIP=1)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(git(remote, {"for-each-ref"}), "");
  CmdResult skipped = run({"git", "push", "-q", "origin", "main"}, repo,
                          {{"SMARTSPEC_BATCH", missing}, {"SMARTSPEC_SKIP", "1"}});
  EXPECT_EQ(skipped.exit_code, 0) << skipped.err;
}

}  // namespace
}  // namespace smartspec::test
