// The agent's prompt (issue 18): evidence lines spelled out, what is still
// missing, the verify command, the first and the retry prompt — strings in,
// exact text out.
#include "engine/agent_prompt.hpp"

#include <gtest/gtest.h>

#include "smartspec/tasks/tasks.hpp"

namespace smartspec::engine {
namespace {

// The evidence lines of the first task of a tasks.md text.
std::vector<Evidence> evidence(const std::string& lines) {
  auto doc = tasks::parse("- [ ] T-1 Title\n" + lines, "tasks.md");
  EXPECT_TRUE(doc);
  EXPECT_EQ(doc->tasks.size(), 1u);
  return doc->tasks.front().evidence;
}

Evidence one(const std::string& line) {
  auto ev = evidence("  evidence: " + line + "\n");
  EXPECT_EQ(ev.size(), 1u) << line;
  return ev.empty() ? Evidence{} : ev.front();
}

TEST(AgentPrompt, EachEvidenceLineSpelledOut) {
  EXPECT_EQ(describe_evidence(one("code path=src/a.py symbol=Foo")),
            "file `src/a.py` must exist and define `Foo`");
  EXPECT_EQ(describe_evidence(one("code path=src/a.py symbol=Foo contains=\"x y\"")),
            "file `src/a.py` must exist and define `Foo`, must contain `x y`");
  EXPECT_EQ(describe_evidence(one("code path=src/a.py regex=\"def \\w+\"")),
            "file `src/a.py` must exist, must match the regex `def \\w+`");
  EXPECT_EQ(describe_evidence(one("code path=src/pkg/ contains=\"import os\"")),
            "directory `src/pkg/` must exist and hold a file that contains `import os`");
  EXPECT_EQ(describe_evidence(one("test path=tests/test_a.py contains=\"def test_a\"")),
            "test file `tests/test_a.py` must exist, must contain `def test_a`");
  EXPECT_EQ(describe_evidence(one("docs path=docs/a.md heading=\"Set up\"")),
            "document `docs/a.md` must exist and have a heading `Set up`");
  EXPECT_EQ(describe_evidence(one("ui path=web/index.html selector=\"#app\"")),
            "file `web/index.html` must exist and contain `#app`");
  EXPECT_EQ(describe_evidence(one("code path=src/a.py contains=\"a `b` c\"")),
            "file `src/a.py` must exist, must contain `` a `b` c ``");
}

verify::EvidenceCheck check(const std::string& line, const std::string& reason,
                            std::vector<verify::SimilarFile> similar = {}) {
  verify::EvidenceCheck c;
  c.evidence = one(line);
  c.path = c.evidence.get("path").value_or("");
  c.reason = reason;
  c.similar = std::move(similar);
  return c;
}

TEST(AgentPrompt, WhatIsStillMissing) {
  EXPECT_EQ(describe_missing(check("code path=src/a.py symbol=Foo", "file not found",
                                   {{"src/b.py", 0.8}, {"src/ab.py", 0.7}})),
            "`src/a.py` does not exist (similar: `src/b.py`, `src/ab.py`)");
  EXPECT_EQ(describe_missing(check("test path=tests/t.py", "anchor not found: tests/t.py")),
            "`tests/t.py` does not exist");
  EXPECT_EQ(describe_missing(check("docs path=d.md", "file not found: d.md")),
            "`d.md` does not exist");
  EXPECT_EQ(describe_missing(check("code path=src/a.py symbol=Foo", "symbol not found")),
            "`src/a.py` does not define `Foo`");
  EXPECT_EQ(describe_missing(check("code path=src/a.py contains=\"x y\"", "contains not found")),
            "`src/a.py` does not contain `x y`");
  EXPECT_EQ(describe_missing(check("code path=src/a.py regex=\"^v\\d\"", "regex not matched")),
            "`src/a.py` does not match the regex `^v\\d`");
  EXPECT_EQ(describe_missing(check("docs path=d.md heading=Usage", "heading not found")),
            "`d.md` has no heading `Usage`");
  EXPECT_EQ(describe_missing(check("ui path=i.html selector=\"#app\"", "selector not found")),
            "`i.html` does not contain `#app`");
  EXPECT_EQ(describe_missing(
                check("code path=src/ contains=\"import os\"", "no match found in directory scan")),
            "no file under `src/` contains `import os`");
  EXPECT_EQ(describe_missing(check("code path=src/a.py", "unreadable")), "`src/a.py`: unreadable");
}

PromptInput input() {
  PromptInput in;
  in.unit = "missing_code";
  in.tasks_file = "tasks.md";
  in.program = "/opt/smartspec/bin/smartspec-batch";
  PromptTask t;
  t.id = "TSK-INV-005";
  t.title = "Stock report";
  t.section = "## Task 1: TSK-INV-005 - Stock report\n\n**Path:** `src/inventory/reports.py`";
  t.evidence = evidence(
      "  evidence: code path=src/inventory/reports.py symbol=StockReport\n"
      "  evidence: test path=tests/test_reports.py contains=\"def "
      "test_stock_report_lists_items\"\n");
  t.files = {"src/inventory/reports.py", "tests/test_reports.py"};
  in.tasks.push_back(t);
  return in;
}

const char* kFirst =
    "# SmartSpec task TSK-INV-005: Stock report\n"
    "\n"
    "- Unit: missing_code\n"
    "- Tasks file: tasks.md\n"
    "\n"
    "## The task, from the prompt pack\n"
    "\n"
    "## Task 1: TSK-INV-005 - Stock report\n"
    "\n"
    "**Path:** `src/inventory/reports.py`\n"
    "\n"
    "## What done means\n"
    "\n"
    "TSK-INV-005 is done when every evidence line of it in tasks.md holds:\n"
    "\n"
    "- file `src/inventory/reports.py` must exist and define `StockReport`\n"
    "- test file `tests/test_reports.py` must exist, must contain `def "
    "test_stock_report_lists_items`\n"
    "\n"
    "Files: `src/inventory/reports.py`, `tests/test_reports.py`\n"
    "\n"
    "Check it with this command (exit status 0 = done; it prints what is missing):\n"
    "\n"
    "    /opt/smartspec/bin/smartspec-batch verify tasks.md --task TSK-INV-005\n"
    "\n"
    "## Rules\n"
    "\n"
    "- Work only in the current directory, a checkout of the project: create, change or\n"
    "  delete files there and nowhere else.\n"
    "- Do not commit, stage or change anything in `.git`: smartspec-batch commits what you\n"
    "  change in this directory, as one commit per unit.\n"
    "- Do not tick tasks or change evidence lines in tasks.md.\n"
    "- Code fences in the section are templates: write real code, not TODOs.\n";

TEST(AgentPrompt, FirstAttempt) { EXPECT_EQ(build_agent_prompt(input()), kFirst); }

TEST(AgentPrompt, RetrySaysWhatIsStillMissing) {
  EXPECT_EQ(build_retry_prompt(
                input(), 2, 3,
                {{"TSK-INV-005", {"`src/inventory/reports.py` does not define `StockReport`"}}}),
            std::string(kFirst) +
                "\n"
                "## What is still missing (attempt 2 of 3)\n"
                "\n"
                "The previous attempt's changes are in the working directory, but they do not\n"
                "verify yet. Still missing:\n"
                "\n"
                "TSK-INV-005:\n"
                "\n"
                "- `src/inventory/reports.py` does not define `StockReport`\n"
                "\n"
                "Check again with:\n"
                "\n"
                "    /opt/smartspec/bin/smartspec-batch verify tasks.md --task TSK-INV-005\n");
}

TEST(AgentPrompt, VerifyCommandQuotesWhatAShellWouldSplit) {
  PromptInput in = input();
  in.program = "/home/a b/smartspec-batch";
  in.tasks_file = "/proj/it's/tasks.md";
  EXPECT_EQ(verify_command(in, "T-1"),
            "'/home/a b/smartspec-batch' verify '/proj/it'\\''s/tasks.md' --task T-1");
}

TEST(AgentPrompt, SeveralTasksEachWithItsSectionThenTheRulesOnce) {
  PromptInput in = input();
  PromptTask t;
  t.id = "T-2";
  t.section = "## Task 2: T-2\n\nDo it.\n";
  t.symbol = "Bar";
  in.tasks.push_back(t);
  std::string p = build_agent_prompt(in);
  EXPECT_EQ(p.rfind("# SmartSpec tasks TSK-INV-005, T-2\n\n- Unit: missing_code\n", 0), 0u) << p;
  auto first = p.find("# Task TSK-INV-005: Stock report\n");
  auto second = p.find(
      "# Task T-2\n\n## The task, from the prompt pack\n\n## Task 2: T-2\n\nDo it.\n\n"
      "## What done means\n\nT-2 has no evidence line in tasks.md: it is done when "
      "the section above is done.\n\n- the pack asks for the symbol `Bar`\n\n## Rules\n");
  EXPECT_NE(first, std::string::npos) << p;
  EXPECT_LT(first, second) << p;
  EXPECT_EQ(p.find("## Rules"), p.rfind("## Rules"));
}

}  // namespace
}  // namespace smartspec::engine
