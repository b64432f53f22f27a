// parse_category: strings in, exact tasks or exact errors out.
#include <gtest/gtest.h>

#include <string>

#include "describe.hpp"
#include "smartspec/pack/pack.hpp"

namespace smartspec::pack {
namespace {

using test::describe;

std::vector<PackTask> parse_ok(const std::string& text, const std::string& name = "x.md",
                               Unit u = Unit::kNotImplemented) {
  auto r = parse_category(text, name, u);
  EXPECT_TRUE(r) << r.error().to_string();
  return r ? *r : std::vector<PackTask>{};
}

std::string parse_err(const std::string& text, const std::string& name = "x.md") {
  auto r = parse_category(text, name, Unit::kNotImplemented);
  return r ? "no error" : r.error().to_string();
}

// The real prompter's not_implemented shape, filled in.
const char* kRealShape =
    "# Implementation Prompt: Not Implemented Tasks\n"  // 1
    "\n"
    "**Tasks in this category:** 1\n"
    "\n"
    "---\n"  // 5
    "\n"
    "## Task 1: TSK-1 - Price list\n"
    "\n"
    "### Files to Create\n"
    "\n"  // 10
    "#### 1. Implementation File\n"
    "**Path:** `src/prices.py`\n"
    "\n"
    "**Implementation Template:**\n"
    "```python\n"  // 15
    "class Prices:\n"
    "    pass\n"
    "```\n"
    "\n"
    "#### 2. Test File\n"  // 20
    "**Path:** `tests/test_prices.py`\n"
    "\n"
    "**Test Template:**\n"
    "```python\n"
    "def test_prices():\n"  // 25
    "    assert True\n"
    "```\n"
    "\n"
    "### Implementation Steps\n"
    "\n"  // 30
    "1. **Create implementation file:**\n"
    "   ```bash\n"
    "   touch src/prices.py\n"
    "   ```\n"
    "\n"  // 35
    "### Suggestions from Report\n"
    "\n"
    "- Add a docstring\n"
    "\n"
    "### Verification\n"  // 40
    "```bash\n"
    "/smartspec_verify_tasks_progress_strict tasks.md --json\n"
    "```\n"
    "\n"
    "---\n"  // 45
    "\n"
    "## Summary\n"
    "\n"
    "```bash\n"
    "pytest tests/ -v\n"  // 50
    "```\n";

TEST(ParseCategory, RealShapeFilesFencesAndRoles) {
  auto tasks = parse_ok(kRealShape, "not_implemented.md");
  EXPECT_EQ(describe(tasks),
            "task TSK-1 title=\"Price list\" category=not_implemented source=not_implemented.md "
            "line=7 number=1\n"
            "  file src/prices.py role=code line=12 exists=?\n"
            "    content line=15 info=\"python\" lang=\"python\" heading=\"Implementation "
            "Template\" body=\"class Prices:\\n    pass\\n\"\n"
            "  file tests/test_prices.py role=test line=21 exists=?\n"
            "    content line=24 info=\"python\" lang=\"python\" heading=\"Test Template\" "
            "body=\"def test_prices():\\n    assert True\\n\"\n"
            "  instruction line=32 info=\"bash\" lang=\"bash\" heading=\"Create implementation "
            "file\" body=\"touch src/prices.py\\n\"\n"
            "  instruction line=41 info=\"bash\" lang=\"bash\" heading=\"Verification\" "
            "body=\"/smartspec_verify_tasks_progress_strict tasks.md --json\\n\"\n"
            "  suggestion \"Add a docstring\"\n");
}

TEST(ParseCategory, RawIsTheSectionAsWrittenWithoutTrailerOrSeparator) {
  auto tasks = parse_ok(kRealShape);
  ASSERT_EQ(tasks.size(), 1u);
  std::string text = kRealShape;
  std::size_t from = text.find("## Task 1:");
  std::size_t to = text.find("```\n\n---\n\n## Summary") + 4;
  EXPECT_EQ(tasks[0].raw, text.substr(from, to - from));
}

TEST(ParseCategory, HeaderVariants) {
  auto tasks = parse_ok(
      "## Task 3: TSK-3\n"
      "### Problem\n"
      "text\n"
      "###   Task  4 :  TSK-4  -  Spaced   title  \n"
      "##Task 5: not-a-heading\n"
      "## Tasks: not a task\n"
      "## Task #6: `TSK-6` \xE2\x80\x94 Dash title ##\n"
      "## Task 7: TSK-7 Title without dash\n");
  ASSERT_EQ(tasks.size(), 4u);
  EXPECT_EQ(tasks[0].id, "TSK-3");
  EXPECT_EQ(tasks[0].title, "");
  EXPECT_EQ(tasks[0].number, 3);
  EXPECT_EQ(tasks[1].id, "TSK-4");
  EXPECT_EQ(tasks[1].title, "Spaced   title");
  EXPECT_EQ(tasks[1].number, 4);
  EXPECT_EQ(tasks[1].line, 4);
  // "## Tasks:" is not a task header but, as a level-2 heading, it ends TSK-4.
  EXPECT_EQ(tasks[1].raw, "###   Task  4 :  TSK-4  -  Spaced   title  \n##Task 5: not-a-heading\n");
  EXPECT_EQ(tasks[2].id, "TSK-6");
  EXPECT_EQ(tasks[2].title, "Dash title");
  EXPECT_EQ(tasks[2].number, 6);
  EXPECT_EQ(tasks[3].id, "TSK-7");
  EXPECT_EQ(tasks[3].title, "Title without dash");
}

TEST(ParseCategory, LegacyShape) {
  auto tasks = parse_ok(
      "# Not Implemented\n"
      "\n"
      "## Task: TSK-A\n"
      "Supplier registry\n"
      "Priority: 2\n"
      "\n"
      "Code file: `src/suppliers.py`\n"
      "Test file: `tests/test_suppliers.py`\n"
      "\n"
      "```python\n"  // 10
      "class A: pass\n"
      "```\n"
      "```python\n"
      "def test_a(): pass\n"
      "```\n"  // 15
      "```python\n"
      "extra = 1\n"
      "```\n"
      "### Suggestions\n"
      "- Rename `src/supplier.py` to `src/suppliers.py`\n"  // 20
      "## Task: TSK-B\n"
      "\n"
      "Priority: 3\n"
      "Code file: `src/b.py`\n"
      "Only title line after keys\n"  // 25
      "```python\n"
      "b = 1\n"
      "```\n"
      "```python\n"
      "t = 1\n"  // 30
      "```\n");
  EXPECT_EQ(describe(tasks),
            "task TSK-A title=\"Supplier registry\" category=not_implemented source=x.md line=3 "
            "number=0 priority=2\n"
            "  file src/suppliers.py role=code line=7 exists=?\n"
            "    content line=10 info=\"python\" lang=\"python\" heading=\"Task: TSK-A\" "
            "body=\"class A: pass\\n\"\n"
            "  file tests/test_suppliers.py role=test line=8 exists=?\n"
            "    content line=13 info=\"python\" lang=\"python\" heading=\"Task: TSK-A\" "
            "body=\"def test_a(): pass\\n\"\n"
            "  unassigned content line=16 info=\"python\" lang=\"python\" heading=\"Task: TSK-A\" "
            "body=\"extra = 1\\n\"\n"
            "  suggestion \"Rename `src/supplier.py` to `src/suppliers.py`\"\n"
            "  similar src/supplier.py\n"
            // No test file named: the second fence has no file to claim.
            "task TSK-B title=\"Only title line after keys\" category=not_implemented source=x.md "
            "line=21 number=0 priority=3\n"
            "  file src/b.py role=code line=24 exists=?\n"
            "    content line=26 info=\"python\" lang=\"python\" heading=\"Task: TSK-B\" "
            "body=\"b = 1\\n\"\n"
            "  unassigned content line=29 info=\"python\" lang=\"python\" heading=\"Task: TSK-B\" "
            "body=\"t = 1\\n\"\n");
}

TEST(ParseCategory, TildeAndNestedLongerFences) {
  auto tasks = parse_ok(
      "## Task 1: T-1 - Docs\n"
      "**Path:** `docs/guide.md`\n"
      "### Template\n"
      "````markdown\n"
      "# Guide\n"
      "```python\n"
      "print('x')\n"
      "```\n"
      "````\n"  // 9
      "### Implementation\n"
      "~~~\n"
      "tilde body\n"
      "```\n"
      "~~~~\n");  // a longer closing fence closes
  EXPECT_EQ(describe(tasks),
            "task T-1 title=\"Docs\" category=not_implemented source=x.md line=1 number=1\n"
            "  file docs/guide.md role=code line=2 exists=?\n"
            "    content line=4 info=\"markdown\" lang=\"markdown\" heading=\"Template\" "
            "body=\"# Guide\\n```python\\nprint('x')\\n```\\n\"\n"
            "    content line=11 info=\"\" lang=\"\" heading=\"Implementation\" "
            "body=\"tilde body\\n```\\n\"\n");
}

TEST(ParseCategory, FenceOfOtherCharacterOrShorterDoesNotClose) {
  EXPECT_EQ(parse_err("## Task 1: T - t\n\n````\n```\n~~~~\n"), "x.md:3: unterminated code fence");
}

TEST(ParseCategory, UnterminatedFenceNamesTheOpeningLine) {
  EXPECT_EQ(parse_err("intro\n## Task 1: T - t\n### Implementation\n```python\nx = 1\n",
                      "missing_code.md"),
            "missing_code.md:4: unterminated code fence");
  // Outside any task too: the file is broken wherever the fence is.
  EXPECT_EQ(parse_err("# Title\n\n~~~\n"), "x.md:3: unterminated code fence");
}

TEST(ParseCategory, CrlfAndBomGiveTheSameTasksAndRawKeepsCrlf) {
  std::string lf = kRealShape;
  std::string crlf = "\xEF\xBB\xBF";
  for (char c : lf) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  auto a = parse_ok(lf);
  auto b = parse_ok(crlf);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(describe(a), describe(b));
  EXPECT_EQ(b[0].raw.substr(0, 31), "## Task 1: TSK-1 - Price list\r\n");
  EXPECT_EQ(b[0].files[0].fences[0].body, "class Prices:\n    pass\n");
}

TEST(ParseCategory, TemplateArtefactsInsideAndOutsideFences) {
  const std::string text =
      "## Task 1: T-1 - Content\n"
      "**Path:** `src/a.py`\n"
      "### Content to Add\n"
      "**Content:**\n"
      "```python\n"
      "{{else}}\n"  // 6
      "x = '${{ secrets.TOKEN }}' + '{{ a + b }}'\n"
      "```\n"
      "{{else if is_regex}}\n"  // 9
      "{{/if}}\n"
      "Run `grep {{similar_files.0.file}}` then {{#each x}} {{/each}}\n";
  auto tasks = parse_ok(text);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].artefacts, (std::vector<Diagnostic>{
                                    {"x.md", 6, "template artefact '{{else}}'"},
                                    {"x.md", 9, "template artefact '{{else if is_regex}}'"},
                                    {"x.md", 10, "template artefact '{{/if}}'"},
                                    {"x.md", 11, "template artefact '{{similar_files.0.file}}'"},
                                    {"x.md", 11, "template artefact '{{#each x}}'"},
                                    {"x.md", 11, "template artefact '{{/each}}'"},
                                }));
  EXPECT_EQ(tasks[0].files[0].fences[0].body,
            "{{else}}\nx = '${{ secrets.TOKEN }}' + '{{ a + b }}'\n");
  EXPECT_EQ(tasks[0].raw, text);  // artefact lines stay in what the agent reads
}

TEST(ParseCategory, PlaceholderHeadingIsNotStructure) {
  // The real naming template leaves "# After (if using {{...}})" outside a fence.
  auto tasks = parse_ok(
      "## Task 1: T-1 - Naming\n"
      "# After (if using {{similar_files.0.file}})\n"
      "still in the task\n");
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].raw,
            "## Task 1: T-1 - Naming\n# After (if using {{similar_files.0.file}})\n"
            "still in the task\n");
}

TEST(ParseCategory, ShellFenceUnderImplementationIsContentOfTheShFile) {
  auto tasks = parse_ok(
      "## Task 1: T-1 - Deploy script\n"
      "### Implementation File\n"
      "**Path:** `scripts/deploy.sh`\n"
      "### Implementation\n"
      "```sh\n"
      "#!/bin/sh\n"
      "echo deploy\n"
      "```\n"
      "### Run tests\n"
      "```sh\n"
      "sh scripts/deploy.sh\n"
      "```\n");
  EXPECT_EQ(describe(tasks),
            "task T-1 title=\"Deploy script\" category=not_implemented source=x.md line=1 "
            "number=1\n"
            "  file scripts/deploy.sh role=code line=3 exists=?\n"
            "    content line=5 info=\"sh\" lang=\"sh\" heading=\"Implementation\" "
            "body=\"#!/bin/sh\\necho deploy\\n\"\n"
            "  instruction line=10 info=\"sh\" lang=\"sh\" heading=\"Run tests\" "
            "body=\"sh scripts/deploy.sh\\n\"\n");
}

TEST(ParseCategory, TddStepsAndExistingTest) {
  auto tasks = parse_ok(
      "## Task 1: T-1 - Report\n"
      "### Existing Test\n"
      "**File:** `tests/test_report.py`  \n"
      "**Status:** \xE2\x9C\x85 Test file exists  \n"
      "### Implementation File to Create\n"
      "**Path:** `src/report.py`\n"
      "**Status:** \xE2\x9D\x8C File does not exist\n"
      "### TDD Approach\n"
      "**Step 1: Review Existing Tests**\n"
      "```bash\n"  // 10
      "cat tests/test_report.py\n"
      "```\n"
      "**Step 3: Create Minimal Implementation**\n"
      "Start with minimal code:\n"
      "```python\n"  // 15
      "class Report: pass\n"
      "```\n"
      "**Step 4: Run Tests (Red Phase)**\n"
      "```bash\n"
      "pytest -v\n"  // 20
      "```\n",
      "missing_code.md", Unit::kMissingCode);
  EXPECT_EQ(describe(tasks),
            "task T-1 title=\"Report\" category=missing_code source=missing_code.md line=1 "
            "number=1\n"
            "  file tests/test_report.py role=test line=3 exists=yes\n"
            "  file src/report.py role=code line=6 exists=no\n"
            "    content line=15 info=\"python\" lang=\"python\" heading=\"Step 3: Create Minimal "
            "Implementation\" body=\"class Report: pass\\n\"\n"
            "  instruction line=10 info=\"bash\" lang=\"bash\" heading=\"Step 1: Review Existing "
            "Tests\" body=\"cat tests/test_report.py\\n\"\n"
            "  instruction line=19 info=\"bash\" lang=\"bash\" heading=\"Step 4: Run Tests (Red "
            "Phase)\" body=\"pytest -v\\n\"\n");
}

TEST(ParseCategory, EmptyPathsAreNotFilesAndTheirFencesAreUnassigned) {
  auto tasks = parse_ok(
      "## Task 1: T-1 - Nothing known\n"
      "#### 1. Implementation File\n"
      "**Path:** ``\n"
      "**Implementation Template:**\n"
      "```python\n"
      "\n"
      "```\n"
      "**File:** ``\n");
  EXPECT_EQ(describe(tasks),
            "task T-1 title=\"Nothing known\" category=not_implemented source=x.md line=1 "
            "number=1\n"
            "  unassigned content line=5 info=\"python\" lang=\"python\" heading=\"Implementation "
            "Template\" body=\"\\n\"\n");
}

TEST(ParseCategory, RolesFromKeyHeadingAndPathAndOneFilePerPath) {
  auto tasks = parse_ok(
      "## Task 1: T-1 - Roles\n"
      "**File:** `lib/util_test.go`\n"    // path says test
      "**File:** `src/main.js`\n"         // first unqualified non-test: code
      "**File:** `src/other.js`\n"        // later unqualified: other
      "**File:** `web/app.spec.ts`\n"     // path says test
      "Code file: `src/main.js`\n"        // named twice: one PackFile
      "**Test File:** `src/checks.js`\n"  // key says test
      "- Expected path: `web/button.test.js`\n"
      "**Path:** \"quoted/not-a-span.py\"\n");
  EXPECT_EQ(describe(tasks),
            "task T-1 title=\"Roles\" category=not_implemented source=x.md line=1 number=1\n"
            "  file lib/util_test.go role=test line=2 exists=?\n"
            "  file src/main.js role=code line=3 exists=?\n"
            "  file src/other.js role=other line=4 exists=?\n"
            "  file web/app.spec.ts role=test line=5 exists=?\n"
            "  file src/checks.js role=test line=7 exists=?\n"
            "  file web/button.test.js role=test line=8 exists=?\n"
            "  file quoted/not-a-span.py role=other line=9 exists=?\n");
}

TEST(ParseCategory, SymbolAndContentIssueShapes) {
  auto symbol = parse_ok(
      "## Task 1: T-7 - Retention\n"
      "### File Information\n"
      "**Path:** `src/audit.py`  \n"
      "**Status:** \xE2\x9C\x85 File exists  \n"
      "**Missing Symbol:** `RetentionPolicy`\n"
      "### Symbol to Add\n"
      "{{#if is_class}}\n"
      "**Type:** Class\n"
      "\n"
      "**Template:**\n"  // 10
      "```python\n"
      "class RetentionPolicy:\n"
      "    pass\n"
      "```\n"
      "### Alternative: Update Evidence\n"  // 15
      "```markdown\n"
      "- evidence: code path=\"src/audit.py\"\n"
      "```\n",
      "symbol_issue.md", Unit::kSymbolIssue);
  EXPECT_EQ(describe(symbol),
            "task T-7 title=\"Retention\" category=symbol_issue source=symbol_issue.md line=1 "
            "number=1\n"
            "  symbol \"RetentionPolicy\"\n"
            "  file src/audit.py role=code line=3 exists=yes\n"
            "    content line=11 info=\"python\" lang=\"python\" heading=\"Template\" "
            "body=\"class RetentionPolicy:\\n    pass\\n\"\n"
            "  instruction line=16 info=\"markdown\" lang=\"markdown\" heading=\"Alternative: "
            "Update Evidence\" body=\"- evidence: code path=\\\"src/audit.py\\\"\\n\"\n"
            "  artefact symbol_issue.md:7: template artefact '{{#if is_class}}'\n");

  auto content = parse_ok(
      "## Task 1: T-8 - JSON lines\n"
      "**Path:** `src/audit.py`\n"
      "**Missing Content:** `json.dumps`\n"
      "### Content to Add\n"
      "**Example Usage:**\n"
      "```python\n"
      "json.dumps(x)\n"
      "```\n"
      "### Context\n"
      "**Example:**\n"  // 10: an example outside content-to-add is not content
      "```python\n"
      "print(1)\n"
      "```\n",
      "content_issue.md", Unit::kContentIssue);
  EXPECT_EQ(describe(content),
            "task T-8 title=\"JSON lines\" category=content_issue source=content_issue.md line=1 "
            "number=1\n"
            "  contains \"json.dumps\"\n"
            "  file src/audit.py role=code line=2 exists=?\n"
            "    content line=6 info=\"python\" lang=\"python\" heading=\"Example Usage\" "
            "body=\"json.dumps(x)\\n\"\n"
            "  instruction line=11 info=\"python\" lang=\"python\" heading=\"Context\" "
            "body=\"print(1)\\n\"\n");
}

TEST(ParseCategory, NamingIssueAsTheTemplateMeansIt) {
  auto tasks = parse_ok(
      "## Task 1: T-2 - Pricing\n"
      "### Evidence Expectations\n"
      "**Code Evidence:**\n"
      "- Expected path: `src/pricing_rules.py`\n"
      "- Status: \xE2\x9D\x8C Not found at expected path\n"
      "**Test Evidence:**\n"
      "- Expected path: `tests/test_pricing_rules.py`\n"
      "- Status: \xE2\x9D\x8C Not found at expected path\n"
      "### Similar Files Found\n"
      "- `src/pricing.py` (87% similar)\n"  // 10
      "- `tests/test_pricing.py` (80% similar)\n"
      "### Resolution Options\n"
      "#### Option B: Rename File\n"
      "**Code File Rename:**\n"
      "```bash\n"  // 15
      "mv src/pricing.py src/pricing_rules.py\n"
      "```\n"
      "### Suggestions from Report\n"
      "- Found similar file: src/pricing.py\n"
      "- Update evidence path to: `src/pricing_v2.py`\n"  // 20
      "- Rename src/old.py to src/pricing_rules.py\n",
      "naming_issue.md", Unit::kNamingIssue);
  EXPECT_EQ(describe(tasks),
            "task T-2 title=\"Pricing\" category=naming_issue source=naming_issue.md line=1 "
            "number=1\n"
            "  file src/pricing_rules.py role=code line=4 exists=no\n"
            "  file tests/test_pricing_rules.py role=test line=7 exists=no\n"
            "  instruction line=15 info=\"bash\" lang=\"bash\" heading=\"Code File Rename\" "
            "body=\"mv src/pricing.py src/pricing_rules.py\\n\"\n"
            "  suggestion \"Found similar file: src/pricing.py\"\n"
            "  suggestion \"Update evidence path to: `src/pricing_v2.py`\"\n"
            "  suggestion \"Rename src/old.py to src/pricing_rules.py\"\n"
            "  similar src/pricing.py\n"
            "  similar tests/test_pricing.py\n"
            "  similar src/pricing_v2.py\n"
            "  similar src/old.py\n");
}

TEST(ParseCategory, WhatsNextEndsTheLastTaskAtAnyLevel) {
  auto tasks = parse_ok(
      "## Task 1: T-1 - Last\n"
      "text\n"
      "\n"
      "### What's Next?\n"
      "```bash\n"
      "run-everything\n"
      "```\n");
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].raw, "## Task 1: T-1 - Last\ntext\n");
  EXPECT_TRUE(tasks[0].instructions.empty());
}

TEST(ParseCategory, HeadingsInsideFencesAreBody) {
  auto tasks = parse_ok(
      "## Task 1: T-1 - A\n"
      "### Verification\n"
      "```markdown\n"
      "## Task 2: FAKE - not a task\n"
      "## Summary\n"
      "```\n");
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].instructions.size(), 1u);
  EXPECT_EQ(tasks[0].instructions[0].body, "## Task 2: FAKE - not a task\n## Summary\n");
}

TEST(ParseCategory, InvalidUtf8NamesTheLine) {
  EXPECT_EQ(parse_err("## Task 1: T - t\nok\nbad \xC3\x28 byte\n", "not_implemented.md"),
            "not_implemented.md:3: invalid UTF-8");
}

TEST(ParseCategory, NoTaskIsNotAnError) {
  auto tasks = parse_ok("# Nothing\n\nno tasks here\n");
  EXPECT_TRUE(tasks.empty());
  EXPECT_TRUE(parse_ok("").empty());
}

TEST(ParseCategory, StructFieldsExactly) {
  auto tasks = parse_ok(
      "## Task 2: TSK-9 - Exact\n"
      "**Path:** `a.py`\n"
      "### Code\n"
      "```py\n"
      "x\n"
      "```\n",
      "missing_code.md", Unit::kMissingCode);
  PackTask want;
  want.id = "TSK-9";
  want.title = "Exact";
  want.category = Unit::kMissingCode;
  want.source = "missing_code.md";
  want.line = 1;
  want.number = 2;
  PackFile f;
  f.path = "a.py";
  f.role = FileRole::kCode;
  f.line = 2;
  f.fences.push_back(Fence{"py", "py", "x\n", 4, "Code", true});
  want.files.push_back(f);
  want.raw = "## Task 2: TSK-9 - Exact\n**Path:** `a.py`\n### Code\n```py\nx\n```\n";
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0], want);
}

}  // namespace
}  // namespace smartspec::pack
