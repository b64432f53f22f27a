#include "smartspec/plan/plan.hpp"

#include <gtest/gtest.h>

#include <set>

namespace smartspec::plan {
namespace {

Fence content_fence(std::string body, std::string lang = "python",
                    std::string heading = "Implementation Template") {
  Fence f;
  f.info = lang;
  f.lang = lang;
  f.body = std::move(body);
  f.heading = std::move(heading);
  f.content = true;
  return f;
}

PackTask pack_task(std::string id, Unit cat, std::vector<PackFile> files, std::string source,
                   int line) {
  PackTask t;
  t.id = std::move(id);
  t.title = "Title of " + t.id;
  t.category = cat;
  t.files = std::move(files);
  t.source = std::move(source);
  t.line = line;
  return t;
}

PackFile pack_file(std::string path, FileRole role, std::vector<Fence> fences = {}) {
  PackFile f;
  f.path = std::move(path);
  f.role = role;
  f.fences = std::move(fences);
  return f;
}

TaskLine task_line(std::string id, bool checked, std::vector<Evidence> ev = {}) {
  TaskLine t;
  t.id = std::move(id);
  t.title = "tasks.md title of " + t.id;
  t.checked = checked;
  t.evidence = std::move(ev);
  return t;
}

Evidence evidence(std::string type, std::string path) {
  Evidence e;
  e.type = std::move(type);
  e.fields = {{"path", std::move(path)}};
  return e;
}

ExistsFn exists_in(std::set<std::string> files) {
  return [files = std::move(files)](const std::string& p) { return files.count(p) > 0; };
}

struct PlanFixture : ::testing::Test {
  Pack pack;
  TasksDoc tasks;
  void SetUp() override {
    pack.run_id = "20250101_000000";
    tasks.path = "tasks.md";
    pack.tasks = {
        pack_task("T-NAME", Unit::kNamingIssue, {pack_file("src/new_name.py", FileRole::kCode)},
                  "naming_issue.md", 5),
        pack_task(
            "T-SYM", Unit::kSymbolIssue,
            {pack_file("src/a.py", FileRole::kCode, {content_fence("class Foo:\n    x = 1\n")})},
            "symbol_issue.md", 7),
        pack_task(
            "T-NEW", Unit::kNotImplemented,
            {pack_file("src/b.py", FileRole::kCode, {content_fence("def b():\n    return 2\n")}),
             pack_file("tests/test_b.py", FileRole::kTest,
                       {content_fence("def test_b():\n    assert b() == 2\n", "python",
                                      "Test Template")})},
            "not_implemented.md", 3),
        pack_task("T-DONE", Unit::kMissingCode,
                  {pack_file("src/c.py", FileRole::kCode, {content_fence("X = 1\n")})},
                  "missing_code.md", 9),
        pack_task("T-EMPTY", Unit::kNotImplemented, {}, "not_implemented.md", 30),
    };
    pack.tasks[0].similar_files = {"old_name.py"};
    tasks.tasks = {task_line("T-NAME", false), task_line("T-SYM", false), task_line("T-NEW", false),
                   task_line("T-DONE", true),
                   task_line("T-EMPTY", false,
                             {evidence("code", "src/e.py"), evidence("test", "tests/test_e.py")})};
  }
};

TEST_F(PlanFixture, OrdersUnitsByPriorityCriticalFirst) {
  auto plan = make_plan(pack, tasks, {}, exists_in({"src/old_name.py", "src/a.py"}));
  ASSERT_TRUE(plan) << plan.error().to_string();
  std::vector<std::string> order;
  for (const auto& u : plan->units) order.emplace_back(unit_name(u.unit));
  EXPECT_EQ(order, (std::vector<std::string>{"critical", "not_implemented", "symbol_issue",
                                             "naming_issue"}));
  EXPECT_EQ(plan->units[0].tasks[0].id, "T-DONE");
  EXPECT_EQ(plan->units[0].tasks[0].category, Unit::kMissingCode);
  EXPECT_EQ(plan->units[0].priority, 1);
  // Tasks within a unit keep the pack's order.
  EXPECT_EQ(plan->units[1].tasks[0].id, "T-NEW");
  EXPECT_EQ(plan->units[1].tasks[1].id, "T-EMPTY");
  EXPECT_EQ(plan->task_count(), 5u);
}

TEST_F(PlanFixture, ActionsPerCategory) {
  auto plan = make_plan(pack, tasks, {}, exists_in({"src/old_name.py", "src/a.py"}));
  ASSERT_TRUE(plan);
  const auto& created = plan->units[1].tasks[0];
  ASSERT_EQ(created.files.size(), 2u);
  EXPECT_EQ(created.files[0].action, Action::kCreate);
  EXPECT_EQ(created.files[0].content, "def b():\n    return 2\n");
  EXPECT_TRUE(created.files[0].has_content);
  EXPECT_EQ(created.files[1].action, Action::kCreate);
  EXPECT_EQ(created.files[1].role, FileRole::kTest);
  const auto& sym = plan->units[2].tasks[0];
  EXPECT_EQ(sym.files[0].action, Action::kModify);
  const auto& naming = plan->units[3].tasks[0];
  EXPECT_EQ(naming.files[0].action, Action::kRename);
  EXPECT_EQ(naming.files[0].from, "src/old_name.py");
  EXPECT_FALSE(naming.needs_agent);
}

TEST_F(PlanFixture, PathsFromTasksMdWhenThePackNamesNone) {
  auto plan = make_plan(pack, tasks, {}, exists_in({}));
  ASSERT_TRUE(plan);
  const auto& t = plan->units[1].tasks[1];
  ASSERT_EQ(t.id, "T-EMPTY");
  ASSERT_EQ(t.files.size(), 2u);
  EXPECT_EQ(t.files[0].path, "src/e.py");
  EXPECT_EQ(t.files[0].source, PathSource::kTasks);
  EXPECT_EQ(t.files[1].role, FileRole::kTest);
  EXPECT_EQ(t.files[0].action, Action::kNone);
  EXPECT_TRUE(t.needs_agent);
  EXPECT_EQ(t.notes, (std::vector<std::string>{"needs an agent: the pack gives no content"}));
}

TEST_F(PlanFixture, NamingWithoutCandidateSaysSo) {
  auto plan = make_plan(pack, tasks, {}, exists_in({"src/a.py"}));
  ASSERT_TRUE(plan);
  const auto& naming = plan->units.back().tasks[0];
  EXPECT_EQ(naming.files[0].action, Action::kNone);
  EXPECT_EQ(naming.notes,
            (std::vector<std::string>{"no similar file named by the pack for src/new_name.py"}));
}

TEST_F(PlanFixture, FiltersTakeEitherSpelling) {
  auto plan = make_plan(pack, tasks, {{}, {"naming_issues", "critical"}}, exists_in({}));
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->units.size(), 2u);
  EXPECT_EQ(plan->units[0].unit, Unit::kNotImplemented);
  EXPECT_EQ(plan->units[1].unit, Unit::kSymbolIssue);
  auto only = make_plan(pack, tasks, {{"symbol_issues"}, {}}, exists_in({}));
  ASSERT_TRUE(only);
  ASSERT_EQ(only->units.size(), 1u);
  EXPECT_EQ(only->units[0].tasks[0].id, "T-SYM");
}

TEST_F(PlanFixture, UnknownCategoryListsValidNames) {
  auto plan = make_plan(pack, tasks, {{"bogus"}, {}}, exists_in({}));
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().to_string(),
            "unknown category 'bogus' (valid: critical, not_implemented, missing_tests, "
            "missing_code, symbol_issue, content_issue, naming_issue)");
}

TEST_F(PlanFixture, DuplicateRunsOnceAndUnknownTaskIsFlagged) {
  pack.tasks.push_back(pack_task("T-NEW", Unit::kMissingTests, {}, "missing_tests.md", 4));
  pack.tasks.push_back(pack_task("T-GHOST", Unit::kMissingTests, {}, "missing_tests.md", 12));
  auto plan = make_plan(pack, tasks, {}, exists_in({}));
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->task_count(), 6u);
  ASSERT_EQ(plan->warnings.size(), 2u);
  EXPECT_EQ(plan->warnings[0],
            (Diagnostic{"missing_tests.md", 4,
                        "T-NEW is listed again (first at not_implemented.md:3); it runs once, in "
                        "its first unit"}));
  EXPECT_EQ(plan->warnings[1], (Diagnostic{"missing_tests.md", 12, "T-GHOST is not in tasks.md"}));
  bool ghost_unknown = false;
  for (const auto& u : plan->units)
    for (const auto& t : u.tasks)
      if (t.id == "T-GHOST") ghost_unknown = !t.known;
  EXPECT_TRUE(ghost_unknown);
}

TEST_F(PlanFixture, SkeletonsAndEmptyFencesNeedAnAgent) {
  pack.tasks[2].files[0].fences = {content_fence("import pytest\n\n\n")};
  pack.tasks[2].files[1].fences = {
      content_fence("class B:\n    \"\"\"Doc.\"\"\"\n    def run(self):\n        # TODO: "
                    "implement\n        pass\n")};
  auto plan = make_plan(pack, tasks, {}, exists_in({}));
  ASSERT_TRUE(plan);
  const auto& t = plan->units[1].tasks[0];
  EXPECT_FALSE(t.files[0].has_content);
  EXPECT_FALSE(t.files[0].skeleton);
  EXPECT_TRUE(t.files[1].skeleton);
  EXPECT_TRUE(t.needs_agent);
  EXPECT_EQ(t.notes, (std::vector<std::string>{"needs an agent: the pack gives only a skeleton"}));
}

TEST(PlanText, RendersTotalsAndActions) {
  Pack pack;
  pack.run_id = "r1";
  pack.files = {{Unit::kNotImplemented, "not_implemented.md", "/x/not_implemented.md"}};
  PackTask t = pack_task(
      "A-1", Unit::kNotImplemented,
      {pack_file("a.sh", FileRole::kCode, {content_fence("echo hi\n", "sh", "Implementation")})},
      "not_implemented.md", 4);
  pack.tasks = {t};
  TasksDoc tasks;
  tasks.path = "tasks.md";
  tasks.tasks = {task_line("A-1", false)};
  auto plan = make_plan(pack, tasks, {}, exists_in({}));
  ASSERT_TRUE(plan);
  EXPECT_EQ(render_text(*plan, pack),
            "Plan for run r1 (1 category file)\n"
            "\n"
            "not_implemented (priority 2, 1 task)\n"
            "  [1/1] A-1: Title of A-1  (not_implemented.md:4)\n"
            "      create  a.sh  (code, path from pack)\n"
            "\n"
            "Total: 1 task across 1 unit\n"
            "Estimate: apply mode: 1 task to apply; agent mode: about 2 min\n");
}

}  // namespace
}  // namespace smartspec::plan
