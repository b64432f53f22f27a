// `run --shard K/N` and `run --from-shards` (issue 21), end to end: the
// fields-aligned fixture pack (7 tasks in 5 units) on the inventory project,
// a sh script as the agent, clones of a bare remote standing in for the
// machines of a CI matrix; everything checked with the real git.
//
// The plan's task order is 002 (critical), 010 011 012 (not_implemented),
// 005 (missing_code), 007 (symbol_issue), 008 (content_issue): position p
// goes to shard p mod N + 1, so with N = 3 shard 1 has 002 012 008, shard 2
// 010 005, shard 3 011 007.
#include <gtest/gtest.h>

#include <csignal>
#include <sstream>

#include "support/test_support.hpp"

namespace smartspec::test {
namespace {

const char* kRunId = "20261124_073208-fields-aligned";
const std::string kBranch = std::string("smartspec/") + kRunId;

std::string fixture_pack() { return (fixtures() / "inventory" / "packs" / kRunId).string(); }

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

// An agent that writes a note of its own per task and appends the task id to
// dir/calls; `shared` names tasks that also write their id as the one line of
// shared.txt (those conflict with each other).
std::string write_agent(const TempDir& dir, const std::string& shared = "") {
  const std::string d = dir.str();
  const std::string path = d + "/agent.sh";
  write(path,
        "set -e\n"
        "cat > /dev/null\n"
        "echo \"$SMARTSPEC_TASK_ID\" >> " +
            d +
            "/calls\n"
            "mkdir -p agent_notes\n"
            "printf '%s\\n' \"$SMARTSPEC_TASK_ID\" > agent_notes/$SMARTSPEC_TASK_ID.md\n"
            "case \" " +
            shared +
            " \" in *\" $SMARTSPEC_TASK_ID \"*) printf '%s\\n' \"$SMARTSPEC_TASK_ID\" > "
            "shared.txt ;; esac\n"
            "echo \"agent did $SMARTSPEC_TASK_ID\"\n");
  return path;
}

std::vector<std::string> run_args(const std::string& agent, std::vector<std::string> extra) {
  std::vector<std::string> args = {
      "run",         "--prompts-dir",   fixture_pack(), "--tasks",          "tasks.md", "--agent",
      "sh " + agent, "--agent-timeout", "20",           "--agent-attempts", "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string calls(const TempDir& dir) {
  const fs::path p = dir.path() / "calls";
  return fs::exists(p) ? read(p) : "";
}

std::vector<std::string> shard_refs(const std::string& repo) {
  std::vector<std::string> out;
  for (const auto& ref :
       lines(git(repo, {"for-each-ref", "--format=%(refname)", "refs/smartspec/shards"})))
    out.push_back(ref.substr(ref.rfind('/') + 1));
  return out;
}

// The unit commits of the run's branch, oldest first: "subject tree".
std::vector<std::string> unit_trees(const std::string& repo) {
  return lines(git(repo, {"log", "--reverse", "--format=%s %T", "HEAD.." + kBranch}));
}

// A one-machine run (no shards) in a clone of its own.
std::vector<std::string> one_machine(const TempDir& dir, const std::string& remote,
                                     const std::string& shared = "") {
  TempDir agent_dir;
  const std::string repo = dir.str() + "/one";
  git(dir.str(), {"clone", "-q", remote, repo});
  auto r = run_tool(run_args(write_agent(agent_dir, shared), {}), repo);
  EXPECT_NE(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.exit_code, 3) << r.out << r.err;
  return unit_trees(repo);
}

// A bare remote holding the inventory project.
std::string make_remote(const TempDir& dir) {
  const std::string src = make_inventory_repo(dir, "src");
  const std::string remote = dir.str() + "/remote.git";
  git(dir.str(), {"clone", "-q", "--bare", src, remote});
  return remote;
}

// Runs shard k/n in a fresh clone of `remote`; pushes its refs when `push`.
CmdResult run_shard(const TempDir& dir, const std::string& remote, const std::string& agent, int k,
                    int n, bool push = true) {
  const std::string repo = dir.str() + "/shard-" + std::to_string(k);
  git(dir.str(), {"clone", "-q", remote, repo});
  const std::string before = user_state(repo);
  const std::string refs_before =
      git(repo, {"for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags"});
  auto r =
      run_tool(run_args(agent, {"--shard", std::to_string(k) + "/" + std::to_string(n)}), repo);
  // A shard moves no branch and writes no run: objects and its task refs only.
  EXPECT_EQ(user_state(repo), before);
  EXPECT_EQ(
      git(repo, {"for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags"}),
      refs_before);
  EXPECT_EQ(git(repo, {"for-each-ref", "refs/smartspec/runs", "refs/smartspec/checkpoints",
                       "refs/smartspec/tasks", "refs/notes"}),
            "");
  EXPECT_EQ(git(repo, {"fsck", "--strict", "--no-progress", "--no-dangling"}), "");
  if (push) git(repo, {"push", "-q", "origin", "refs/smartspec/shards/*:refs/smartspec/shards/*"});
  return r;
}

// The machine that finishes: a clone that fetches the shards' refs and runs
// `run --from-shards`.
std::pair<std::string, CmdResult> finish(const TempDir& dir, const std::string& remote,
                                         const std::string& agent) {
  const std::string repo = dir.str() + "/final";
  git(dir.str(), {"clone", "-q", remote, repo});
  git(repo, {"fetch", "-q", "origin", "refs/smartspec/shards/*:refs/smartspec/shards/*"});
  const std::string before = user_state(repo);
  auto r = run_tool(run_args(agent, {"--from-shards"}), repo);
  EXPECT_EQ(user_state(repo), before);
  EXPECT_EQ(git(repo, {"fsck", "--strict", "--no-progress", "--no-dangling"}), "");
  return {repo, r};
}

// Three clones each run their share and push it; a fourth fetches the refs
// and commits the units without calling the agent: the same unit trees as a
// one-machine run.
TEST(AgentShard, ThreeClonesAndAFinalRunGiveTheTreesOfOneMachine) {
  TempDir dir;
  const std::string remote = make_remote(dir);
  const std::vector<std::string> expected = one_machine(dir, remote);
  ASSERT_EQ(expected.size(), 5u);

  TempDir agent_dir;
  const std::string agent = write_agent(agent_dir);
  const std::vector<std::vector<std::string>> shares = {
      {"TSK-INV-002", "TSK-INV-008", "TSK-INV-012"},
      {"TSK-INV-005", "TSK-INV-010"},
      {"TSK-INV-007", "TSK-INV-011"}};
  for (int k = 1; k <= 3; ++k) {
    auto r = run_shard(dir, remote, agent, k, 3);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("shard " + std::to_string(k) + "/3"), std::string::npos) << r.out;
    EXPECT_EQ(shard_refs(dir.str() + "/shard-" + std::to_string(k)), shares[k - 1]);
    // Each task ran on the run's base: its ref's parent.
    const std::string repo = dir.str() + "/shard-" + std::to_string(k);
    for (const auto& ref :
         lines(git(repo, {"for-each-ref", "--format=%(refname)", "refs/smartspec/shards"})))
      EXPECT_EQ(git(repo, {"rev-parse", ref + "^"}), git(repo, {"rev-parse", "HEAD"}));
  }
  EXPECT_EQ(lines(calls(agent_dir)).size(), 7u);

  write(agent_dir.path() / "calls", "");
  auto [repo, r] = finish(dir, remote, agent);
  EXPECT_NE(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.exit_code, 3) << r.out << r.err;
  EXPECT_EQ(calls(agent_dir), "");  // every result came from a shard
  EXPECT_EQ(unit_trees(repo), expected);
  auto show = run_tool({"show", kRunId, "--json"}, repo);
  EXPECT_NE(show.out.find("done by shard"), std::string::npos) << show.out;
  // The shards' refs of committed units are gone.
  EXPECT_EQ(git(repo, {"for-each-ref", "refs/smartspec/shards"}), "");
}

// Shard 2 never pushes: its two tasks run in the final job, which says so;
// the trees are still those of one machine.
TEST(AgentShard, ALostShardsTasksRunInTheFinalJob) {
  TempDir dir;
  const std::string remote = make_remote(dir);
  const std::vector<std::string> expected = one_machine(dir, remote);
  TempDir agent_dir;
  const std::string agent = write_agent(agent_dir);
  for (int k : {1, 3}) {
    auto r = run_shard(dir, remote, agent, k, 3);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  write(agent_dir.path() / "calls", "");
  auto [repo, r] = finish(dir, remote, agent);
  EXPECT_NE(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.exit_code, 3) << r.out << r.err;
  EXPECT_EQ(lines(calls(agent_dir)), (std::vector<std::string>{"TSK-INV-010", "TSK-INV-005"}));
  EXPECT_NE(r.out.find("2 of 7 tasks have no shard result"), std::string::npos) << r.out;
  EXPECT_EQ(unit_trees(repo), expected);
  auto show = run_tool({"show", kRunId, "--json"}, repo);
  EXPECT_NE(show.out.find("no shard result"), std::string::npos) << show.out;
}

// TSK-INV-010 (shard 2) and TSK-INV-007 (shard 3) both create shared.txt from
// the run's base: 007's result conflicts with the committed not_implemented
// unit and runs again in the final job, on the merged tree.
TEST(AgentShard, AConflictingShardResultIsReRunOnTheMergedTree) {
  TempDir dir;
  const std::string remote = make_remote(dir);
  const std::string shared = "TSK-INV-010 TSK-INV-007";
  const std::vector<std::string> expected = one_machine(dir, remote, shared);
  TempDir agent_dir;
  const std::string agent = write_agent(agent_dir, shared);
  for (int k = 1; k <= 3; ++k) {
    auto r = run_shard(dir, remote, agent, k, 3);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  write(agent_dir.path() / "calls", "");
  auto [repo, r] = finish(dir, remote, agent);
  EXPECT_NE(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.exit_code, 3) << r.out << r.err;
  EXPECT_EQ(calls(agent_dir), "TSK-INV-007\n");
  EXPECT_EQ(git(repo, {"show", kBranch + ":shared.txt"}), "TSK-INV-007");
  EXPECT_EQ(unit_trees(repo), expected);
  auto show = run_tool({"show", kRunId, "--json"}, repo);
  EXPECT_NE(show.out.find("re-run after a conflict: its change from the run's base, by a shard (1 "
                          "attempt) conflicts with an earlier task's on shared.txt"),
            std::string::npos)
      << show.out;
}

// A shard killed after its first two tasks keeps their refs; run again, it
// calls the agent for the third only.
TEST(AgentShard, ARerunShardDoesNotRedoFinishedTasks) {
  TempDir dir;
  const std::string remote = make_remote(dir);
  const std::string repo = dir.str() + "/shard";
  git(dir.str(), {"clone", "-q", remote, repo});
  const std::string d = dir.str();
  const std::string agent = d + "/agent.sh";
  write(agent,
        "cat > /dev/null\n"
        "echo \"$SMARTSPEC_TASK_ID\" >> " +
            d +
            "/calls\n"
            "mkdir -p agent_notes\n"
            "printf '%s\\n' \"$SMARTSPEC_TASK_ID\" > agent_notes/$SMARTSPEC_TASK_ID.md\n"
            "if [ \"$SMARTSPEC_TASK_ID\" = TSK-INV-008 ] && [ ! -e " +
            d + "/resumed ]; then kill -9 $PPID; sleep 5; fi\n");
  const std::string before = user_state(repo);
  auto killed = run_tool(run_args(agent, {"--shard", "1/3"}), repo);
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << killed.out << killed.err;
  EXPECT_EQ(shard_refs(repo), (std::vector<std::string>{"TSK-INV-002", "TSK-INV-012"}));
  EXPECT_EQ(git(repo, {"fsck", "--strict", "--no-progress", "--no-dangling"}), "");
  EXPECT_EQ(user_state(repo), before);

  write(dir.path() / "resumed", "");
  write(dir.path() / "calls", "");
  auto again = run_tool(run_args(agent, {"--shard", "1/3"}), repo);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(read(dir.path() / "calls"), "TSK-INV-008\n");
  EXPECT_EQ(shard_refs(repo),
            (std::vector<std::string>{"TSK-INV-002", "TSK-INV-008", "TSK-INV-012"}));
  EXPECT_NE(again.out.find("2 done earlier"), std::string::npos) << again.out;
  EXPECT_EQ(user_state(repo), before);
}

// A shard killed at each of its numbered steps (after a call, after its ref:
// two per task, SMARTSPEC_CRASH_AT) leaves a consistent repository, the
// user's state untouched and the refs of the tasks it finished; run again, it
// calls the agent only for the others and ends with the trees of a shard that
// was never killed.
TEST(AgentShard, AShardKilledAtEachStepResumesWithTheSameResults) {
  TempDir dir;
  const std::string remote = make_remote(dir);
  TempDir agent_dir;
  const std::string agent = write_agent(agent_dir);
  auto trees = [](const std::string& repo) {
    return git(repo, {"for-each-ref", "--format=%(refname:lstrip=-1) %(objectname:short) %(tree)",
                      "refs/smartspec/shards"});
  };
  const std::string clean = dir.str() + "/clean";
  git(dir.str(), {"clone", "-q", remote, clean});
  ASSERT_EQ(run_tool(run_args(agent, {"--shard", "1/3"}), clean).exit_code, 0);
  std::vector<std::string> expected;
  for (const auto& l : lines(trees(clean)))
    expected.push_back(l.substr(0, l.find(' ')) + l.substr(l.rfind(' ')));
  ASSERT_EQ(expected.size(), 3u);
  for (int n = 1; n <= 6; ++n) {
    const std::string repo = dir.str() + "/crash-" + std::to_string(n);
    git(dir.str(), {"clone", "-q", remote, repo});
    const std::string before = user_state(repo);
    auto killed = run_tool(run_args(agent, {"--shard", "1/3"}), repo,
                           {{"SMARTSPEC_CRASH_AT", std::to_string(n)}});
    ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << "step " << n << killed.out << killed.err;
    EXPECT_EQ(git(repo, {"fsck", "--strict", "--no-progress", "--no-dangling"}), "") << n;
    EXPECT_EQ(user_state(repo), before) << n;
    EXPECT_EQ(shard_refs(repo).size(), static_cast<std::size_t>(n / 2)) << n;
    write(agent_dir.path() / "calls", "");
    auto again = run_tool(run_args(agent, {"--shard", "1/3"}), repo);
    EXPECT_EQ(again.exit_code, 0) << n << again.out << again.err;
    EXPECT_EQ(lines(calls(agent_dir)).size(), static_cast<std::size_t>(3 - n / 2)) << n;
    std::vector<std::string> got;
    for (const auto& l : lines(trees(repo)))
      got.push_back(l.substr(0, l.find(' ')) + l.substr(l.rfind(' ')));
    EXPECT_EQ(got, expected) << n;
    EXPECT_EQ(user_state(repo), before) << n;
  }
}

// A finishing run killed while it calls the agent for a lost shard's task
// resumes with plain `run --resume`: the state restores --from-shards and the
// agent, the remaining shard results are taken, and the trees are those of
// one machine.
TEST(AgentShard, AKilledFinishingRunResumesFromTheShards) {
  TempDir dir;
  const std::string remote = make_remote(dir);
  const std::vector<std::string> expected = one_machine(dir, remote);
  const std::string repo = dir.str() + "/final";
  git(dir.str(), {"clone", "-q", remote, repo});
  const std::string d = dir.str();
  const std::string agent = d + "/agent.sh";
  write(agent,
        "cat > /dev/null\n"
        "echo \"$SMARTSPEC_TASK_ID\" >> " +
            d +
            "/calls\n"
            "mkdir -p agent_notes\n"
            "printf '%s\\n' \"$SMARTSPEC_TASK_ID\" > agent_notes/$SMARTSPEC_TASK_ID.md\n"
            "echo \"agent did $SMARTSPEC_TASK_ID\"\n"
            "if [ \"$SMARTSPEC_TASK_ID\" = TSK-INV-005 ] && [ ! -e " +
            d + "/resumed ]; then kill -9 $PPID; sleep 5; fi\n");
  for (const char* k : {"1/3", "3/3"}) {  // shard 2 (TSK-INV-010, TSK-INV-005) is lost
    auto r = run_tool(run_args(agent, {"--shard", k}), repo);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  write(dir.path() / "calls", "");
  auto killed = run_tool(run_args(agent, {"--from-shards"}), repo);
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << killed.out << killed.err;
  EXPECT_EQ(lines(read(dir.path() / "calls")),
            (std::vector<std::string>{"TSK-INV-010", "TSK-INV-005"}));
  EXPECT_EQ(git(repo, {"fsck", "--strict", "--no-progress", "--no-dangling"}), "");

  write(dir.path() / "resumed", "");
  write(dir.path() / "calls", "");
  auto resumed =
      run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--resume"}, repo);
  EXPECT_NE(resumed.exit_code, 2) << resumed.out << resumed.err;
  EXPECT_NE(resumed.exit_code, 3) << resumed.out << resumed.err;
  EXPECT_EQ(read(dir.path() / "calls"), "TSK-INV-005\n");
  EXPECT_EQ(unit_trees(repo), expected);
  EXPECT_EQ(git(repo, {"for-each-ref", "refs/smartspec/shards"}), "");
}

// --jobs 3 in a shard of the three not_implemented tasks: the calls overlap
// (each waits until all three have started, at most 10 s), each in a lane;
// the finishing run in the same clone takes the three results.
TEST(AgentShard, JobsRunAShardsCallsAtOnce) {
  TempDir dir;
  const std::string remote = make_remote(dir);
  const std::string repo = dir.str() + "/shard";
  git(dir.str(), {"clone", "-q", remote, repo});
  const std::string d = dir.str();
  const std::string agent = d + "/agent.sh";
  write(agent,
        "cat > /dev/null\n"
        "echo \"$SMARTSPEC_TASK_ID\" >> " +
            d +
            "/calls\n"
            "mkdir -p " +
            d + "/started && touch " + d +
            "/started/$SMARTSPEC_TASK_ID\n"
            "i=0; while [ \"$(ls " +
            d +
            "/started | wc -l)\" -lt 3 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done\n"
            "[ $i -lt 200 ] || exit 1\n"
            "mkdir -p agent_notes\n"
            "printf '%s\\n' \"$SMARTSPEC_TASK_ID\" > agent_notes/$SMARTSPEC_TASK_ID.md\n");
  const std::string before = user_state(repo);
  auto r = run_tool(
      run_args(agent, {"--only-category", "not_implemented", "--shard", "1/1", "--jobs", "3"}),
      repo);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(shard_refs(repo),
            (std::vector<std::string>{"TSK-INV-010", "TSK-INV-011", "TSK-INV-012"}));
  EXPECT_TRUE(fs::exists(scratch_path(repo, "lane-2")));
  EXPECT_TRUE(fs::exists(scratch_path(repo, "lane-3")));
  EXPECT_EQ(user_state(repo), before);
  EXPECT_EQ(git(repo, {"fsck", "--strict", "--no-progress", "--no-dangling"}), "");

  write(dir.path() / "calls", "");
  auto fin =
      run_tool(run_args(agent, {"--only-category", "not_implemented", "--from-shards"}), repo);
  EXPECT_NE(fin.exit_code, 2) << fin.out << fin.err;
  EXPECT_NE(fin.exit_code, 3) << fin.out << fin.err;
  EXPECT_EQ(read(dir.path() / "calls"), "");
  EXPECT_EQ(lines(git(repo, {"diff-tree", "--no-commit-id", "--name-only", "-r", kBranch})),
            (std::vector<std::string>{"agent_notes/TSK-INV-010.md", "agent_notes/TSK-INV-011.md",
                                      "agent_notes/TSK-INV-012.md"}));
  EXPECT_EQ(git(repo, {"log", "-1", "--format=%s", kBranch}),
            "smartspec(not_implemented): 3 tasks");
}

// Bad --shard values, --shard without --agent and the flags it cannot go
// with: exit 2, one line naming the flag, nothing written.
TEST(AgentShard, BadShardUsageIsExit2AndWritesNothing) {
  TempDir dir;
  const std::string repo = make_inventory_repo(dir);
  const std::string before = user_state(repo);
  auto usage = [&](std::vector<std::string> args, const std::string& names) {
    auto r = run_tool(args, repo);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(names), std::string::npos) << r.err;
    EXPECT_EQ(lines(r.err).size(), 1u) << r.err;
    EXPECT_EQ(user_state(repo), before);
    EXPECT_FALSE(fs::exists(fs::path(repo) / ".git" / "smartspec"));
    EXPECT_EQ(git(repo, {"for-each-ref", "refs/smartspec"}), "");
  };
  for (const char* bad : {"0/4", "5/4", "1/0", "a/b", "1/4x", "1", "/4", "-1/4", ""})
    usage(run_args("/bin/true", {"--shard", bad}), "--shard");
  usage({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--shard", "1/2"},
        "--shard");
  usage({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--from-shards"},
        "--from-shards");
  usage(run_args("/bin/true", {"--shard", "1/2", "--from-shards"}), "--shard");
  usage(run_args("/bin/true", {"--shard", "1/2", "--resume"}), "--shard");
  usage(run_args("/bin/true", {"--shard", "1/2", "--agent-per", "unit"}), "--shard");
  usage(run_args("/bin/true", {"--shard", "1/2", "--land"}), "--shard");
  usage(run_args("/bin/true", {"--shard", "1/2", "--verify-cmd", "true"}), "--shard");
  usage(run_args("/bin/true", {"--from-shards", "--agent-per", "unit"}), "--from-shards");
}

}  // namespace
}  // namespace smartspec::test
