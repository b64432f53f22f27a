// Issue 19, defects 1, 2 and 7: apply writes only what it can stand behind:
// a fence in the target file's language, never the real prompter's template
// skeletons or placeholders, snippets placed by the language's rules and
// never duplicated.
#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace smartspec::test {
namespace {

const char* kRun = "20260202_000000";

std::string status_of(const std::string& json, const std::string& id) {
  auto at = json.find("\"id\": \"" + id + "\"");
  if (at == std::string::npos) return "<no task " + id + ">";
  auto s = json.find("\"status\": \"", at);
  if (s == std::string::npos) return "<no status>";
  s += 11;
  return json.substr(s, json.find('"', s) - s);
}

struct ApplyGuard : ::testing::Test {
  TempDir dir;
  std::string repo;
  fs::path pack;
  void make(const std::map<std::string, std::string>& files) {
    repo = make_repo(dir, files);
    pack = dir.path() / "packs" / kRun;
  }
  CmdResult run_pack(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(args, repo);
  }
  std::string branch() const { return std::string("smartspec/") + kRun; }
  bool at_tip(const std::string& path) {
    return run({"git", "-C", repo, "cat-file", "-e", branch() + ":" + path}).exit_code == 0;
  }
};

// Defect 1: the real missing_code template's Python skeleton is not written
// into a TypeScript file, nor `import pytest` into a .bats test; nothing is
// ticked, the run does not exit 0.
TEST_F(ApplyGuard, AFenceInAnotherLanguageIsNeverWritten) {
  make({{"tasks.md",
         "# tasks\n\n- [ ] TSK-W-001 Cart store\n  evidence: code path=src/store/cart-store.ts "
         "symbol=CartStore\n"
         "- [ ] TSK-W-002 Deploy script test\n  evidence: test path=tests/deploy.bats "
         "contains=\"@test\"\n"},
        {"src/store/index.ts", "export const x = 1;\n"},
        {"scripts/deploy.sh", "#!/bin/sh\necho deploy\n"}});
  write(pack / "missing_code.md",
        "# Missing Code\n\n## Task 1: TSK-W-001 - Cart store\n\n"
        "### Implementation File to Create\n**Path:** `src/store/cart-store.ts`\n\n"
        "**Required Symbol:** `CartStore`\n\n### Implementation Template\n\n"
        "```python\n\"\"\"Cart store\n\nImplementation module for CartStore.\n\"\"\"\n\n"
        "class CartStore:\n    \"\"\"Cart store\"\"\"\n\n    def __str__(self):\n"
        "        return f\"CartStore()\"\n```\n");
  write(pack / "missing_tests.md",
        "# Missing Tests\n\n## Task 1: TSK-W-002 - Deploy script test\n\n"
        "### Test File to Create\n**Path:** `tests/deploy.bats`\n\n### Test Template\n\n"
        "```python\nimport pytest\n\ndef test_deploy():\n    assert run_deploy() == 0\n```\n");
  auto r = run_pack({"--verify-after-each", "--mark-done", "--json"});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(status_of(r.out, "TSK-W-001"), "needs_agent") << r.out;
  EXPECT_EQ(status_of(r.out, "TSK-W-002"), "needs_agent") << r.out;
  EXPECT_NE(r.out.find("fence language python does not fit src/store/cart-store.ts"),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(at_tip("src/store/cart-store.ts"));
  EXPECT_FALSE(at_tip("tests/deploy.bats"));
  EXPECT_EQ(git(repo, {"show", branch() + ":tasks.md"}).find("[x]"), std::string::npos);
}

// Defect 1 on the real prompter's packs: no template skeleton, TODO or
// engine artefact is ever committed, and nothing is called verified that
// `verify` does not verify afterwards.
TEST_F(ApplyGuard, TheRealPromptersPackCommitsNoTemplateLeftovers) {
  repo = make_inventory_repo(dir);
  std::string real =
      (fixtures() / "inventory" / "packs" / "20261124_073208-fields-aligned").string();
  auto r = run_tool({"run", "--prompts-dir", real, "--tasks", "tasks.md", "--json"}, repo);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string b = "smartspec/20261124_073208-fields-aligned";
  std::string diff = git(repo, {"diff", "HEAD", b, "--", ".", ":!tasks.md"});
  EXPECT_EQ(diff.find("TODO"), std::string::npos) << diff;
  EXPECT_EQ(diff.find("{{"), std::string::npos) << diff;
  EXPECT_EQ(diff.find("+\"json.dumps\""), std::string::npos) << diff;
  // Every task the report calls verified verifies on the result.
  auto v = run_tool({"verify", "tasks.md", "--rev", b, "--json"}, repo);
  for (std::size_t at = r.out.find("\"status\": \"verified\""); at != std::string::npos;
       at = r.out.find("\"status\": \"verified\"", at + 1)) {
    auto id_at = r.out.rfind("\"id\": \"", at) + 7;
    std::string id = r.out.substr(id_at, r.out.find('"', id_at) - id_at);
    auto t = v.out.find("\"task_id\": \"" + id + "\"");
    ASSERT_NE(t, std::string::npos) << id;
    auto next = v.out.find("\"task_id\"", t + 10);
    auto yes = v.out.find("\"verified\": true", t);
    EXPECT_TRUE(yes != std::string::npos && (next == std::string::npos || yes < next)) << id;
  }
}

// Defect 2: the content template's placeholders ("" and the bare pattern)
// are never applied, neither to Go nor to Python with a docstring.
TEST_F(ApplyGuard, ContentPlaceholdersNeedAnAgent) {
  make({{"tasks.md",
         "# tasks\n\n- [ ] TSK-C-001 Handler logs JSON\n  evidence: code path=cmd/main.go "
         "contains=\"json.Marshal\"\n"
         "- [ ] TSK-C-002 Module writes JSON\n  evidence: code path=app/mod.py "
         "contains=\"json.dumps\"\n"},
        {"cmd/main.go", "package main\n\nfunc main() {}\n"},
        {"app/mod.py", "\"\"\"Module doc.\"\"\"\n\nX = 1\n"}});
  write(pack / "content_issue.md",
        "# Content Issues\n\n## Task 1: TSK-C-001 - Handler logs JSON\n\n### File Information\n"
        "**Path:** `cmd/main.go`  \n**Status:** ✅ File exists  \n\n**Missing Content:** ``\n\n"
        "### Content to Add\n\n**Type:** String Literal\n\n**Content:**\n```python\n\"\"\n```\n\n"
        "**Example Usage:**\n```python\n# Add at module level\nCONTENT = \"\"\n```\n\n"
        "## Task 2: TSK-C-002 - Module writes JSON\n\n### File Information\n"
        "**Path:** `app/mod.py`  \n**Status:** ✅ File exists  \n\n**Missing Content:** "
        "`json.dumps`\n\n"
        "### Content to Add\n\n**Content:**\n```python\n\"json.dumps\"\n```\n\n"
        "**Type:** Code Pattern\n\n**Implementation:**\n```python\njson.dumps\n```\n");
  auto r = run_pack({"--json", "--verify-after-each"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(status_of(r.out, "TSK-C-001"), "needs_agent") << r.out;
  EXPECT_EQ(status_of(r.out, "TSK-C-002"), "needs_agent") << r.out;
  EXPECT_EQ(git(repo, {"rev-parse", branch()}), git(repo, {"rev-parse", "HEAD"}));
}

// Defect 7: a shell snippet goes before the script's final exit and does not
// repeat its shebang and `set` line; Python imports go with the imports
// (after the module docstring), even after a comment; nothing is duplicated.
TEST_F(ApplyGuard, SnippetsArePlacedByLanguageRules) {
  make({{"tasks.md",
         "# tasks\n\n- [ ] TSK-S-001 Cleanup\n  evidence: code path=scripts/run.sh "
         "contains=\"cleanup()\"\n"
         "- [ ] TSK-S-002 Dump\n  evidence: code path=app/mod.py symbol=dump\n"
         "- [ ] TSK-S-003 Dump twice\n  evidence: code path=app/mod.py symbol=dump\n"},
        {"scripts/run.sh", "#!/bin/sh\nset -eu\necho start\nexit 0\n"},
        {"app/mod.py", "\"\"\"Module doc.\"\"\"\n\nX = 1\n"}});
  write(
      pack / "symbol_issue.md",
      "# Symbol Issues\n\n## Task 1: TSK-S-001 - Cleanup\n\n**Path:** `scripts/run.sh`\n\n"
      "**Implementation:**\n```bash\n#!/bin/sh\nset -eu\n\ncleanup() {\n  rm -f /tmp/x\n}\n```\n\n"
      "## Task 2: TSK-S-002 - Dump\n\n**Path:** `app/mod.py`\n\n"
      "**Implementation:**\n```python\n# needed for dump\nimport json\n\n\ndef dump(x):\n    "
      "return json.dumps(x)\n```\n\n"
      "## Task 3: TSK-S-003 - Dump twice\n\n**Path:** `app/mod.py`\n\n"
      "**Implementation:**\n```python\nimport json\n\n\ndef dump(x):\n    return "
      "json.dumps(x)\n```\n");
  auto r = run_pack({"--json"});
  EXPECT_EQ(status_of(r.out, "TSK-S-001"), "verified") << r.out << r.err;
  EXPECT_EQ(status_of(r.out, "TSK-S-002"), "verified") << r.out << r.err;
  std::string sh_text = git(repo, {"show", branch() + ":scripts/run.sh"});
  EXPECT_EQ(sh_text, "#!/bin/sh\nset -eu\necho start\n\ncleanup() {\n  rm -f /tmp/x\n}\n\nexit 0")
      << sh_text;
  std::string py = git(repo, {"show", branch() + ":app/mod.py"});
  EXPECT_EQ(py,
            "\"\"\"Module doc.\"\"\"\n# needed for dump\nimport json\n\nX = 1\n\ndef dump(x):\n    "
            "return json.dumps(x)")
      << py;
}

}  // namespace
}  // namespace smartspec::test
