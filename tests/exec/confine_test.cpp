#include "smartspec/exec/confine.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "support/test_support.hpp"

namespace smartspec::exec {
namespace {

std::string refusal(const std::string& root, const std::string& rel) {
  auto r = confine(root, rel);
  if (r) return "accepted: " + r->rel;
  EXPECT_TRUE(r.error().file.empty());
  return r.error().to_string();
}

TEST(Confine, NormalizesAndJoins) {
  test::TempDir dir;
  auto r = confine(dir.str(), "./a//b/./c.py");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, (ConfinedPath{dir.str() + "/a/b/c.py", "a/b/c.py"}));
  auto plain = confine(dir.str(), "src/x.py");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->rel, "src/x.py");
}

TEST(Confine, RefusesEachAttack) {
  test::TempDir dir;
  const std::string root = dir.str();
  EXPECT_EQ(refusal(root, ""), "empty path refused");
  EXPECT_EQ(refusal(root, "/etc/passwd"), "/etc/passwd: absolute path refused");
  EXPECT_EQ(refusal(root, "../../x"), "../../x: '..' in path refused");
  EXPECT_EQ(refusal(root, "a/../../x"), "a/../../x: '..' in path refused");
  EXPECT_EQ(refusal(root, ".git/hooks/post-checkout"),
            ".git/hooks/post-checkout: path inside .git refused");
  EXPECT_EQ(refusal(root, ".GIT/config"), ".GIT/config: path inside .git refused");
  EXPECT_EQ(refusal(root, "sub/.Git/x"), "sub/.Git/x: path inside .git refused");
  EXPECT_EQ(refusal(root, std::string("a\0b", 3)), "a\\0b: NUL byte in path refused");
  EXPECT_EQ(refusal(root, "a\\..\\x"), "a\\..\\x: backslash in path refused");
  EXPECT_EQ(refusal(root, "./"), "./: path names the worktree itself");
}

TEST(Confine, RefusesSymlinksInsideTheRoot) {
  test::TempDir dir;
  test::TempDir outside;
  const std::string root = dir.str();
  ASSERT_EQ(::symlink(outside.str().c_str(), (root + "/out").c_str()), 0);
  ASSERT_EQ(::symlink("target.py", (root + "/link.py").c_str()), 0);
  test::write(dir.path() / "real/ok.py", "x\n");
  EXPECT_EQ(refusal(root, "out/evil.py"),
            "out/evil.py: path through a symbolic link refused (out)");
  EXPECT_EQ(refusal(root, "out"), "out: path through a symbolic link refused (out)");
  EXPECT_EQ(refusal(root, "link.py"), "link.py: path through a symbolic link refused (link.py)");
  EXPECT_EQ(refusal(root, "real/ok.py"), "accepted: real/ok.py");
  EXPECT_EQ(refusal(root, "real/new/deeper.py"), "accepted: real/new/deeper.py");
}

}  // namespace
}  // namespace smartspec::exec
