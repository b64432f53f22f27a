// exec::sandboxed_argv: the exact bubblewrap command line of --agent-sandbox.
#include "smartspec/exec/sandbox.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_support.hpp"

namespace smartspec::exec {
namespace {

namespace fs = std::filesystem;

TEST(Sandbox, ReadOnlyRootPrivateTmpReadableThenWritableBindsAndTheProgramResolved) {
  test::TempDir dir;
  const std::string ro = dir.str() + "/repo", rw = dir.str() + "/scratch";
  fs::create_directories(ro);
  fs::create_directories(rw);
  test::write(dir.path() / "bin" / "agent", "#!/bin/sh\n");
  fs::permissions(dir.path() / "bin" / "agent", fs::perms::owner_all);
  const std::string agent = dir.str() + "/bin/agent";
  auto argv = sandboxed_argv("/usr/bin/bwrap", {agent, "-p", "{x}"}, rw,
                             {{rw}, {ro, dir.str() + "/missing", "relative"}});
  ASSERT_TRUE(argv) << argv.error().to_string();
  EXPECT_EQ(*argv, (std::vector<std::string>{"/usr/bin/bwrap",
                                             "--die-with-parent",
                                             "--new-session",
                                             "--unshare-pid",
                                             "--ro-bind",
                                             "/",
                                             "/",
                                             "--dev",
                                             "/dev",
                                             "--proc",
                                             "/proc",
                                             "--tmpfs",
                                             "/tmp",
                                             "--ro-bind",
                                             ro,
                                             ro,
                                             "--ro-bind",
                                             agent,
                                             agent,
                                             "--bind",
                                             rw,
                                             rw,
                                             "--chdir",
                                             rw,
                                             "--",
                                             agent,
                                             "-p",
                                             "{x}"}));
  // A program that is not found is left to bwrap (which says so); empty argv is an error.
  auto missing = sandboxed_argv("/usr/bin/bwrap", {"no-such-agent-xyz"}, rw, {{rw}, {}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->back(), "no-such-agent-xyz");
  EXPECT_FALSE(sandboxed_argv("/usr/bin/bwrap", {}, rw, {}));
}

}  // namespace
}  // namespace smartspec::exec
