// Adversarial packs (issue 15, the pack-side items 1, 5, 6, 8): a prompt pack
// is untrusted input. Each test runs the real binary with the real tools
// (node, perl, git) on a pack written to attack, and asserts that nothing
// escaped: a sentinel directory outside the repository keeps its checksums,
// the user's repository state is unchanged, `git fsck --strict` is clean,
// no marker file a hostile checker argument would create exists, and the
// refusal reads exactly as documented.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

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
  write(pack / "missing_code.md",
        "# Missing Code\n\n" +
            code_task("TSK-SEC-001", "Evil module", "evil.js",
                      "require('fs').writeFileSync(process.env.SMARTSPEC_TEST_MARK, 'x');\nconsole.log('loaded');\n",
                      "javascript") +
            code_task("TSK-SEC-002", "Option path", "--require=./evil.js", "var a = 1;\n",
                      "javascript"));
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
  EXPECT_NE(plan.out.find("refused " + path + "  (path component starting with '-' refused: " +
                          path + ")"),
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

}  // namespace
}  // namespace smartspec::test::robust
