// Adversarial packs (issue 15, the pack-side items 1, 5, 6, 8): a prompt pack
// is untrusted input. Each test runs the real binary with the real tools
// (node, perl, git) on a pack written to attack, and asserts that nothing
// escaped: a sentinel directory outside the repository keeps its checksums,
// the user's repository state is unchanged, `git fsck --strict` is clean,
// no marker file a hostile checker argument would create exists, and the
// refusal reads exactly as documented.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e/hostile/robust_support.hpp"

namespace smartspec::test::robust {
namespace {

std::string snapshot(const fs::path& dir) {
  return sh("find . -print0 | sort -z | xargs -0 -r ls -ld --time-style=full-iso; "
            "find . -type f -print0 | sort -z | xargs -0 -r sha1sum",
            dir.string())
      .out;
}

std::string code_task(const std::string& id, const std::string& title, const std::string& path,
                      const std::string& body = "X = 1\n", const std::string& lang = "python") {
  return "## Task: " + id + "\n" + title + "\n\nCode file: `" + path + "`\n\n```" + lang + "\n" +
         body + "```\n\n";
}

struct PackSecurity : ::testing::Test {
  TempDir dir;
  std::string repo;
  fs::path sentinel;
  fs::path marker;  // a hostile checker argument would create it
  fs::path pack;
  std::string sentinel_before, user_before, base;

  void SetUp() override {
    sentinel = dir.path() / "sentinel";
    write(sentinel / "keep.txt", "keep\n");
    marker = dir.path() / "pwned";
    repo = make_inventory_repo(dir);
    base = git(repo, {"rev-parse", "HEAD"});
    pack = dir.path() / "packs" / "hostile";
    fs::create_directories(pack);
    snap();
  }

  // Takes the "before" pictures (again, after a test changed the base).
  void snap() {
    base = git(repo, {"rev-parse", "HEAD"});
    sentinel_before = snapshot(sentinel);
    user_before = user_state(repo);
  }

  std::map<std::string, std::string> env() const {
    return fast_env({{"SMARTSPEC_TEST_MARK", marker.string()}});
  }

  CmdResult tool(const std::vector<std::string>& args) { return run_tool(args, repo, env()); }

  CmdResult run_pack(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md"};
    args.insert(args.end(), extra.begin(), extra.end());
    return tool(args);
  }
  CmdResult plan_pack() {
    return tool({"plan", "--prompts-dir", pack.string(), "--tasks", "tasks.md"});
  }

  // Nothing escaped, nothing crashed, the repository is sound.
  void expect_contained(const CmdResult& r) {
    EXPECT_LT(r.exit_code, 128) << "crashed: " << r.out << r.err;
    EXPECT_FALSE(fs::exists(marker)) << "a pack string ran code: " << r.out << r.err;
    EXPECT_EQ(snapshot(sentinel), sentinel_before) << "a write reached the sentinel outside";
    EXPECT_EQ(user_state(repo), user_before);
    std::string why;
    EXPECT_TRUE(fsck_clean(repo, &why)) << why;
  }
};

// ------------------------------------------------------------ item 1

TEST_F(PackSecurity, NodeCheckerNeverTakesAPackPathAsAnOption) {
  // Task 1 writes evil.js; task 2's path makes `node --check <path>` load it.
  write(pack / "missing_code.md", "# Missing Code\n\n" +
                                      code_task("TSK-SEC-001", "Evil module", "evil.js",
                                                "require('fs').writeFileSync(process.env.SMARTSPEC_"
                                                "TEST_MARK, 'x');\nconsole.log('loaded');\n",
                                                "javascript") +
                                      code_task("TSK-SEC-002", "Option path", "--require=./evil.js",
                                                "var a = 1;\n", "javascript"));
  auto plan = plan_pack();
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("refused --require=./evil.js  (path component starting with '-' "
                          "refused: --require=.)"),
            std::string::npos)
      << plan.out;
  auto r = run_pack();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("❌ [2/2] TSK-SEC-002: Option path — --require=./evil.js: path component "
                       "starting with '-' refused: --require=."),
            std::string::npos)
      << r.out;
  expect_contained(r);
}

TEST_F(PackSecurity, ExtraCheckerNeverTakesAPackPathAsAnOption) {
  // `perl -c -e'BEGIN{…}'` would run the BEGIN block.
  const std::string path = "-eBEGIN{open(F,\">\".$ENV{SMARTSPEC_TEST_MARK})}#.pl";
  write(pack / "missing_code.md",
        "# Missing Code\n\n" + code_task("TSK-SEC-003", "Perl option", path, "print 1;\n", "perl"));
  auto plan = plan_pack();
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("refused " + path +
                          "  (path component starting with '-' refused: " + path + ")"),
            std::string::npos)
      << plan.out;
  auto r = run_pack({"--check", "pl=perl -c"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("❌ [1/1] TSK-SEC-003: Perl option — " + path +
                       ": path component starting with '-' refused"),
            std::string::npos)
      << r.out;
  expect_contained(r);
}

// ------------------------------------------------------------ item 5

struct LookAlike {
  const char* name;
  const char* path;   // as the pack writes it
  const char* shown;  // as plan and run show it
  const char* reason;
};

class DotGitLookAlike : public PackSecurity, public ::testing::WithParamInterface<LookAlike> {};

TEST_P(DotGitLookAlike, IsRefusedAtPlanTimeAndByTheRun) {
  const LookAlike& c = GetParam();
  write(pack / "missing_code.md",
        "# Missing Code\n\n" + code_task("TSK-SEC-010", "Look-alike", c.path));
  auto plan = plan_pack();
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find(std::string("      refused ") + c.shown + "  (" + c.reason + ")\n"),
            std::string::npos)
      << plan.out;
  auto r = run_pack();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(
      r.out.find(std::string("❌ [1/1] TSK-SEC-010: Look-alike — ") + c.shown + ": " + c.reason),
      std::string::npos)
      << r.out;
  EXPECT_EQ(git(repo, {"rev-parse", "smartspec/hostile"}), base) << "a refused path was committed";
  // Nothing of it in the scratch worktree either (it is where a later
  // checkout would put it).
  EXPECT_EQ(sh("find .git/smartspec -name 'GIT~1' -o -name '.git?*' -o -name '.git '", repo).out,
            "");
  expect_contained(r);
}

INSTANTIATE_TEST_SUITE_P(
    Paths, DotGitLookAlike,
    ::testing::Values(
        LookAlike{"HfsIgnorable", ".git\xe2\x80\x8c/hooks/post-checkout",
                  ".git\\u{200c}/hooks/post-checkout",
                  ".git look-alike refused: .git\\u{200c} (HFS+ ignores its invisible characters)"},
        LookAlike{"NtfsShortName", "GIT~1/hooks/post-checkout", "GIT~1/hooks/post-checkout",
                  ".git look-alike refused: GIT~1 (an NTFS 8.3 short name of .git)"},
        LookAlike{"TrailingDot", ".git./hooks/x.py", ".git./hooks/x.py",
                  ".git look-alike refused: .git. (NTFS drops trailing dots and spaces)"},
        LookAlike{"TrailingSpace", ".git /hooks/x.py", ".git /hooks/x.py",
                  ".git look-alike refused: .git  (NTFS drops trailing dots and spaces)"},
        LookAlike{"NtfsStream", ".git::$INDEX_ALLOCATION/hooks/x.py",
                  ".git::$INDEX_ALLOCATION/hooks/x.py",
                  ".git look-alike refused: .git::$INDEX_ALLOCATION (an NTFS stream of .git)"},
        LookAlike{"UpperCase", ".GIT/hooks/x.py", ".GIT/hooks/x.py", "path inside .git refused"},
        LookAlike{"Backslash", "a\\.git\\hooks\\x.py", "a\\.git\\hooks\\x.py",
                  "backslash in path refused"},
        LookAlike{
            "GitmodulesDot", ".gitmodules.", ".gitmodules.",
            ".gitmodules look-alike refused: .gitmodules. (NTFS drops trailing dots and spaces)"},
        LookAlike{
            "GitmodulesShortName", "GITMOD~1", "GITMOD~1",
            ".gitmodules look-alike refused: GITMOD~1 (an NTFS 8.3 short name of .gitmodules)"}),
    [](const ::testing::TestParamInfo<LookAlike>& i) { return std::string(i.param.name); });

// ------------------------------------------------------------ item 6

TEST_F(PackSecurity, APathInsideASubmoduleIsRefusedAndTheGitlinkKept) {
  // A gitlink in the base tree (as `git submodule add` leaves it).
  const std::string sub = git(repo, {"rev-parse", "HEAD"});
  git(repo, {"update-index", "--add", "--cacheinfo", "160000," + sub + ",vendor/lib"});
  git(repo, {"commit", "-q", "-m", "vendor/lib as a submodule"});
  snap();
  write(pack / "missing_code.md",
        "# Missing Code\n\n" + code_task("TSK-SEC-020", "Into the submodule", "vendor/lib/x.py") +
            code_task("TSK-SEC-021", "Over the submodule", "vendor/lib") +
            code_task("TSK-SEC-022", "Next to it", "vendor/ok.py"));
  auto plan = plan_pack();
  EXPECT_NE(
      plan.out.find("      refused vendor/lib/x.py  (path inside submodule vendor/lib refused)\n"),
      std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("      refused vendor/lib  (path is a submodule refused)\n"),
            std::string::npos)
      << plan.out;
  auto r = run_pack();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("❌ [1/3] TSK-SEC-020: Into the submodule — vendor/lib/x.py: path inside "
                       "submodule vendor/lib refused"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("❌ [2/3] TSK-SEC-021: Over the submodule — vendor/lib: path is a submodule "
                       "refused"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("⚠️ [3/3] TSK-SEC-022: Next to it — applied (no evidence to verify)"),
            std::string::npos)
      << r.out;
  // The result keeps the gitlink, and holds the one accepted file.
  EXPECT_EQ(git(repo, {"ls-tree", "smartspec/hostile", "vendor/lib"}),
            "160000 commit " + sub + "\tvendor/lib");
  EXPECT_EQ(git(repo, {"diff", "--name-status", base, "smartspec/hostile"}), "A\tvendor/ok.py");
  expect_contained(r);
}

TEST_F(PackSecurity, AFileUnderFilterLfsIsRefused) {
  write(fs::path(repo) / ".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n");
  git(repo, {"add", ".gitattributes"});
  git(repo, {"commit", "-q", "-m", "lfs for *.bin"});
  snap();
  write(pack / "missing_code.md",
        "# Missing Code\n\n" +
            code_task("TSK-SEC-023", "Raw into LFS", "assets/data.bin", "raw bytes\n", "text"));
  const std::string reason =
      "filter=lfs path refused (smartspec-batch does not run git-lfs's clean filter; add it with "
      "git lfs)";
  auto plan = plan_pack();
  EXPECT_NE(plan.out.find("      refused assets/data.bin  (" + reason + ")\n"), std::string::npos)
      << plan.out;
  auto r = run_pack();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("❌ [1/1] TSK-SEC-023: Raw into LFS — assets/data.bin: " + reason),
            std::string::npos)
      << r.out;
  EXPECT_EQ(git(repo, {"rev-parse", "smartspec/hostile"}), base);
  expect_contained(r);
}

// ------------------------------------------------------------ item 8 (c)

TEST_F(PackSecurity, EscapeSequencesInTitlesAndPathsReachNeitherTerminalNorCommit) {
  // A title that would retitle the terminal window and clear the screen, a
  // C1 CSI, and a path carrying an escape sequence.
  const std::string title =
      "Evil \x1b]0;owned\x07title \x1b[2J\xc2\x9b"
      "31m end";
  write(pack / "missing_code.md", "# Missing Code\n\n" +
                                      code_task("TSK-SEC-030", title, "docs/ok.py") +
                                      code_task("TSK-SEC-031", "Path", "docs/\x1b[31mred.py"));
  const std::string shown = "Evil \\x1b]0;owned\\x07title \\x1b[2J\\u{009b}31m end";
  auto plan = plan_pack();
  EXPECT_NE(plan.out.find("TSK-SEC-030: " + shown), std::string::npos) << plan.out;
  EXPECT_NE(
      plan.out.find("      refused docs/\\x1b[31mred.py  (control character in path refused)"),
      std::string::npos)
      << plan.out;
  auto r = run_pack();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  for (const std::string& out : {plan.out, plan.err, r.out, r.err}) {
    EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
    EXPECT_EQ(out.find("\xc2\x9b"), std::string::npos) << out;
  }
  EXPECT_NE(r.out.find("⚠️ [1/2] TSK-SEC-030: " + shown), std::string::npos) << r.out;
  EXPECT_NE(
      r.out.find(
          "❌ [2/2] TSK-SEC-031: Path — docs/\\x1b[31mred.py: control character in path refused"),
      std::string::npos)
      << r.out;
  const std::string message = git(repo, {"log", "-1", "--format=%B", "smartspec/hostile"});
  EXPECT_NE(message.find("- TSK-SEC-030: " + shown + "\n"), std::string::npos) << message;
  EXPECT_EQ(message.find('\x1b'), std::string::npos) << message;
  EXPECT_EQ(message.find('\x07'), std::string::npos) << message;
  expect_contained(r);
}

// ------------------------------------------------------------ item 8 (a)

TEST_F(PackSecurity, ACommittedSpecSymlinkIsNeverFollowedForReports) {
  // .spec committed as a symlink to a directory outside the repository.
  fs::create_directory_symlink(sentinel, fs::path(repo) / ".spec");
  git(repo, {"add", ".spec"});
  git(repo, {"commit", "-q", "-m", ".spec points outside"});
  write(sentinel / "checkpoints" / "batch_execution_hostile.json", "not the tool's\n");
  snap();
  write(pack / "missing_code.md",
        "# Missing Code\n\n" + code_task("TSK-SEC-040", "Fine", "docs/fine.py"));
  auto r = run_pack({"--checkpoint"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("report files not written: " + repo + "/.spec/reports/batch_execution_"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(".spec is a symbolic link; not followed"), std::string::npos) << r.err;
  // The report is still attached to the result as a note.
  EXPECT_NE(
      git(repo, {"notes", "--ref=smartspec", "show", "smartspec/hostile"}).find("TSK-SEC-040"),
      std::string::npos);
  // abort removes the checkpoint mirror only through a real directory.
  auto a = tool({"abort", "hostile", "--delete-branch"});
  EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
  snap();  // the run's own refs are gone; the sentinel must be as before the run
  EXPECT_EQ(read(sentinel / "checkpoints" / "batch_execution_hostile.json"), "not the tool's\n");
  expect_contained(r);
}

// ------------------------------------------------------------ item 8 (b)

TEST_F(PackSecurity, AnotherProcesssRefLockIsNeverRemoved) {
  write(pack / "missing_code.md",
        "# Missing Code\n\n" + code_task("TSK-SEC-041", "Fine", "docs/fine.py"));
  // A git process (not ours) is updating the notes ref right now.
  const fs::path lock = fs::path(repo) / ".git" / "refs" / "notes" / "smartspec.lock";
  write(lock, "in use\n");
  auto r = run_pack();
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(r.err, "smartspec-batch: error: " + lock.string() +
                       " exists: another git process is updating refs/notes/smartspec (remove the "
                       "file if no git command is running)\n");
  EXPECT_EQ(read(lock), "in use\n") << "another process's lock file was touched";
  EXPECT_EQ(git(repo, {"for-each-ref", "refs/smartspec", "refs/heads/smartspec"}), "");
  fs::remove(lock);
  expect_contained(r);
}

TEST_F(PackSecurity, AfterAKilledRunOnlyItsOwnDebrisIsRemoved) {
  write(pack / "missing_code.md",
        "# Missing Code\n\n" + code_task("TSK-SEC-042", "Fine", "docs/fine.py"));
  // A run killed at its first crash point leaves its repository lock.
  auto killed = run_pack({"--run-id", "hostile"});
  ASSERT_EQ(killed.exit_code, 0) << killed.err;
  auto again = tool({"abort", "hostile", "--delete-branch"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto k = run_tool({"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md"}, repo,
                    fast_env({{"SMARTSPEC_CRASH_AT", "3"}}));
  ASSERT_EQ(k.exit_code, 128 + SIGKILL) << k.out << k.err;
  // Debris of the killed run (written while it held the lock).
  const fs::path ours = fs::path(repo) / ".git" / "refs" / "heads" / "smartspec" / "hostile.lock";
  write(ours, git(repo, {"rev-parse", "HEAD"}) + "\n");
  auto resumed = run_pack({"--resume"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_FALSE(fs::exists(ours));
  EXPECT_NE(resumed.err.find("removed " + ours.string() + " left by an interrupted run"),
            std::string::npos)
      << resumed.err;
  std::string why;
  EXPECT_TRUE(fsck_clean(repo, &why)) << why;
}

// ------------------------------------------------------------ item 8 (d, e)

struct BadFlag {
  const char* name;
  std::vector<std::string> args;
  const char* message;
};

class BadCommandFlag : public PackSecurity, public ::testing::WithParamInterface<BadFlag> {};

TEST_P(BadCommandFlag, IsExit2BeforeAnythingIsWritten) {
  const BadFlag& c = GetParam();
  write(pack / "missing_code.md",
        "# Missing Code\n\n" + code_task("TSK-SEC-050", "Fine", "docs/fine.py"));
  auto r = run_pack(c.args);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(r.err, std::string("smartspec-batch: error: ") + c.message + "\n");
  EXPECT_EQ(git(repo, {"for-each-ref", "refs/smartspec", "refs/heads/smartspec", "refs/notes"}),
            "");
  EXPECT_FALSE(fs::exists(fs::path(repo) / ".git" / "smartspec" / "worktrees"));
  EXPECT_FALSE(fs::exists(fs::path(repo) / ".spec"));
  expect_contained(r);
}

INSTANTIATE_TEST_SUITE_P(
    Flags, BadCommandFlag,
    ::testing::Values(BadFlag{"EmptyAgent", {"--agent", ""}, "--agent: empty command"},
                      BadFlag{"BlankAgent", {"--agent", "  "}, "--agent: empty command"},
                      BadFlag{
                          "EmptyVerifyCmd", {"--verify-cmd", ""}, "--verify-cmd: empty command"},
                      BadFlag{"UnclosedQuoteInVerifyCmd",
                              {"--verify-cmd", "sh -c 'exit 0"},
                              "--verify-cmd: No closing quotation"},
                      BadFlag{"MissingAgentBinary",
                              {"--agent", "no-such-agent-smartspec --go"},
                              "--agent: no-such-agent-smartspec: command not found on PATH"},
                      BadFlag{"RelativeAgentOutsideTheRepository",
                              {"--agent", "../agent.sh --go"},
                              "--agent: ../agent.sh: a relative program path is taken from "
                              "the scratch worktree, a copy of the repository, and this one "
                              "leads out of it: give an absolute path"},
                      BadFlag{"MissingVerifyBinary",
                              {"--verify-cmd", "/nonexistent/pytest -q"},
                              "--verify-cmd: /nonexistent/pytest: not an executable file"}),
    [](const ::testing::TestParamInfo<BadFlag>& i) { return std::string(i.param.name); });

TEST_F(PackSecurity, ABranchNamedSmartspecIsExit2BeforeAnythingIsWritten) {
  git(repo, {"branch", "smartspec"});
  snap();
  write(pack / "missing_code.md",
        "# Missing Code\n\n" + code_task("TSK-SEC-051", "Fine", "docs/fine.py"));
  auto r = run_pack();
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(
      r.err,
      "smartspec-batch: error: branch smartspec exists and blocks refs/heads/smartspec/hostile "
      "(git cannot hold both); rename or delete it (git branch -m / git update-ref -d)\n");
  EXPECT_EQ(git(repo, {"for-each-ref", "refs/smartspec", "refs/notes"}), "");
  EXPECT_FALSE(fs::exists(fs::path(repo) / ".spec"));
  expect_contained(r);
}

// ------------------------------------------------------------ item 8 (f)

// Disk full after the run first wrote its state: exit 3 (resumable), never
// exit 2 ("nothing changed"); with space again, --resume finishes the run.
// A real ENOSPC: the repository lives on a small tmpfs (mounting needs root,
// which CI is).
TEST_F(PackSecurity, DiskFullAfterTheStateMovedIsExit3AndResumable) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root (CI runs as root)";
  const fs::path mnt = dir.path() / "small";
  fs::create_directories(mnt);
  auto m = sh("mount -t tmpfs -o size=1200k tmpfs '" + mnt.string() + "'");
  if (m.exit_code != 0) GTEST_SKIP() << "tmpfs mount refused here: " << m.err;
  struct Unmount {
    fs::path p;
    ~Unmount() { sh("umount -l '" + p.string() + "'"); }
  } unmount{mnt};
  repo = make_inventory_repo(dir, "small/repo");
  snap();
  // About 2.6 MB of pseudo-random hex (about 1.4 MB compressed): its blob
  // cannot be stored.
  std::string body;
  std::uint64_t x = 12345;
  char hex[17];
  for (int i = 0; i < 80000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(x));
    body += "X" + std::to_string(i) + " = '" + hex + "'\n";
  }
  write(pack / "missing_code.md",
        "# Missing Code\n\n" + code_task("TSK-SEC-052", "Big", "docs/big.py", body));
  auto r = run_pack();
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("resume with: "), std::string::npos) << r.out;
  EXPECT_NE(git(repo, {"for-each-ref", "refs/smartspec/runs"}), "");
  EXPECT_EQ(user_state(repo), user_before);
  ASSERT_EQ(sh("mount -o remount,size=16m '" + mnt.string() + "'").exit_code, 0);
  auto resumed = run_pack({"--resume"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(git(repo, {"show", "smartspec/hostile:docs/big.py"}) + "\n", body);
  expect_contained(resumed);
}

}  // namespace
}  // namespace smartspec::test::robust
