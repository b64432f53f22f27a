// Repository: open (subdirectory, linked worktree, hook environment,
// unsupported repositories), refs, trees, commits, identity, notes, attributes.
// Everything is checked with the real git.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "git/identity.hpp"
#include "git_test_util.hpp"

namespace smartspec::git {
namespace {

using test::git;
using test::make_repo;
using test::TempDir;
using testing::open_repo;
using testing::ScopedCwd;
using testing::ScopedEnv;

// ---------------------------------------------------------------- open

TEST(RepositoryOpen, FromSubdirectoryByRootAndByCwd) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"src/a.txt", "a\n"}});
  Repository r = open_repo(repo + "/src");
  EXPECT_EQ(r.workdir(), repo);
  EXPECT_EQ(r.git_dir(), repo + "/.git");
  EXPECT_EQ(r.common_dir(), repo + "/.git");
  EXPECT_FALSE(r.is_bare());
  EXPECT_EQ(r.head_branch(), "refs/heads/main");

  ScopedCwd cwd(repo + "/src");
  auto by_cwd = Repository::open({});
  ASSERT_TRUE(by_cwd) << by_cwd.error().to_string();
  EXPECT_EQ(by_cwd->workdir(), repo);
}

TEST(RepositoryOpen, InsideLinkedWorktree) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  std::string wt = dir.str() + "/wt";
  git(repo, {"worktree", "add", "-q", "-b", "feature", wt});
  Repository r = open_repo(wt);
  EXPECT_EQ(r.workdir(), wt);
  EXPECT_EQ(r.git_dir(), repo + "/.git/worktrees/wt");
  EXPECT_EQ(r.common_dir(), repo + "/.git");
  EXPECT_EQ(r.head_branch(), "refs/heads/feature");
  EXPECT_EQ(*r.resolve_commit("HEAD"), git(repo, {"rev-parse", "main"}));
}

// A second handle (the --jobs lanes' checks of the user's state) is the same
// repository: plain, a linked worktree, a hook's GIT_DIR with GIT_WORK_TREE.
TEST(RepositoryOpen, ReopenGivesTheSameRepository) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  std::string wt = dir.str() + "/wt";
  git(repo, {"worktree", "add", "-q", "-b", "feature", wt});
  std::string elsewhere = dir.str() + "/elsewhere";
  std::filesystem::create_directories(elsewhere);
  for (const std::string& root : {repo, wt}) {
    Repository r = open_repo(root);
    auto again = r.reopen();
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(again->workdir(), r.workdir());
    EXPECT_EQ(again->git_dir(), r.git_dir());
    EXPECT_EQ(again->common_dir(), r.common_dir());
    EXPECT_EQ(again->head_branch(), r.head_branch());
  }
  ScopedEnv git_dir("GIT_DIR", repo + "/.git");
  ScopedEnv work_tree("GIT_WORK_TREE", elsewhere);
  OpenOptions opts;
  auto hooked = Repository::open(opts);
  ASSERT_TRUE(hooked) << hooked.error().to_string();
  auto again = hooked->reopen();
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->workdir(), elsewhere);
  EXPECT_EQ(again->git_dir(), repo + "/.git");
}

TEST(RepositoryOpen, HookEnvironmentRelativeGitDirAndIndexFileIgnored) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  std::string elsewhere = make_repo(dir, {{"b.txt", "b\n"}}, "other");
  // As in a pre-commit hook of `git commit -a`: cwd = top, GIT_DIR relative.
  ScopedCwd cwd(repo);
  ScopedEnv git_dir("GIT_DIR", ".git");
  ScopedEnv index("GIT_INDEX_FILE", repo + "/.git/index.lock");
  ScopedEnv prefix("GIT_PREFIX", "");
  OpenOptions opts;
  auto r = Repository::open(opts);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->git_dir(), repo + "/.git");
  EXPECT_EQ(r->workdir(), repo);
  // --repo-root wins over the environment.
  opts.repo_root = elsewhere;
  auto other = Repository::open(opts);
  ASSERT_TRUE(other) << other.error().to_string();
  EXPECT_EQ(other->workdir(), elsewhere);
  // from_env = false ignores GIT_DIR: discovery from the cwd finds the same repository.
  OpenOptions no_env;
  no_env.from_env = false;
  ScopedEnv bogus("GIT_DIR", dir.str() + "/nowhere");
  auto plain = Repository::open(no_env);
  ASSERT_TRUE(plain) << plain.error().to_string();
  EXPECT_EQ(plain->workdir(), repo);
}

TEST(RepositoryOpen, HookEnvironmentWithWorkTree) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  std::string tree = dir.str() + "/tree";
  std::filesystem::create_directories(tree);
  ScopedCwd cwd(tree);
  ScopedEnv git_dir("GIT_DIR", repo + "/.git");
  ScopedEnv work_tree("GIT_WORK_TREE", ".");
  auto r = Repository::open({});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->git_dir(), repo + "/.git");
  EXPECT_EQ(r->workdir(), tree);
}

TEST(RepositoryOpen, HookEnvironmentInLinkedWorktree) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  std::string wt = dir.str() + "/wt";
  git(repo, {"worktree", "add", "-q", "-b", "feature", wt});
  ScopedCwd cwd(wt);
  ScopedEnv git_dir("GIT_DIR", repo + "/.git/worktrees/wt");
  auto r = Repository::open({});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->workdir(), wt);
  EXPECT_EQ(r->common_dir(), repo + "/.git");
  EXPECT_EQ(r->head_branch(), "refs/heads/feature");
}

TEST(RepositoryOpen, NotARepository) {
  TempDir dir;
  OpenOptions opts;
  opts.repo_root = dir.str();
  auto r = Repository::open(opts);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kNotFound);
  EXPECT_EQ(r.error().message, "not a git repository (or any parent directory): " + dir.str());
}

struct UnsupportedCase {
  std::vector<std::vector<std::string>> setup;  // git commands run in the repository
  std::string message;                          // expected, with @ for the .git path
};

class RepositoryUnsupported : public ::testing::TestWithParam<UnsupportedCase> {};

TEST_P(RepositoryUnsupported, OneClearLine) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  for (const auto& cmd : GetParam().setup) git(repo, cmd);
  OpenOptions opts;
  opts.repo_root = repo;
  auto r = Repository::open(opts);
  ASSERT_FALSE(r);
  std::string expected = GetParam().message;
  expected.replace(expected.find('@'), 1, repo + "/.git");
  EXPECT_EQ(r.error().message, expected);
  EXPECT_EQ(r.error().code, kUnsupported);
}

INSTANTIATE_TEST_SUITE_P(
    Extensions, RepositoryUnsupported,
    ::testing::Values(
        UnsupportedCase{{{"config", "core.repositoryformatversion", "1"},
                         {"config", "extensions.partialClone", "origin"}},
                        "partial clone (extensions.partialClone) in @ is not supported by "
                        "libgit2 1.5.1: use a full or shallow clone (e.g. `git clone --depth=1` "
                        "instead of `--filter=blob:none`)"},
        UnsupportedCase{{{"config", "core.repositoryformatversion", "1"},
                         {"config", "extensions.worktreeConfig", "true"}},
                        "extensions.worktreeConfig (set by `git sparse-checkout`) in @ is not "
                        "supported by libgit2 1.5.1: run `git sparse-checkout disable` and "
                        "`git config --unset extensions.worktreeConfig`"},
        UnsupportedCase{{{"config", "index.skipHash", "true"}},
                        "index.skipHash in @ is not supported by libgit2 1.5.1: run `git config "
                        "index.skipHash false` (and `git update-index --force-write-index`)"}));

TEST(RepositoryOpen, Sha256Repository) {
  TempDir dir;
  std::string repo = dir.str() + "/sha";
  std::filesystem::create_directories(repo);
  git(repo, {"init", "-q", "--object-format=sha256"});
  OpenOptions opts;
  opts.repo_root = repo;
  auto r = Repository::open(opts);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kUnsupported);
  EXPECT_EQ(r.error().message, "object format sha256 (extensions.objectFormat) in " + repo +
                                   "/.git is not supported by libgit2 1.5.1: use a SHA-1 "
                                   "repository");
}

// ---------------------------------------------------------------- commits

TEST(Repository, ResolveCommitTreeParentsMessage) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  test::write(repo + "/b.txt", "b\n");
  git(repo, {"add", "b.txt"});
  git(repo, {"commit", "-q", "-m", "second\n\nbody"});
  Repository r = open_repo(repo);
  EXPECT_EQ(*r.resolve_commit("HEAD"), git(repo, {"rev-parse", "HEAD"}));
  EXPECT_EQ(*r.resolve_commit("main~1"), git(repo, {"rev-parse", "HEAD~1"}));
  EXPECT_EQ(*r.tree_of(*r.resolve_commit("HEAD")), git(repo, {"rev-parse", "HEAD^{tree}"}));
  EXPECT_EQ(*r.parents(*r.resolve_commit("HEAD")),
            std::vector<Oid>{git(repo, {"rev-parse", "HEAD~1"})});
  EXPECT_EQ(*r.message(*r.resolve_commit("HEAD")), "second\n\nbody\n");
  auto missing = r.resolve_commit("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, kNotFound);
  EXPECT_EQ(missing.error().message.rfind("unknown revision 'nope': ", 0), 0u)
      << missing.error().message;
}

// ---------------------------------------------------------------- refs

TEST(RepositoryRefs, CompareAndSwap) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  test::write(repo + "/a.txt", "a2\n");
  git(repo, {"commit", "-q", "-am", "second"});
  const std::string c1 = git(repo, {"rev-parse", "HEAD~1"});
  const std::string c2 = git(repo, {"rev-parse", "HEAD"});
  Repository r = open_repo(repo);
  const std::string ref = "refs/smartspec/checkpoints/run1";

  ASSERT_TRUE(r.update_ref(ref, c1, std::nullopt, "create"));
  EXPECT_EQ(git(repo, {"rev-parse", ref}), c1);
  // Must-not-exist fails when it exists.
  auto again = r.update_ref(ref, c2, std::nullopt, "create again");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, kRefMoved);
  EXPECT_EQ(again.error().message, "ref " + ref + " moved: expected no ref, found " + c1);
  // Move with the right expected value.
  ASSERT_TRUE(r.update_ref(ref, c2, c1, "move"));
  EXPECT_EQ(git(repo, {"rev-parse", ref}), c2);
  // Lost race: somebody else moved it (here: the real git).
  git(repo, {"update-ref", ref, c1});
  auto lost = r.update_ref(ref, c2, c2, "move");
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, kRefMoved);
  EXPECT_EQ(lost.error().message, "ref " + ref + " moved: expected " + c2 + ", found " + c1);
  EXPECT_EQ(git(repo, {"rev-parse", ref}), c1);
  // Expected a value, but the ref is gone.
  auto gone = r.update_ref("refs/smartspec/none", c1, c2, "move");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, kRefMoved);
  EXPECT_FALSE(r.read_ref("refs/smartspec/none"));

  EXPECT_EQ(r.read_ref(ref), c1);
  ASSERT_TRUE(r.update_ref("refs/smartspec/runs/run1", c2, std::nullopt, "state"));
  ASSERT_TRUE(r.update_ref("refs/smartspec/failed/run1/unit-a", c2, std::nullopt, "failed"));
  using List = std::vector<std::pair<std::string, Oid>>;
  EXPECT_EQ(r.list_refs("refs/smartspec/"), (List{{"refs/smartspec/checkpoints/run1", c1},
                                                  {"refs/smartspec/failed/run1/unit-a", c2},
                                                  {"refs/smartspec/runs/run1", c2}}));
  EXPECT_EQ(r.list_refs("refs/smartspec/failed/run1/"),
            (List{{"refs/smartspec/failed/run1/unit-a", c2}}));
  EXPECT_EQ(r.list_refs("refs/nothing/"), List{});

  auto wrong = r.delete_ref(ref, c2);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, kRefMoved);
  EXPECT_EQ(git(repo, {"rev-parse", ref}), c1);
  ASSERT_TRUE(r.delete_ref(ref, c1));
  EXPECT_EQ(git(repo, {"for-each-ref", ref}), "");
  EXPECT_TRUE(r.delete_ref(ref, std::nullopt));  // already gone: fine without expectation
  EXPECT_FALSE(r.delete_ref(ref, c1));
  EXPECT_EQ(git(repo, {"for-each-ref", "--format=%(refname)", "refs/heads/"}), "refs/heads/main");
}

// ---------------------------------------------------------------- trees and commits

TEST(RepositoryTrees, UpdateTreeAndCommitAreValidForGit) {
  TempDir dir;
  std::string repo =
      make_repo(dir, {{"a.txt", "a\n"}, {"dir/b.txt", "b\n"}, {"keep/k.txt", "k\n"}});
  const std::string state = test::user_state(repo);
  Repository r = open_repo(repo);
  auto head = r.resolve_commit("HEAD");
  ASSERT_TRUE(head);
  auto base = r.tree_of(*head);
  ASSERT_TRUE(base);
  std::vector<Repository::Change> changes{
      {"new/deep/er/c.txt", std::string("c\n"), 0100644},
      {"run.sh", std::string("#!/bin/sh\n"), 0100755},
      {"link", std::string("a.txt"), 0120000},
      {"dir/b.txt", std::nullopt, 0100644},      // leaves dir/ empty: dropped
      {"missing/x.txt", std::nullopt, 0100644},  // absent: no-op
      {"a.txt", std::string("first\n"), 0100644},
      {"a.txt", std::string("a changed\n"), 0100644},  // last change of a path wins
  };
  auto tree = r.update_tree(*base, changes);
  ASSERT_TRUE(tree) << tree.error().to_string();
  auto commit = r.create_commit(*tree, {*head}, "smartspec(unit-a): 2 tasks\n\nbody\n");
  ASSERT_TRUE(commit) << commit.error().to_string();
  ASSERT_TRUE(r.update_ref("refs/heads/smartspec/run1", *commit, std::nullopt, "result"));

  EXPECT_EQ(git(repo, {"ls-tree", "-r", "smartspec/run1"}),
            "100644 blob " + Repository::hash("a changed\n") + "\ta.txt\n" + "100644 blob " +
                Repository::hash("k\n") + "\tkeep/k.txt\n" + "120000 blob " +
                Repository::hash("a.txt") + "\tlink\n" + "100644 blob " + Repository::hash("c\n") +
                "\tnew/deep/er/c.txt\n" + "100755 blob " + Repository::hash("#!/bin/sh\n") +
                "\trun.sh");
  EXPECT_EQ(git(repo, {"ls-tree", "smartspec/run1", "dir"}), "");
  EXPECT_EQ(git(repo, {"log", "-1", "--format=%an%n%ae%n%at%n%cn%n%ce%n%s%n%P", "smartspec/run1"}),
            "Test Author\nauthor@example.com\n1767225600\nTest Committer\n"
            "committer@example.com\nsmartspec(unit-a): 2 tasks\n" +
                *head);
  test::CmdResult fsck = test::run({"git", "-C", repo, "fsck", "--strict", "--no-progress"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.err;
  EXPECT_EQ(fsck.err, "");

  // A tree from nothing (empty base).
  auto fresh = r.update_tree("", {{"x/y.txt", std::string("y\n"), 0100644}});
  ASSERT_TRUE(fresh) << fresh.error().to_string();
  EXPECT_EQ(git(repo, {"ls-tree", "-r", "--name-only", *fresh}), "x/y.txt");

  auto diff = r.changed_paths(*base, *tree);
  ASSERT_TRUE(diff);
  EXPECT_EQ(*diff, (std::vector<std::string>{"a.txt", "dir/b.txt", "link", "new/deep/er/c.txt",
                                             "run.sh"}));
  EXPECT_EQ(*r.changed_paths("", *fresh), std::vector<std::string>{"x/y.txt"});

  EXPECT_EQ(r.entry(*commit, "run.sh").kind, Repository::Kind::kExecutable);
  EXPECT_EQ(r.entry(*commit, "run.sh").mode, 0100755u);
  EXPECT_EQ(r.entry(*commit, "link").kind, Repository::Kind::kSymlink);
  EXPECT_EQ(r.entry(*commit, "new/deep").kind, Repository::Kind::kDir);
  EXPECT_EQ(r.entry(*tree, "a.txt").kind, Repository::Kind::kFile);
  EXPECT_EQ(r.entry(*tree, "a.txt").oid, Repository::hash("a changed\n"));
  EXPECT_EQ(r.entry(*commit, "dir").kind, Repository::Kind::kMissing);
  EXPECT_EQ(r.read_file(*commit, "a.txt"), "a changed\n");
  EXPECT_EQ(r.read_file(*commit, "link"), "a.txt");
  EXPECT_EQ(r.read_file(*commit, "new"), std::nullopt);
  EXPECT_EQ(r.read_file(*commit, "nope"), std::nullopt);

  EXPECT_EQ(test::user_state(repo), state);
}

TEST(RepositoryTrees, FileBecomesDirectoryAndBack) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a", "a\n"}, {"d/x", "x\n"}, {"d/y/z", "z\n"}});
  Repository r = open_repo(repo);
  const Oid base = *r.tree_of(*r.resolve_commit("HEAD"));
  auto t1 = r.update_tree(
      base, {{"a/b", std::string("b\n"), 0100644}, {"d", std::string("d\n"), 0100644}});
  ASSERT_TRUE(t1) << t1.error().to_string();
  EXPECT_EQ(git(repo, {"ls-tree", "-r", "--name-only", *t1}), "a/b\nd");
  auto t2 = r.update_tree(base, {{"a", std::nullopt, 0100644},
                                 {"a/b/c", std::string("c\n"), 0100644},
                                 {"d/y", std::nullopt, 0100644},
                                 {"d/y/z", std::nullopt, 0100644}});
  ASSERT_TRUE(t2) << t2.error().to_string();
  EXPECT_EQ(git(repo, {"ls-tree", "-r", "--name-only", *t2}), "a/b/c\nd/x");
  test::CmdResult fsck = test::run({"git", "-C", repo, "fsck", "--strict", "--no-progress"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.err;
  EXPECT_FALSE(r.update_tree(base, {{"x//y", std::string(), 0100644}}));
  EXPECT_FALSE(r.update_tree(base, {{"x", std::string(), 040000}}));
}

TEST(RepositoryOpen, NotOwnedByTheCurrentUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give the repository to another user";
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  test::sh("chown -R 65534:65534 .", repo);
  OpenOptions opts;
  opts.repo_root = repo;
  auto r = Repository::open(opts);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kUnsupported);
  EXPECT_EQ(r.error().message, "repository at " + repo +
                                   " is not owned by the current user: run `git config "
                                   "--global --add safe.directory " +
                                   repo + "` (libgit2 1.5.1 does not accept safe.directory=*)");
}

TEST(RepositoryTrees, WriteBlobAndHashAgreeWithGit) {
  TempDir dir;
  std::string repo = make_repo(dir, {});
  Repository r = open_repo(repo);
  const std::string bytes = std::string("bin\0ary\r\n", 9);
  test::CmdResult h = test::run({"git", "hash-object", "--stdin"}, repo, {}, bytes);
  ASSERT_EQ(h.exit_code, 0);
  EXPECT_EQ(Repository::hash(bytes) + "\n", h.out);
  EXPECT_EQ(*r.write_blob(bytes) + "\n", h.out);
  EXPECT_EQ(git(repo, {"cat-file", "-t", Repository::hash(bytes)}), "blob");
}

// ---------------------------------------------------------------- identity

TEST(RepositoryIdentity, EnvironmentThenConfigThenFallback) {
  TempDir dir;
  std::string repo = make_repo(dir, {});
  Repository r = open_repo(repo);
  Identity a = r.author();
  EXPECT_EQ(a.name, "Test Author");
  EXPECT_EQ(a.email, "author@example.com");
  EXPECT_EQ(a.time, 1767225600);
  EXPECT_EQ(a.offset_minutes, 0);
  EXPECT_EQ(r.committer().name, "Test Committer");

  ScopedEnv n1("GIT_AUTHOR_NAME", std::nullopt), e1("GIT_AUTHOR_EMAIL", std::nullopt);
  ScopedEnv n2("GIT_COMMITTER_NAME", std::nullopt), e2("GIT_COMMITTER_EMAIL", std::nullopt);
  ScopedEnv d1("GIT_AUTHOR_DATE", "2026-01-01 00:00:00 +0100");
  ScopedEnv d2("GIT_COMMITTER_DATE", "@1700000000 -0230");
  EXPECT_EQ(r.author().name, "smartspec-batch");
  EXPECT_EQ(r.author().email, "smartspec-batch@localhost");
  EXPECT_EQ(r.author().time, 1767225600 - 3600);
  EXPECT_EQ(r.author().offset_minutes, 60);
  EXPECT_EQ(r.committer().name, "smartspec-batch");
  EXPECT_EQ(r.committer().time, 1700000000);
  EXPECT_EQ(r.committer().offset_minutes, -150);
  auto fallback = r.create_commit(*r.tree_of(*r.resolve_commit("HEAD")), {}, "fallback\n");
  ASSERT_TRUE(fallback);
  EXPECT_EQ(
      git(repo, {"log", "-1", "--format=%an <%ae> %ad|%cn <%ce> %cd", "--date=raw", *fallback}),
      "smartspec-batch <smartspec-batch@localhost> 1767222000 +0100|"
      "smartspec-batch <smartspec-batch@localhost> 1700000000 -0230");

  git(repo, {"config", "user.name", "Config Name"});
  git(repo, {"config", "user.email", "config@example.com"});
  Repository again = open_repo(repo);
  EXPECT_EQ(again.author().name, "Config Name");
  EXPECT_EQ(again.committer().email, "config@example.com");
}

TEST(RepositoryIdentity, ParsesGitDates) {
  using P = std::optional<std::pair<std::int64_t, int>>;
  EXPECT_EQ(parse_git_date("2026-01-01T00:00:00Z"), (P{{1767225600, 0}}));
  EXPECT_EQ(parse_git_date("2026-01-01T00:00:00+01:00"), (P{{1767222000, 60}}));
  EXPECT_EQ(parse_git_date("2026-01-01 00:00:00 +0100"), (P{{1767222000, 60}}));
  EXPECT_EQ(parse_git_date("2026-01-01 00:00:00 -0530"), (P{{1767225600 + 19800, -330}}));
  EXPECT_EQ(parse_git_date("@1700000000 +0000"), (P{{1700000000, 0}}));
  EXPECT_EQ(parse_git_date("1700000000 +0200"), (P{{1700000000, 120}}));
  EXPECT_EQ(parse_git_date("yesterday"), P{});
  EXPECT_EQ(parse_git_date("1700000000"), P{});
}

// ---------------------------------------------------------------- notes

TEST(RepositoryNotes, SetReadOverwriteVisibleToGit) {
  TempDir dir;
  std::string repo = make_repo(dir, {{"a.txt", "a\n"}});
  const std::string state = test::user_state(repo);
  Repository r = open_repo(repo);
  const Oid head = *r.resolve_commit("HEAD");
  EXPECT_EQ(r.read_note("smartspec", head), std::nullopt);
  ASSERT_TRUE(r.set_note("refs/notes/smartspec", head, "report v1\n"));
  EXPECT_EQ(git(repo, {"notes", "--ref=smartspec", "show", head}), "report v1");
  ASSERT_TRUE(r.set_note("smartspec", head, "report v2\n"));
  EXPECT_EQ(git(repo, {"notes", "--ref=smartspec", "show", head}), "report v2");
  EXPECT_EQ(r.read_note("refs/notes/smartspec", head), "report v2\n");
  EXPECT_EQ(git(repo, {"rev-list", "--count", "refs/notes/smartspec"}), "2");

  // A note written meanwhile by git itself is kept (built on the current tip).
  test::write(repo + "/b.txt", "b\n");
  git(repo, {"add", "b.txt"});
  git(repo, {"commit", "-q", "-m", "second"});
  const std::string second = git(repo, {"rev-parse", "HEAD"});
  git(repo, {"notes", "--ref=smartspec", "add", "-m", "by git", second});
  ASSERT_TRUE(r.set_note("smartspec", head, "report v3\n"));
  EXPECT_EQ(git(repo, {"notes", "--ref=smartspec", "show", second}), "by git");
  EXPECT_EQ(git(repo, {"notes", "--ref=smartspec", "show", head}), "report v3");
  EXPECT_EQ(git(repo, {"log", "-1", "--format=%N", "--notes=smartspec", head}), "report v3\n");
  test::CmdResult fsck = test::run({"git", "-C", repo, "fsck", "--strict", "--no-progress"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.err;
}

// ---------------------------------------------------------------- attributes

TEST(RepositoryAttributes, ToOdbIsGitsCleanConversion) {
  TempDir dir;
  std::string repo = make_repo(
      dir, {{".gitattributes", "*.bat text eol=crlf\n*.txt text\n*.bin -text\n*.auto text=auto\n"},
            {"plain.auto", "lf\n"}});
  // A file committed with CRs (before the rule, say): stored without filters.
  test::write(repo + "/stored.auto", "kept\r\nas is\r\n");
  const std::string id = git(repo, {"hash-object", "-w", "--no-filters", "stored.auto"});
  git(repo, {"update-index", "--add", "--cacheinfo", "100644," + id + ",stored.auto"});
  git(repo, {"commit", "-q", "-m", "stored with CRs"});
  Repository r = open_repo(repo);
  const Oid c = *r.resolve_commit("HEAD");
  // The working tree's attributes do not count.
  test::write(repo + "/.gitattributes", "*.bin text\n");
  const std::string crlf = "a\r\nb\r\n";
  EXPECT_EQ(r.to_odb(c, "run.bat", crlf), "a\nb\n");
  EXPECT_EQ(r.to_odb(c, "dir/x.txt", crlf), "a\nb\n");
  EXPECT_EQ(r.to_odb(c, "x.txt", "lone\rcr\r\n"), "lone\rcr\n");  // text: only CRLF pairs
  EXPECT_EQ(r.to_odb(c, "x.bin", crlf), crlf);                    // -text
  EXPECT_EQ(r.to_odb(c, "x.md", crlf), crlf);                     // no rule, no autocrlf
  EXPECT_EQ(r.to_odb(c, "new.auto", crlf), "a\nb\n");             // auto: text
  EXPECT_EQ(r.to_odb(c, "plain.auto", crlf), "a\nb\n");
  EXPECT_EQ(r.to_odb(c, "stored.auto", crlf), crlf);  // stored with CRs: kept ("safe" auto)
  const std::string nul = std::string("a\r\n\0b\r\n", 6);
  EXPECT_EQ(r.to_odb(c, "new.auto", nul), nul);  // binary
  EXPECT_EQ(r.to_odb(c, "new.auto", "lone\rcr\r\n"), "lone\rcr\r\n");
  EXPECT_EQ(r.to_odb(c, "new.auto", std::string(10, '\x01') + "\r\n"),
            std::string(10, '\x01') + "\r\n");

  // core.autocrlf true/input: auto for paths without a text attribute.
  git(repo, {"config", "core.autocrlf", "input"});
  Repository r2 = open_repo(repo);
  EXPECT_EQ(r2.to_odb(c, "x.md", crlf), "a\nb\n");
  EXPECT_EQ(r2.to_odb(c, "x.bin", crlf), crlf);

  // The same bytes as git's own `git add` (hash-object with the path's filters).
  git(repo, {"config", "--unset", "core.autocrlf"});
  git(repo, {"checkout", "--", ".gitattributes"});
  test::write(repo + "/run.bat", crlf);
  EXPECT_EQ(Repository::hash(r.to_odb(c, "run.bat", crlf)),
            git(repo, {"hash-object", "--path=run.bat", "run.bat"}));
}

// The clean conversion across attributes × core.autocrlf × core.eol × contents
// × what the commit stores, compared with what the real git stores on
// and `git add`. The commit is checked out, so git's index and the commit
// agree (git's "safe" autocrlf looks at the index).
TEST(RepositoryAttributes, ToOdbMatchesGitHashObjectOverTheMatrix) {
  const std::vector<std::string> attributes = {"",
                                               "* text=auto\n",
                                               "*.txt text\n",
                                               "*.txt eol=crlf\n",
                                               "*.txt -text\n",
                                               "*.txt text eol=lf\n",
                                               "*.txt binary\n",
                                               "* text=auto eol=crlf\n*.txt -text\n"};
  const std::vector<std::pair<std::string, std::string>> configs = {
      {"", ""}, {"true", ""}, {"input", ""}, {"false", "crlf"}, {"", "crlf"}, {"true", "lf"}};
  const std::vector<std::string> contents = {"a\r\nb\r\n",
                                             "mixed\r\nends\n",
                                             "lone\rcr\r\n",
                                             std::string("nul\r\n\0x\r\n", 10),
                                             std::string(10, '\x01') + "\r\n",
                                             "last line without end\r",
                                             "a\nb\n"};
  // What the commit stores at the path: nothing, CRLF text, LF text.
  const std::vector<std::string> stored_dirs = {"new", "crlf", "lf"};
  int compared = 0;
  for (std::size_t ai = 0; ai < attributes.size(); ++ai) {
    {
      TempDir dir;
      std::string repo = make_repo(dir, {{"README", "r\n"}});
      test::write(repo + "/.gitattributes", attributes[ai]);
      std::string stored_paths;
      for (std::size_t ci = 0; ci < contents.size(); ++ci) {
        for (const char* ext : {".txt", ".md"}) {
          const std::string name = "c" + std::to_string(ci) + ext;
          for (const std::string stored : {"crlf", "lf"}) {
            const std::string body = stored == "crlf" ? "old\r\nfile\r\n" : "old\nfile\n";
            const std::string path = stored + "/" + name;
            test::write(repo + "/" + path, body);
            stored_paths += path + "\n";
          }
        }
      }
      // Stored as the bytes are (no filters), whatever the attributes say.
      auto ids = test::run({"git", "hash-object", "-w", "--no-filters", "--stdin-paths"}, repo, {},
                           stored_paths);
      ASSERT_EQ(ids.exit_code, 0) << ids.err;
      std::istringstream id_lines(ids.out), path_lines(stored_paths);
      std::string index_info;
      for (std::string id, path; std::getline(id_lines, id) && std::getline(path_lines, path);)
        index_info += "100644 " + id + "\t" + path + "\n";
      auto updated = test::run({"git", "update-index", "--index-info"}, repo, {}, index_info);
      ASSERT_EQ(updated.exit_code, 0) << updated.err;
      git(repo, {"add", ".gitattributes"});
      git(repo, {"commit", "-q", "-m", "stored"});
      for (const auto& [autocrlf, eol] : configs) {
        git(repo, {"config", "--unset-all", "core.autocrlf"}, false);
        git(repo, {"config", "--unset-all", "core.eol"}, false);
        if (!autocrlf.empty()) git(repo, {"config", "core.autocrlf", autocrlf});
        if (!eol.empty()) git(repo, {"config", "core.eol", eol});
        Repository r = open_repo(repo);
        const Oid c = *r.resolve_commit("HEAD");
        std::string paths;
        std::vector<std::pair<std::string, std::string>> cases;  // path, content
        for (const auto& d : stored_dirs) {
          for (std::size_t ci = 0; ci < contents.size(); ++ci) {
            for (const char* ext : {".txt", ".md"}) {
              const std::string path = d + "/c" + std::to_string(ci) + ext;
              test::write(repo + "/" + path, contents[ci]);
              paths += path + "\n";
              cases.emplace_back(path, contents[ci]);
            }
          }
        }
        // `git add` (not `hash-object`, which reads no index and so never
        // applies the "safe" rule) and what the index then holds.
        auto added = test::run({"git", "add", "--pathspec-from-file=-"}, repo, {}, paths);
        ASSERT_EQ(added.exit_code, 0) << added.err;
        std::map<std::string, std::string> index;  // path → blob id
        std::istringstream staged(git(repo, {"ls-files", "-s"}));
        for (std::string line; std::getline(staged, line);) {
          const auto tab = line.find('\t');
          index[line.substr(tab + 1)] = line.substr(7, 40);
        }
        for (const auto& [path, content] : cases) {
          const std::string expected = index[path];
          EXPECT_EQ(Repository::hash(r.to_odb(c, path, content)), expected)
              << "attributes " << ai << " [" << attributes[ai] << "], core.autocrlf=" << autocrlf
              << ", core.eol=" << eol << ", " << path;
          ++compared;
        }
        git(repo, {"read-tree", "HEAD"});  // the index as the commit again
      }
    }
  }
  EXPECT_EQ(compared, 8 * 6 * 3 * 7 * 2);
}

// filter=lfs from every source git reads for a commit: a .gitattributes
// deeper in the tree, a macro defined at the top, $GIT_DIR/info/attributes,
// core.attributesFile; and never from a sibling directory's file. (is_lfs
// skips libgit2's attribute lookup when no source mentions "lfs" at all.)
TEST(RepositoryAttributes, LfsFromEverySourceGitReads) {
  TempDir dir;
  std::string repo = make_repo(dir, {{".gitattributes", "[attr]big filter=lfs -text\n"},
                                     {"deep/er/still/.gitattributes", "*.psd filter=lfs\n"},
                                     {"macro/.gitattributes", "*.iso big\n"},
                                     {"other/.gitattributes", "*.zip filter=lfs\n"},
                                     {"a.txt", "a\n"}});
  {
    Repository r = open_repo(repo);
    const Oid c = *r.resolve_commit("HEAD");
    EXPECT_TRUE(r.is_lfs(c, "deep/er/still/x.psd"));
    EXPECT_TRUE(r.is_lfs(c, "deep/er/still/more/x.psd"));
    EXPECT_FALSE(r.is_lfs(c, "deep/er/x.psd"));
    EXPECT_TRUE(r.is_lfs(c, "macro/x.iso"));
    EXPECT_FALSE(r.is_lfs(c, "x.iso"));
    EXPECT_TRUE(r.is_lfs(c, "other/x.zip"));
    EXPECT_FALSE(r.is_lfs(c, "deep/x.zip"));
    EXPECT_FALSE(r.is_lfs(c, "plain/x.dat"));
  }
  test::write(repo + "/.git/info/attributes", "*.dat filter=lfs\n");
  {
    Repository r = open_repo(repo);
    EXPECT_TRUE(r.is_lfs(*r.resolve_commit("HEAD"), "plain/x.dat"));
  }
  std::filesystem::remove(repo + "/.git/info/attributes");
  test::write(dir.str() + "/global-attributes", "*.mov filter=lfs\n");
  git(repo, {"config", "core.attributesFile", dir.str() + "/global-attributes"});
  {
    Repository r = open_repo(repo);
    const Oid c = *r.resolve_commit("HEAD");
    EXPECT_TRUE(r.is_lfs(c, "plain/x.mov"));
    EXPECT_FALSE(r.is_lfs(c, "plain/x.dat"));
  }
}

TEST(RepositoryAttributes, EolAndLfsFromTheCommitsGitattributes) {
  TempDir dir;
  std::string repo = make_repo(dir, {{".gitattributes",
                                      "*.bat text eol=crlf\n*.txt text\n*.bin -text\n*.sh eol=lf\n"
                                      "*.psd filter=lfs diff=lfs merge=lfs -text\n"},
                                     {"a.txt", "a\n"}});
  Repository r = open_repo(repo);
  const Oid c1 = *r.resolve_commit("HEAD");
  // The working tree's attributes are not what counts.
  test::write(repo + "/.gitattributes", "*.txt eol=crlf\n*.md filter=lfs\n");
  EXPECT_EQ(r.checkout_eol(c1, "x.bat"), "\r\n");
  EXPECT_EQ(r.checkout_eol(c1, "dir/x.txt"), "\n");
  EXPECT_EQ(r.checkout_eol(c1, "x.bin"), "\n");
  EXPECT_EQ(r.checkout_eol(c1, "x.sh"), "\n");
  EXPECT_TRUE(r.is_lfs(c1, "art/x.psd"));
  EXPECT_FALSE(r.is_lfs(c1, "x.md"));
  EXPECT_FALSE(r.is_lfs(c1, "a.txt"));

  git(repo, {"add", ".gitattributes"});
  git(repo, {"commit", "-q", "-m", "attrs"});
  Repository r2 = open_repo(repo);
  const Oid c2 = *r2.resolve_commit("HEAD");
  EXPECT_EQ(r2.checkout_eol(c2, "x.txt"), "\r\n");
  EXPECT_TRUE(r2.is_lfs(c2, "x.md"));
  EXPECT_EQ(r2.checkout_eol(c1, "x.txt"), "\n");  // the older commit still says lf

  git(repo, {"config", "core.autocrlf", "true"});
  Repository r3 = open_repo(repo);
  EXPECT_EQ(r3.checkout_eol(c1, "x.txt"), "\r\n");
  EXPECT_EQ(r3.checkout_eol(c1, "x.bin"), "\n");
  EXPECT_EQ(r3.checkout_eol(c1, "x.sh"), "\n");
  EXPECT_EQ(r3.checkout_eol(c1, "unknown.c"), "\r\n");
  git(repo, {"config", "core.autocrlf", "false"});
  git(repo, {"config", "core.eol", "crlf"});
  Repository r4 = open_repo(repo);
  EXPECT_EQ(r4.checkout_eol(c1, "x.txt"), "\r\n");
  EXPECT_EQ(r4.checkout_eol(c1, "unknown.c"), "\n");
}

}  // namespace
}  // namespace smartspec::git
