// End to end against the reference: the Python verifier's output for the
// inventory fixture project (tests/data/inventory/).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "smartspec/tasks/tasks.hpp"
#include "smartspec/verify/verify.hpp"
#include "support/test_support.hpp"

namespace smartspec {
namespace {

namespace fs = std::filesystem;

struct Inventory {
  test::TempDir dir;
  std::string repo = test::make_inventory_repo(dir);
  TasksDoc doc = *tasks::load(repo + "/tasks.md");
};

TEST(VerifyInventory, SameVerifiedFlagsAndCategoriesAsThePythonTool) {
  Inventory inv;
  verify::DirSource src(inv.repo);
  verify::Summary s = verify::verify(inv.doc, src);

  std::string ref = test::read(test::fixtures() / "inventory" / "verify-python-summary.json");
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(ref);
  simdjson::dom::array tasks = root["tasks"];
  ASSERT_EQ(s.tasks.size(), tasks.size());
  std::size_t i = 0;
  for (simdjson::dom::element t : tasks) {
    const verify::TaskResult& mine = s.tasks[i++];
    SCOPED_TRACE(mine.id);
    EXPECT_EQ(mine.id, std::string(std::string_view(t["task_id"])));
    EXPECT_EQ(mine.title, std::string(std::string_view(t["title"])));
    EXPECT_EQ(mine.checked, bool(t["checked"]));
    EXPECT_EQ(mine.verified, bool(t["verified"]));
    EXPECT_EQ(mine.category, std::string(std::string_view(t["category"])));
    EXPECT_EQ(mine.code_evidence_count, int64_t(t["code_evidence_count"]));
    EXPECT_EQ(mine.test_evidence_count, int64_t(t["test_evidence_count"]));
    std::vector<std::string> sugg;
    for (simdjson::dom::element line : simdjson::dom::array(t["suggestions"])) {
      sugg.emplace_back(std::string_view(line));
    }
    EXPECT_EQ(mine.suggestions, sugg);
  }
  simdjson::dom::object totals = root["totals"];
  EXPECT_EQ(s.totals.tasks, int64_t(totals["tasks"]));
  EXPECT_EQ(s.totals.verified, int64_t(totals["verified"]));
  EXPECT_EQ(s.totals.not_verified, int64_t(totals["not_verified"]));
  EXPECT_EQ(s.totals.marked_done_but_failed, int64_t(totals["marked_done_but_failed"]));
  std::vector<std::pair<std::string, int>> by_category;
  for (auto field : simdjson::dom::object(root["by_category"])) {
    by_category.emplace_back(std::string(field.key), int(int64_t(field.value)));
  }
  EXPECT_EQ(s.by_category, by_category);
  std::vector<std::pair<std::string, int>> missing;
  for (simdjson::dom::element m : simdjson::dom::array(root["most_common_missing_files"])) {
    missing.emplace_back(std::string_view(m["file"]), int(int64_t(m["count"])));
  }
  EXPECT_EQ(s.most_common_missing_files, missing);
}

TEST(VerifyInventory, PrompterFieldsMatchTheAlignedInput) {
  Inventory inv;
  verify::DirSource src(inv.repo);
  verify::Summary s = verify::verify(inv.doc, src);
  std::string ref =
      test::read(test::fixtures() / "inventory" / "prompter-input-fields-aligned.json");
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(ref);
  EXPECT_EQ(s.totals.tasks, int64_t(root["totals"]["total_tasks"]));
  auto opt = [](simdjson::dom::element e) -> std::optional<std::string> {
    if (e.is_null()) return std::nullopt;
    return std::string(std::string_view(e));
  };
  int seen = 0;
  for (simdjson::dom::element t : simdjson::dom::array(root["tasks"])) {
    const verify::TaskResult* mine = s.find(std::string_view(t["task_id"]));
    ASSERT_NE(mine, nullptr);
    SCOPED_TRACE(mine->id);
    ++seen;
    EXPECT_EQ(mine->category, std::string(std::string_view(t["category"])));
    EXPECT_EQ(mine->priority, int64_t(t["priority"]));
    EXPECT_EQ(mine->checkbox_state, std::string(std::string_view(t["checkbox_state"])));
    EXPECT_EQ(mine->code_path, opt(t["code_path"]));
    EXPECT_EQ(mine->test_path, opt(t["test_path"]));
    EXPECT_EQ(mine->code_symbol, opt(t["code_symbol"]));
    EXPECT_EQ(mine->test_symbol, opt(t["test_symbol"]));
    EXPECT_EQ(mine->code_contains, opt(t["code_contains"]));
    EXPECT_EQ(mine->test_contains, opt(t["test_contains"]));
  }
  EXPECT_EQ(seen, s.totals.not_verified);
  // The similar files the prompter receives (the aligned input had none to give).
  const verify::TaskResult* t2 = s.find("TSK-INV-002");
  ASSERT_NE(t2, nullptr);
  ASSERT_EQ(t2->similar_files.size(), 2u);
  EXPECT_EQ(t2->similar_files[0].path, "src/inventory/pricing.py");
  EXPECT_DOUBLE_EQ(t2->similar_files[0].ratio, 2.0 * 10 / 26);
  EXPECT_EQ(t2->similar_files[1].path, "tests/test_reports.py");
}

TEST(VerifyInventory, ReportIsThePythonReportButForTheRunHeader) {
  Inventory inv;
  verify::DirSource src(inv.repo);
  verify::Summary s = verify::verify(inv.doc, src);
  verify::RunInfo info;
  info.run_id = "20261124_073153";
  info.generated_at = "2026-11-24T07:31:53";  // tests/data/regen freezes the clock
  info.tasks_path = "tasks.md";
  EXPECT_EQ(verify::to_markdown(s, info),
            test::read(test::fixtures() / "inventory" / "verify-python-report.md"));
}

}  // namespace
}  // namespace smartspec
