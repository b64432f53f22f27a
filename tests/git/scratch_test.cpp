// Scratch repository: its own repository outside the user's .git, lazy
// materialization of exactly the listed paths, incremental full checkouts,
// control files rewritten before use, removal; and the tree FileSource. Checked with the real git;
// the user's state never changes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <set>

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

TEST(Scratch, OpenCreatesARepositoryOfItsOwnInTheCacheWithTheUsersObjectsAsAlternate) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}, {"dir/b.txt", "b\n"}});
  const std::string state = test::user_state(repo);
  const std::string head = git(repo, {"rev-parse", "HEAD"});
  Repository r = open_repo(repo);
  auto s = Scratch::open(r, "run1");
  ASSERT_TRUE(s) << s.error().to_string();
  // <XDG_CACHE_HOME>/smartspec-batch/<dir name>-<16 hex>/run1, outside the user's .git.
  auto base = Scratch::base_dir(r);
  ASSERT_TRUE(base);
  const std::string cache = std::getenv("XDG_CACHE_HOME");
  EXPECT_EQ(fs::path(*base).parent_path().string(), cache + "/smartspec-batch");
  const std::string key = fs::path(*base).filename().string();
  EXPECT_EQ(key.substr(0, 5), "repo-");
  EXPECT_EQ(key.size(), 5u + 16u);
  const std::string path = *base + "/run1";
  EXPECT_EQ(s->path(), path);
  EXPECT_EQ(s->git_dir(), path + ".git");
  EXPECT_EQ(s->name(), "run1");
  EXPECT_EQ(path.find("/.git/"), std::string::npos);
  // Not registered with the user's repository; a repository of its own whose
  // objects are the user's (alternates), HEAD detached at the user's HEAD.
  EXPECT_EQ(git(repo, {"worktree", "list", "--porcelain"}),
            "worktree " + repo + "\nHEAD " + head + "\nbranch refs/heads/main\n");
  EXPECT_EQ(git(path, {"rev-parse", "--absolute-git-dir"}), path + ".git");
  EXPECT_EQ(git(path, {"rev-parse", "--git-common-dir"}), path + ".git");
  EXPECT_EQ(git(path, {"rev-parse", "--show-toplevel"}), path);
  EXPECT_EQ(test::read(path + ".git/objects/info/alternates"), repo + "/.git/objects\n");
  EXPECT_EQ(git(path, {"rev-parse", "HEAD"}), head);
  EXPECT_EQ(git(path, {"cat-file", "-p", "HEAD:a.txt"}), "a");
  EXPECT_EQ(git(path, {"for-each-ref"}), "");
  EXPECT_EQ(git(path, {"config", "core.hooksPath"}), path + ".git/hooks");
  EXPECT_TRUE(fs::is_empty(path + ".git/hooks"));
  EXPECT_EQ(git(repo, {"branch", "--list"}), "* main");
  EXPECT_EQ(test::files_under(path), std::set<std::string>{});  // lazy: nothing written
  EXPECT_FALSE(s->is_full());
  EXPECT_EQ(Scratch::list(r), (std::vector<std::pair<std::string, std::string>>{{"run1", path}}));

  // Opening again reuses it.
  auto again = Scratch::open(r, "run1");
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->path(), path);
  EXPECT_EQ(Scratch::list(r).size(), 1u);
  EXPECT_FALSE(Scratch::open(r, "../evil"));
  EXPECT_FALSE(Scratch::open(r, "x.git"));
  EXPECT_EQ(test::user_state(repo), state);
  auto fsck = test::run({"git", "-C", repo, "fsck", "--strict"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.err;
}

TEST(Scratch, FallsBackToHomeCacheAndKeysByTheRepositorysRealPath) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  fs::create_directory_symlink(repo, dir.str() + "/alias");
  Repository r = open_repo(repo);
  Repository alias = open_repo(dir.str() + "/alias");
  EXPECT_EQ(*Scratch::base_dir(r), *Scratch::base_dir(alias));
  TempDir other;
  Repository r2 = open_repo(make_repo(other, {{"a.txt", "a\n"}}));
  EXPECT_NE(*Scratch::base_dir(r), *Scratch::base_dir(r2));  // same name, other path

  const std::string xdg = std::getenv("XDG_CACHE_HOME");
  unsetenv("XDG_CACHE_HOME");
  auto home = Scratch::base_dir(r);
  setenv("XDG_CACHE_HOME", "relative/ignored", 1);
  auto relative = Scratch::base_dir(r);
  setenv("XDG_CACHE_HOME", xdg.c_str(), 1);
  ASSERT_TRUE(home);
  EXPECT_EQ(fs::path(*home).parent_path().string(),
            std::string(std::getenv("HOME")) + "/.cache/smartspec-batch");
  ASSERT_TRUE(relative);
  EXPECT_EQ(*relative, *home);
}

TEST(Scratch, FromALinkedWorktreeIsTheRepositorysScratch) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  std::string wt = dir.str() + "/wt";
  git(repo, {"worktree", "add", "-q", "-b", "feature", wt});
  Repository r = open_repo(wt);
  Repository main_repo = open_repo(repo);
  auto s = Scratch::open(r, "run1");
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->path(), *Scratch::base_dir(main_repo) + "/run1");
  ASSERT_TRUE(s->materialize(*r.resolve_commit("HEAD"), {"a.txt"}));
  EXPECT_EQ(test::read(s->path() + "/a.txt"), "a\n");
  EXPECT_EQ(git(repo, {"worktree", "list"}).find(s->path()), std::string::npos);
  EXPECT_EQ(git(repo, {"branch", "--list"}), "+ feature\n* main");
  ASSERT_TRUE(s->remove());
  EXPECT_FALSE(fs::exists(s->path()));
  EXPECT_FALSE(fs::exists(s->git_dir()));
}

TEST(Scratch, OpenCleansDebrisOfAnInterruptedCreation) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  Repository r = open_repo(repo);
  std::string path;
  {
    auto s = Scratch::open(r, "run1");
    ASSERT_TRUE(s);
    path = s->path();
  }
  // The worktree vanished (git directory left); a half-built git directory.
  fs::remove_all(path);
  test::write(path + ".git.new/HEAD", "x\n");
  auto s = Scratch::open(r, "run1");
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_TRUE(fs::is_regular_file(s->path() + "/.git"));
  EXPECT_FALSE(fs::exists(path + ".git.new"));
  // A git directory without HEAD, a worktree that is a symbolic link.
  fs::remove(path + ".git/HEAD");
  fs::remove_all(path);
  fs::create_directory_symlink(repo, path);
  auto s2 = Scratch::open(r, "run1");
  ASSERT_TRUE(s2) << s2.error().to_string();
  EXPECT_FALSE(fs::is_symlink(path));
  EXPECT_TRUE(fs::exists(repo + "/a.txt"));
  EXPECT_EQ(git(path, {"rev-parse", "--absolute-git-dir"}), path + ".git");
  EXPECT_EQ(Scratch::list(r).size(), 1u);
}

// The linked worktree earlier versions kept in .git/smartspec/worktrees/ is
// unregistered and removed on open; git fsck stays clean.
TEST(Scratch, OpenRemovesTheLinkedWorktreeOfEarlierVersions) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  const std::string old = repo + "/.git/smartspec/worktrees/main";
  // As earlier versions wrote it: git's worktree files, admin name smartspec-main.
  const std::string admin = repo + "/.git/worktrees/smartspec-main";
  test::write(admin + "/commondir", "../..\n");
  test::write(admin + "/gitdir", old + "/.git\n");
  test::write(admin + "/HEAD", git(repo, {"rev-parse", "HEAD"}) + "\n");
  test::write(old + "/.git", "gitdir: " + admin + "\n");
  git(old, {"reset", "-q", "--hard"});
  git(repo, {"branch", "smartspec/scratch+tmp+main"});
  test::write(old + ".full", git(repo, {"rev-parse", "HEAD"}) + "\n");
  ASSERT_NE(git(repo, {"worktree", "list"}).find(old), std::string::npos);
  Repository r = open_repo(repo);
  auto s = Scratch::open(r, "main");
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(git(repo, {"worktree", "list", "--porcelain"}).find("/.git/smartspec/"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(old));
  EXPECT_FALSE(fs::exists(old + ".full"));
  EXPECT_FALSE(fs::exists(admin));
  EXPECT_EQ(git(repo, {"branch", "--list"}), "* main");
  auto fsck = test::run({"git", "-C", repo, "fsck", "--strict"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.err;
}

// Whatever git commands run in the scratch, the user's repository does not
// change; what they did to the scratch's control files is undone before the
// tool uses it again, so nothing can point the tool at the user's files.
TEST(Scratch, GitInTheScratchCannotReachTheUsersRepositoryAndControlFilesAreRewritten) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  git(repo, {"branch", "keep"});
  test::write(repo + "/a.txt", "stash me\n");
  git(repo, {"stash"});
  const std::string state = test::user_state(repo);
  const std::string config = test::read(repo + "/.git/config");
  Repository r = open_repo(repo);
  const std::string head = *r.resolve_commit("HEAD");
  auto s = Scratch::open(r, "main");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->checkout_full(head));
  const std::string p = s->path();
  auto sh = test::sh(
      "git stash clear && (git branch -D keep || true) && git update-ref refs/heads/main HEAD && "
      "echo changed > a.txt && git add a.txt && git commit -qm agent && git stash list && "
      "printf '#!/bin/sh\\nexit 1\\n' > \"$(git rev-parse --git-dir)/hooks/post-checkout\" && "
      "git config core.fsmonitor false && git config core.worktree " +
          repo +
          " && "
          "echo ../../x > \"$(git rev-parse --git-dir)/commondir\"",
      p);
  EXPECT_EQ(sh.exit_code, 0) << sh.err;
  EXPECT_EQ(test::user_state(repo), state);
  EXPECT_EQ(test::read(repo + "/.git/config"), config);
  EXPECT_EQ(git(repo, {"stash", "list"}).empty(), false);
  // The tool's next use rewrites config, hooks, commondir; the checkout and the
  // comparison happen in the scratch, never in the user's working tree.
  auto changes = worktree_changes(r, p, head);
  ASSERT_TRUE(changes) << changes.error().to_string();
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].path, "a.txt");
  EXPECT_EQ(git(p, {"config", "--get", "core.fsmonitor"}, false), "");
  EXPECT_EQ(git(p, {"config", "core.worktree"}), p);
  EXPECT_TRUE(fs::is_empty(s->git_dir() + "/hooks"));
  EXPECT_FALSE(fs::exists(s->git_dir() + "/commondir"));
  ASSERT_TRUE(s->materialize(head, {"a.txt"}));
  EXPECT_EQ(test::read(p + "/a.txt"), "a\n");
  EXPECT_EQ(test::user_state(repo), state);
  // A .git link pointing at the user's repository is rewritten too.
  test::write(p + "/.git", "gitdir: " + repo + "/.git\n");
  ASSERT_TRUE(worktree_changes(r, p, head));
  EXPECT_EQ(test::read(p + "/.git"), "gitdir: " + s->git_dir() + "\n");
  EXPECT_EQ(test::user_state(repo), state);
  auto fsck = test::run({"git", "-C", repo, "fsck", "--strict"});
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

  for (const std::string bad :
       {"../x", "/etc/passwd", ".git/config", "dir/.GIT/x", "a//b", "./a.txt", ""}) {
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
  EXPECT_EQ(git(root, {"symbolic-ref", "-q", "HEAD"}, false), "");  // detached

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

TEST(Scratch, LockRecordsTheReasonAndRemoveDeletesBoth) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  const std::string state = test::user_state(repo);
  Repository r = open_repo(repo);
  auto s = Scratch::open(r, "keep");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->checkout_full(*r.resolve_commit("HEAD")));
  ASSERT_TRUE(s->lock("smartspec-batch: full checkout kept for reuse"));
  EXPECT_EQ(test::read(s->git_dir() + "/description"),
            "smartspec-batch: full checkout kept for reuse\n");
  // The same reason again writes nothing.
  const Stamp locked = stamp(s->git_dir() + "/description");
  ASSERT_TRUE(s->lock("smartspec-batch: full checkout kept for reuse"));
  EXPECT_TRUE(same(stamp(s->git_dir() + "/description"), locked));
  ASSERT_TRUE(s->unlock());
  EXPECT_FALSE(fs::exists(s->git_dir() + "/description"));
  ASSERT_TRUE(s->lock("again"));

  ASSERT_TRUE(s->remove());
  EXPECT_FALSE(fs::exists(s->path()));
  EXPECT_FALSE(fs::exists(s->git_dir()));
  EXPECT_FALSE(fs::exists(s->path() + ".full"));
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
