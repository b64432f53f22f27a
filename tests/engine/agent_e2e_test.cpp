// `smartspec-batch run --agent CMD` end to end (issue 7 "Done when"): the real
// fields-aligned fixture pack on the inventory project, a sh script as the
// agent, the result checked with the real git.
#include <gtest/gtest.h>

#include <sstream>

#include "support/test_support.hpp"

namespace smartspec::test {
namespace {

const char* kRunId = "20261124_073208-fields-aligned";

std::string fixture_pack() { return (fixtures() / "inventory" / "packs" / kRunId).string(); }

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// An agent as a sh script: one note per task it is given (with the first line
// of the prompt it read on stdin), the configuration guide for TSK-INV-010;
// exits `fail_code` when its task list contains `fail_on`.
std::string write_agent(const TempDir& dir, const std::string& fail_on = "", int fail_code = 0) {
  std::string path = dir.str() + "/agent.sh";
  write(path,
        "set -e\n"
        "first=$(head -n 1)\n"
        "mkdir -p agent_notes\n"
        "for id in $(echo \"$SMARTSPEC_TASK_ID\" | tr ',' ' '); do\n"
        "  printf '%s (%s)\\n%s\\n' \"$id\" \"$SMARTSPEC_UNIT\" \"$first\" > agent_notes/$id.md\n"
        "  if [ \"$id\" = TSK-INV-010 ]; then\n"
        "    mkdir -p docs && printf '# Configuration\\n\\nSet INVENTORY_DB.\\n' > "
        "docs/configuration.md\n"
        "  fi\n"
        "done\n"
        "echo \"agent did $SMARTSPEC_TASK_ID\"\n"
        "case \"$SMARTSPEC_TASK_ID\" in *'" +
            (fail_on.empty() ? std::string("-none-") : fail_on) + "'*) echo giving up; exit " +
            std::to_string(fail_code) + ";; esac\n");
  return path;
}

TEST(AgentRun, OneCommitPerUnitWithTheAgentsEdits) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string base = git(repo, {"rev-parse", "HEAD"});
  std::string before = user_state(repo);
  std::string agent = write_agent(dir);

  auto r = run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--agent",
                     "sh " + agent, "--agent-timeout", "60"},
                    repo);
  // The agent writes notes: only TSK-INV-010's evidence (the configuration
  // guide's heading) verifies, so the run finishes with tasks not verified.
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("✅ [2/7] TSK-INV-010: Configuration guide\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("⚠️ [6/7] TSK-INV-007: Audit log retention — applied, not verified: "),
            std::string::npos)
      << r.out;
  EXPECT_EQ(user_state(repo), before);

  const std::string branch = std::string("smartspec/") + kRunId;
  EXPECT_EQ(lines(git(repo, {"log", "--format=%s", base + ".." + branch})),
            (std::vector<std::string>{
                "smartspec(content_issue): 1 task", "smartspec(symbol_issue): 1 task",
                "smartspec(missing_code): 1 task", "smartspec(not_implemented): 3 tasks",
                "smartspec(critical): 1 task"}));
  // Each unit's commit holds exactly what the agent did for its tasks.
  auto files_of = [&](const std::string& rev) {
    return lines(git(repo, {"diff-tree", "--no-commit-id", "--name-status", "-r", rev}));
  };
  EXPECT_EQ(files_of(branch + "~4"), std::vector<std::string>{"A\tagent_notes/TSK-INV-002.md"});
  EXPECT_EQ(
      files_of(branch + "~3"),
      (std::vector<std::string>{"A\tagent_notes/TSK-INV-010.md", "A\tagent_notes/TSK-INV-011.md",
                                "A\tagent_notes/TSK-INV-012.md", "A\tdocs/configuration.md"}));
  EXPECT_EQ(files_of(branch + "~2"), std::vector<std::string>{"A\tagent_notes/TSK-INV-005.md"});
  EXPECT_EQ(files_of(branch + "~1"), std::vector<std::string>{"A\tagent_notes/TSK-INV-007.md"});
  EXPECT_EQ(files_of(branch), std::vector<std::string>{"A\tagent_notes/TSK-INV-008.md"});
  // The prompt arrived on stdin; the unit came from the environment.
  EXPECT_EQ(git(repo, {"show", branch + ":agent_notes/TSK-INV-010.md"}),
            "TSK-INV-010 (not_implemented)\n# SmartSpec task TSK-INV-010: Configuration guide");
  EXPECT_EQ(git(repo, {"show", branch + ":docs/configuration.md"}),
            "# Configuration\n\nSet INVENTORY_DB.");
  // Every agent's output is kept per task.
  std::string logs = git(repo, {"rev-parse", "--git-common-dir"});
  EXPECT_EQ(read(fs::path(repo) / logs / "smartspec" / "logs" / kRunId / "TSK-INV-005.log"),
            "agent did TSK-INV-005\n");
  EXPECT_EQ(git(repo, {"fsck", "--no-progress", "--no-dangling"}), "");
}

// A finished agent run leaves nothing for the next run to "put back": the
// warning about an interrupted run's leftovers is for interrupted runs only,
// and the next run's first unit starts from its own base.
TEST(AgentRun, ASecondRunAfterAFinishedOneFindsNoLeftovers) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string agent = write_agent(dir);
  auto first = run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--agent",
                         "sh " + agent, "--run-id", "first"},
                        repo);
  ASSERT_EQ(first.exit_code, 1) << first.out << first.err;
  auto second = run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--agent",
                          "sh " + agent, "--run-id", "second"},
                         repo);
  EXPECT_EQ(second.exit_code, 1) << second.out << second.err;
  EXPECT_EQ(second.err.find("put back"), std::string::npos) << second.err;
  // The same units, the same trees: nothing of the first run leaked in.
  for (const char* rev : {"", "~1", "~2", "~3", "~4"}) {
    EXPECT_EQ(git(repo, {"rev-parse", std::string("smartspec/first") + rev + "^{tree}"}),
              git(repo, {"rev-parse", std::string("smartspec/second") + rev + "^{tree}"}))
        << rev;
  }
}

TEST(AgentRun, PerUnitCallThatFailsRollsTheUnitBack) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string base = git(repo, {"rev-parse", "HEAD"});
  std::string agent = write_agent(dir, "TSK-INV-011", 1);

  auto r = run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--agent",
                     "sh " + agent, "--agent-per", "unit"},
                    repo);
  // The unit's one call failed: its three tasks fail, the budget (3) is spent.
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  const std::string branch = std::string("smartspec/") + kRunId;
  EXPECT_EQ(lines(git(repo, {"log", "--format=%s", base + ".." + branch})),
            std::vector<std::string>{"smartspec(critical): 1 task"});
  EXPECT_EQ(git(repo, {"ls-tree", "-r", "--name-only", branch, "agent_notes"}),
            "agent_notes/TSK-INV-002.md");
  std::string logs = git(repo, {"rev-parse", "--git-common-dir"});
  EXPECT_EQ(read(fs::path(repo) / logs / "smartspec" / "logs" / kRunId / "not_implemented.log"),
            "agent did TSK-INV-010,TSK-INV-011,TSK-INV-012\ngiving up\n");
  EXPECT_NE(r.out.find("agent exited with 1"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace smartspec::test
