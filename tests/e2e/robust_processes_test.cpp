// Every process an agent starts is contained (issue 15, items 3, 4 and 7): a
// setsid daemon neither survives its call nor writes into a later unit; one
// left by a SIGKILLed tool is ended by the resumed run before it touches the
// worktree; SIGINT ends a running agent (its whole tree) and exits 3; an
// endless writer leaves a bounded log and a bounded tool.
#include <gtest/gtest.h>

#include <csignal>

#include "e2e/hostile/robust_support.hpp"
#include "smartspec/util/proc.hpp"

namespace smartspec::test::robust {
namespace {

fs::path script(const TempDir& dir, const std::string& name, const std::string& body) {
  fs::path p = dir.path() / name;
  write(p, "#!/bin/sh\n" + body);
  fs::permissions(p, fs::perms::owner_all);
  return p;
}

int pid_in(const fs::path& file) { return std::stoi(read(file)); }

// Whatever a failing test leaves running is killed (by pid) when it ends.
struct KillOnExit {
  std::vector<fs::path> pid_files;
  ~KillOnExit() {
    for (const auto& f : pid_files) {
      if (!fs::exists(f) || read(f).empty()) continue;
      const int pid = pid_in(f);
      if (!process_gone(pid)) ::kill(pid, SIGKILL);
    }
  }
};

// Every path the commits between base and the branch tip touch.
std::string paths_committed(const std::string& repo, const std::string& base) {
  return git(repo, {"log", "--format=", "--name-only", base + "..smartspec/" + kRunId});
}

TEST(Processes, ASetsidDaemonOfAnAgentDiesWithItsCallAndNeverWritesIntoALaterUnit) {
  TempDir dir;
  std::string repo = dirty_inventory_repo(dir);
  std::string pack = seven_unit_pack(dir);
  const std::string base = git(repo, {"rev-parse", "HEAD"});
  const fs::path pids = dir.path() / "pids";
  fs::create_directories(pids);
  // Each unit's call writes its own file and leaves a daemon (its own session)
  // that writes late.txt into the worktree 3 s later.
  const fs::path agent = script(dir, "agent.sh",
                                "echo \"$SMARTSPEC_CATEGORY\" > \"unit-$SMARTSPEC_CATEGORY.txt\"\n"
                                "p='" +
                                    pids.string() +
                                    "'/\"$SMARTSPEC_CATEGORY.pid\"\n"
                                    "setsid sh -c 'echo $$ > \"$0\"; sleep 3; echo late > "
                                    "late.txt' \"$p\" >/dev/null 2>&1 &\n"
                                    "while [ ! -s \"$p\" ]; do sleep 0.01; done\n");
  KillOnExit cleanup;
  for (const char* u : {"critical", "not_implemented", "missing_tests", "missing_code",
                        "symbol_issue", "content_issue", "naming_issue"})
    cleanup.pid_files.push_back(pids / (std::string(u) + ".pid"));

  auto r = run_tool({"run", "--prompts-dir", pack, "--tasks", "tasks.md", "--agent", agent.string(),
                     "--agent-per", "unit"},
                    repo, fast_env());
  // 1: the agent's files do not satisfy the tasks' evidence (applied, not verified).
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  int daemons = 0;
  for (const auto& e : fs::directory_iterator(pids)) {
    ++daemons;
    const int pid = pid_in(e.path());
    EXPECT_TRUE(process_gone(pid)) << e.path() << ": " << pid;
  }
  EXPECT_GE(daemons, 6);  // one per unit that ran (critical may be empty)
  const std::string committed = paths_committed(repo, base);
  EXPECT_EQ(committed.find("late.txt"), std::string::npos) << committed;
  EXPECT_NE(committed.find("unit-naming_issue.txt"), std::string::npos) << committed;
}

TEST(Processes, WhatAKilledRunLeftRunningIsEndedBeforeTheResumedRunTouchesTheWorktree) {
  TempDir dir;
  std::string repo = dirty_inventory_repo(dir);
  std::string pack = seven_unit_pack(dir);
  const std::string base = git(repo, {"rev-parse", "HEAD"});
  const fs::path agent_pid = dir.path() / "agent.pid";
  const fs::path daemon_pid = dir.path() / "daemon.pid";
  // The agent leaves a daemon that keeps writing late.txt into the worktree
  // (for at most a minute), then hangs until killed.
  const fs::path agent =
      script(dir, "slow-agent.sh",
             "setsid sh -c 'echo $$ > \"$0\"; i=0; while [ $i -lt 600 ]; do echo late >> late.txt; "
             "sleep 0.1; i=$((i+1)); done' '" +
                 daemon_pid.string() +
                 "' >/dev/null 2>&1 &\n"
                 "while [ ! -s '" +
                 daemon_pid.string() +
                 "' ]; do sleep 0.01; done\n"
                 "echo $$ > '" +
                 agent_pid.string() + "'\nexec sleep 60\n");
  KillOnExit cleanup{{agent_pid, daemon_pid}};
  const fs::path record = fs::path(repo) / ".git" / "smartspec" / "processes";
  const std::string log = (dir.path() / "run.log").string();
  int daemon = 0;
  {
    Child child({"run", "--prompts-dir", pack, "--tasks", "tasks.md", "--agent", agent.string(),
                 "--agent-per", "unit"},
                repo, log);
    ASSERT_TRUE(eventually([&] { return fs::exists(agent_pid) && !read(agent_pid).empty(); }))
        << read(log);
    daemon = pid_in(daemon_pid);
    // The running tool has recorded the daemon (pid and start time).
    auto st = proc::stat(daemon);
    ASSERT_TRUE(st);
    const std::string entry = std::to_string(daemon) + " " + std::to_string(st->start) + "\n";
    ASSERT_TRUE(eventually([&] {
      return fs::exists(record) && read(record).find(entry) != std::string::npos;
    })) << (fs::exists(record) ? read(record) : "no record");
    child.signal(SIGKILL);
    child.wait();
  }
  // The agent dies with the tool (PDEATHSIG); its daemon is still writing.
  EXPECT_TRUE(eventually([&] { return process_gone(pid_in(agent_pid)); }));
  ASSERT_FALSE(process_gone(daemon));

  auto resumed = run_tool({"run", "--prompts-dir", pack, "--tasks", "tasks.md", "--resume",
                           "--force", "--agent", "true", "--agent-per", "unit"},
                          repo, fast_env());
  EXPECT_EQ(resumed.exit_code, 1) << resumed.out << resumed.err;  // applied, not verified
  EXPECT_NE(resumed.err.find("process(es) left running by an interrupted run"), std::string::npos)
      << resumed.err;
  EXPECT_TRUE(process_gone(daemon)) << daemon;
  EXPECT_FALSE(fs::exists(record));
  // Its writes reached no commit: the resumed run committed nothing (its agent changes nothing).
  EXPECT_EQ(git(repo, {"rev-parse", "smartspec/" + kRunId}), base);
  EXPECT_EQ(paths_committed(repo, base).find("late.txt"), std::string::npos);
  std::string why;
  EXPECT_TRUE(fsck_clean(repo, &why)) << why;
}

TEST(Processes, SigintEndsARunningAgentAndItsTreeAndExits3) {
  TempDir dir;
  std::string repo = dirty_inventory_repo(dir);
  std::string pack = seven_unit_pack(dir);
  const std::string base = git(repo, {"rev-parse", "HEAD"});
  const fs::path agent_pid = dir.path() / "agent.pid";
  const fs::path sleep_pid = dir.path() / "sleep.pid";
  const fs::path finished = dir.path() / "finished";
  // Ignores TERM and INT (only the KILL after the grace ends it); its child too.
  // Left to run, it would write `finished` after its 30 s.
  const fs::path agent =
      script(dir, "stubborn-agent.sh",
             "trap '' TERM INT\necho $$ > '" + agent_pid.string() +
                 "'\n"
                 "setsid sh -c 'trap \"\" TERM INT; exec sleep 30' &\necho $! > '" +
                 sleep_pid.string() + "'\nwait\necho finished > '" + finished.string() + "'\n");
  KillOnExit cleanup{{agent_pid, sleep_pid}};
  const std::string log = (dir.path() / "run.log").string();
  Child child({"run", "--prompts-dir", pack, "--tasks", "tasks.md", "--agent", agent.string(),
               "--agent-per", "unit", "--agent-timeout", "120"},
              repo, log);
  ASSERT_TRUE(eventually([&] { return fs::exists(sleep_pid) && !read(sleep_pid).empty(); }))
      << read(log);
  child.signal(SIGINT);
  EXPECT_EQ(child.wait(), 3) << read(log);
  const std::string out = read(log);
  EXPECT_NE(out.find("rolled back — interrupted"), std::string::npos) << out;
  EXPECT_NE(out.find("exit 3: stopped early, resumable"), std::string::npos) << out;
  EXPECT_TRUE(process_gone(pid_in(agent_pid)));
  EXPECT_TRUE(process_gone(pid_in(sleep_pid)));
  // The tool did not wait for the agent to finish its work.
  EXPECT_FALSE(fs::exists(finished));
  EXPECT_EQ(git(repo, {"rev-parse", "smartspec/" + kRunId}), base);
  EXPECT_FALSE(fs::exists(fs::path(repo) / ".git" / "smartspec" / "lock"));

  auto resumed = run_tool({"run", "--prompts-dir", pack, "--tasks", "tasks.md", "--resume",
                           "--force", "--agent", "true", "--agent-per", "unit"},
                          repo, fast_env());
  EXPECT_EQ(resumed.exit_code, 1) << resumed.out << resumed.err;  // applied, not verified
}

TEST(Processes, AnEndlessWriterLeavesABoundedLogAndABoundedTool) {
  TempDir dir;
  std::string repo = dirty_inventory_repo(dir);
  std::string pack = seven_unit_pack(dir);
  const std::string log = (dir.path() / "run.log").string();
  // 1 GB of output in one call; the agent changes nothing.
  Child child(
      {"run", "--prompts-dir", pack, "--tasks", "tasks.md", "--only-category", "missing_code",
       "--agent", "sh -c 'echo FIRST; head -c 1000000000 /dev/zero; echo LAST'", "--agent-per",
       "unit"},
      repo, log);
  long rss_kib = 0;
  const int code = child.wait(&rss_kib);
  EXPECT_TRUE(code == 0 || code == 1) << code << "\n" << read(log);
  EXPECT_LT(rss_kib, 200 * 1024) << "max RSS " << rss_kib << " KiB";
  // The call's log (named after its task: the unit has one).
  fs::path agent_log;
  for (const auto& e :
       fs::directory_iterator(fs::path(repo) / ".git" / "smartspec" / "logs" / kRunId))
    if (e.path().extension() == ".log") agent_log = e.path();
  ASSERT_FALSE(agent_log.empty()) << read(log);
  EXPECT_LT(fs::file_size(agent_log), (std::uintmax_t{8} << 20) + 200);
  const std::string text = read(agent_log);
  EXPECT_EQ(text.rfind("FIRST\n", 0), 0u);
  EXPECT_EQ(text.substr(text.size() - 5), "LAST\n");
  const std::uint64_t dropped = 6 + 1000000000ull + 5 - (std::uint64_t{8} << 20);
  EXPECT_NE(text.find("[smartspec-batch: " + std::to_string(dropped) +
                      " bytes of output dropped here; the first and the last 4 MiB are kept]"),
            std::string::npos);
}

}  // namespace
}  // namespace smartspec::test::robust
