// `run --agent CMD --jobs N` (issue 21), end to end: the not_implemented unit
// of the fields-aligned fixture pack (3 tasks) on the inventory project, a sh
// script as the agent, the results checked with the real git.
#include <gtest/gtest.h>

#include <csignal>
#include <sstream>

#include "e2e/hostile/robust_support.hpp"
#include "support/test_support.hpp"

namespace smartspec::test {
namespace {

const char* kRunId = "20261124_073208-fields-aligned";
const std::string kBranch = std::string("smartspec/") + kRunId;

std::string fixture_pack() { return (fixtures() / "inventory" / "packs" / kRunId).string(); }

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// An agent that writes a note of its own per task and, for TSK-INV-010, the
// configuration guide; with `shared`, every task also writes its id as the
// one line of shared.txt (the tasks conflict). Before writing, each call waits
// until `dir/barrier` calls have started (a rendezvous: with fewer calls at
// once it never returns, and the agent timeout fails the task). Each call
// appends its task id to dir/calls.
std::string write_agent(const TempDir& dir, bool shared) {
  std::string path = dir.str() + "/agent.sh";
  const std::string d = dir.str();
  write(path,
        "set -e\n"
        "cat > /dev/null\n"
        "echo \"$SMARTSPEC_TASK_ID\" >> " +
            d +
            "/calls\n"
            "mkdir -p " +
            d + "/started\n" + "touch " + d +
            "/started/$SMARTSPEC_TASK_ID.$SMARTSPEC_ATTEMPT.$$\n"
            "want=$(cat " +
            d +
            "/barrier)\n"
            "while [ \"$(ls " +
            d +
            "/started | wc -l)\" -lt \"$want\" ]; do sleep 0.05; done\n"
            "mkdir -p agent_notes\n"
            "printf '%s\\n' \"$SMARTSPEC_TASK_ID\" > agent_notes/$SMARTSPEC_TASK_ID.md\n"
            "if [ \"$SMARTSPEC_TASK_ID\" = TSK-INV-010 ]; then\n"
            "  mkdir -p docs && printf '# Configuration\\n\\nSet INVENTORY_DB.\\n' > "
            "docs/configuration.md\n"
            "fi\n" +
            (shared ? "printf '%s\\n' \"$SMARTSPEC_TASK_ID\" > shared.txt\n" : "") +
            "echo \"agent did $SMARTSPEC_TASK_ID\"\n");
  return path;
}

// `run --agent "sh <agent>" --jobs N` on the not_implemented unit.
std::vector<std::string> jobs_args(const std::string& agent, int jobs) {
  return {"run",
          "--prompts-dir",
          fixture_pack(),
          "--tasks",
          "tasks.md",
          "--agent",
          "sh " + agent,
          "--only-category",
          "not_implemented",
          "--agent-timeout",
          "20",
          "--agent-attempts",
          "1",
          "--jobs",
          std::to_string(jobs)};
}

CmdResult run_jobs(const std::string& repo, const std::string& agent, int jobs,
                   const std::vector<std::string>& more = {}) {
  std::vector<std::string> args = jobs_args(agent, jobs);
  args.insert(args.end(), more.begin(), more.end());
  return run_tool(args, repo);
}

// The run's report files (markdown and JSON), concatenated.
std::string reports(const std::string& repo) {
  std::string all;
  for (const auto& e : fs::directory_iterator(fs::path(repo) / ".spec" / "reports"))
    all += read(e.path());
  return all;
}

std::string json_task(const std::string& json, const std::string& id) {
  auto at = json.find("\"id\": \"" + id + "\"");
  if (at == std::string::npos) return {};
  return json.substr(at, json.find('}', at) - at);
}

// The three calls overlap (the rendezvous of 3 returns only when all three
// run at once), and the unit's tree equals the one of --jobs 1.
TEST(AgentJobs, ParallelCallsGiveTheSameTreeAsOneAtATime) {
  TempDir one_dir;
  std::string one = make_inventory_repo(one_dir);
  write(one_dir.path() / "barrier", "1\n");
  auto r1 = run_jobs(one, write_agent(one_dir, false), 1);
  ASSERT_NE(r1.exit_code, 2) << r1.out << r1.err;

  TempDir par_dir;
  std::string par = make_inventory_repo(par_dir);
  write(par_dir.path() / "barrier", "3\n");
  std::string before = user_state(par);
  auto r3 = run_jobs(par, write_agent(par_dir, false), 3);
  EXPECT_EQ(r3.exit_code, r1.exit_code) << r3.out << r3.err;
  EXPECT_EQ(user_state(par), before);
  EXPECT_EQ(lines(read(par_dir.path() / "calls")).size(), 3u);

  EXPECT_EQ(git(par, {"log", "--format=%s", "HEAD.." + kBranch}),
            "smartspec(not_implemented): 3 tasks");
  EXPECT_EQ(git(par, {"rev-parse", kBranch + "^{tree}"}),
            git(one, {"rev-parse", kBranch + "^{tree}"}));
  EXPECT_EQ(
      lines(git(par, {"diff-tree", "--no-commit-id", "--name-status", "-r", kBranch})),
      (std::vector<std::string>{"A\tagent_notes/TSK-INV-010.md", "A\tagent_notes/TSK-INV-011.md",
                                "A\tagent_notes/TSK-INV-012.md", "A\tdocs/configuration.md"}));
  // The lanes are scratch repositories of their own; the user's is untouched.
  EXPECT_TRUE(fs::exists(scratch_path(par, "lane-2")));
  EXPECT_TRUE(fs::exists(scratch_path(par, "lane-3")));
  EXPECT_EQ(git(par, {"fsck", "--no-progress", "--no-dangling"}), "");
  // The report's timeline: one lane per call (they ran at once).
  const std::string md = reports(par);
  for (const char* lane :
       {"section lane 1\n  TSK-INV-010, 1 attempt, ", "section lane 2\n  TSK-INV-011, 1 attempt, ",
        "section lane 3\n  TSK-INV-012, 1 attempt, "})
    EXPECT_NE(md.find(lane), std::string::npos) << lane << "\n" << md;
  // The run's state keeps --jobs (what --resume restores).
  EXPECT_NE(git(par, {"show", std::string("refs/smartspec/runs/") + kRunId + ":state.json"})
                .find("\"jobs\": 3,"),
            std::string::npos);
}

// Every task writes shared.txt: the first one's change stays, the two others
// conflict with it and run again, one after the other, on the merged tree;
// the result is the one of --jobs 1 (the last task's line).
TEST(AgentJobs, AConflictingTaskIsReRunOnTheMergedTree) {
  TempDir one_dir;
  std::string one = make_inventory_repo(one_dir);
  write(one_dir.path() / "barrier", "1\n");
  auto r1 = run_jobs(one, write_agent(one_dir, true), 1);
  ASSERT_NE(r1.exit_code, 2) << r1.out << r1.err;

  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  write(dir.path() / "barrier", "3\n");
  auto r = run_jobs(repo, write_agent(dir, true), 3);
  EXPECT_EQ(r.exit_code, r1.exit_code) << r.out << r.err;
  // 3 calls at once, then TSK-INV-011 and TSK-INV-012 again.
  std::vector<std::string> calls = lines(read(dir.path() / "calls"));
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(calls.begin() + 3, calls.end()),
            (std::vector<std::string>{"TSK-INV-011", "TSK-INV-012"}));
  EXPECT_EQ(git(repo, {"show", kBranch + ":shared.txt"}), "TSK-INV-012");
  EXPECT_EQ(git(repo, {"rev-parse", kBranch + "^{tree}"}),
            git(one, {"rev-parse", kBranch + "^{tree}"}));

  auto show = run_tool({"show", kRunId, "--json"}, repo);
  auto one_show = run_tool({"show", kRunId, "--json"}, one);
  EXPECT_EQ(json_task(show.out, "TSK-INV-010").find("re-run"), std::string::npos);
  for (const char* id : {"TSK-INV-011", "TSK-INV-012"}) {
    std::string task = json_task(show.out, id);
    EXPECT_NE(task.find("\"re-run after a conflict: its change from the unit's base (1 attempt) "
                        "conflicts with an earlier task's on shared.txt\""),
              std::string::npos)
        << task;
    // Classified as with --jobs 1.
    std::string one_task = json_task(one_show.out, id);
    EXPECT_EQ(task.substr(task.find("\"status\""), 40),
              one_task.substr(one_task.find("\"status\""), 40));
  }
  EXPECT_NE(reports(repo).find("re-run after a conflict"), std::string::npos);
  // The re-run has logs of its own; the first call's stay and are named.
  const fs::path logs = fs::path(repo) / ".git" / "smartspec" / "logs" / kRunId;
  for (const char* id : {"TSK-INV-011", "TSK-INV-012"}) {
    const std::string first = (logs / (std::string(id) + ".log")).string();
    const std::string again = (logs / (std::string(id) + ".rerun.log")).string();
    ASSERT_TRUE(fs::exists(first)) << first;
    ASSERT_TRUE(fs::exists(again)) << again;
    EXPECT_NE(read(first).find(std::string("agent did ") + id), std::string::npos);
    EXPECT_NE(read(again).find(std::string("agent did ") + id), std::string::npos);
    EXPECT_TRUE(fs::exists(logs / (std::string(id) + ".prompt.md")));
    EXPECT_TRUE(fs::exists(logs / (std::string(id) + ".rerun.prompt.md")));
    std::string task = json_task(show.out, id);
    EXPECT_NE(task.find("\"the first call's log: " + first + "\""), std::string::npos) << task;
    EXPECT_NE(task.find("\"log\": \"" + again + "\""), std::string::npos) << task;
  }
}

// On a terminal, calls running at once share the live line: how many run,
// each one's elapsed time, and the last output line of one of them. The
// agents wait until the test has seen that line (bounded), then finish.
TEST(AgentJobs, ParallelCallsShareTheLiveLine) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  const std::string go = dir.str() + "/go";
  const std::string agent = dir.str() + "/agent.sh";
  write(agent,
        "cat >/dev/null\n"
        "echo \"working on $SMARTSPEC_TASK_ID\"\n"
        "i=0; while [ ! -f " +
            go +
            " ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n"
            "mkdir -p agent_notes\n"
            "printf '%s\\n' \"$SMARTSPEC_TASK_ID\" > agent_notes/$SMARTSPEC_TASK_ID.md\n");
  std::string out;
  bool released = false;
  const int code = run_tool_on_terminal(
      {"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--only-category",
       "not_implemented", "--agent", "sh " + agent, "--agent-timeout", "120", "--agent-attempts",
       "1", "--jobs", "3"},
      repo, out, [&](const std::string& seen) {
        if (!released && seen.find(" | TSK-INV-01") != std::string::npos &&
            seen.find("not_implemented: 3 agents running, 0/3 done: TSK-INV-010 0:0") !=
                std::string::npos) {
          write(go, "");
          released = true;
        }
      });
  EXPECT_TRUE(released) << out;
  EXPECT_NE(code, 2) << out;
  EXPECT_NE(out.find(", TSK-INV-011 0:0"), std::string::npos) << out;
  EXPECT_NE(out.find(": working on TSK-INV-01"), std::string::npos) << out;
  EXPECT_EQ(lines(git(repo, {"ls-tree", "--name-only", kBranch, "agent_notes/"})),
            (std::vector<std::string>{"agent_notes/TSK-INV-010.md", "agent_notes/TSK-INV-011.md",
                                      "agent_notes/TSK-INV-012.md"}));
}

// SIGINT while three agents run at once (each ignoring TERM and INT, with a
// child in a session of its own): every one of them and their children end,
// the unit rolls back, exit 3; nothing waited for the agents' 30 s.
TEST(AgentJobs, SigintEndsEveryRunningAgent) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  const std::string base = git(repo, {"rev-parse", "HEAD"});
  const fs::path pids = dir.path() / "pids";
  fs::create_directories(pids);
  const fs::path finished = dir.path() / "finished";
  const std::string agent = dir.str() + "/stubborn.sh";
  write(agent,
        "trap '' TERM INT\n"
        "echo $$ > '" +
            pids.string() +
            "'/agent.$SMARTSPEC_TASK_ID\n"
            "setsid sh -c 'trap \"\" TERM INT; exec sleep 30' &\n"
            "echo $! > '" +
            pids.string() +
            "'/sleep.$SMARTSPEC_TASK_ID\n"
            "wait\necho finished >> '" +
            finished.string() + "'\n");
  std::vector<fs::path> pid_files;
  for (const char* id : {"TSK-INV-010", "TSK-INV-011", "TSK-INV-012"})
    for (const char* what : {"agent.", "sleep."})
      pid_files.push_back(pids / (what + std::string(id)));
  struct KillOnExit {
    std::vector<fs::path>& files;
    ~KillOnExit() {
      for (const auto& f : files) {
        if (!fs::exists(f) || read(f).empty()) continue;
        const int pid = std::stoi(read(f));
        if (!process_gone(pid)) ::kill(pid, SIGKILL);
      }
    }
  } cleanup{pid_files};
  const std::string log = (dir.path() / "run.log").string();
  robust::Child child(
      {"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--only-category",
       "not_implemented", "--agent", "sh " + agent, "--agent-timeout", "120", "--jobs", "3"},
      repo, log);
  ASSERT_TRUE(robust::eventually([&] {
    for (const auto& f : pid_files)
      if (!fs::exists(f) || read(f).empty()) return false;
    return true;
  })) << read(log);
  child.signal(SIGINT);
  EXPECT_EQ(child.wait(), 3) << read(log);
  const std::string out = read(log);
  EXPECT_NE(out.find("rolled back — interrupted"), std::string::npos) << out;
  for (const auto& f : pid_files) EXPECT_TRUE(process_gone(std::stoi(read(f)))) << f;
  EXPECT_FALSE(fs::exists(finished));
  EXPECT_EQ(git(repo, {"rev-parse", kBranch}), base);
}

// An agent that writes a note per task; TSK-INV-012 (started when a lane is
// free) waits for the two other tasks' refs, then kills the tool (its parent)
// unless dir/resumed exists. Returns the run's arguments (--jobs 2).
std::vector<std::string> killing_run(const TempDir& dir, const std::string& repo) {
  const std::string d = dir.str();
  const std::string agent = d + "/agent.sh";
  write(agent,
        "cat > /dev/null\n"
        "echo \"$SMARTSPEC_TASK_ID\" >> " +
            d +
            "/calls\n"
            "mkdir -p agent_notes\n"
            "printf '%s\\n' \"$SMARTSPEC_TASK_ID\" > agent_notes/$SMARTSPEC_TASK_ID.md\n"
            "if [ \"$SMARTSPEC_TASK_ID\" = TSK-INV-012 ] && [ ! -e " +
            d +
            "/resumed ]; then\n"
            "  i=0\n"
            "  while [ \"$(git -C '" +
            repo +
            "' for-each-ref refs/smartspec/tasks | wc -l)\" -lt 2 ] && [ $i -lt 400 ]; do "
            "sleep 0.05; i=$((i+1)); done\n"
            "  kill -9 $PPID\n"
            "  sleep 5\n"
            "fi\n");
  return jobs_args(agent, 2);
}

// A run killed while its third task runs (two tasks finished, their refs
// written) resumes without calling the agent again for those two.
TEST(AgentJobs, AResumedUnitDoesNotCallTheAgentAgainForFinishedTasks) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::vector<std::string> args = killing_run(dir, repo);
  auto killed = run_tool(args, repo);
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << killed.out << killed.err;
  EXPECT_EQ(
      lines(git(repo, {"for-each-ref", "--format=%(refname)", "refs/smartspec/tasks"})),
      (std::vector<std::string>{std::string("refs/smartspec/tasks/") + kRunId + "/TSK-INV-010",
                                std::string("refs/smartspec/tasks/") + kRunId + "/TSK-INV-011"}));
  // A task ref is the task's tree on the unit's base.
  EXPECT_EQ(
      git(repo, {"rev-parse", std::string("refs/smartspec/tasks/") + kRunId + "/TSK-INV-011^"}),
      git(repo, {"rev-parse", "HEAD"}));
  EXPECT_EQ(git(repo, {"diff-tree", "--no-commit-id", "--name-only", "-r",
                       std::string("refs/smartspec/tasks/") + kRunId + "/TSK-INV-011"}),
            "agent_notes/TSK-INV-011.md");

  write(dir.path() / "resumed", "");
  write(dir.path() / "calls", "");
  args.push_back("--resume");
  auto resumed = run_tool(args, repo);
  EXPECT_NE(resumed.exit_code, 2) << resumed.out << resumed.err;
  EXPECT_NE(resumed.exit_code, 3) << resumed.out << resumed.err;
  EXPECT_EQ(read(dir.path() / "calls"), "TSK-INV-012\n");
  EXPECT_EQ(lines(git(repo, {"diff-tree", "--no-commit-id", "--name-only", "-r", kBranch})),
            (std::vector<std::string>{"agent_notes/TSK-INV-010.md", "agent_notes/TSK-INV-011.md",
                                      "agent_notes/TSK-INV-012.md"}));
  // The commit names all three tasks: a task taken from its ref counts as
  // succeeded (its ref's report had been stored with a final status).
  EXPECT_EQ(git(repo, {"log", "-1", "--format=%s", kBranch}),
            "smartspec(not_implemented): 3 tasks");
  // Once the unit is committed, its task refs are gone.
  EXPECT_EQ(git(repo, {"for-each-ref", "refs/smartspec/tasks"}), "");
  auto show = run_tool({"show", kRunId, "--json"}, repo);
  EXPECT_NE(json_task(show.out, "TSK-INV-010").find("done by an earlier invocation"),
            std::string::npos)
      << show.out;
  EXPECT_EQ(json_task(show.out, "TSK-INV-012").find("done by an earlier invocation"),
            std::string::npos)
      << show.out;
  // The restored tasks are in the unit's commit and classified as the others.
  EXPECT_EQ(git(repo, {"log", "-1", "--format=%s%n%(trailers:key=Smartspec-Tasks)", kBranch}),
            "smartspec(not_implemented): 3 tasks\n"
            "Smartspec-Tasks: TSK-INV-010, TSK-INV-011, TSK-INV-012\n");
  EXPECT_NE(json_task(show.out, "TSK-INV-011").find("\"has_evidence\": true"), std::string::npos)
      << show.out;
}

// abort deletes the task refs with the run's other refs.
TEST(AgentJobs, AbortDeletesTheTaskRefs) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  auto killed = run_tool(killing_run(dir, repo), repo);
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << killed.out << killed.err;
  ASSERT_NE(git(repo, {"for-each-ref", "refs/smartspec/tasks"}), "");
  auto aborted = run_tool({"abort", kRunId}, repo);
  EXPECT_EQ(aborted.exit_code, 0) << aborted.out << aborted.err;
  EXPECT_EQ(git(repo, {"for-each-ref", "refs/smartspec/tasks"}), "");
  EXPECT_FALSE(fs::exists(scratch_path(repo, "lane-2")));
}

// The lanes share one snapshot of the user's repository as the "before" of
// their calls: a call that starts later (the third, once a lane is free)
// and changes the user's working tree is still caught and named, and the
// calls that ended before it are not blamed.
TEST(AgentJobs, AChangeToTheUsersRepositoryByALaterCallIsCaught) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  const std::string agent = dir.str() + "/agent.sh";
  write(agent,
        "set -e\n"
        "cat > /dev/null\n"
        "mkdir -p agent_notes\n"
        "printf '%s\\n' \"$SMARTSPEC_TASK_ID\" > agent_notes/$SMARTSPEC_TASK_ID.md\n"
        "if [ \"$SMARTSPEC_TASK_ID\" = TSK-INV-012 ]; then\n"
        "  sleep 1\n"
        "  echo stray >> " +
            repo +
            "/docs/stray.md\n"
            "fi\n");
  auto r = run_jobs(repo, agent, 2);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto show = run_tool({"show", kRunId, "--json"}, repo);
  const std::string late = json_task(show.out, "TSK-INV-012");
  EXPECT_NE(late.find("\"status\": \"failed\""), std::string::npos) << late;
  EXPECT_NE(late.find("agent changed your repository outside its worktree: docs/stray.md "
                      "(working tree); refused"),
            std::string::npos)
      << late;
  for (const char* id : {"TSK-INV-010", "TSK-INV-011"})
    EXPECT_EQ(json_task(show.out, id).find("outside its worktree"), std::string::npos) << show.out;
  // Named, not undone: the file is the user's to look at.
  EXPECT_EQ(read(fs::path(repo) / "docs" / "stray.md"), "stray\n");
}

// A lane put back by the tool is stamped clean and is not compared whole by
// the next run; a lane without the stamp (what a killed run leaves) is, and
// what was left in it never reaches a commit.
TEST(AgentJobs, OnlyALaneStampedCleanSkipsTheWholeComparison) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  write(dir.path() / "barrier", "1\n");
  const std::string agent = write_agent(dir, false);
  auto first = run_jobs(repo, agent, 3);
  ASSERT_NE(first.exit_code, 2) << first.out << first.err;
  const std::string lane = scratch_path(repo, "lane-2");
  ASSERT_TRUE(fs::exists(lane + ".clean"));
  EXPECT_EQ(read(lane + ".clean"), read(lane + ".full"));

  // Debris in both lanes; lane-3 keeps its stamp, lane-2 loses it (a run
  // killed while an agent ran there never stamps it).
  write(fs::path(lane) / "debris.txt", "left by a killed run\n");
  fs::remove(lane + ".clean");
  const std::string lane3 = scratch_path(repo, "lane-3");
  ASSERT_TRUE(fs::exists(lane3 + ".clean"));
  auto second = run_jobs(repo, agent, 3, {"--run-id", "second"});
  ASSERT_NE(second.exit_code, 2) << second.out << second.err;
  EXPECT_FALSE(fs::exists(fs::path(lane) / "debris.txt"));
  EXPECT_EQ(git(repo, {"ls-tree", "-r", "--name-only", "smartspec/second", "--", "debris.txt"}),
            "");
  EXPECT_EQ(
      lines(git(repo, {"diff-tree", "--no-commit-id", "--name-status", "-r", "smartspec/second"})),
      (std::vector<std::string>{"A\tagent_notes/TSK-INV-010.md", "A\tagent_notes/TSK-INV-011.md",
                                "A\tagent_notes/TSK-INV-012.md", "A\tdocs/configuration.md"}));
  EXPECT_TRUE(fs::exists(lane + ".clean"));
}

TEST(AgentJobs, JobsBelowOneIsAUsageError) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string before = user_state(repo);
  auto r = run_tool({"run", "--prompts-dir", fixture_pack(), "--tasks", "tasks.md", "--agent",
                     "true", "--jobs", "0"},
                    repo);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--jobs"), std::string::npos) << r.err;
  EXPECT_EQ(user_state(repo), before);
  EXPECT_FALSE(fs::exists(fs::path(repo) / ".git" / "smartspec"));
}

}  // namespace
}  // namespace smartspec::test
