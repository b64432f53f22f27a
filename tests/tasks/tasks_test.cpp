#include "smartspec/tasks/tasks.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace smartspec {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;
using Strings = std::vector<std::string>;

TasksDoc parse_ok(const std::string& text) {
  auto doc = tasks::parse(text, "tasks.md");
  EXPECT_TRUE(doc.has_value()) << (doc ? "" : doc.error().to_string());
  return doc ? *doc : TasksDoc{};
}

TEST(TasksParse, TaskLinesWithEvidenceHeadingsAndProse) {
  const std::string text =
      "# tasks.md\n"
      "\n"
      "Some prose - [ ] not at line start is still prose? no: it is not a bullet.\n"
      "## Phase 1\n"
      "- [x] TSK-001 Item model\n"
      "  evidence: code path=src/a.py symbol=Item contains=\"def add(self, x)\"\n"
      "  - Evidence: test path=tests/test_a.py\n"
      "    * [ ] T.2:b  Sub   task  \n"
      "- [X] T3\n"
      "- [ ] T4 No evidence\n";
  TasksDoc doc = parse_ok(text);
  TaskLine t1;
  t1.id = "TSK-001";
  t1.title = "Item model";
  t1.checked = true;
  t1.line = 5;
  t1.indent = "";
  t1.evidence = {
      Evidence{"code",
               Fields{{"path", "src/a.py"}, {"symbol", "Item"}, {"contains", "def add(self, x)"}},
               6, "code path=src/a.py symbol=Item contains=\"def add(self, x)\""},
      Evidence{"test", Fields{{"path", "tests/test_a.py"}}, 7, "test path=tests/test_a.py"}};
  t1.evidence_lines = 2;
  t1.last_line = 7;
  // Line 8, "* [ ] T.2:b", is prose to the Python tool (only "-" bullets).
  TaskLine t3;
  t3.id = "T3";
  t3.checked = true;
  t3.line = 9;
  t3.last_line = 9;
  TaskLine t4;
  t4.id = "T4";
  t4.title = "No evidence";
  t4.line = 10;
  t4.last_line = 10;
  EXPECT_EQ(doc.tasks, (std::vector<TaskLine>{t1, t3, t4}));
  EXPECT_TRUE(doc.warnings.empty());
  EXPECT_EQ(doc.path, "tasks.md");
}

TEST(TasksParse, LinesThatAreNotTasks) {
  TasksDoc doc = parse_ok(
      "- [ ] **BOLD** title\n"  // id must start with a letter or digit
      "- [ ] T-1, comma\n"      // id must be followed by whitespace
      "- [y] T2 wrong box\n"
      "- [ ]T3 no space after box\n"
      "+ [ ] T4 plus bullet\n"
      "  evidence: code path=a.py\n"  // no task above: ignored
      "-[ ] T5 tight bullet\n");
  ASSERT_EQ(doc.tasks.size(), 1u);
  EXPECT_EQ(doc.tasks[0].id, "T5");
  EXPECT_EQ(doc.tasks[0].title, "tight bullet");
}

TEST(TasksParse, RejectedEvidenceLinesAreWarnings) {
  TasksDoc doc = parse_ok(
      "- [ ] T1 Title\n"
      "  evidence: binary path=a.py\n"
      "  evidence: code path=a.py stray words\n"
      "  evidence: code path=a.py heading=X\n"
      "  evidence: test contains=x\n"
      "  evidence: code path=/etc/passwd\n"
      "  evidence: code path=src/../../x.py\n"
      "  evidence: code path=src/*.py\n"
      "  evidence: code path=\"unterminated\n"
      "  evidence: code path=a\\\n"
      "  evidence: ui path=web/index.html selector=\"#app\"\n");
  std::vector<Diagnostic> expected = {
      {"tasks.md", 2, "evidence rejected: invalid evidence type 'binary'"},
      {"tasks.md", 3, "evidence rejected: stray tokens not allowed: ['stray', 'words']"},
      {"tasks.md", 4, "evidence rejected: unknown keys for code: ['heading']"},
      {"tasks.md", 5, "evidence rejected: missing required key path="},
      {"tasks.md", 6, "evidence rejected: invalid path (absolute/traversal): /etc/passwd"},
      {"tasks.md", 7, "evidence rejected: invalid path (absolute/traversal): src/../../x.py"},
      {"tasks.md", 8, "evidence rejected: glob path not supported in strict mode: src/*.py"},
      {"tasks.md", 9, "evidence rejected: tokenization error: No closing quotation"},
      {"tasks.md", 10, "evidence rejected: tokenization error: No escaped character"},
  };
  EXPECT_EQ(doc.warnings, expected);
  ASSERT_EQ(doc.tasks.size(), 1u);
  EXPECT_EQ(doc.tasks[0].evidence_lines, 10);
  EXPECT_EQ(doc.tasks[0].last_line, 11);
  ASSERT_EQ(doc.tasks[0].evidence.size(), 1u);
  EXPECT_EQ(doc.tasks[0].evidence[0],
            (Evidence{"ui", Fields{{"path", "web/index.html"}, {"selector", "#app"}}, 11,
                      "ui path=web/index.html selector=\"#app\""}));
}

TEST(TasksParse, ValuesAreNormalisedLikeThePythonTool) {
  TasksDoc doc = parse_ok(
      "- [ ] T1 Title\n"
      "  evidence: CODE path=./src\\\\pkg\\\\a.py contains=\"'quoted twice'\" symbol=\" Foo \""
      " symbol=Bar\n"
      "  evidence: test path=tests/ contains='say \"hi\"' regex=\"a\\\\d+\\$\"\n");
  ASSERT_EQ(doc.tasks.size(), 1u);
  ASSERT_EQ(doc.tasks[0].evidence.size(), 2u);
  EXPECT_EQ(doc.tasks[0].evidence[0].type, "code");
  EXPECT_EQ(doc.tasks[0].evidence[0].fields,
            (Fields{{"path", "src/pkg/a.py"}, {"contains", "quoted twice"}, {"symbol", "Bar"}}));
  EXPECT_EQ(doc.tasks[0].evidence[1].fields,
            (Fields{{"path", "tests/"}, {"contains", "say \"hi\""}, {"regex", "a\\d+\\$"}}));
}

TEST(TasksParse, DuplicateIdsWarnAndBothAreKept) {
  TasksDoc doc = parse_ok("- [ ] T1 a\n- [ ] T2 b\n- [x] T1 c\n");
  EXPECT_EQ(doc.tasks.size(), 3u);
  EXPECT_EQ(doc.warnings,
            (std::vector<Diagnostic>{{"tasks.md", 3, "duplicate task id 'T1' (first on line 1)"}}));
  ASSERT_NE(doc.find("T1"), nullptr);
  EXPECT_EQ(doc.find("T1")->title, "a");
}

TEST(TasksParse, CrlfAndPythonLineBreaks) {
  TasksDoc doc = parse_ok("- [ ] T1 a\r\n  evidence: code path=a.py\r\n\f- [ ] T2 b\r");
  ASSERT_EQ(doc.tasks.size(), 2u);
  EXPECT_EQ(doc.tasks[0].evidence.at(0).line, 2);
  EXPECT_EQ(doc.tasks[1].line, 4);  // "\f" breaks a line, as str.splitlines() does
  EXPECT_EQ(doc.tasks[1].title, "b");
}

TEST(TasksParse, ABomIsSkippedButIsACharacterInPythonCompatMode) {
  const std::string text = "\xEF\xBB\xBF- [ ] T1 a\n  evidence: code path=a.py\n- [ ] T2 b\n";
  TasksDoc doc = parse_ok(text);
  ASSERT_EQ(doc.tasks.size(), 2u);
  EXPECT_EQ(doc.tasks[0].id, "T1");
  EXPECT_EQ(doc.tasks[0].evidence.at(0).line, 2);
  // Python: U+FEFF is not `\s`, so the first line is not a task.
  auto compat = tasks::parse(text, "tasks.md", tasks::ParseOptions{true});
  ASSERT_TRUE(compat.has_value());
  ASSERT_EQ(compat->tasks.size(), 1u);
  EXPECT_EQ(compat->tasks[0].id, "T2");
  EXPECT_EQ(compat->tasks[0].line, 3);
}

TEST(TasksParse, UndecodableBytesAreDroppedAsPythonsErrorsIgnore) {
  // A Windows-1252 file: "café" is "caf\xe9"; Python reads "caf".
  TasksDoc doc = parse_ok("- [ ] T1 caf\xe9 \x93quoted\x94\n  evidence: code path=caf\xe9.py\n");
  ASSERT_EQ(doc.tasks.size(), 1u);
  EXPECT_EQ(doc.tasks[0].title, "caf quoted");
  EXPECT_EQ(doc.tasks[0].evidence.at(0).fields, (Fields{{"path", "caf.py"}}));
}

TEST(TasksParse, PathQuotesAreStrippedTwiceAsByThePythonTool) {
  TasksDoc doc =
      parse_ok("- [ ] T1 a\n  evidence: code path=\"\\\"'a.py'\\\"\" contains=\"\\\"'x'\\\"\"\n");
  ASSERT_EQ(doc.tasks.at(0).evidence.size(), 1u);
  EXPECT_EQ(doc.tasks[0].evidence[0].fields, (Fields{{"path", "a.py"}, {"contains", "'x'"}}));
}

TEST(TasksParse, PathsInPythonCompatModeAreLstrippedOfDotsAndSlashes) {
  const std::string text =
      "- [ ] T1 a\n"
      "  evidence: code path=.github/workflows/ci.yml\n"
      "  evidence: code path=/etc/passwd\n"
      "  evidence: code path=../up.py\n"
      "  evidence: code path=./.env\n"
      "  evidence: code path=src/../../x.py\n";
  auto compat = tasks::parse(text, "tasks.md", tasks::ParseOptions{true});
  ASSERT_TRUE(compat.has_value());
  std::vector<std::string> paths;
  for (const auto& ev : compat->tasks.at(0).evidence) paths.push_back(*ev.get("path"));
  EXPECT_EQ(paths, (Strings{"github/workflows/ci.yml", "etc/passwd", "up.py", "env"}));
  EXPECT_EQ(compat->warnings,
            (std::vector<Diagnostic>{
                {"tasks.md", 6,
                 "evidence rejected: invalid path (absolute/traversal): src/../../x.py"}}));
  TasksDoc fixed = parse_ok(text);
  paths.clear();
  for (const auto& ev : fixed.tasks.at(0).evidence) paths.push_back(*ev.get("path"));
  EXPECT_EQ(paths, (Strings{".github/workflows/ci.yml", ".env"}));
  EXPECT_EQ(fixed.warnings.size(), 3u);
}

TEST(TasksLoad, MissingFile) {
  test::TempDir dir;
  std::string path = dir.str() + "/nope.md";
  auto doc = tasks::load(path);
  ASSERT_FALSE(doc.has_value());
  EXPECT_EQ(doc.error().file, path);
  EXPECT_EQ(doc.error().line, 0);
  EXPECT_EQ(doc.error().message, "no such file");
}

TEST(TasksLoad, InventoryFixture) {
  auto doc = tasks::load((test::fixtures() / "inventory" / "tasks.md").string());
  ASSERT_TRUE(doc.has_value());
  ASSERT_EQ(doc->tasks.size(), 12u);
  EXPECT_TRUE(doc->warnings.empty());
  EXPECT_EQ(doc->tasks[1].id, "TSK-INV-002");
  EXPECT_TRUE(doc->tasks[1].checked);
  EXPECT_EQ(doc->tasks[1].evidence.at(1).fields, (Fields{{"path", "tests/test_pricing_rules.py"},
                                                         {"contains", "def test_pricing_rules"}}));
  EXPECT_EQ(doc->tasks[11].evidence_lines, 0);
}

TEST(ShellSplit, PosixShlexSemantics) {
  auto split = [](std::string_view s) {
    auto r = tasks::shell_split(s);
    EXPECT_TRUE(r.has_value()) << s;
    return r ? *r : Strings{};
  };
  EXPECT_EQ(split("  a  b\tc "), (Strings{"a", "b", "c"}));
  EXPECT_EQ(split("k=\"x y\" 'p q'r"), (Strings{"k=x y", "p qr"}));
  EXPECT_EQ(split("\"\" ''"), (Strings{"", ""}));
  EXPECT_EQ(split("\"a\\\"b\\\\c\\$d\\`e\""), (Strings{"a\"b\\c\\$d\\`e"}));
  EXPECT_EQ(split("'a\\b'"), (Strings{"a\\b"}));
  EXPECT_EQ(split("a\\ b\\'c"), (Strings{"a b'c"}));
  EXPECT_EQ(split(""), Strings{});
  EXPECT_EQ(tasks::shell_split("'open").error().message, "No closing quotation");
  EXPECT_EQ(tasks::shell_split("x\\").error().message, "No escaped character");
}

TEST(ShellQuote, LikeShlexQuoteAndRoundTrips) {
  EXPECT_EQ(tasks::shell_quote(""), "''");
  EXPECT_EQ(tasks::shell_quote("src/a-b_c.py"), "src/a-b_c.py");
  EXPECT_EQ(tasks::shell_quote("a b"), "'a b'");
  EXPECT_EQ(tasks::shell_quote("it's"), "'it'\"'\"'s'");
  const Strings tricky = {"",        "plain",  "two words", "it's",      "say \"hi\"",
                          "$HOME",   "a\\b\\", "`cmd`",     "tab\there", "é ü 日本",
                          "'\"'\"'", "x=y z",  "new\nline", "\\\"",      "--flag"};
  for (const auto& s : tricky) {
    auto back = tasks::shell_split(tasks::shell_quote(s));
    ASSERT_TRUE(back.has_value()) << s;
    EXPECT_EQ(*back, Strings{s}) << s;
  }
  // A whole evidence line written with quoted values reads back the same.
  std::string line = "code path=" + tasks::shell_quote("src/my file.py") +
                     " contains=" + tasks::shell_quote("print(\"it's\")");
  auto doc = tasks::parse("- [ ] T1 t\n  evidence: " + line + "\n", "t.md");
  ASSERT_TRUE(doc.has_value());
  ASSERT_EQ(doc->tasks.at(0).evidence.size(), 1u);
  EXPECT_EQ(doc->tasks[0].evidence[0].fields,
            (Fields{{"path", "src/my file.py"}, {"contains", "print(\"it's\")"}}));
}

}  // namespace
}  // namespace smartspec
