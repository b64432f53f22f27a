// SmartSpec's real prompter fed our own `verify --out` (tests/data/prompter-native,
// made by its `regen`): the summary.json it read is still what `verify` writes,
// and the pack it wrote is one `plan` reads. Before verified tasks lost their
// "priority": null, the prompter crashed on both inputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "support/test_support.hpp"

namespace smartspec {
namespace {

namespace fs = std::filesystem;

// The JSON without the lines that name the run, the clock or the checkout.
std::string stable(const std::string& json) {
  std::istringstream in(json);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"run_id\"") != std::string::npos ||
        line.find("\"generated_at\"") != std::string::npos ||
        line.find("\"repo_root\"") != std::string::npos) {
      continue;
    }
    out += line + "\n";
  }
  return out;
}

std::string all_verified_repo(const test::TempDir& dir) {
  fs::path data = test::fixtures() / "prompter-native" / "all-verified";
  return test::make_repo(dir,
                         {{"tasks.md", test::read(data / "tasks.md")},
                          {"src/greet.py", test::read(data / "repo/src/greet.py")},
                          {"tests/test_greet.py", test::read(data / "repo/tests/test_greet.py")}});
}

void check(const std::string& name, const std::string& repo, int verify_exit, bool plan) {
  SCOPED_TRACE(name);
  fs::path data = test::fixtures() / "prompter-native" / name;
  auto v = test::run_tool({"verify", "tasks.md", "--json"}, repo);
  EXPECT_EQ(v.exit_code, verify_exit) << v.err;
  EXPECT_EQ(stable(v.out), stable(test::read(data / "summary.json")));
  EXPECT_TRUE(fs::is_regular_file(data / "pack" / "README.md"));
  EXPECT_TRUE(fs::is_regular_file(data / "pack" / "meta" / "summary.json"));
  if (!plan) return;
  auto p = test::run_tool(
      {"plan", "--prompts-dir", (data / "pack").string(), "--tasks", "tasks.md"}, repo);
  EXPECT_EQ(p.exit_code, 0) << p.out << p.err;
}

TEST(PrompterOnNativeVerify, MixedInventory) {
  test::TempDir dir;
  check("inventory", test::make_inventory_repo(dir), 1, true);
}

TEST(PrompterOnNativeVerify, AllVerified) {
  test::TempDir dir;
  // Nothing to fix: the prompter writes only README.md and meta/ (and warns
  // that it has no "verified" template), a pack without a category file.
  check("all-verified", all_verified_repo(dir), 0, false);
}

}  // namespace
}  // namespace smartspec
