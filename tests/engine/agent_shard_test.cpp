// `run --shard K/N` and `run --from-shards` (issue 21), end to end: clones of
// a bare remote standing in for the machines of a CI matrix, everything
// checked with the real git (shard_test_util.hpp: the pack, the agent, the
// split). Kills and reruns: agent_shard_resume_test.cpp.
#include "engine/shard_test_util.hpp"

namespace smartspec::test {
namespace {

using namespace shard_support;  // NOLINT(google-build-using-namespace)

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
