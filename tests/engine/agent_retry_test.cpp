// Verify and retry, progress and failures of `run --agent` (issue 18), end to
// end on the real fields-aligned pack and the inventory project with sh
// scripts as agents: a task that does not verify is given back to the agent
// with what is still missing (--agent-attempts); a failed call shows the end
// of the agent's output and its log; a missing agent program stops the run
// before it starts.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "support/test_support.hpp"

namespace smartspec::test {
namespace {

const char* kRunId = "20261124_073208-fields-aligned";
const std::string kBranch = std::string("smartspec/") + kRunId;

std::string fixture_pack() { return (fixtures() / "inventory" / "packs" / kRunId).string(); }

// Gets TSK-INV-005 wrong (a class Report) unless its prompt says what is
// still missing, then right (class StockReport). Counts its calls.
std::string wrong_first_agent(const TempDir& dir) {
  std::string path = dir.str() + "/agent.sh";
  write(path,
        "prompt=$(cat)\n"
        "echo call >> " +
            dir.str() +
            "/calls\n"
            "mkdir -p src/inventory\n"
            "case \"$prompt\" in\n"
            "  *'## What is still missing'*'`src/inventory/reports.py` does not define "
            "`StockReport`'*)\n"
            "    printf 'class StockReport:\\n    pass\\n' > src/inventory/reports.py ;;\n"
            "  *) printf 'class Report:\\n    pass\\n' > src/inventory/reports.py ;;\n"
            "esac\n"
            "echo \"attempt $SMARTSPEC_ATTEMPT done\"\n");
  return path;
}

std::vector<std::string> run_args(const std::string& agent, const std::string& attempts) {
  return {"run",         "--prompts-dir",   fixture_pack(), "--tasks",
          "tasks.md",    "--only-category", "missing_code", "--agent",
          "sh " + agent, "--agent-timeout", "60",           "--agent-attempts",
          attempts};
}

std::string json_task(const std::string& json, const std::string& id) {
  auto at = json.find("\"id\": \"" + id + "\"");
  if (at == std::string::npos) return {};
  return json.substr(at, json.find('}', at) - at);
}

TEST(AgentRetry, TwoAttemptsEndVerified) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string agent = wrong_first_agent(dir);
  auto r = run_tool(run_args(agent, "2"), repo);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(read(dir.path() / "calls"), "call\ncall\n");
  EXPECT_EQ(git(repo, {"show", kBranch + ":src/inventory/reports.py"}),
            "class StockReport:\n    pass");
  auto v = run_tool({"verify", "tasks.md", "--rev", kBranch, "--task", "TSK-INV-005"}, repo);
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  // The second prompt: the first one plus what was missing.
  const fs::path logs = fs::path(repo) / ".git" / "smartspec" / "logs" / kRunId;
  std::string first = read(logs / "TSK-INV-005.prompt.md");
  std::string second = read(logs / "TSK-INV-005.attempt-2.prompt.md");
  EXPECT_EQ(second.rfind(first, 0), 0u);
  EXPECT_EQ(second.substr(first.size()),
            "\n## What is still missing (attempt 2 of 2)\n\n"
            "The previous attempt's changes are in the working directory, but they do not\n"
            "verify yet. Still missing:\n\n"
            "TSK-INV-005:\n\n"
            "- `src/inventory/reports.py` does not define `StockReport`\n\n"
            "Check again with:\n\n"
            "    " +
                binary() + " verify tasks.md --task TSK-INV-005\n");
  EXPECT_EQ(read(logs / "TSK-INV-005.attempt-2.log"), "attempt 2 done\n");
  auto show = run_tool({"show", kRunId, "--json"}, repo);
  std::string task = json_task(show.out, "TSK-INV-005");
  EXPECT_NE(task.find("\"attempts\": 2"), std::string::npos) << task;
  EXPECT_NE(task.find("\"verified after attempt 2\""), std::string::npos) << task;
  EXPECT_NE(task.find("TSK-INV-005.attempt-2.log"), std::string::npos) << task;
  git(repo, {"fsck", "--strict"});
}

TEST(AgentRetry, OneAttemptEndsUnverified) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string agent = wrong_first_agent(dir);
  auto r = run_tool(run_args(agent, "1"), repo);
  EXPECT_EQ(read(dir.path() / "calls"), "call\n");
  // The agent's change is committed, but the task does not verify.
  EXPECT_EQ(git(repo, {"show", kBranch + ":src/inventory/reports.py"}), "class Report:\n    pass");
  auto v = run_tool({"verify", "tasks.md", "--rev", kBranch, "--task", "TSK-INV-005"}, repo);
  EXPECT_EQ(v.exit_code, 1) << v.out << v.err;
  EXPECT_NE(v.out.find("   - `src/inventory/reports.py` does not define `StockReport`\n"),
            std::string::npos)
      << v.out;
  auto show = run_tool({"show", kRunId, "--json"}, repo);
  std::string task = json_task(show.out, "TSK-INV-005");
  EXPECT_NE(task.find("\"attempts\": 1"), std::string::npos) << task;
  EXPECT_NE(task.find("\"not verified after 1 attempt: `src/inventory/reports.py` does not define "
                      "`StockReport`\""),
            std::string::npos)
      << task;
  EXPECT_FALSE(fs::exists(fs::path(repo) / ".git" / "smartspec" / "logs" / kRunId /
                          "TSK-INV-005.attempt-2.prompt.md"));
}

TEST(AgentRetry, AFailedCallShowsTheEndOfItsOutputAndItsLog) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string agent = dir.str() + "/agent.sh";
  write(agent, "cat >/dev/null\necho starting\necho 'Error: API key missing' >&2\nexit 7\n");
  auto r = run_tool(run_args(agent, "2"), repo);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string log =
      (fs::path(repo) / ".git" / "smartspec" / "logs" / kRunId / "TSK-INV-005.log").string();
  EXPECT_NE(r.out.find("agent exited with 7\n    | starting\n    | Error: API key missing\n"
                       "    log: " +
                       log + "\n"),
            std::string::npos)
      << r.out;
}

TEST(AgentRetry, AMissingAgentProgramStopsBeforeTheRun) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string before = user_state(repo);
  auto r = run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--agent",
                     "no-such-agent-cli -p"},
                    repo);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "smartspec-batch: error: --agent: no-such-agent-cli: command not found on PATH\n");
  EXPECT_EQ(git(repo, {"branch", "--list", kBranch}), "");
  EXPECT_EQ(user_state(repo), before);
  auto rel = run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--agent",
                       "./nothing/here.sh"},
                      repo);
  EXPECT_EQ(rel.exit_code, 2);
  EXPECT_EQ(rel.err,
            "smartspec-batch: error: --agent: ./nothing/here.sh: not an executable file\n");
}

// On a terminal the live line ticks during the call, with the agent's last
// output line. No clock in the test: the agent waits until the test has seen
// that line (bounded), then finishes.
TEST(AgentProgress, TheLiveLineShowsTheAgentsLastOutputLine) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  const std::string go = dir.str() + "/go";
  std::string agent = dir.str() + "/agent.sh";
  write(agent,
        "cat >/dev/null\n"
        "echo 'waiting for go'\n"
        "i=0; while [ ! -f " +
            go +
            " ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n"
            "mkdir -p src/inventory && printf 'class StockReport:\\n    pass\\n' > "
            "src/inventory/reports.py\n");
  std::vector<std::string> args = {"run",         "--prompts-dir",   fixture_pack(), "--tasks",
                                   "tasks.md",    "--only-category", "missing_code", "--agent",
                                   "sh " + agent, "--agent-timeout", "120"};
  std::string out;
  bool released = false;
  const int code = run_tool_on_terminal(args, repo, out, [&](const std::string& seen) {
    if (!released && seen.find("elapsed | waiting for go") != std::string::npos) {
      write(go, "");
      released = true;
    }
  });
  EXPECT_TRUE(released) << out;
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("\r\x1b[Kmissing_code: task 1/1, TSK-INV-005: agent running, 0:0"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("[1/1] TSK-INV-005: Stock report\n"), std::string::npos) << out;
}

// The command the prompt gives the agent checks the task where the agent
// runs: in the scratch worktree, on the files it has written so far.
TEST(AgentRetry, ThePromptsVerifyCommandWorksInTheWorktree) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  const std::string out = dir.str() + "/verify.out";
  std::string agent = dir.str() + "/agent.sh";
  write(agent,
        "cmd=$(grep -m1 'verify tasks.md --task' | sed 's/^ *//')\n"
        "$cmd >> " +
            out + " 2>&1; echo \"rc=$?\" >> " + out +
            "\n"
            "mkdir -p src/inventory && printf 'class StockReport:\\n    pass\\n' > "
            "src/inventory/reports.py\n"
            "$cmd >> " +
            out + " 2>&1; echo \"rc=$?\" >> " + out + "\n");
  auto r = run_tool(run_args(agent, "2"), repo);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(read(out),
            "Verified 0/1 tasks (0%); 1 not verified; 0 marked [x] but not verified\n"
            "❌ TSK-INV-005 (missing_code, priority 2): Stock report\n"
            "   - `src/inventory/reports.py` does not exist\n"
            "rc=1\n"
            "Verified 1/1 tasks (100%); 0 not verified; 0 marked [x] but not verified\n"
            "rc=0\n");
}

TEST(VerifyTask, ExitZeroOnlyForTheVerifiedTask) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  // TSK-INV-001 verifies on the inventory project; TSK-INV-003 does not.
  auto ok = run_tool({"verify", "tasks.md", "--task", "TSK-INV-001"}, repo);
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(ok.out, "Verified 1/1 tasks (100%); 0 not verified; 0 marked [x] but not verified\n");
  auto no = run_tool({"verify", "tasks.md", "--task", "TSK-INV-003"}, repo);
  EXPECT_EQ(no.exit_code, 1);
  EXPECT_EQ(no.out,
            "Verified 0/1 tasks (0%); 1 not verified; 0 marked [x] but not verified\n"
            "❌ TSK-INV-003 (naming_issue, priority 4): Supplier registry\n"
            "   - `src/inventory/suppliers.py` does not exist\n"
            "   - `tests/test_suppliers.py` does not exist (similar: `tests/test_reports.py`, "
            "`tests/test_models.py`)\n");
  auto unknown = run_tool({"verify", "tasks.md", "--task", "TSK-NOPE"}, repo);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "smartspec-batch: error: tasks.md: no task TSK-NOPE\n");
}

}  // namespace
}  // namespace smartspec::test
