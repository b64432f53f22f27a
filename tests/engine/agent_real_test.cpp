// `smartspec-batch run --agent '<a real agent CLI>'` end to end (issue 18):
// the real Codex CLI (OpenAI Responses API) and the real Claude Code CLI
// (Anthropic Messages API), from the npm registry at the versions
// scripts/agents-install pins, driven by a scripted model server on 127.0.0.1
// (tests/agents/mock_model.py) that answers with the tool calls a model would
// make. The pack is the real prompter's fields-aligned pack on the inventory
// project; TSK-INV-005's first attempt is wrong on purpose (the retry prompt
// must tell the agent what is missing). The unit commits are checked with the
// real git.
//
// The CLIs live in ${SMARTSPEC_AGENTS_DIR:-<source>/build/agents}; where they
// are not installed the tests skip, except under CI=true, where they fail.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "support/test_support.hpp"

extern char** environ;

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

fs::path agents_dir() {
  const char* env = std::getenv("SMARTSPEC_AGENTS_DIR");
  return env != nullptr && *env != '\0' ? fs::path(env) : source_dir() / "build" / "agents";
}

// The CLI's path, or "" (and the test skipped, or failed under CI) when missing.
std::string find_cli(const std::string& name) {
  fs::path p = agents_dir() / "node_modules" / ".bin" / name;
  return ::access(p.c_str(), X_OK) == 0 ? p.string() : std::string();
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

#define REQUIRE_CLI(var, name)                                          \
  const std::string var = find_cli(name);                               \
  if (var.empty()) {                                                    \
    if (in_ci())                                                        \
      FAIL() << name << " is not installed in " << agents_dir()         \
             << " (CI=true: scripts/deps runs scripts/agents-install)"; \
    GTEST_SKIP() << name << " is not installed in " << agents_dir()     \
                 << ": run scripts/agents-install (npm packages)";      \
  }

// The scripted model server, running while the object lives (bounded by its
// own limits too: it exits after --max-requests or --max-seconds).
class ModelServer {
 public:
  ModelServer(const TempDir& dir, const std::string& scenario) {
    port_file_ = dir.str() + "/model.port";
    log_ = dir.str() + "/model.log";
    std::vector<std::string> args = {
        "python3",        (source_dir() / "tests" / "agents" / "mock_model.py").string(),
        "--scenario",     scenario,
        "--port-file",    port_file_,
        "--log",          log_,
        "--max-requests", "400",
        "--max-seconds",  "600"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawnp(&pid_, "python3", nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
    // Wait for the port (the server writes it once listening), while it lives.
    for (int i = 0; i < 600 && pid_ > 0 && !fs::exists(port_file_); ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (fs::exists(port_file_)) port_ = read(port_file_);
  }
  ~ModelServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  ModelServer(const ModelServer&) = delete;
  ModelServer& operator=(const ModelServer&) = delete;
  [[nodiscard]] const std::string& port() const { return port_; }
  // The requests it answered, one JSON object a line.
  [[nodiscard]] std::vector<std::string> requests() const {
    return fs::exists(log_) ? lines(read(log_)) : std::vector<std::string>{};
  }

 private:
  pid_t pid_ = -1;
  std::string port_file_, log_, port_;
};

std::string scenario() { return (source_dir() / "tests" / "agents" / "inventory.json").string(); }

// Requests about `task` at `attempt` ("attempt": N in the server's log).
int count_requests(const std::vector<std::string>& log, const std::string& task, int attempt) {
  int n = 0;
  for (const auto& l : log) {
    if (l.find("\"task\": \"" + task + "\"") != std::string::npos &&
        l.find("\"attempt\": " + std::to_string(attempt)) != std::string::npos)
      ++n;
  }
  return n;
}

// Everything a successful run on the inventory pack must leave: the unit
// commits with the files the scenario writes, a clean fsck, every task
// verified on the result, TSK-INV-005 verified on its second attempt.
void expect_inventory_result(const std::string& repo, const std::string& base,
                             const std::string& before) {
  EXPECT_EQ(user_state(repo), before);
  const std::string branch = std::string("smartspec/") + kRunId;
  EXPECT_EQ(lines(git(repo, {"log", "--format=%s", base + ".." + branch})),
            (std::vector<std::string>{
                "smartspec(content_issue): 1 task", "smartspec(symbol_issue): 1 task",
                "smartspec(missing_code): 1 task", "smartspec(not_implemented): 2 tasks",
                "smartspec(critical): 1 task"}));
  auto files_of = [&](const std::string& rev) {
    return lines(git(repo, {"diff-tree", "--no-commit-id", "--name-status", "-r", rev}));
  };
  EXPECT_EQ(files_of(branch + "~4"), (std::vector<std::string>{"A\tsrc/inventory/pricing_rules.py",
                                                               "A\ttests/test_pricing_rules.py"}));
  EXPECT_EQ(files_of(branch + "~3"),
            (std::vector<std::string>{"A\tdocs/configuration.md", "M\tweb/index.html"}));
  EXPECT_EQ(files_of(branch + "~2"), std::vector<std::string>{"A\tsrc/inventory/reports.py"});
  EXPECT_EQ(files_of(branch + "~1"), std::vector<std::string>{"M\tsrc/inventory/audit.py"});
  EXPECT_EQ(files_of(branch), std::vector<std::string>{"M\tsrc/inventory/audit.py"});
  // The second attempt's file, not the first's.
  EXPECT_EQ(git(repo, {"show", branch + ":src/inventory/reports.py"}),
            "class StockReport:\n    \"\"\"Lists the items of a warehouse.\"\"\"\n\n"
            "    def __init__(self, items):\n        self.items = list(items)");
  std::string audit = git(repo, {"show", branch + ":src/inventory/audit.py"});
  EXPECT_NE(audit.find("class RetentionPolicy"), std::string::npos) << audit;
  EXPECT_NE(audit.find("json.dumps"), std::string::npos) << audit;
  git(repo, {"fsck", "--strict"});
  // Every task with evidence verifies on the result, one by one.
  for (const char* id :
       {"TSK-INV-002", "TSK-INV-005", "TSK-INV-007", "TSK-INV-008", "TSK-INV-010", "TSK-INV-011"}) {
    auto v = run_tool({"verify", "tasks.md", "--rev", branch, "--task", id}, repo);
    EXPECT_EQ(v.exit_code, 0) << id << "\n" << v.out << v.err;
  }
  // The report counts the attempts.
  auto show = run_tool({"show", kRunId, "--json"}, repo);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto at = show.out.find("\"id\": \"TSK-INV-005\"");
  ASSERT_NE(at, std::string::npos) << show.out;
  auto end = show.out.find('}', at);
  EXPECT_NE(show.out.substr(at, end - at).find("\"attempts\": 2"), std::string::npos)
      << show.out.substr(at, end - at);
}

TEST(RealAgent, CodexRunsThePackInOneCommitPerUnit) {
  REQUIRE_CLI(codex, "codex");
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string base = git(repo, {"rev-parse", "HEAD"});
  std::string before = user_state(repo);
  ModelServer server(dir, scenario());
  ASSERT_FALSE(server.port().empty()) << "the model server did not start";
  // CODEX_HOME must not lie under TMPDIR (codex's sandbox helper is not made
  // then): a private TMPDIR beside it.
  fs::create_directories(dir.path() / "codex-home");
  fs::create_directories(dir.path() / "tmp");
  const std::string provider =
      "model_providers.mock={name=\"mock\",base_url=\"http://127.0.0.1:" + server.port() +
      "/v1\",env_key=\"MOCK_KEY\",wire_api=\"responses\","
      "request_max_retries=0,stream_max_retries=0}";
  const std::string agent = codex +
                            " exec --sandbox workspace-write --ephemeral --disable plugins"
                            " --disable unbounded_connection_retries -c analytics.enabled=false"
                            " -c model_provider=mock -c model=gpt-5.1-codex -c '" +
                            provider + "' -";
  auto r = run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--agent",
                     agent, "--agent-timeout", "120"},
                    repo,
                    {{"CODEX_HOME", (dir.path() / "codex-home").string()},
                     {"TMPDIR", (dir.path() / "tmp").string()},
                     {"MOCK_KEY", "dummy"}});
  // 1: TSK-INV-012 has no evidence and the model writes nothing for it (no change);
  // the six others verify.
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("7 tasks: 6 verified, 1 no change\n"), std::string::npos) << r.out;
  expect_inventory_result(repo, base, before);
  auto log = server.requests();
  // The first attempt wrote the wrong class; the second was told what is missing.
  EXPECT_GE(count_requests(log, "TSK-INV-005", 1), 2);
  EXPECT_GE(count_requests(log, "TSK-INV-005", 2), 2);
  EXPECT_EQ(count_requests(log, "TSK-INV-010", 2), 0);
  for (const auto& l : log) EXPECT_NE(l.find("\"api\": \"responses\""), std::string::npos) << l;
}

// Claude Code's environment for the scripted server.
std::map<std::string, std::string> claude_env(const TempDir& dir, const std::string& port) {
  fs::create_directories(dir.path() / "claude-config");
  return {{"ANTHROPIC_BASE_URL", "http://127.0.0.1:" + port},
          {"ANTHROPIC_API_KEY", "dummy"},
          {"CLAUDE_CONFIG_DIR", (dir.path() / "claude-config").string()},
          {"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"},
          {"CLAUDE_CODE_MAX_RETRIES", "0"}};
}

std::string claude_command(const std::string& claude) {
  return claude +
         " -p --permission-mode acceptEdits --no-session-persistence --model claude-opus-4-5";
}

// The scratch worktree of the repository's runs (from `git worktree list`).
std::string scratch_worktree(const std::string& repo) {
  for (const auto& l : lines(git(repo, {"worktree", "list", "--porcelain"}))) {
    if (l.rfind("worktree ", 0) == 0 && fs::path(l.substr(9)) != fs::path(repo)) return l.substr(9);
  }
  return {};
}

TEST(RealAgent, ClaudeCodeRunsThePackInOneCommitPerUnit) {
  REQUIRE_CLI(claude, "claude");
  TempDir dir;
  ModelServer server(dir, scenario());
  ASSERT_FALSE(server.port().empty()) << "the model server did not start";
  auto env = claude_env(dir, server.port());
  {
    // Claude Code refuses to write any path under a `.git/` directory
    // ("sensitive file"), and the scratch worktree lived under .git/ until the
    // isolation work moves it out. A one-task probe tells which is the case:
    // skipped only when the worktree is under .git AND Claude Code said so.
    TempDir probe_dir;
    std::string probe = make_inventory_repo(probe_dir);
    auto r = run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md",
                       "--only-category", "critical", "--agent-attempts", "1", "--agent",
                       claude_command(claude), "--agent-timeout", "120"},
                      probe, env);
    std::string wt = scratch_worktree(probe);
    bool under_git = wt.find("/.git/") != std::string::npos;
    bool refused = false;
    for (const auto& l : server.requests())
      refused = refused || l.find("sensitive file") != std::string::npos;
    if (under_git && refused) {
      GTEST_SKIP() << "Claude Code refuses to write under .git/ (\"sensitive file\"), and the "
                      "scratch worktree is "
                   << wt << "; this test runs once the scratch worktree lives outside .git";
    }
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  std::string repo = make_inventory_repo(dir);
  std::string base = git(repo, {"rev-parse", "HEAD"});
  std::string before = user_state(repo);
  std::size_t probe_requests = server.requests().size();
  auto r = run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--agent",
                     claude_command(claude), "--agent-timeout", "120"},
                    repo, env);
  // 1: TSK-INV-012 has no evidence and the model writes nothing for it (no change);
  // the six others verify.
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("7 tasks: 6 verified, 1 no change\n"), std::string::npos) << r.out;
  expect_inventory_result(repo, base, before);
  auto all = server.requests();
  std::vector<std::string> log(all.begin() + static_cast<long>(probe_requests), all.end());
  EXPECT_GE(count_requests(log, "TSK-INV-005", 1), 2);
  EXPECT_GE(count_requests(log, "TSK-INV-005", 2), 2);
  EXPECT_EQ(count_requests(log, "TSK-INV-010", 2), 0);
}

}  // namespace
}  // namespace smartspec::test
