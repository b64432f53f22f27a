// Issue 19, defect 9 (reports): two runs in the same second keep both report
// files; the JSON output is valid UTF-8 whatever a command printed.
#include <gtest/gtest.h>

#include "smartspec/util/text.hpp"
#include "support/test_support.hpp"

namespace smartspec::test {
namespace {

const char* kTask =
    "# Missing Code\n\n## Task 1: TSK-INV-005 - Stock report\n\n**Path:** "
    "`src/inventory/reports.py`\n\n"
    "**Implementation Template:**\n```python\nclass StockReport:\n    size = 0\n```\n";

TEST(ReportFiles, TwoRunsInTheSameSecondKeepBothReports) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  fs::path pack = dir.path() / "packs" / "20260303_000000";
  write(pack / "missing_code.md", kTask);
  std::map<std::string, std::string> same_second{{"SMARTSPEC_FAKE_TIME", "1767225600"}};
  auto a =
      run_tool({"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md", "--run-id", "one"},
               repo, same_second);
  auto b =
      run_tool({"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md", "--run-id", "two"},
               repo, same_second);
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(fs::path(repo) / ".spec" / "reports"))
    files.push_back(e.path().filename().string());
  EXPECT_EQ(files.size(), 4u);
  std::string all;
  for (const auto& f : files) all += read(fs::path(repo) / ".spec" / "reports" / f);
  EXPECT_NE(all.find("\"run_id\": \"one\""), std::string::npos);
  EXPECT_NE(all.find("\"run_id\": \"two\""), std::string::npos);
}

TEST(ReportFiles, JsonIsValidUtf8WhenACommandPrintsLatin1) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  fs::path pack = dir.path() / "packs" / "20260303_000000";
  write(pack / "missing_code.md", kTask);
  auto r = run_tool({"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md", "--json",
                     "--verify-cmd", "printf 'caf\\351\\n'"},
                    repo);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(text::invalid_utf8_offset(r.out), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("caf\xEF\xBF\xBD"), std::string::npos) << r.out;
  auto shown = run_tool({"show", "20260303_000000", "--json"}, repo);
  EXPECT_EQ(text::invalid_utf8_offset(shown.out), std::string::npos);
}

}  // namespace
}  // namespace smartspec::test
