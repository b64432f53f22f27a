// End-to-end tests of `smartspec-batch run` on real repositories, checked with
// the real git (issue 3 "Done when").
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "support/test_support.hpp"

namespace smartspec::test {
namespace {

std::string example_pack() {
  return (source_dir() / "examples" / "inventory" / "packs" / "20251226_083000").string();
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Everything git stores for the repository, to prove a command wrote nothing.
std::string whole_repo_state(const std::string& repo) {
  std::string s = user_state(repo);
  s += git(repo, {"for-each-ref", "--format=%(refname) %(objectname)"}, false) + "\n";
  s += git(repo, {"worktree", "list", "--porcelain"}, false) + "\n";
  s += sh("find .git -type f | sort | xargs sha1sum", repo).out;
  s += sh("find . -path ./.git -prune -o -print | sort", repo).out;
  return s;
}

struct RunTest : ::testing::Test {
  TempDir dir;
  std::string repo;
  void SetUp() override { repo = make_inventory_repo(dir); }
};

TEST_F(RunTest, OneCommitPerUnitInPlanOrderWithTrailers) {
  // The user's state is dirty in every way during the run.
  write(fs::path(repo) / "src/inventory/models.py",
        read(fs::path(repo) / "src/inventory/models.py") + "# local edit\n");
  write(fs::path(repo) / "staged.txt", "staged\n");
  git(repo, {"add", "staged.txt"});
  write(fs::path(repo) / "untracked.txt", "untracked\n");
  write(fs::path(repo) / ".gitignore", "ignored.log\n");
  write(fs::path(repo) / "ignored.log", "ignored\n");
  std::string before = user_state(repo);
  std::string base = git(repo, {"rev-parse", "HEAD"});

  auto r = run_tool({"run", "--prompts-dir", example_pack(), "--tasks", "tasks.md"}, repo);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(user_state(repo), before);

  const std::string branch = "smartspec/20251226_083000";
  EXPECT_EQ(lines(git(repo, {"log", "--format=%s", base + ".." + branch})),
            (std::vector<std::string>{
                "smartspec(naming_issue): 1 task", "smartspec(content_issue): 1 task",
                "smartspec(symbol_issue): 1 task", "smartspec(missing_code): 1 task",
                "smartspec(not_implemented): 2 tasks"}));
  EXPECT_EQ(git(repo, {"log", "-1",
                       "--format=%(trailers:key=Smartspec-Unit,valueonly)%(trailers:key=Smartspec-"
                       "Tasks,valueonly)%(trailers:key=Smartspec-Run,valueonly)",
                       branch + "~4"}),
            "not_implemented\nTSK-INV-010, TSK-INV-003\n20251226_083000\n");
  EXPECT_NE(
      git(repo, {"log", "-1", "--format=%(trailers:key=Smartspec-Pack-Digest,valueonly)", branch}),
      "");
  // The tip's tree holds exactly the pack's files on top of the base.
  EXPECT_EQ(
      lines(git(repo, {"diff", "--name-status", "-M", base, branch})),
      (std::vector<std::string>{
          "A\tdocs/configuration.md", "M\tsrc/inventory/audit.py", "A\tsrc/inventory/reports.py",
          "R100\tsrc/inventory/stock_service.py\tsrc/inventory/stock_services.py",
          "A\tsrc/inventory/suppliers.py", "A\ttests/test_suppliers.py"}));
  EXPECT_EQ(git(repo, {"show", branch + ":docs/configuration.md"}),
            "# Configuration\n\nSet `INVENTORY_DB` to the database URL.");
  // Existing code kept by the symbol/content issues.
  std::string audit = git(repo, {"show", branch + ":src/inventory/audit.py"});
  std::string old_audit = git(repo, {"show", base + ":src/inventory/audit.py"});
  for (const auto& l : lines(old_audit)) EXPECT_NE(audit.find(l), std::string::npos) << l;
  EXPECT_NE(audit.find("class RetentionPolicy"), std::string::npos);
  EXPECT_NE(audit.find("json.dumps"), std::string::npos);

  auto fsck = run({"git", "-C", repo, "fsck", "--strict"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.err;
  // The scratch repository is kept for the next run, outside the user's .git
  // (git does not list it); it holds only what the units touched.
  const std::string scratch = scratch_path(repo);
  EXPECT_EQ(git(repo, {"worktree", "list", "--porcelain"}).find("smartspec-batch"),
            std::string::npos);
  EXPECT_EQ(
      read(scratch + ".git/description"),
      "smartspec-batch: scratch worktree kept for reuse (remove with smartspec-batch clean)\n");
  EXPECT_TRUE(fs::exists(scratch + "/src"));
  EXPECT_FALSE(fs::exists(scratch + "/web/index.html"));
  // Refs of a finished run: checkpoint = branch tip; the note is on the tip.
  EXPECT_EQ(git(repo, {"rev-parse", "refs/smartspec/checkpoints/20251226_083000"}),
            git(repo, {"rev-parse", branch}));
  EXPECT_NE(
      git(repo, {"notes", "--ref=smartspec", "show", branch}).find("# Batch Execution Report"),
      std::string::npos);
  // Console lines.
  EXPECT_NE(r.out.find("✅ [1/6] TSK-INV-010: Configuration guide\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unit naming_issue: committed "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);  // not a terminal: no control characters
}

TEST_F(RunTest, ResumingAFinishedRunIsANoOp) {
  ASSERT_EQ(
      run_tool({"run", "--prompts-dir", example_pack(), "--tasks", "tasks.md"}, repo).exit_code, 0);
  std::string tip = git(repo, {"rev-parse", "smartspec/20251226_083000"});
  auto again =
      run_tool({"run", "--prompts-dir", example_pack(), "--tasks", "tasks.md", "--resume"}, repo);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("already finished"), std::string::npos) << again.out;
  EXPECT_EQ(git(repo, {"rev-parse", "smartspec/20251226_083000"}), tip);
  auto fresh = run_tool({"run", "--prompts-dir", example_pack(), "--tasks", "tasks.md"}, repo);
  EXPECT_EQ(fresh.exit_code, 2);
  EXPECT_NE(fresh.err.find("run 20251226_083000 already exists (finished): use --resume"),
            std::string::npos)
      << fresh.err;
}

TEST_F(RunTest, DryRunChangesNothing) {
  std::string before = whole_repo_state(repo);
  auto r =
      run_tool({"run", "--dry-run", "--prompts-dir", example_pack(), "--tasks", "tasks.md"}, repo);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Total: 6 tasks across 5 units\n"), std::string::npos) << r.out;
  auto p =
      run_tool({"plan", "--json", "--prompts-dir", example_pack(), "--tasks", "tasks.md"}, repo);
  EXPECT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(p.out.rfind("{\n  \"run_id\": \"20251226_083000\"", 0), 0u) << p.out;
  EXPECT_EQ(whole_repo_state(repo), before);
}

TEST_F(RunTest, BadInputIsOneLineExit2AndChangesNothing) {
  std::string before = whole_repo_state(repo);
  auto missing = run_tool({"run", "--prompts-dir", "nope", "--tasks", "tasks.md"}, repo);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "smartspec-batch: error: nope: prompts directory not found\n");
  auto no_tasks = run_tool({"run", "--prompts-dir", example_pack(), "--tasks", "nope.md"}, repo);
  EXPECT_EQ(no_tasks.exit_code, 2);
  EXPECT_EQ(no_tasks.err, "smartspec-batch: error: nope.md: no such file\n");
  auto cat = run_tool({"run", "--prompts-dir", example_pack(), "--tasks", "tasks.md",
                       "--only-category", "symbol_issues,bogus"},
                      repo);
  EXPECT_EQ(cat.exit_code, 2);
  EXPECT_EQ(cat.err,
            "smartspec-batch: error: unknown category 'bogus' (valid: critical, not_implemented, "
            "missing_tests, missing_code, symbol_issue, content_issue, naming_issue)\n");
  // A numeric range is said in plain numbers.
  auto budget = run_tool(
      {"run", "--prompts-dir", example_pack(), "--tasks", "tasks.md", "--max-failures", "-1"},
      repo);
  EXPECT_EQ(budget.exit_code, 2);
  EXPECT_EQ(budget.err,
            "smartspec-batch: error: --max-failures: Value -1 not in range 0 to 2147483647 "
            "(see --help)\n");
  EXPECT_EQ(whole_repo_state(repo), before);
}

TEST_F(RunTest, CategoryFiltersSelectUnits) {
  auto r = run_tool({"run", "--prompts-dir", example_pack(), "--tasks", "tasks.md",
                     "--only-category", "symbol_issues,naming_issue"},
                    repo);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(git(repo, {"log", "--format=%s", "main..smartspec/20251226_083000"})),
            (std::vector<std::string>{"smartspec(naming_issue): 1 task",
                                      "smartspec(symbol_issue): 1 task"}));
}

// A pack whose second unit has three tasks that fail (each would overwrite an
// existing file with other content).
void write_budget_pack(const fs::path& pack, bool fixed) {
  write(pack / "not_implemented.md",
        "# Not Implemented\n\n## Task: TSK-INV-010\nConfiguration guide\n\nCode file: "
        "`docs/configuration.md`\n\n"
        "```markdown\n# Configuration\n\nSet `INVENTORY_DB`.\n```\n");
  std::string bad;
  const char* targets[] = {"src/inventory/models.py", "src/inventory/pricing.py", "web/index.html"};
  const char* ids[] = {"TSK-INV-005", "TSK-INV-004", "TSK-INV-011"};
  for (int i = 0; i < 3; ++i) {
    std::string path =
        fixed ? std::string("src/inventory/new_") + std::to_string(i) + ".py" : targets[i];
    bad += std::string("## Task: ") + ids[i] + "\nTask " + std::to_string(i) + "\n\nCode file: `" +
           path + "`\n\n```python\nVALUE_" + std::to_string(i) + " = " + std::to_string(i) +
           "\n```\n\n";
  }
  write(pack / "missing_code.md", "# Missing Code\n\n" + bad);
  write(pack / "symbol_issues.md",
        "# Symbol Issues\n\n## Task: TSK-INV-007\nAudit log retention\n\nCode file: "
        "`src/inventory/audit.py`\n\n"
        "```python\nclass RetentionPolicy:\n    days = 30\n```\n");
}

// Under `*.bat text eol=crlf` the files are CRLF in the worktree (as git checks
// them out) and LF in git (as `git add` stores them), lazy or full checkout.
TEST_F(RunTest, EolCrlfFilesAreStoredAsGitAddWould) {
  for (const bool full : {false, true}) {
    SCOPED_TRACE(full ? "full checkout (--verify-cmd)" : "lazy worktree");
    TempDir d;
    std::string r = make_inventory_repo(d);
    write(fs::path(r) / ".gitattributes", "*.bat text eol=crlf\n");
    write(fs::path(r) / "tools/build.bat", "@echo off\necho build\n");
    git(r, {"add", "-A"});
    git(r, {"commit", "-q", "-m", "bat files"});
    fs::path pack = d.path() / "packs" / "20250102_000000";
    write(pack / "missing_code.md",
          "# Missing Code\n\n## Task: TSK-BAT-001\nRun script\n\nCode file: `scripts/run.bat`\n\n"
          "```bat\n@echo off\necho run\n```\n");
    write(pack / "content_issues.md",
          "# Content Issues\n\n## Task: TSK-BAT-002\nBuild step\n\nCode file: `tools/build.bat`\n\n"
          "```bat\necho extra\n```\n");
    std::vector<std::string> args{"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md"};
    if (full) args.insert(args.end(), {"--verify-cmd", "true"});
    auto res = run_tool(args, r);
    ASSERT_EQ(res.exit_code, 0) << res.out << res.err;
    const std::string branch = "smartspec/20250102_000000";
    EXPECT_EQ(git(r, {"show", branch + ":scripts/run.bat"}), "@echo off\necho run");
    EXPECT_EQ(git(r, {"cat-file", "-p", branch + ":tools/build.bat"}).find('\r'),
              std::string::npos);
    EXPECT_NE(git(r, {"show", branch + ":tools/build.bat"}).find("echo extra"), std::string::npos);
    // Checked out, the files are CRLF and git sees no change.
    git(r, {"checkout", "-q", branch});
    EXPECT_EQ(read(fs::path(r) / "scripts/run.bat"), "@echo off\r\necho run\r\n");
    EXPECT_EQ(git(r, {"status", "--porcelain", "--untracked-files=no"}), "");
  }
}

TEST_F(RunTest, FailureBudgetRollsBackTheUnitAndResumeFinishes) {
  fs::path pack = dir.path() / "packs" / "20250101_000000";
  write_budget_pack(pack, false);
  std::string base = git(repo, {"rev-parse", "HEAD"});
  auto r = run_tool(
      {"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md", "--max-failures", "2"}, repo);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  const std::string branch = "smartspec/20250101_000000";
  EXPECT_EQ(lines(git(repo, {"log", "--format=%s", base + ".." + branch})),
            (std::vector<std::string>{"smartspec(not_implemented): 1 task"}));
  EXPECT_EQ(git(repo, {"rev-parse", "refs/smartspec/checkpoints/20250101_000000"}),
            git(repo, {"rev-parse", branch}));
  // The failed unit's partial work is kept for inspection, on top of unit 1.
  std::string failed =
      git(repo, {"rev-parse", "refs/smartspec/failed/20250101_000000/missing_code"});
  EXPECT_EQ(git(repo, {"rev-parse", failed + "^"}), git(repo, {"rev-parse", branch}));
  EXPECT_NE(r.out.find("unit missing_code: rolled back"), std::string::npos) << r.out;
  // The scratch worktree stays for --resume.
  EXPECT_TRUE(fs::exists(scratch_path(repo) + ".git/HEAD"));

  // A resume with the unchanged pack runs into the same wall; a changed pack
  // is refused without --force.
  write_budget_pack(pack, true);
  auto refused =
      run_tool({"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md", "--resume"}, repo);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("the pack changed since run 20250101_000000 started; use --force"),
            std::string::npos)
      << refused.err;
  auto resumed = run_tool(
      {"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md", "--resume", "--force"}, repo);
  // The fixed tasks write files their evidence does not name: they finish as
  // applied, not verified (exit 1), and the resumed report says so.
  EXPECT_EQ(resumed.exit_code, 1) << resumed.out << resumed.err;
  EXPECT_NE(resumed.out.find("5 tasks: 2 verified, 3 applied, not verified\n"), std::string::npos)
      << resumed.out;
  EXPECT_NE(resumed.out.find("unit not_implemented: done earlier"), std::string::npos)
      << resumed.out;

  // The same fixed pack, uninterrupted, in a second repository: same tree.
  TempDir dir2;
  std::string repo2 = make_inventory_repo(dir2);
  auto clean = run_tool({"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md"}, repo2);
  EXPECT_EQ(clean.exit_code, 1) << clean.err;
  EXPECT_EQ(git(repo, {"rev-parse", branch + "^{tree}"}),
            git(repo2, {"rev-parse", branch + "^{tree}"}));
  // Messages equal but for the digest of unit 1, committed with the first pack.
  auto strip_digest = [](const std::string& log) {
    std::string out;
    for (const auto& l : lines(log))
      if (l.rfind("Smartspec-Pack-Digest:", 0) != 0) out += l + "\n";
    return out;
  };
  EXPECT_EQ(strip_digest(git(repo, {"log", "--format=%B", base + ".." + branch})),
            strip_digest(git(repo2, {"log", "--format=%B", base + ".." + branch})));
  EXPECT_EQ(run({"git", "-C", repo, "fsck", "--strict"}).exit_code, 0);
  // `clean` removes the kept scratch worktree.
  auto cleaned = run_tool({"clean"}, repo);
  EXPECT_EQ(cleaned.exit_code, 0) << cleaned.err;
  EXPECT_FALSE(fs::exists(scratch_path(repo)));
  EXPECT_FALSE(fs::exists(scratch_path(repo) + ".git"));
}

TEST_F(RunTest, ConcurrentRunsOnlyOneProceeds) {
  fs::path pack = dir.path() / "packs" / "20250202_000000";
  write_budget_pack(pack, true);
  // The first run is held inside its first unit by a slow --verify-cmd.
  std::string cmd = binary() + " run --prompts-dir " + pack.string() +
                    " --tasks tasks.md --verify-cmd 'sleep 3' >first.out 2>&1; echo $? >first.rc";
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(repo.c_str()) != 0) _exit(127);
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait (bounded) until it holds the lock.
  for (int i = 0; i < 100 && !fs::exists(fs::path(repo) / ".git" / "smartspec" / "lock"); ++i)
    usleep(50 * 1000);
  std::string before = git(repo, {"for-each-ref", "--format=%(refname) %(objectname)"});
  auto second = run_tool({"run", "--prompts-dir", example_pack(), "--tasks", "tasks.md"}, repo);
  std::string after = git(repo, {"for-each-ref", "--format=%(refname) %(objectname)",
                                 "refs/heads/smartspec/20251226_083000"});
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(second.exit_code, 4) << second.err;
  EXPECT_NE(second.err.find("20250202_000000"), std::string::npos) << second.err;
  EXPECT_EQ(after, "");  // the second run wrote no ref
  // It finishes (its fixed tasks are applied, not verified: exit 1).
  EXPECT_EQ(read(fs::path(repo) / "first.rc"), "1\n") << read(fs::path(repo) / "first.out");
}

TEST_F(RunTest, RunsFromInsideAPostCommitHook) {
  std::string hook = "#!/bin/sh\n" + binary() + " run --prompts-dir " + example_pack() +
                     " --tasks tasks.md > .git/hook.out 2>&1\necho $? > .git/hook.rc\n";
  write(fs::path(repo) / ".git" / "hooks" / "post-commit", hook);
  fs::permissions(fs::path(repo) / ".git" / "hooks" / "post-commit", fs::perms::owner_all);
  write(fs::path(repo) / "note.txt", "x\n");
  git(repo, {"add", "note.txt"});
  git(repo, {"commit", "-q", "-m", "user commit"});
  EXPECT_EQ(read(fs::path(repo) / ".git" / "hook.rc"), "0\n")
      << read(fs::path(repo) / ".git" / "hook.out");
  EXPECT_EQ(git(repo, {"log", "-1", "--format=%s"}), "user commit");
  // Only the report files appear (docs/DESIGN.md: the .spec/ reports are written to the repository
  // root).
  EXPECT_EQ(git(repo, {"status", "--porcelain"}), "?? .spec/");
  EXPECT_EQ(git(repo, {"rev-parse", "smartspec/20251226_083000~5"}),
            git(repo, {"rev-parse", "HEAD"}));
  EXPECT_EQ(run({"git", "-C", repo, "fsck", "--strict"}).exit_code, 0);
}

TEST_F(RunTest, EmptyPackIsNothingToDo) {
  fs::path pack = dir.path() / "packs" / "empty";
  write(pack / "not_implemented.md", "# Not Implemented\n\nNo tasks.\n");
  std::string before = whole_repo_state(repo);
  auto r = run_tool({"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md"}, repo);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("nothing to do"), std::string::npos) << r.out;
  EXPECT_EQ(whole_repo_state(repo), before);
}

}  // namespace
}  // namespace smartspec::test

namespace smartspec::test {
namespace {

TEST(RunLand, LandFastForwardsTheCurrentBranchWhenDone) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  auto r =
      run_tool({"run", "--prompts-dir", example_pack(), "--tasks", "tasks.md", "--land"}, repo);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(git(repo, {"rev-parse", "main"}),
            git(repo, {"rev-parse", "smartspec/20251226_083000"}));
  EXPECT_EQ(git(repo, {"status", "--porcelain", "--", ".", ":(exclude).spec"}), "");
  EXPECT_TRUE(fs::exists(fs::path(repo) / "src/inventory/stock_services.py"));
  EXPECT_FALSE(fs::exists(fs::path(repo) / "src/inventory/stock_service.py"));
}

TEST(RunLand, LandRefusesWhenALocalChangeTouchesARunPath) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  write(fs::path(repo) / "src/inventory/audit.py", "# local work\n");
  auto r =
      run_tool({"run", "--prompts-dir", example_pack(), "--tasks", "tasks.md", "--land"}, repo);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("src/inventory/audit.py"), std::string::npos) << r.err;
  EXPECT_EQ(read(fs::path(repo) / "src/inventory/audit.py"), "# local work\n");
  EXPECT_NE(git(repo, {"rev-parse", "main"}),
            git(repo, {"rev-parse", "smartspec/20251226_083000"}));
}

}  // namespace
}  // namespace smartspec::test
