// Shared by the --shard tests (agent_shard_test.cpp, agent_shard_resume_test.cpp):
// the fields-aligned fixture pack (7 tasks in 5 units) on the inventory
// project, a sh script as the agent, clones of a bare remote standing in for
// the machines of a CI matrix.
//
// The plan's task order is 002 (critical), 010 011 012 (not_implemented),
// 005 (missing_code), 007 (symbol_issue), 008 (content_issue): position p
// goes to shard p mod N + 1, so with N = 3 shard 1 has 002 012 008, shard 2
// 010 005, shard 3 011 007.
#pragma once

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "support/test_support.hpp"

namespace smartspec::test::shard_support {

inline const char* const kRunId = "20261124_073208-fields-aligned";
inline const std::string kBranch = std::string("smartspec/") + kRunId;

inline std::string fixture_pack() { return (fixtures() / "inventory" / "packs" / kRunId).string(); }

inline std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

// An agent that writes a note of its own per task and appends the task id to
// dir/calls; `shared` names tasks that also write their id as the one line of
// shared.txt (those conflict with each other).
inline std::string write_agent(const TempDir& dir, const std::string& shared = "") {
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

inline std::vector<std::string> run_args(const std::string& agent, std::vector<std::string> extra) {
  std::vector<std::string> args = {
      "run",         "--prompts-dir",   fixture_pack(), "--tasks",          "tasks.md", "--agent",
      "sh " + agent, "--agent-timeout", "20",           "--agent-attempts", "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

inline std::string calls(const TempDir& dir) {
  const fs::path p = dir.path() / "calls";
  return fs::exists(p) ? read(p) : "";
}

inline std::vector<std::string> shard_refs(const std::string& repo) {
  std::vector<std::string> out;
  for (const auto& ref :
       lines(git(repo, {"for-each-ref", "--format=%(refname)", "refs/smartspec/shards"})))
    out.push_back(ref.substr(ref.rfind('/') + 1));
  return out;
}

// The unit commits of the run's branch, oldest first: "subject tree".
inline std::vector<std::string> unit_trees(const std::string& repo) {
  return lines(git(repo, {"log", "--reverse", "--format=%s %T", "HEAD.." + kBranch}));
}

// A one-machine run (no shards) in a clone of its own.
inline std::vector<std::string> one_machine(const TempDir& dir, const std::string& remote,
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
inline std::string make_remote(const TempDir& dir) {
  const std::string src = make_inventory_repo(dir, "src");
  const std::string remote = dir.str() + "/remote.git";
  git(dir.str(), {"clone", "-q", "--bare", src, remote});
  return remote;
}

// Runs shard k/n in a fresh clone of `remote`; pushes its refs when `push`.
inline CmdResult run_shard(const TempDir& dir, const std::string& remote, const std::string& agent,
                           int k, int n, bool push = true) {
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
inline std::pair<std::string, CmdResult> finish(const TempDir& dir, const std::string& remote,
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

}  // namespace smartspec::test::shard_support
