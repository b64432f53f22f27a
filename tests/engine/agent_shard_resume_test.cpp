// `run --shard K/N` and `--from-shards` (issue 21) killed and run again, and
// a shard's calls at once with --jobs (shard_test_util.hpp: the pack, the
// agent, the split).
#include <csignal>

#include "engine/shard_test_util.hpp"

namespace smartspec::test {
namespace {

using namespace shard_support;  // NOLINT(google-build-using-namespace)

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

}  // namespace
}  // namespace smartspec::test
