// merge_trees(): the three-way merge of task trees (--jobs). When the two
// sides changed unrelated paths the result is built from the changed paths
// alone; it must be the tree git itself merges to (`git merge-tree
// --write-tree`, the real git, on commits of the same trees). Overlapping
// changes go through libgit2's merge: merged when their hunks allow it,
// conflicts otherwise.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "git_test_util.hpp"

namespace smartspec::git {
namespace {

using test::git;
using test::make_repo;
using test::TempDir;
using testing::open_repo;
using Changes = std::vector<Repository::Change>;

Repository::Change put(const std::string& path, const std::string& content,
                       std::uint32_t mode = 0100644) {
  return Repository::Change{path, content, mode};
}
Repository::Change drop(const std::string& path) { return Repository::Change{path, std::nullopt}; }

struct Fixture {
  TempDir dir;
  std::string root;
  Oid base;
  Fixture() {
    root = make_repo(dir, {{"a.txt", "one\ntwo\nthree\nfour\nfive\nsix\nseven\n"},
                           {"d/a", "da\n"},
                           {"d/b", "db\n"},
                           {"e/only", "e\n"},
                           {"f/x", "fx\n"},
                           {"g/h/deep", "deep\n"},
                           {"run.sh", "#!/bin/sh\n"}});
    base = git(root, {"rev-parse", "HEAD^{tree}"});
  }
};

// The tree the real git merges the two sides to (commits on a common parent).
std::string git_merge(const std::string& root, const Oid& base, const Oid& ours,
                      const Oid& theirs) {
  auto commit = [&](const Oid& tree, const std::string& parent) {
    std::vector<std::string> args{"commit-tree", tree, "-m", "x"};
    if (!parent.empty()) args.insert(args.end(), {"-p", parent});
    return git(root, args);
  };
  const std::string b = commit(base, "");
  const std::string o = commit(ours, b);
  const std::string t = commit(theirs, b);
  return git(root, {"merge-tree", "--write-tree", "--no-messages", o, t});
}

void expect_like_git(const Changes& ours_changes, const Changes& theirs_changes) {
  Fixture f;
  Repository repo = open_repo(f.root);
  auto ours = repo.update_tree(f.base, ours_changes);
  auto theirs = repo.update_tree(f.base, theirs_changes);
  ASSERT_TRUE(ours && theirs);
  auto merged = merge_trees(repo, f.base, *ours, *theirs);
  ASSERT_TRUE(merged) << merged.error().to_string();
  EXPECT_TRUE(merged->conflicts.empty());
  EXPECT_EQ(merged->tree, git_merge(f.root, f.base, *ours, *theirs));
  git(f.root, {"fsck", "--strict", "--no-dangling"});
}

TEST(MergeTrees, UnrelatedAddsAndEditsAreBothKept) {
  expect_like_git({put("new/one.txt", "1\n"), put("d/a", "changed\n")},
                  {put("new/two.txt", "2\n"), put("g/h/deep", "deeper\n")});
}

TEST(MergeTrees, ADirectoryOneSideEmptiedKeepsWhatTheOtherAddedToIt) {
  expect_like_git({drop("d/a"), drop("d/b")}, {put("d/c", "dc\n")});
}

TEST(MergeTrees, ADirectoryLeftEmptyVanishes) {
  expect_like_git({put("x.txt", "x\n")}, {drop("e/only"), drop("g/h/deep")});
}

TEST(MergeTrees, ModeAndSymlinkChangesAreKept) {
  expect_like_git({put("run.sh", "#!/bin/sh\n", 0100755)},
                  {put("link", "a.txt", 0120000), put("d/b", "db\n", 0100755)});
}

TEST(MergeTrees, ADirectoryBecomingAFileOnOneSide) {
  expect_like_git({put("a.txt", "other\n")}, {drop("f/x"), put("f", "now a file\n")});
}

TEST(MergeTrees, BothSidesEditingOneFileInDifferentPlacesMerge) {
  expect_like_git({put("a.txt", "ONE\ntwo\nthree\nfour\nfive\nsix\nseven\n")},
                  {put("a.txt", "one\ntwo\nthree\nfour\nfive\nsix\nSEVEN\n")});
}

TEST(MergeTrees, AFileOnOneSideWhereTheOtherMadeADirectoryConflicts) {
  Fixture f;
  Repository repo = open_repo(f.root);
  auto ours = repo.update_tree(f.base, {put("n", "file\n")});
  auto theirs = repo.update_tree(f.base, {put("n/inner", "dir\n")});
  ASSERT_TRUE(ours && theirs);
  auto merged = merge_trees(repo, f.base, *ours, *theirs);
  ASSERT_TRUE(merged) << merged.error().to_string();
  EXPECT_TRUE(merged->tree.empty());
  EXPECT_FALSE(merged->conflicts.empty());
}

TEST(MergeTrees, TheSameLinesChangedTwoWaysConflict) {
  Fixture f;
  Repository repo = open_repo(f.root);
  auto ours = repo.update_tree(f.base, {put("a.txt", "mine\n"), put("z", "z\n")});
  auto theirs = repo.update_tree(f.base, {put("a.txt", "theirs\n")});
  ASSERT_TRUE(ours && theirs);
  auto merged = merge_trees(repo, f.base, *ours, *theirs);
  ASSERT_TRUE(merged) << merged.error().to_string();
  EXPECT_TRUE(merged->tree.empty());
  EXPECT_EQ(merged->conflicts, std::vector<std::string>{"a.txt"});
}

TEST(MergeTrees, OneSideUnchangedGivesTheOther) {
  Fixture f;
  Repository repo = open_repo(f.root);
  auto theirs = repo.update_tree(f.base, {put("d/c", "dc\n")});
  ASSERT_TRUE(theirs);
  auto merged = merge_trees(repo, f.base, f.base, *theirs);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->tree, *theirs);
  merged = merge_trees(repo, f.base, *theirs, f.base);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->tree, *theirs);
}

}  // namespace
}  // namespace smartspec::git
