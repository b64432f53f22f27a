// load(): pack directories on disk, meta/summary.json, and the real fixture packs.
#include "smartspec/pack/pack.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "describe.hpp"
#include "support/test_support.hpp"

namespace smartspec::pack {
namespace {

namespace fs = std::filesystem;
using smartspec::test::TempDir;
using smartspec::test::write;
using test::describe;

std::string packs() { return (smartspec::test::fixtures() / "inventory/packs").string(); }

std::string load_err(const std::string& dir) {
  auto r = load(dir);
  return r ? "no error" : r.error().to_string();
}

std::vector<std::string> ids(const Pack& p) {
  std::vector<std::string> out;
  for (const PackTask& t : p.tasks) out.push_back(t.id);
  return out;
}

std::vector<std::string> warnings(const Pack& p) {
  std::vector<std::string> out;
  for (const Diagnostic& d : p.warnings) out.push_back(d.file + ": " + d.message);
  return out;
}

std::string task(const std::string& id) { return "## Task 1: " + id + " - Title of " + id + "\n"; }

// ---------------------------------------------------------------- errors

TEST(PackLoad, MissingDirectory) {
  TempDir tmp;
  std::string dir = tmp.str() + "/nope";
  EXPECT_EQ(load_err(dir), dir + ": prompts directory not found");
}

TEST(PackLoad, NotADirectory) {
  TempDir tmp;
  write(tmp.path() / "file.md", "x");
  EXPECT_EQ(load_err(tmp.str() + "/file.md"), tmp.str() + "/file.md: not a directory");
}

TEST(PackLoad, NoCategoryFile) {
  TempDir tmp;
  write(tmp.path() / "README.md", "# readme\n");
  write(tmp.path() / "verified.md", task("A"));
  write(tmp.path() / "critical.md", task("B"));
  EXPECT_EQ(load_err(tmp.str()),
            tmp.str() +
                ": no category file (expected one of not_implemented.md, missing_tests.md, "
                "missing_code.md, symbol_issue(s).md, content_issue(s).md, naming_issue(s).md)");
}

// SmartSpec's prompter, when every task verified, writes only README.md and
// meta/summary.json (bytes below as generate_prompts_from_verify_report.py
// @61cef53 wrote them): a pack with nothing to do, not a wrong directory.
TEST(PackLoad, ThePrompterspackForAFullyVerifiedProjectHasNoTasks) {
  TempDir tmp;
  write(tmp.path() / "README.md",
        "# Implementation Prompts - Verification Issues\n\n## Summary\n\n"
        "**Total Tasks:** 0  \n**Verified:** 1  \n**Not Verified:** 0\n");
  write(tmp.path() / "meta/summary.json",
        "{\n  \"generated_at\": \"2026-12-02 01:27:09\",\n  \"source_report\": \"r.json\",\n"
        "  \"tasks_file\": \"tasks.md\",\n  \"total_tasks\": 0,\n  \"verified\": 1,\n"
        "  \"not_verified\": 0,\n  \"by_category\": {\n    \"verified\": 1\n  },\n"
        "  \"generated_files\": {\n    \"README\": \"README.md\"\n  }\n}");
  auto p = load(tmp.str());
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_TRUE(p->tasks.empty());
  EXPECT_TRUE(p->files.empty());
  EXPECT_TRUE(warnings(*p).empty()) << warnings(*p)[0];

  // A summary that counts tasks to do, with no category file: files are missing.
  TempDir lost;
  write(lost.path() / "meta/summary.json",
        "{\"total_tasks\": 2, \"not_verified\": 2, \"by_category\": {\"missing_code\": 2}}");
  EXPECT_EQ(load_err(lost.str()),
            lost.str() +
                ": no category file (expected one of not_implemented.md, missing_tests.md, "
                "missing_code.md, symbol_issue(s).md, content_issue(s).md, naming_issue(s).md)");
}

TEST(PackLoad, CategoryFileThatIsADirectoryOrAFifo) {
  TempDir tmp;
  fs::create_directories(tmp.path() / "missing_code.md");
  EXPECT_EQ(load_err(tmp.str()), tmp.str() + "/missing_code.md: is a directory, not a file");

  TempDir tmp2;
  std::string fifo = tmp2.str() + "/naming_issues.md";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Must return at once (read_file opens non-blocking), not hang on the FIFO.
  EXPECT_EQ(load_err(tmp2.str()), fifo + ": not a regular file");
}

TEST(PackLoad, UnreadableCategoryFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  TempDir tmp;
  write(tmp.path() / "missing_code.md", task("A"));
  fs::permissions(tmp.path() / "missing_code.md", fs::perms::none);
  EXPECT_EQ(load_err(tmp.str()), tmp.str() + "/missing_code.md: cannot read: Permission denied");
}

TEST(PackLoad, DanglingCategorySymlink) {
  TempDir tmp;
  fs::create_symlink("gone.md", tmp.path() / "missing_code.md");
  EXPECT_EQ(load_err(tmp.str()), tmp.str() + "/missing_code.md: no such file");
}

TEST(PackLoad, ParseErrorsNameTheFullPathAndLine) {
  TempDir tmp;
  write(tmp.path() / "not_implemented.md", task("A") + "```python\nx\n");
  EXPECT_EQ(load_err(tmp.str()), tmp.str() + "/not_implemented.md:2: unterminated code fence");
  write(tmp.path() / "not_implemented.md", task("A") + "line\n\xFF\n");
  EXPECT_EQ(load_err(tmp.str()), tmp.str() + "/not_implemented.md:3: invalid UTF-8");
}

TEST(PackLoad, MalformedSummaryJson) {
  TempDir tmp;
  write(tmp.path() / "missing_code.md", task("A"));
  write(tmp.path() / "meta/summary.json", "{\"total_tasks\": 3,");
  EXPECT_EQ(load_err(tmp.str()),
            tmp.str() +
                "/meta/summary.json: malformed JSON: The JSON document has an improper "
                "structure: missing or superfluous commas, braces, missing "
                "keys, etc.");
  write(tmp.path() / "meta/summary.json", "[1, 2]");
  EXPECT_EQ(load_err(tmp.str()),
            tmp.str() + "/meta/summary.json: malformed summary: expected a JSON object");
}

// ---------------------------------------------------------------- reading

TEST(PackLoad, SymlinkResolvesToTheRealDirectoryWhoseNameIsTheRunId) {
  TempDir tmp;
  fs::create_directories(tmp.path() / "prompts/20251226_083000");
  write(tmp.path() / "prompts/20251226_083000/missing_code.md", task("A"));
  fs::create_directory_symlink("20251226_083000", tmp.path() / "prompts/latest");
  auto p = load(tmp.str() + "/prompts/latest/");
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->dir, fs::canonical(tmp.path()).string() + "/prompts/20251226_083000");
  EXPECT_EQ(p->run_id, "20251226_083000");
}

TEST(PackLoad, UnitOrderSingularAndPluralAndContents) {
  TempDir tmp;
  write(tmp.path() / "naming_issue.md", task("N1"));
  write(tmp.path() / "symbol_issues.md", task("S2"));
  write(tmp.path() / "symbol_issue.md", task("S1") + task("S1b"));
  write(tmp.path() / "not_implemented.md", task("I1"));
  write(tmp.path() / "missing_tests.md", task("T1"));
  write(tmp.path() / "README.md", "readme");
  write(tmp.path() / "notes.txt", "not read");
  auto p = load(tmp.str());
  ASSERT_TRUE(p) << p.error().to_string();
  std::vector<std::string> names;
  for (const CategoryFile& f : p->files) names.push_back(f.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"not_implemented.md", "missing_tests.md", "symbol_issue.md",
                                      "symbol_issues.md", "naming_issue.md"}));
  EXPECT_EQ(p->files[3].category, Unit::kSymbolIssue);
  EXPECT_EQ(p->files[3].path, p->dir + "/symbol_issues.md");
  EXPECT_EQ(ids(*p), (std::vector<std::string>{"I1", "T1", "S1", "S1b", "S2", "N1"}));
  EXPECT_EQ(p->tasks[4].source, "symbol_issues.md");
  EXPECT_EQ(p->tasks[4].category, Unit::kSymbolIssue);
  EXPECT_FALSE(p->summary.has_value());
  EXPECT_TRUE(p->warnings.empty());
  std::vector<std::pair<std::string, std::string>> want = {
      {"README.md", "readme"},
      {"missing_tests.md", task("T1")},
      {"naming_issue.md", task("N1")},
      {"not_implemented.md", task("I1")},
      {"symbol_issue.md", task("S1") + task("S1b")},
      {"symbol_issues.md", task("S2")},
  };
  EXPECT_EQ(p->contents, want);
}

TEST(PackLoad, EmptyCategoryFileIsAPackWithNoTasks) {
  TempDir tmp;
  write(tmp.path() / "missing_code.md", "");
  auto p = load(tmp.str());
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_TRUE(p->tasks.empty());
}

TEST(PackLoad, SummaryCountsAreCrossCheckedAsWarnings) {
  TempDir tmp;
  write(tmp.path() / "missing_code.md", task("A") + task("B"));
  write(tmp.path() / "symbol_issues.md", task("C"));
  write(tmp.path() / "content_issue.md", task("D"));
  write(tmp.path() / "meta/summary.json",
        "\xEF\xBB\xBF{\r\n  \"total_tasks\": 3,\r\n  \"by_category\": {\"verified\": 7, "
        "\"missing_code\": 1, \"symbol_issues\": 1, \"naming_issue\": 2, \"bogus\": 1, "
        "\"not_implemented\": \"many\"}\r\n}\r\n");
  auto p = load(tmp.str());
  ASSERT_TRUE(p) << p.error().to_string();
  ASSERT_TRUE(p->summary.has_value());
  EXPECT_EQ(p->summary->total_tasks, 3);
  std::map<std::string, long> by = {
      {"bogus", 1}, {"missing_code", 1}, {"naming_issue", 2}, {"symbol_issues", 1}};
  EXPECT_EQ(p->summary->by_category, by);
  EXPECT_EQ(warnings(*p),
            (std::vector<std::string>{
                "meta/summary.json: by_category.not_implemented is not an integer; ignored",
                "meta/summary.json: total_tasks is 3 but the pack has 4 tasks",
                "meta/summary.json: by_category.missing_code is 1 but missing_code.md has 2 tasks",
                "meta/summary.json: by_category has no content_issue but content_issue.md has "
                "1 task",
                "meta/summary.json: by_category.naming_issue is 2 but the pack has no "
                "naming_issue category file",
                "meta/summary.json: by_category.bogus is not a prompt-pack category; ignored",
            }));
  EXPECT_EQ(p->contents.size(), 4u);
  EXPECT_EQ(p->contents[1].first, "meta/summary.json");
}

TEST(PackLoad, BothSpellingsCountTogether) {
  TempDir tmp;
  write(tmp.path() / "naming_issue.md", task("A"));
  write(tmp.path() / "naming_issues.md", task("B"));
  write(tmp.path() / "meta/summary.json", "{\"by_category\": {\"naming_issue\": 3}}");
  auto p = load(tmp.str());
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(warnings(*p),
            (std::vector<std::string>{"meta/summary.json: by_category.naming_issue is 3 but "
                                      "naming_issue.md and naming_issues.md have 2 tasks"}));
}

// ---------------------------------------------------------------- real packs

TEST(PackFixtures, FieldsAligned) {
  auto p = load(packs() + "/20261124_073208-fields-aligned");
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->run_id, "20261124_073208-fields-aligned");
  // meta/summary.json declares 10 tasks to fix (naming 4, missing_code 1,
  // not_implemented 3, symbol 1, content 1; total_tasks 12 includes the 2
  // verified ones). The files hold 7 sections: naming_issue.md says "Tasks in
  // this category: 4" but contains a single "## Task" section, because the
  // prompter's template engine closes the outer {{#each tasks}} at the inner
  // {{/each}} of "Similar Files Found" and renders one task. The parser
  // reports what the files say; the cross-check turns the gap into a warning.
  EXPECT_EQ(ids(*p),
            (std::vector<std::string>{"TSK-INV-010", "TSK-INV-011", "TSK-INV-012", "TSK-INV-005",
                                      "TSK-INV-007", "TSK-INV-008", "TSK-INV-002"}));
  EXPECT_EQ(p->summary->total_tasks, 12);
  EXPECT_EQ(p->summary->by_category, (std::map<std::string, long>{{"content_issue", 1},
                                                                  {"missing_code", 1},
                                                                  {"naming_issue", 4},
                                                                  {"not_implemented", 3},
                                                                  {"symbol_issue", 1}}));
  EXPECT_EQ(
      warnings(*p),
      (std::vector<std::string>{
          "meta/summary.json: by_category.naming_issue is 4 but naming_issue.md has 1 task"}));
  std::vector<std::string> names;
  for (const auto& [name, bytes] : p->contents) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"README.md", "content_issue.md", "meta/summary.json",
                                             "missing_code.md", "naming_issue.md",
                                             "not_implemented.md", "symbol_issue.md"}));

  EXPECT_EQ(describe(p->tasks[3]),
            "task TSK-INV-005 title=\"Stock report\" category=missing_code source=missing_code.md "
            "line=19 number=1\n"
            "  file tests/test_reports.py role=test line=25 exists=yes\n"
            "  file src/inventory/reports.py role=code line=30 exists=?\n"
            "    content line=57 info=\"python\" lang=\"python\" heading=\"Step 3: Create Minimal "
            "Implementation\" body=\"\\n\"\n"
            "    content line=96 info=\"python\" lang=\"python\" heading=\"Implementation "
            "Template\" body=\"\\\"\\\"\\\"Stock report\\n\\nImplementation module for "
            "StockReport.\\nTests are defined in tests/test_reports.py.\\n\\\"\\\"\\\"\\n\\n\\n\"\n"
            "  instruction line=41 info=\"bash\" lang=\"bash\" heading=\"Step 1: Review Existing "
            "Tests\" body=\"cat tests/test_reports.py\\n\"\n"
            "  instruction line=63 info=\"bash\" lang=\"bash\" heading=\"Step 4: Run Tests (Red "
            "Phase)\" body=\"pytest tests/test_reports.py -v\\n\"\n"
            "  instruction line=78 info=\"bash\" lang=\"bash\" heading=\"Step 6: Run Tests "
            "Again\" body=\"pytest tests/test_reports.py -v\\n\"\n"
            "  instruction line=109 info=\"bash\" lang=\"bash\" heading=\"Create implementation "
            "file\" body=\"touch src/inventory/reports.py\\n\"\n"
            "  instruction line=114 info=\"bash\" lang=\"bash\" heading=\"Review tests "
            "thoroughly\" body=\"cat tests/test_reports.py\\n# Note: Classes, methods, "
            "parameters, return values\\n\"\n"
            "  instruction line=125 info=\"bash\" lang=\"bash\" heading=\"Run tests (should "
            "fail)\" body=\"pytest tests/test_reports.py -v\\n\"\n"
            "  instruction line=134 info=\"bash\" lang=\"bash\" heading=\"Run tests (should "
            "pass)\" body=\"pytest tests/test_reports.py -v\\n\"\n"
            "  instruction line=144 info=\"bash\" lang=\"bash\" heading=\"Final test run\" "
            "body=\"pytest tests/test_reports.py -v --cov=src.inventory.reports\\n\"\n");

  const PackTask& symbol = p->tasks[4];
  EXPECT_EQ(symbol.symbol, "RetentionPolicy");
  ASSERT_EQ(symbol.files.size(), 1u);
  EXPECT_EQ(symbol.files[0].path, "src/inventory/audit.py");
  EXPECT_EQ(symbol.files[0].exists, true);
  // "### Symbol to Add" is empty: the template engine ate the {{#if is_class}} block.
  EXPECT_TRUE(symbol.files[0].fences.empty());
  EXPECT_EQ(symbol.instructions.size(), 3u);

  const PackTask& content = p->tasks[5];
  EXPECT_EQ(content.contains, "json.dumps");
  ASSERT_EQ(content.files.size(), 1u);
  std::vector<std::string> headings;
  for (const Fence& f : content.files[0].fences) headings.push_back(f.heading);
  // The three {{#if}} alternatives all survive, hence the artefacts.
  EXPECT_EQ(headings,
            (std::vector<std::string>{"Content", "Example Usage", "Example", "Implementation"}));
  EXPECT_EQ(content.files[0].fences[0].body, "\"json.dumps\"\n");
  EXPECT_EQ(content.artefacts,
            (std::vector<Diagnostic>{
                {"content_issue.md", 46, "template artefact '{{else if is_regex_pattern}}'"},
                {"content_issue.md", 57, "template artefact '{{else}}'"},
                {"content_issue.md", 68, "template artefact '{{/if}}'"}}));

  const PackTask& naming = p->tasks[6];
  EXPECT_EQ(naming.title, "Pricing rules engine");
  EXPECT_TRUE(naming.files.empty());
  EXPECT_TRUE(naming.similar_files.empty());
  EXPECT_EQ(naming.artefacts.size(), 7u);
  // The section runs to "## Summary": the stray "# After (if using {{...}})"
  // heading the template left behind does not cut it short.
  EXPECT_NE(naming.raw.find("#### Option C: Create New File"), std::string::npos);
  EXPECT_EQ(naming.raw.find("## Summary"), std::string::npos);

  for (int i = 0; i < 3; ++i) {
    const PackTask& t = p->tasks[static_cast<std::size_t>(i)];
    // **Path:** `` everywhere: no file, the templates have nothing to claim them.
    EXPECT_TRUE(t.files.empty()) << t.id;
    EXPECT_EQ(t.unassigned.size(), 2u) << t.id;
    EXPECT_EQ(t.instructions.size(), 4u) << t.id;
    EXPECT_EQ(t.suggestions,
              (std::vector<std::string>{"\xE2\x9A\xA0\xEF\xB8\x8F Task is marked [ ] but no "
                                        "implementation or test files exist"}));
  }
}

TEST(PackFixtures, AsGenerated) {
  auto p = load(packs() + "/20261124_073159-as-generated");
  ASSERT_TRUE(p) << p.error().to_string();
  // Only not_implemented.md and missing_code.md were written: the prompter
  // looked for naming_issue_template.md etc. and silently dropped three
  // categories. Its summary still counts them and says total_tasks 0; the
  // cross-check reports both inconsistencies.
  EXPECT_EQ(ids(*p),
            (std::vector<std::string>{"TSK-INV-010", "TSK-INV-011", "TSK-INV-012", "TSK-INV-005"}));
  EXPECT_EQ(warnings(*p),
            (std::vector<std::string>{
                "meta/summary.json: total_tasks is 0 but the pack has 4 tasks",
                "meta/summary.json: by_category.symbol_issue is 1 but the pack has no "
                "symbol_issue category file",
                "meta/summary.json: by_category.content_issue is 1 but the pack has no "
                "content_issue category file",
                "meta/summary.json: by_category.naming_issue is 4 but the pack has no "
                "naming_issue category file"}));
  const PackTask& mc = p->tasks[3];
  // Every path empty: nothing to claim the templates.
  EXPECT_TRUE(mc.files.empty());
  ASSERT_EQ(mc.unassigned.size(), 2u);
  EXPECT_EQ(mc.unassigned[1].heading, "Implementation Template");
  EXPECT_EQ(mc.unassigned[1].body,
            "\"\"\"Stock report\n\nImplementation module for .\nTests are defined in .\n"
            "\"\"\"\n\n\n");
  EXPECT_EQ(
      mc.artefacts,
      (std::vector<Diagnostic>{{"missing_code.md", 145, "template artefact '{{code_module}}'"}}));
}

TEST(PackFixtures, LegacyShape) {
  auto p = load(packs() + "/20251226_083000-legacy-shape");
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->run_id, "20251226_083000-legacy-shape");
  // by_category sums to 6 = the tasks in the files; total_tasks 12 counts tasks.md.
  EXPECT_EQ(ids(*p), (std::vector<std::string>{"TSK-INV-010", "TSK-INV-003", "TSK-INV-005",
                                               "TSK-INV-007", "TSK-INV-008", "TSK-INV-006"}));
  EXPECT_TRUE(p->warnings.empty());
  EXPECT_EQ(describe(p->tasks[1]),
            "task TSK-INV-003 title=\"Supplier registry\" category=not_implemented "
            "source=not_implemented.md line=17 number=0 priority=2\n"
            "  file src/inventory/suppliers.py role=code line=21 exists=?\n"
            "    content line=24 info=\"python\" lang=\"python\" heading=\"Task: TSK-INV-003\" "
            "body=\"class SupplierRegistry:\\n    def __init__(self):\\n        self._suppliers = "
            "{}\\n\\n    def register(self, code, name):\\n        self._suppliers[code] = "
            "name\\n        return name\\n\"\n"
            "  file tests/test_suppliers.py role=test line=22 exists=?\n"
            "    content line=34 info=\"python\" lang=\"python\" heading=\"Task: TSK-INV-003\" "
            "body=\"from inventory.suppliers import SupplierRegistry\\n\\n\\ndef "
            "test_supplier_registry():\\n    r = SupplierRegistry()\\n    assert "
            "r.register(\\\"S1\\\", \\\"Acme\\\") == \\\"Acme\\\"\\n\"\n"
            "  suggestion \"Keep the registry in memory for now\"\n"
            "  suggestion \"Add persistence later\"\n");
  const PackTask& naming = p->tasks[5];
  EXPECT_EQ(naming.source, "naming_issues.md");
  EXPECT_EQ(naming.category, Unit::kNamingIssue);
  EXPECT_EQ(naming.similar_files, (std::vector<std::string>{"src/inventory/stock_service.py"}));
  EXPECT_EQ(p->tasks[4].title, "Audit log writes JSON lines");
  EXPECT_EQ(p->tasks[4].source, "content_issues.md");
  EXPECT_EQ(p->tasks[4].raw,
            "## Task: TSK-INV-008\nAudit log writes JSON lines\nPriority: 3\n\nCode file: "
            "`src/inventory/audit.py`\n\n```python\nimport json\n\n\ndef to_json_line(event: "
            "dict) -> str:\n    return json.dumps(event, sort_keys=True)\n```\n");
}

}  // namespace
}  // namespace smartspec::pack
