// git::worktree_changes(), the diff the agent executor takes a task's change
// from: exact results on a real scratch worktree, changed by the shell.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include "smartspec/git/git.hpp"
#include "support/test_support.hpp"

namespace smartspec::git {
namespace {

using test::git;
using Status = WorktreeChange::Status;

class WorktreeChanges : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_path_ = test::make_repo(dir_, {{"a.txt", "a\n"},
                                        {"dir/b.txt", "b\n"},
                                        {"tool.sh", "echo\n"},
                                        {"link", "a.txt"},
                                        {".gitignore", "*.log\nbuild/\n"}});
    auto r = Repository::open({repo_path_, false});
    ASSERT_TRUE(r) << r.error().to_string();
    repo_.emplace(std::move(*r));
    auto s = Scratch::open(*repo_, "main");
    ASSERT_TRUE(s) << s.error().to_string();
    scratch_.emplace(std::move(*s));
    commit_ = git(repo_path_, {"rev-parse", "HEAD"});
    ASSERT_TRUE(scratch_->checkout_full(commit_));
  }

  void shell(const std::string& cmd) {
    auto r = test::sh(cmd, scratch_->path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::vector<WorktreeChange> changes(bool ignored = false) {
    auto c = worktree_changes(*repo_, scratch_->path(), commit_, ignored);
    EXPECT_TRUE(c) << c.error().to_string();
    return c ? *c : std::vector<WorktreeChange>{};
  }

  test::TempDir dir_;
  std::string repo_path_, commit_;
  std::optional<Repository> repo_;
  std::optional<Scratch> scratch_;
};

TEST_F(WorktreeChanges, CleanCheckoutHasNone) {
  EXPECT_EQ(changes(true), std::vector<WorktreeChange>{});
}

TEST_F(WorktreeChanges, AddedModifiedDeletedWithStoredContent) {
  shell(
      "echo A >> a.txt && rm dir/b.txt && mkdir -p new/deep && echo n > new/deep/n.txt && "
      "chmod +x tool.sh && rm link && ln -s dir link && echo x > x.log");
  EXPECT_EQ(changes(), (std::vector<WorktreeChange>{
                           {"a.txt", Status::kModified, 0100644, "a\nA\n"},
                           {"dir/b.txt", Status::kDeleted, 0, std::nullopt},
                           {"link", Status::kModified, 0120000, "dir"},
                           {"new/deep/n.txt", Status::kAdded, 0100644, "n\n"},
                           {"tool.sh", Status::kModified, 0100755, "echo\n"},
                       }));
}

TEST_F(WorktreeChanges, IgnoredOnlyWhenAsked) {
  shell("echo x > x.log && mkdir -p build/out && echo o > build/out/o.js");
  EXPECT_EQ(changes(), std::vector<WorktreeChange>{});
  EXPECT_EQ(changes(true), (std::vector<WorktreeChange>{
                               {"build/", Status::kIgnored, 040000, std::nullopt},
                               {"x.log", Status::kIgnored, 0100644, std::nullopt},
                           }));
}

TEST_F(WorktreeChanges, FileReplacedByDirectoryAndNestedRepository) {
  shell(
      "rm a.txt && mkdir -p a.txt && echo in > a.txt/in.txt && "
      "mkdir -p sub/.git && echo '[core]' > sub/.git/config && echo s > sub/s.txt");
  auto c = changes();
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0], (WorktreeChange{"a.txt", Status::kDeleted, 0, std::nullopt}));
  EXPECT_EQ(c[1], (WorktreeChange{"a.txt/in.txt", Status::kAdded, 0100644, "in\n"}));
  EXPECT_EQ(c[2].path, "sub/");
  EXPECT_EQ(c[2].status, Status::kAdded);
  EXPECT_EQ(c[2].content, std::nullopt);
}

TEST_F(WorktreeChanges, IndependentOfTheWorktreesIndexAndHead) {
  // An agent that stages or commits: the change is still against the tree given.
  shell(
      "echo staged > staged.txt && git add staged.txt && echo A >> a.txt && "
      "git -c user.name=a -c user.email=a@b commit -qam agent");
  EXPECT_EQ(changes(), (std::vector<WorktreeChange>{
                           {"a.txt", Status::kModified, 0100644, "a\nA\n"},
                           {"staged.txt", Status::kAdded, 0100644, "staged\n"},
                       }));
}

TEST_F(WorktreeChanges, RefusesADirectoryThatIsNotACheckoutOfTheRepository) {
  test::TempDir other;
  std::string elsewhere = test::make_repo(other, {{"z", "z\n"}});
  auto c = worktree_changes(*repo_, elsewhere, commit_);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().file, elsewhere);
  EXPECT_EQ(c.error().message, "not a checkout of repository " + repo_->common_dir());
}

}  // namespace
}  // namespace smartspec::git
