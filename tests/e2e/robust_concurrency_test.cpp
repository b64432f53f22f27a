// Concurrency (issue 9): eight runs started at once on one repository (exactly
// one proceeds, the others exit 4 and write nothing); a run while the user
// commits on the main working tree (both succeed, nothing lost); a stale lock
// of a killed run is taken over.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>

#include "e2e/hostile/robust_support.hpp"

namespace smartspec::test::robust {
namespace {

std::string refs_of(const std::string& repo) {
  return git(repo, {"for-each-ref", "--format=%(refname) %(objectname)"});
}

TEST(Concurrency, EightRunsAtOnceExactlyOneProceedsTheOthersExit4AndWriteNothing) {
  TempDir dir;
  std::string repo = dirty_inventory_repo(dir);
  std::string pack = seven_unit_pack(dir);
  const std::string before_refs = refs_of(repo);
  const std::string before_user = user_state(repo);

  // Each contender has its own run id, so anything a loser wrote would show.
  // The winner stays inside its one unit for a while (--verify-cmd).
  constexpr int kRuns = 8;
  std::vector<std::unique_ptr<Child>> runs;
  for (int i = 0; i < kRuns; ++i) {
    runs.push_back(std::make_unique<Child>(
        std::vector<std::string>{"run", "--prompts-dir", pack, "--tasks", "tasks.md", "--run-id",
                                 "contender" + std::to_string(i), "--only-category", "critical",
                                 "--verify-cmd", "sleep 3"},
        repo, (dir.path() / ("run" + std::to_string(i) + ".log")).string()));
  }
  std::vector<int> winners;
  for (int i = 0; i < kRuns; ++i) {
    int rc = runs[i]->wait();
    std::string log = read(dir.path() / ("run" + std::to_string(i) + ".log"));
    if (rc == 0) {
      winners.push_back(i);
    } else {
      EXPECT_EQ(rc, 4) << "contender " << i << ": " << log;
      // One line, naming the holder.
      EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
      EXPECT_EQ(log.rfind("smartspec-batch: error: another run holds the lock: run contender", 0),
                0u)
          << log;
    }
  }
  ASSERT_EQ(winners.size(), 1u);
  const std::string winner = "contender" + std::to_string(winners[0]);

  // Refs now: the ones before plus the winner's, and nothing else.
  std::set<std::string> before;
  for (const auto& l : lines(before_refs)) before.insert(l);
  for (const auto& l : lines(refs_of(repo))) {
    if (before.count(l)) continue;
    std::string ref = l.substr(0, l.find(' '));
    EXPECT_TRUE(ref == "refs/heads/smartspec/" + winner ||
                ref == "refs/smartspec/checkpoints/" + winner ||
                ref == "refs/smartspec/runs/" + winner || ref == "refs/notes/smartspec")
        << "unexpected ref " << l;
  }
  EXPECT_EQ(lines(git(repo, {"log", "--format=%s", "main..smartspec/" + winner})),
            (std::vector<std::string>{"smartspec(critical): 1 task"}));
  // One report (.md + .json): the losers wrote no file either.
  int reports = 0;
  for (const auto& e : fs::directory_iterator(fs::path(repo) / ".spec" / "reports")) {
    (void)e;
    ++reports;
  }
  EXPECT_EQ(reports, 2);
  EXPECT_EQ(user_state(repo), before_user);
  std::string why;
  EXPECT_TRUE(fsck_clean(repo, &why)) << why;
  EXPECT_FALSE(fs::exists(fs::path(repo) / ".git" / "smartspec" / "lock"));
}

TEST(Concurrency, UserCommitsDuringARunBothSucceedNothingLost) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string pack = seven_unit_pack(dir);
  const std::string base = git(repo, {"rev-parse", "HEAD"});
  const std::string log = (dir.path() / "run.log").string();
  // Each unit's --verify-cmd keeps the run going long enough to overlap.
  Child child({"run", "--prompts-dir", pack, "--tasks", "tasks.md", "--verify-cmd", "sleep 0.3"},
              repo, log);
  // The run reads HEAD (its base) before it takes the lock: start committing
  // once it holds the lock, so that the base is known.
  ASSERT_TRUE(eventually([&] {
    return fs::exists(fs::path(repo) / ".git" / "smartspec" / "lock");
  })) << read(log);
  int commits = 0;
  while (child.running() || commits < 5) {
    std::string name = "user_" + std::to_string(commits) + ".txt";
    write(fs::path(repo) / name, "user change " + std::to_string(commits) + "\n");
    git(repo, {"add", name});
    auto c =
        run({"git", "-C", repo, "commit", "-q", "-m", "user commit " + std::to_string(commits)});
    ASSERT_EQ(c.exit_code, 0) << "user commit " << commits << " failed: " << c.err;
    ++commits;
    ASSERT_LT(commits, 2000) << "the run does not end: " << read(log);
  }
  EXPECT_EQ(child.wait(), 0) << read(log);

  // Every user commit is on main, in order, on top of the base.
  auto subjects = lines(git(repo, {"log", "--format=%s", base + "..main"}));
  ASSERT_EQ(static_cast<int>(subjects.size()), commits);
  for (int i = 0; i < commits; ++i)
    EXPECT_EQ(subjects[commits - 1 - i], "user commit " + std::to_string(i));
  EXPECT_EQ(git(repo, {"status", "--porcelain", "--", ".", ":(exclude).spec"}), "");
  // The run's result: seven unit commits on the base the run started from.
  EXPECT_EQ(lines(git(repo, {"log", "--format=%s", base + "..smartspec/" + kRunId})).size(), 7u);
  EXPECT_EQ(git(repo, {"rev-parse", "smartspec/" + kRunId + "~7"}), base);
  std::string why;
  EXPECT_TRUE(fsck_clean(repo, &why)) << why;
}

TEST(Concurrency, AStaleLockOfAKilledRunIsTakenOver) {
  TempDir dir;
  std::string repo = dirty_inventory_repo(dir);
  std::string pack = seven_unit_pack(dir);
  const fs::path lock = fs::path(repo) / ".git" / "smartspec" / "lock";
  // Killed at its 5th numbered step (inside the first unit), holding the lock.
  Child killed({"run", "--prompts-dir", pack, "--tasks", "tasks.md"}, repo,
               (dir.path() / "killed.log").string(), fast_env({{"SMARTSPEC_CRASH_AT", "5"}}));
  const pid_t dead = killed.pid();
  ASSERT_EQ(killed.wait(), 128 + SIGKILL);
  ASSERT_TRUE(fs::exists(lock));

  auto resumed =
      run_tool({"run", "--prompts-dir", pack, "--tasks", "tasks.md", "--resume"}, repo, fast_env());
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_NE(resumed.err.find("warning: took over the lock of run " + kRunId + " (pid " +
                             std::to_string(dead) + "), which is no longer running"),
            std::string::npos)
      << resumed.err;
  EXPECT_FALSE(fs::exists(lock));
  EXPECT_EQ(lines(git(repo, {"log", "--format=%s", "main..smartspec/" + kRunId})).size(), 7u);
}

}  // namespace
}  // namespace smartspec::test::robust
