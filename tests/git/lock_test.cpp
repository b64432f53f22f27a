// RepoLock: exactly one of many concurrent processes wins; a lock of a dead
// process is taken over; release removes only our own lock.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>

#include "git_test_util.hpp"
#include "smartspec/util/proc.hpp"

namespace smartspec::git {
namespace {

using test::make_repo;
using test::TempDir;
using testing::open_repo;

// A pid that certainly belongs to no process: a child that has exited and been reaped.
long dead_pid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return static_cast<long>(pid);
}

TEST(RepoLock, AcquireHoldReleaseAndHolder) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  Repository r = open_repo(repo);
  const std::string path = repo + "/.git/smartspec/lock";
  {
    std::optional<RepoLock::Holder> stale;
    auto lock = RepoLock::acquire(r, "20260101_000000", &stale);
    ASSERT_TRUE(lock) << lock.error().to_string();
    EXPECT_FALSE(stale);
    std::string content = test::read(path);
    EXPECT_EQ(content.rfind(std::to_string(getpid()) + " ", 0), 0u) << content;
    EXPECT_EQ(content.substr(content.size() - 17), " 20260101_000000\n");
    auto h = RepoLock::holder(r);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->pid, getpid());
    EXPECT_EQ(h->run_id, "20260101_000000");

    auto second = RepoLock::acquire(r, "other");
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().exit, Exit::kLocked);
    EXPECT_EQ(second.error().code, kLockHeld);
    EXPECT_EQ(second.error().message, "another run holds the lock: run 20260101_000000 (pid " +
                                          std::to_string(getpid()) + ")");
    // Moving keeps exactly one owner.
    RepoLock moved = std::move(*lock);
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(RepoLock::holder(r));

  auto again = RepoLock::acquire(r, "run2");
  ASSERT_TRUE(again);
  again->release();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(RepoLock, StaleLockOfDeadProcessIsTakenOver) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  Repository r = open_repo(repo);
  const std::string path = repo + "/.git/smartspec/lock";
  const long dead = dead_pid();
  test::write(path, std::to_string(dead) + " 12345 old_run\n");
  EXPECT_FALSE(RepoLock::holder(r));
  std::optional<RepoLock::Holder> stale;
  auto lock = RepoLock::acquire(r, "new_run", &stale);
  ASSERT_TRUE(lock) << lock.error().to_string();
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->pid, dead);
  EXPECT_EQ(stale->run_id, "old_run");
  EXPECT_EQ(RepoLock::holder(r)->run_id, "new_run");
}

TEST(RepoLock, ReusedPidWithOtherStartTimeIsStale) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  Repository r = open_repo(repo);
  // Our own (live) pid, but a start time that is not ours: the pid was reused.
  test::write(repo + "/.git/smartspec/lock", std::to_string(getpid()) + " 1 old_run\n");
  std::optional<RepoLock::Holder> stale;
  auto lock = RepoLock::acquire(r, "new_run", &stale);
  ASSERT_TRUE(lock) << lock.error().to_string();
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->run_id, "old_run");
}

TEST(RepoLock, LockOfAKilledButUnreapedHolderIsStale) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  Repository r = open_repo(repo);
  // A child killed and not reaped yet (a zombie: kill(pid, 0) still succeeds),
  // recorded with its real start time.
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(child, 0);
  auto before = proc::stat(child);
  ASSERT_TRUE(before);
  ASSERT_EQ(kill(child, SIGKILL), 0);
  for (int i = 0; i < 500; ++i) {
    auto now = proc::stat(child);
    if (now && proc::finished(*now)) break;
    usleep(1000);
  }
  test::write(repo + "/.git/smartspec/lock",
              std::to_string(child) + " " + std::to_string(before->start) + " killed_run\n");
  EXPECT_FALSE(RepoLock::holder(r));
  std::optional<RepoLock::Holder> stale;
  auto lock = RepoLock::acquire(r, "new_run", &stale);
  ASSERT_TRUE(lock) << lock.error().to_string();
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->run_id, "killed_run");
  int status = 0;
  waitpid(child, &status, 0);
}

TEST(RepoLock, ReleaseLeavesSomebodyElsesLock) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  Repository r = open_repo(repo);
  const std::string path = repo + "/.git/smartspec/lock";
  auto lock = RepoLock::acquire(r, "mine");
  ASSERT_TRUE(lock);
  test::write(path, "1 0 someone_else\n");
  lock->release();
  EXPECT_EQ(test::read(path), "1 0 someone_else\n");
}

TEST(RepoLock, ExactlyOneOfManyConcurrentProcessesWins) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  // A stale lock makes the race harder: every process tries to take it over.
  test::write(repo + "/.git/smartspec/lock", std::to_string(dead_pid()) + " 1 dead\n");
  constexpr int kProcs = 12;
  int go[2];
  int done[2];
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe(done), 0);
  std::vector<pid_t> kids;
  for (int i = 0; i < kProcs; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(go[1]);
      close(done[1]);
      OpenOptions opts;
      opts.repo_root = repo;
      auto r = Repository::open(opts);
      if (!r) _exit(10);
      char c;
      (void)!read(go[0], &c, 1);  // start together
      auto lock = RepoLock::acquire(*r, "run" + std::to_string(i));
      if (!lock) _exit(lock.error().code == kLockHeld ? 4 : 11);
      (void)!read(done[0], &c, 1);  // hold until the parent has seen every loser
      lock->release();
      _exit(0);
    }
    kids.push_back(pid);
  }
  close(go[0]);
  close(done[0]);
  close(go[1]);  // EOF releases every child at once
  int losers = 0;
  int other = 0;
  std::vector<pid_t> pending = kids;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (losers + other < kProcs - 1 && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      usleep(2000);
      continue;
    }
    std::erase(pending, pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 4) {
      ++losers;
    } else {
      ++other;
    }
  }
  close(done[1]);  // let the winner go
  int winners = 0;
  for (pid_t pid : pending) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ++winners;
  }
  EXPECT_EQ(losers, kProcs - 1);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(winners, 1);
  EXPECT_FALSE(std::filesystem::exists(repo + "/.git/smartspec/lock"));
}

}  // namespace
}  // namespace smartspec::git
