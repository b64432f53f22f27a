// `plan --json` and `plan` on the real fixture packs, against golden files.
// Refresh after an intended change:
//   SMARTSPEC_UPDATE_GOLDEN=1 ./build/tests/e2e_tests --gtest_filter='PlanGolden*'
#include <gtest/gtest.h>

#include <cstdlib>

#include "support/test_support.hpp"

namespace smartspec::test {
namespace {

void expect_golden(const std::string& name, const std::string& actual) {
  fs::path path = source_dir() / "tests" / "e2e" / "golden" / name;
  if (const char* u = std::getenv("SMARTSPEC_UPDATE_GOLDEN"); u && *u) {
    write(path, actual);
    return;
  }
  ASSERT_TRUE(fs::exists(path)) << path << " is missing; run with SMARTSPEC_UPDATE_GOLDEN=1";
  EXPECT_EQ(actual, read(path)) << "golden file " << path;
}

struct PlanGolden : ::testing::TestWithParam<const char*> {};

TEST_P(PlanGolden, MatchesGoldenFiles) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string pack = (fixtures() / "inventory" / "packs" / GetParam()).string();
  auto json = run_tool({"plan", "--json", "--prompts-dir", pack, "--tasks", "tasks.md"}, repo);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  expect_golden(std::string("plan_") + GetParam() + ".json", json.out);
  auto text = run_tool({"plan", "--prompts-dir", pack, "--tasks", "tasks.md"}, repo);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  expect_golden(std::string("plan_") + GetParam() + ".txt", text.out);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PlanGolden,
                         ::testing::Values("20251226_083000-legacy-shape",
                                           "20261124_073159-as-generated",
                                           "20261124_073208-fields-aligned"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace smartspec::test
