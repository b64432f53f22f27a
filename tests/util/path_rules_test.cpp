// The one lexical path rule (issue 15 items 1 and 5): git's verify_path with
// core.protectHFS and core.protectNTFS on, plus no option-like component.
#include "smartspec/util/path_rules.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace smartspec::paths {
namespace {

TEST(PathRules, AcceptsOrdinaryPaths) {
  for (const char* p : {"src/a.py", "./a//b", "docs/.gitignore", ".gitmodules", ".gitattributes",
                        "a/.github/x.yml", ".gitx", "git", "git~", "git~0", "a-b/c-d.py",
                        "docs/config.md", "src/\xc3\xa9t\xc3\xa9.py", "x.git", "a/git~1x"}) {
    EXPECT_EQ(refusal(p), "") << p;
  }
}

TEST(PathRules, RefusesEscapesWithTheKnownMessages) {
  EXPECT_EQ(refusal(""), "empty path refused");
  EXPECT_EQ(refusal(std::string("a\0b", 3)), "NUL byte in path refused");
  EXPECT_EQ(refusal("/etc/passwd"), "absolute path refused");
  EXPECT_EQ(refusal("a\\b"), "backslash in path refused");
  EXPECT_EQ(refusal("../x"), "'..' in path refused");
  EXPECT_EQ(refusal("a/../../x"), "'..' in path refused");
  EXPECT_EQ(refusal(".git/hooks/x"), "path inside .git refused");
  EXPECT_EQ(refusal("a/.GIT/config"), "path inside .git refused");
  EXPECT_EQ(refusal("./"), "path names the worktree itself");
  EXPECT_EQ(refusal("a\nb.py"), "control character in path refused");
  EXPECT_EQ(refusal("a\x1b[31mb.py"), "control character in path refused");
}

TEST(PathRules, RefusesOptionLikeComponents) {
  EXPECT_EQ(refusal("--require=./evil.js"),
            "path component starting with '-' refused: --require=.");
  EXPECT_EQ(refusal("src/-Mevil.pl"), "path component starting with '-' refused: -Mevil.pl");
  EXPECT_EQ(refusal("./-x"), "path component starting with '-' refused: -x");
}

TEST(PathRules, RefusesDotGitLookAlikes) {
  EXPECT_EQ(refusal(".git\xe2\x80\x8c/hooks/x"),
            ".git look-alike refused: .git\\u{200c} (HFS+ ignores its invisible characters)");
  EXPECT_EQ(
      refusal(".g\xe2\x80\xaei\xef\xbb\xbft/x"),
      ".git look-alike refused: .g\\u{202e}i\\u{feff}t (HFS+ ignores its invisible characters)");
  EXPECT_EQ(refusal(".GI\xe2\x80\x8dT/x"),
            ".git look-alike refused: .GI\\u{200d}T (HFS+ ignores its invisible characters)");
  EXPECT_EQ(refusal("GIT~1/hooks/x"),
            ".git look-alike refused: GIT~1 (an NTFS 8.3 short name of .git)");
  EXPECT_EQ(refusal("a/git~1/x"),
            ".git look-alike refused: git~1 (an NTFS 8.3 short name of .git)");
  EXPECT_EQ(refusal("git~2/x"), ".git look-alike refused: git~2 (an NTFS 8.3 short name of .git)");
  EXPECT_EQ(refusal("GIT~1./x"),
            ".git look-alike refused: GIT~1. (an NTFS 8.3 short name of .git)");
  EXPECT_EQ(refusal(".git./x"),
            ".git look-alike refused: .git. (NTFS drops trailing dots and spaces)");
  EXPECT_EQ(refusal(".git /x"),
            ".git look-alike refused: .git  (NTFS drops trailing dots and spaces)");
  EXPECT_EQ(refusal(".Git . ./x"),
            ".git look-alike refused: .Git . . (NTFS drops trailing dots and spaces)");
  EXPECT_EQ(refusal(".git::$INDEX_ALLOCATION/x"),
            ".git look-alike refused: .git::$INDEX_ALLOCATION (an NTFS stream of .git)");
  EXPECT_EQ(refusal(".git:x"), ".git look-alike refused: .git:x (an NTFS stream of .git)");
}

TEST(PathRules, RefusesDotGitmodulesLookAlikes) {
  EXPECT_EQ(refusal(".gitmodules."),
            ".gitmodules look-alike refused: .gitmodules. (NTFS drops trailing dots and spaces)");
  EXPECT_EQ(
      refusal(".GITMODULES"),
      ".gitmodules look-alike refused: .GITMODULES (a case-insensitive filesystem reads it as "
      ".gitmodules)");
  EXPECT_EQ(refusal(".git\xe2\x80\x8cmodules"),
            ".gitmodules look-alike refused: .git\\u{200c}modules (HFS+ ignores its invisible "
            "characters)");
  EXPECT_EQ(refusal("GITMOD~1"),
            ".gitmodules look-alike refused: GITMOD~1 (an NTFS 8.3 short name of .gitmodules)");
  EXPECT_EQ(refusal("gi7eba~12"),
            ".gitmodules look-alike refused: gi7eba~12 (an NTFS 8.3 short name of .gitmodules)");
  EXPECT_EQ(refusal(".gitmodules/x"),
            ".gitmodules look-alike refused: .gitmodules (a directory git's fsck would read as the "
            "submodule configuration)");
  EXPECT_EQ(refusal("gitmod~5"), "");  // git's rule: ~1 to ~4 for the plain short name
}

TEST(PathRules, PrintableEscapesWhatATerminalWouldObey) {
  EXPECT_EQ(printable("plain/ascii-é.py"), "plain/ascii-é.py");
  EXPECT_EQ(printable("a\x1b]0;owned\x07z"), "a\\x1b]0;owned\\x07z");
  EXPECT_EQ(printable(std::string("n\0\n\r\t\x7f", 6)), "n\\0\\n\\r\\t\\x7f");
  EXPECT_EQ(printable("\xc2\x9b"
                      "31m"),
            "\\u{009b}31m");  // C1 CSI
  EXPECT_EQ(printable("ab\xe2\x80\xae"
                      "cd"),
            "ab\\u{202e}cd");
  EXPECT_EQ(printable("bad\xff"), "bad\\xff");
}

// Cross-check with git itself: every .git look-alike git's verify_path knows
// is refused by `git update-index` with core.protectHFS/protectNTFS on, and
// by the rule above. (':' streams and git~2 are refused only by the rule, as
// libgit2 does; git checks them only on Windows.)
TEST(PathRules, AgreesWithGitsOwnCheck) {
  test::TempDir dir;
  std::string repo = test::make_repo(dir, {{"a.txt", "a\n"}});
  std::string blob = test::git(repo, {"rev-parse", "HEAD:a.txt"});
  auto git_accepts = [&](const std::string& path) {
    auto r = test::run({"git", "-c", "core.protectHFS=true", "-c", "core.protectNTFS=true",
                        "update-index", "--add", "--cacheinfo", "100644," + blob + "," + path},
                       repo);
    return r.exit_code == 0;
  };
  for (const std::string p :
       {".git\xe2\x80\x8c/hooks/x", ".GIT\xef\xbb\xbf/x", "GIT~1/hooks/x", ".git./x", ".git /x",
        ".git . /x", "git~1/config", ".git/x", ".Git/x", "a/.git/x"}) {
    EXPECT_FALSE(git_accepts(p)) << p;
    EXPECT_NE(refusal(p), "") << p;
  }
  for (const std::string p : {"src/a.py", ".gitmodules", "docs/x.md", "a/.github/y"}) {
    EXPECT_TRUE(git_accepts(p)) << p;
    EXPECT_EQ(refusal(p), "") << p;
  }
}

}  // namespace
}  // namespace smartspec::paths
