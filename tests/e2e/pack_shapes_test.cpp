// Issue 19, defects 6 and 8: naming issues follow the pack (option A by
// default), `#### File: <path>` headings and numbered category files.
#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace smartspec::test {
namespace {

std::string status_of(const std::string& json, const std::string& id) {
  auto at = json.find("\"id\": \"" + id + "\"");
  if (at == std::string::npos) return "<no task " + id + ">";
  auto s = json.find("\"status\": \"", at);
  if (s == std::string::npos) return "<no status>";
  s += 11;
  return json.substr(s, json.find('"', s) - s);
}

// Defect 8: real code under `#### File:` headings in a numbered category file.
TEST(PackShapes, FileHeadingsInANumberedCategoryFile) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  fs::path pack = dir.path() / "packs" / "20260404_000000";
  write(pack / "01-missing_code.md",
        "# Missing Code\n\n## Task 1: TSK-INV-005 - Stock report\n\n"
        "#### File: `src/inventory/reports.py`\n\n```python\nclass StockReport:\n    size = "
        "0\n```\n");
  auto r = run_tool({"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md", "--json"}, repo);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(status_of(r.out, "TSK-INV-005"), "verified") << r.out;
  EXPECT_EQ(git(repo, {"show", "smartspec/20260404_000000:src/inventory/reports.py"}),
            "class StockReport:\n    size = 0");
}

// The real prompter's pack for a project whose tasks all verify: README.md and
// meta/summary.json only. Nothing to do (exit 0), nothing written.
TEST(PackShapes, APackOfAFullyVerifiedProjectIsNothingToDo) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  fs::path pack = dir.path() / "packs" / "20260404_000009";
  write(pack / "README.md", "# Implementation Prompts - Verification Issues\n");
  write(pack / "meta/summary.json",
        "{\"total_tasks\": 0, \"verified\": 7, \"not_verified\": 0, "
        "\"by_category\": {\"verified\": 7}}");
  const std::string before = user_state(repo);
  const std::string refs = git(repo, {"for-each-ref"});
  auto r = run_tool({"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md"}, repo);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "nothing to do: the pack has no task to run\n") << r.err;
  EXPECT_EQ(user_state(repo), before);
  EXPECT_EQ(git(repo, {"for-each-ref"}), refs);
  auto p = run_tool({"plan", "--prompts-dir", pack.string(), "--tasks", "tasks.md"}, repo);
  EXPECT_EQ(p.exit_code, 0) << p.out << p.err;
}

// The real prompter's naming template recommends option A (update the
// evidence path); a rename happens only with --rename-files.
const char* kNaming =
    "# Naming Issues\n\n## Task 1: TSK-INV-006 - Stock reservation service\n\n"
    "### Evidence Expectations\n\n**Code Evidence:**\n- Expected path: "
    "`src/inventory/stock_services.py`\n"
    "- Status: ❌ Not found at expected path\n\n### Similar Files Found\n\n"
    "- `src/inventory/stock_service.py` (97% similar)\n\n### Resolution Options\n\n"
    "#### Option A: Update Evidence (Recommended)\n\nIf the similar file is the correct "
    "implementation:\n\n"
    "#### Option B: Rename File\n\n```bash\nmv src/inventory/stock_service.py "
    "src/inventory/stock_services.py\n```\n";

TEST(PackShapes, NamingIssueUpdatesTheEvidencePathByDefault) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  fs::path pack = dir.path() / "packs" / "20260404_000001";
  write(pack / "naming_issue.md", kNaming);
  auto r = run_tool({"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md", "--json"}, repo);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(status_of(r.out, "TSK-INV-006"), "verified") << r.out;
  const std::string b = "smartspec/20260404_000001";
  EXPECT_EQ(git(repo, {"diff", "--name-status", "HEAD", b}), "M\ttasks.md");
  EXPECT_NE(git(repo, {"show", b + ":tasks.md"})
                .find("- [ ] TSK-INV-006 Stock reservation service\n"
                      "  evidence: code path=src/inventory/stock_service.py symbol=StockService\n"),
            std::string::npos);
}

TEST(PackShapes, RenameFilesRefusesToBreakReferences) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  write(fs::path(repo) / "src/inventory/api.py",
        "from inventory.stock_service import StockService\n");
  git(repo, {"add", "."});
  git(repo, {"commit", "-q", "-m", "api"});
  fs::path pack = dir.path() / "packs" / "20260404_000002";
  write(pack / "naming_issue.md", kNaming);
  auto r = run_tool(
      {"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md", "--json", "--rename-files"},
      repo);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(status_of(r.out, "TSK-INV-006"), "failed") << r.out;
  EXPECT_NE(r.out.find("src/inventory/api.py"), std::string::npos) << r.out;
  EXPECT_EQ(git(repo, {"rev-parse", "smartspec/20260404_000002"}),
            git(repo, {"rev-parse", "HEAD"}));
}

// Option A changes tasks.md, not the file's name: the plan and a failure say
// so. The rename wording is for --rename-files and for a pack that offers
// only a rename.
TEST(PackShapes, NamingPlanAndFailureSayWhatOptionADoes) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  fs::path pack = dir.path() / "packs" / "20260404_000003";
  write(pack / "naming_issue.md", kNaming);
  std::vector<std::string> plan{"run",         "--dry-run", "--prompts-dir",
                                pack.string(), "--tasks",   "tasks.md"};
  auto a = run_tool(plan, repo);
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.out.find("      update  evidence path src/inventory/stock_services.py -> "
                       "src/inventory/stock_service.py in tasks.md  (code, path from pack)\n"),
            std::string::npos)
      << a.out;
  EXPECT_EQ(a.out.find("rename"), std::string::npos) << a.out;
  // The JSON says the same: the evidence path goes from the expected path to
  // the similar file; no rename.
  auto aj =
      run_tool({"plan", "--json", "--prompts-dir", pack.string(), "--tasks", "tasks.md"}, repo);
  EXPECT_EQ(aj.exit_code, 0) << aj.err;
  EXPECT_NE(aj.out.find("\"path\": \"src/inventory/stock_service.py\",\n"
                        "              \"role\": \"code\",\n"
                        "              \"action\": \"update_evidence\",\n"
                        "              \"from\": \"src/inventory/stock_services.py\""),
            std::string::npos)
      << aj.out;
  EXPECT_EQ(aj.out.find("\"rename\""), std::string::npos) << aj.out;
  // plan takes --rename-files as run does (it shapes the plan).
  auto bj = run_tool(
      {"plan", "--json", "--rename-files", "--prompts-dir", pack.string(), "--tasks", "tasks.md"},
      repo);
  EXPECT_EQ(bj.exit_code, 0) << bj.err;
  EXPECT_NE(bj.out.find("\"action\": \"rename\""), std::string::npos) << bj.out;
  plan.push_back("--rename-files");
  auto b = run_tool(plan, repo);
  EXPECT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(b.out.find("      rename  src/inventory/stock_service.py -> "
                       "src/inventory/stock_services.py  (code, path from pack)\n"),
            std::string::npos)
      << b.out;

  // The similar file the pack names does not exist: nothing to point at.
  std::string none = kNaming;
  auto at = none.find("- `src/inventory/stock_service.py` (97% similar)");
  none.replace(at, std::string("- `src/inventory/stock_service.py`").size(),
               "- `src/inventory/gone.py`");
  fs::path pack2 = dir.path() / "packs" / "20260404_000004";
  write(pack2 / "naming_issue.md", none);
  auto r =
      run_tool({"run", "--prompts-dir", pack2.string(), "--tasks", "tasks.md", "--json"}, repo);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(status_of(r.out, "TSK-INV-006"), "failed") << r.out;
  EXPECT_NE(r.out.find("src/inventory/stock_services.py: no similar file to point the evidence "
                       "at (the pack names none that exists)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("to rename"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("rename the right file"), std::string::npos) << r.out;
  // With --rename-files the same task fails for want of a file to rename.
  fs::path pack3 = dir.path() / "packs" / "20260404_000005";
  write(pack3 / "naming_issue.md", none);
  auto f = run_tool(
      {"run", "--prompts-dir", pack3.string(), "--tasks", "tasks.md", "--json", "--rename-files"},
      repo);
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_NE(f.out.find("src/inventory/stock_services.py: no similar file to rename"),
            std::string::npos)
      << f.out;
}

}  // namespace
}  // namespace smartspec::test
