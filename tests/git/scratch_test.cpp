// Scratch worktree: registered and detached, lazy materialization of exactly
// the listed paths, incremental full checkouts, git locking, removal; and the
// tree FileSource. Checked with the real git; the user's state never changes.
#include <sys/stat.h>

#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "git_test_util.hpp"

namespace smartspec::git {
namespace {

namespace fs = std::filesystem;
using test::git;
using test::make_repo;
using test::TempDir;
using testing::open_repo;

struct Stamp {
  ino_t ino = 0;
  timespec mtime{};
};
Stamp stamp(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return {st.st_ino, st.st_mtim};
}
bool same(const Stamp& a, const Stamp& b) {
  return a.ino == b.ino && a.mtime.tv_sec == b.mtime.tv_sec && a.mtime.tv_nsec == b.mtime.tv_nsec;
}

std::string commit_all(const std::string& repo, const std::string& msg) {
  git(repo, {"add", "-A"});
  git(repo, {"commit", "-q", "-m", msg});
  return git(repo, {"rev-parse", "HEAD"});
}

TEST(Scratch, OpenRegistersADetachedLazyWorktreeWithoutBranch) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}, {"dir/b.txt", "b\n"}});
  const std::string state = test::user_state(repo);
  const std::string head = git(repo, {"rev-parse", "HEAD"});
  Repository r = open_repo(repo);
  auto s = Scratch::open(r, "run1");
  ASSERT_TRUE(s) << s.error().to_string();
  const std::string path = repo + "/.git/smartspec/worktrees/run1";
  EXPECT_EQ(s->path(), path);
  EXPECT_EQ(s->name(), "run1");
  EXPECT_EQ(git(repo, {"worktree", "list", "--porcelain"}),
            "worktree " + repo + "\nHEAD " + head + "\nbranch refs/heads/main\n\n" +
                "worktree " + path + "\nHEAD " + head + "\ndetached\n");
  EXPECT_EQ(git(repo, {"branch", "--list"}), "* main");
  EXPECT_EQ(test::files_under(path), std::set<std::string>{});  // lazy: nothing written
  EXPECT_FALSE(s->is_full());
  EXPECT_EQ(Scratch::list(r), (std::vector<std::pair<std::string, std::string>>{{"run1", path}}));

  // Opening again reuses the registration.
  auto again = Scratch::open(r, "run1");
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->path(), path);
  EXPECT_EQ(Scratch::list(r).size(), 1u);
  EXPECT_FALSE(Scratch::open(r, "../evil"));
  EXPECT_EQ(test::user_state(repo), state);
}

TEST(Scratch, FromALinkedWorktreeLivesInTheCommonDir) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  std::string wt = dir.str() + "/wt";
  git(repo, {"worktree", "add", "-q", "-b", "feature", wt});
  Repository r = open_repo(wt);
  auto s = Scratch::open(r, "run1");
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->path(), repo + "/.git/smartspec/worktrees/run1");
  ASSERT_TRUE(s->materialize(*r.resolve_commit("HEAD"), {"a.txt"}));
  EXPECT_EQ(test::read(s->path() + "/a.txt"), "a\n");
  EXPECT_NE(git(repo, {"worktree", "list"}).find(s->path()), std::string::npos);
  EXPECT_EQ(git(repo, {"branch", "--list"}), "+ feature\n* main");
  ASSERT_TRUE(s->remove());
  EXPECT_EQ(git(repo, {"worktree", "list"}).find(s->path()), std::string::npos);
}

TEST(Scratch, OpenCleansDebrisOfAFailedCreation) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  Repository r = open_repo(repo);
  {
    auto s = Scratch::open(r, "run1");
    ASSERT_TRUE(s);
  }
  // The directory vanished (admin data left), plus a stray temporary branch.
  fs::remove_all(repo + "/.git/smartspec/worktrees/run1");
  git(repo, {"branch", "smartspec/scratch+tmp+run1"});
  auto s = Scratch::open(r, "run1");
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_TRUE(fs::exists(s->path() + "/.git"));
  EXPECT_EQ(git(repo, {"branch", "--list"}), "* main");
  // Admin data without anything else (e.g. git_worktree_add failed half-way).
  fs::create_directories(repo + "/.git/worktrees/smartspec-run2");
  test::write(repo + "/.git/worktrees/smartspec-run2/gitdir", "/nonexistent/.git\n");
  auto s2 = Scratch::open(r, "run2");
  ASSERT_TRUE(s2) << s2.error().to_string();
  EXPECT_EQ(git(repo, {"worktree", "list", "--porcelain"}).find("/nonexistent"),
            std::string::npos);
  EXPECT_EQ(Scratch::list(r).size(), 2u);
}

// Killed while registering or removing: git sees no worktree or a whole one,
// never a half-written admin directory (which `git fsck` reports).
TEST(Scratch, RegistrationAndRemovalAreAtomicForGit) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  Repository r = open_repo(repo);
  // What a kill before the registering rename leaves: a staged admin
  // directory and a worktree directory, both out of git's sight.
  const std::string staged = repo + "/.git/smartspec/smartspec-k.admin-tmp";
  fs::create_directories(staged);
  test::write(staged + "/commondir", "../..\n");
  test::write(staged + "/gitdir", repo + "/.git/smartspec/worktrees/k/.git\n");
  test::write(repo + "/.git/smartspec/worktrees/k/.git", "gitdir: nowhere\n");
  auto fsck = test::run({"git", "-C", repo, "fsck", "--strict"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.err;
  EXPECT_EQ(git(repo, {"worktree", "list", "--porcelain"}).find("/.git/smartspec/worktrees/"),
            std::string::npos);
  {
    auto s = Scratch::open(r, "k");
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_FALSE(fs::exists(staged));
    EXPECT_NE(git(repo, {"worktree", "list", "--porcelain"}).find("/smartspec/worktrees/k"),
              std::string::npos);
    fsck = test::run({"git", "-C", repo, "fsck", "--strict"});
    EXPECT_EQ(fsck.exit_code, 0) << fsck.err;
    ASSERT_TRUE(s->materialize(git(repo, {"rev-parse", "HEAD"}), {"a.txt"}));
    ASSERT_TRUE(s->remove());
  }
  EXPECT_FALSE(fs::exists(repo + "/.git/worktrees/smartspec-k"));
  EXPECT_FALSE(fs::exists(repo + "/.git/smartspec/worktrees/k"));
  EXPECT_FALSE(fs::exists(staged));
  fsck = test::run({"git", "-C", repo, "fsck", "--strict"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.err;
}

TEST(Scratch, MaterializeWritesExactlyTheListedPaths) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"},
                                     {"dir/b.txt", "b\n"},
                                     {"dir/deep/c.txt", "c\n"},
                                     {"other.txt", "o\n"},
                                     {"run.sh", "#!/bin/sh\n"}});
  fs::permissions(repo + "/run.sh", fs::perms::owner_exec, fs::perm_options::add);
  fs::create_symlink("a.txt", repo + "/link");
  fs::create_symlink("dir", repo + "/sym-dir");
  const std::string c1 = commit_all(repo, "links");
  const std::string state = test::user_state(repo);
  Repository r = open_repo(repo);
  auto s = Scratch::open(r, "m");
  ASSERT_TRUE(s) << s.error().to_string();
  const std::string root = s->path();

  auto m = s->materialize(c1, {"a.txt", "run.sh", "link", "dir/deep/c.txt", "absent.txt"});
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(test::files_under(root), (std::set<std::string>{"a.txt", "run.sh", "link", "dir/",
                                                            "dir/deep/", "dir/deep/c.txt"}));
  EXPECT_EQ(test::read(root + "/a.txt"), "a\n");
  EXPECT_EQ(test::read(root + "/dir/deep/c.txt"), "c\n");
  EXPECT_TRUE((fs::status(root + "/run.sh").permissions() & fs::perms::owner_exec) !=
              fs::perms::none);
  EXPECT_TRUE((fs::status(root + "/a.txt").permissions() & fs::perms::owner_exec) ==
              fs::perms::none);
  ASSERT_TRUE(fs::is_symlink(root + "/link"));
  EXPECT_EQ(fs::read_symlink(root + "/link"), "a.txt");

  // A path under a symlinked directory materializes the symlink itself.
  ASSERT_TRUE(s->materialize(c1, {"sym-dir/b.txt"}));
  ASSERT_TRUE(fs::is_symlink(root + "/sym-dir"));
  EXPECT_EQ(fs::read_symlink(root + "/sym-dir"), "dir");
  EXPECT_FALSE(fs::exists(root + "/dir/b.txt"));  // not written through the link

  // Paths absent from the commit are removed, with directories left empty.
  test::write(root + "/stray/x.txt", "x\n");
  ASSERT_TRUE(s->materialize(c1, {"stray/x.txt", "dir/deep/c.txt"}));
  EXPECT_FALSE(fs::exists(root + "/stray"));
  EXPECT_TRUE(fs::exists(root + "/dir/deep/c.txt"));

  // A directory of the tree replaced on disk by a symlink pointing outside:
  // the symlink is replaced by a real directory, the outside is untouched.
  const std::string outside = dir.str() + "/outside";
  fs::create_directories(outside);
  fs::remove_all(root + "/dir");
  fs::create_directory_symlink(outside, root + "/dir");
  ASSERT_TRUE(s->materialize(c1, {"dir/b.txt"}));
  EXPECT_FALSE(fs::is_symlink(root + "/dir"));
  EXPECT_EQ(test::read(root + "/dir/b.txt"), "b\n");
  EXPECT_TRUE(fs::is_empty(outside));

  // Removal through a symlinked ancestor does nothing outside either.
  test::write(outside + "/b.txt", "keep\n");
  fs::remove_all(root + "/dir");
  fs::create_directory_symlink(outside, root + "/dir");
  auto tree2 = r.update_tree(*r.tree_of(c1), {{"dir/b.txt", std::nullopt, 0100644}});
  ASSERT_TRUE(tree2);
  auto c2 = r.create_commit(*tree2, {c1}, "remove b\n");
  ASSERT_TRUE(c2);
  ASSERT_TRUE(s->materialize(*c2, {"dir/b.txt"}));
  EXPECT_EQ(test::read(outside + "/b.txt"), "keep\n");

  for (const std::string bad : {"../x", "/etc/passwd", ".git/config", "dir/.GIT/x", "a//b",
                                "./a.txt", ""}) {
    auto refused = s->materialize(c1, {bad});
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().file, bad);
    EXPECT_EQ(refused.error().message.rfind("refused path: ", 0), 0u) << refused.error().message;
  }
  EXPECT_EQ(test::user_state(repo), state);
}

TEST(Scratch, MaterializeRewritesFilesInPlaceButNeverThroughAHardLink) {
  TempDir dir;
  std::string repo =
      make_repo(dir, {{"a.txt", "a\n"}, {"run.sh", "#!/bin/sh\n"}, {"b.txt", "b\n"}});
  fs::permissions(repo + "/run.sh", fs::perms::owner_exec, fs::perm_options::add);
  const std::string c1 = commit_all(repo, "files");
  Repository r = open_repo(repo);
  auto s = Scratch::open(r, "m");
  ASSERT_TRUE(s) << s.error().to_string();
  const std::string root = s->path();
  ASSERT_TRUE(s->materialize(c1, {"a.txt", "run.sh", "b.txt"}));

  // A file the scratch already holds keeps its inode: no new inode, no
  // deleted one (what makes ext4's allocator slow after many deletions).
  test::write(root + "/a.txt", "changed by a task\n");
  fs::permissions(root + "/run.sh", fs::perms::owner_exec, fs::perm_options::remove);
  const ino_t a_ino = stamp(root + "/a.txt").ino;
  const ino_t sh_ino = stamp(root + "/run.sh").ino;
  ASSERT_TRUE(s->materialize(c1, {"a.txt", "run.sh"}));
  EXPECT_EQ(test::read(root + "/a.txt"), "a\n");
  EXPECT_EQ(stamp(root + "/a.txt").ino, a_ino);
  EXPECT_EQ(stamp(root + "/run.sh").ino, sh_ino);
  EXPECT_TRUE((fs::status(root + "/run.sh").permissions() & fs::perms::owner_exec) !=
              fs::perms::none);  // the mode follows the tree

  // A longer file shrinks to the tree's content (truncated, not overwritten).
  test::write(root + "/b.txt", std::string(10000, 'x'));
  ASSERT_TRUE(s->materialize(c1, {"b.txt"}));
  EXPECT_EQ(test::read(root + "/b.txt"), "b\n");

  // A hard link to a file outside (an agent can make one) is replaced, and
  // the outside file keeps its bytes.
  const std::string outside = dir.str() + "/outside.txt";
  test::write(outside, "outside\n");
  fs::remove(root + "/a.txt");
  fs::create_hard_link(outside, root + "/a.txt");
  ASSERT_TRUE(s->materialize(c1, {"a.txt"}));
  EXPECT_EQ(test::read(root + "/a.txt"), "a\n");
  EXPECT_EQ(test::read(outside), "outside\n");
  EXPECT_EQ(fs::hard_link_count(outside), 1u);
}

TEST(Scratch, FullCheckoutThenIncrementalMoveTouchesOnlyDifferingPaths) {
  TempDir dir;
  std::map<std::string, std::string> files{
      {"untouched.txt", "u\n"}, {"x.txt", "x1\n"}, {"y.txt", "y\n"}, {"lib/m.c", "int m;\n"}};
  std::string repo = make_repo(dir, files);
  const std::string c1 = git(repo, {"rev-parse", "HEAD"});
  test::write(repo + "/x.txt", "x2\n");
  fs::remove(repo + "/y.txt");
  test::write(repo + "/z/new.txt", "new\n");
  const std::string c2 = commit_all(repo, "second");
  const std::string state = test::user_state(repo);
  Repository r = open_repo(repo);
  auto s = Scratch::open(r, "full");
  ASSERT_TRUE(s) << s.error().to_string();
  const std::string root = s->path();
  // Something lazily written and a stray file first: the full checkout cleans up.
  ASSERT_TRUE(s->materialize(c1, {"x.txt"}));
  test::write(root + "/stray.txt", "s\n");

  auto full = s->checkout_full(c1);
  ASSERT_TRUE(full) << full.error().to_string();
  EXPECT_TRUE(s->is_full());
  EXPECT_EQ(s->full_commit(), c1);
  EXPECT_EQ(test::files_under(root),
            (std::set<std::string>{"untouched.txt", "x.txt", "y.txt", "lib/", "lib/m.c"}));
  // The index carries stat data (git status need not rehash every file).
  EXPECT_EQ(git(root, {"ls-files", "--debug", "untouched.txt"}).find("mtime: 0:0"),
            std::string::npos);
  EXPECT_EQ(git(root, {"status", "--porcelain"}), "");
  EXPECT_EQ(git(root, {"rev-parse", "HEAD"}), c1);
  EXPECT_EQ(git(root, {"symbolic-ref", "-q", "HEAD"}, false), "");

  const Stamp untouched = stamp(root + "/untouched.txt");
  const Stamp lib = stamp(root + "/lib/m.c");
  const Stamp x = stamp(root + "/x.txt");
  ASSERT_TRUE(s->checkout_full(c2));
  EXPECT_EQ(s->full_commit(), c2);
  EXPECT_TRUE(same(stamp(root + "/untouched.txt"), untouched));
  EXPECT_TRUE(same(stamp(root + "/lib/m.c"), lib));
  EXPECT_FALSE(same(stamp(root + "/x.txt"), x));
  EXPECT_EQ(test::read(root + "/x.txt"), "x2\n");
  EXPECT_EQ(test::files_under(root), (std::set<std::string>{"untouched.txt", "x.txt", "lib/",
                                                            "lib/m.c", "z/", "z/new.txt"}));
  EXPECT_EQ(git(root, {"status", "--porcelain"}), "");
  EXPECT_EQ(git(root, {"rev-parse", "HEAD"}), c2);
  EXPECT_NE(git(repo, {"worktree", "list", "--porcelain"})
                .find("worktree " + root + "\nHEAD " + c2 + "\ndetached"),
            std::string::npos);

  // The same commit again: nothing is touched.
  const Stamp x2 = stamp(root + "/x.txt");
  ASSERT_TRUE(s->checkout_full(c2));
  EXPECT_TRUE(same(stamp(root + "/x.txt"), x2));
  // And back.
  ASSERT_TRUE(s->checkout_full(c1));
  EXPECT_EQ(git(root, {"status", "--porcelain"}), "");
  EXPECT_TRUE(same(stamp(root + "/untouched.txt"), untouched));
  EXPECT_EQ(test::user_state(repo), state);

  // A directory becomes a file and a file a directory: the index follows
  // path by path and keeps the stat data of what did not change.
  git(repo, {"checkout", "-q", c2});
  fs::remove_all(repo + "/lib");
  test::write(repo + "/lib", "now a file\n");
  fs::remove(repo + "/x.txt");
  test::write(repo + "/x.txt/inner.txt", "now a directory\n");
  const std::string c3 = commit_all(repo, "swap");
  git(repo, {"checkout", "-q", "main"});
  ASSERT_TRUE(s->checkout_full(c3));
  EXPECT_EQ(git(root, {"status", "--porcelain"}), "");
  EXPECT_EQ(git(root, {"diff", "--cached", "--name-only", c3}), "");
  EXPECT_EQ(git(root, {"ls-files"}), "lib\nuntouched.txt\nx.txt/inner.txt\nz/new.txt");
  EXPECT_EQ(git(root, {"ls-files", "--debug", "untouched.txt"}).find("mtime: 0:0"),
            std::string::npos);
  ASSERT_TRUE(s->checkout_full(c1));
  EXPECT_EQ(git(root, {"status", "--porcelain"}), "");
  EXPECT_EQ(git(root, {"ls-files"}), "lib/m.c\nuntouched.txt\nx.txt\ny.txt");
}

TEST(Scratch, LockUnlockAndRemove) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  const std::string state = test::user_state(repo);
  Repository r = open_repo(repo);
  auto s = Scratch::open(r, "keep");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->checkout_full(*r.resolve_commit("HEAD")));
  ASSERT_TRUE(s->lock("smartspec-batch: full checkout kept for reuse"));
  const std::string list = git(repo, {"worktree", "list", "--porcelain"});
  EXPECT_NE(list.find("detached\nlocked smartspec-batch: full checkout kept for reuse"),
            std::string::npos)
      << list;
  // The same reason again writes nothing.
  const Stamp locked = stamp(repo + "/.git/worktrees/smartspec-keep/locked");
  ASSERT_TRUE(s->lock("smartspec-batch: full checkout kept for reuse"));
  EXPECT_TRUE(same(stamp(repo + "/.git/worktrees/smartspec-keep/locked"), locked));
  ASSERT_TRUE(s->lock("smartspec-batch: run 2"));
  EXPECT_NE(git(repo, {"worktree", "list", "--porcelain"}).find("locked smartspec-batch: run 2"),
            std::string::npos);
  ASSERT_TRUE(s->unlock());
  EXPECT_EQ(git(repo, {"worktree", "list", "--porcelain"}).find("locked"), std::string::npos);
  ASSERT_TRUE(s->lock("again"));

  ASSERT_TRUE(s->remove());  // locked: removed anyway
  EXPECT_EQ(git(repo, {"worktree", "list"}).find(s->path()), std::string::npos);
  EXPECT_FALSE(fs::exists(s->path()));
  EXPECT_FALSE(fs::exists(repo + "/.git/worktrees/smartspec-keep"));
  EXPECT_TRUE(Scratch::list(r).empty());
  EXPECT_EQ(git(repo, {"branch", "--list"}), "* main");
  EXPECT_EQ(test::user_state(repo), state);
}

TEST(TreeSource, KindReadListFromTheObjectDatabase) {
  TempDir dir;
  std::string repo = make_repo(
      dir, {{"a.txt", "hello\n"}, {"x/sub/c.txt", "c\n"}, {"x/b.txt", "b\n"}, {"x-y", "f\n"}});
  fs::create_symlink("a.txt", repo + "/link");
  git(repo, {"add", "link"});
  git(repo, {"update-index", "--add", "--cacheinfo",
             "160000," + git(repo, {"rev-parse", "HEAD"}) + ",mod"});
  git(repo, {"commit", "-q", "-m", "link and submodule"});
  const std::string head = git(repo, {"rev-parse", "HEAD"});
  fs::remove(repo + "/a.txt");  // the working tree does not matter
  Repository r = open_repo(repo);
  auto src = tree_source(r, head);
  using K = verify::FileSource::Kind;
  EXPECT_EQ(src->kind(""), K::kDir);
  EXPECT_EQ(src->kind("a.txt"), K::kFile);
  EXPECT_EQ(src->kind("link"), K::kFile);
  EXPECT_EQ(src->kind("x"), K::kDir);
  EXPECT_EQ(src->kind("x/sub/c.txt"), K::kFile);
  EXPECT_EQ(src->kind("mod"), K::kDir);
  EXPECT_EQ(src->kind("nope"), K::kMissing);
  EXPECT_EQ(src->kind("a.txt/x"), K::kMissing);
  EXPECT_EQ(src->read("a.txt", 1000), "hello\n");
  EXPECT_EQ(src->read("a.txt", 2), "he");
  EXPECT_EQ(src->read("link", 1000), "a.txt");
  EXPECT_EQ(src->read("x", 1000), std::nullopt);
  EXPECT_EQ(src->read("nope", 1000), std::nullopt);
  using E = std::vector<verify::FileSource::Entry>;
  auto names = [](const E& entries) {
    std::string s;
    for (const auto& e : entries) s += e.name + (e.dir ? "/ " : " ");
    return s;
  };
  EXPECT_EQ(names(src->list("")), "a.txt link mod/ x/ x-y ");
  EXPECT_EQ(names(src->list("x")), "b.txt sub/ ");
  EXPECT_EQ(names(src->list("mod")), "");
  EXPECT_EQ(names(src->list("a.txt")), "");
  auto bad = tree_source(r, "0000000000000000000000000000000000000000");
  EXPECT_EQ(bad->kind(""), K::kMissing);
  EXPECT_TRUE(bad->list("").empty());
}

}  // namespace
}  // namespace smartspec::git
