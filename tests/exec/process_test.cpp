#include "smartspec/exec/process.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "smartspec/exec/syntax.hpp"
#include "smartspec/git/git.hpp"
#include "smartspec/util/proc.hpp"
#include "support/test_support.hpp"

namespace smartspec::exec {
namespace {

Result<ProcResult> run_argv(std::vector<std::string> argv) {
  ProcSpec spec;
  spec.argv = std::move(argv);
  return run_process(spec);
}

TEST(Process, ExitCodesAndOutput) {
  auto ok = run_argv({"sh", "-c", "echo out; echo err >&2; exit 0"});
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->exit_code, 0);
  EXPECT_EQ(ok->output, "out\nerr\n");
  EXPECT_TRUE(ok->ok());
  auto bad = run_argv({"sh", "-c", "exit 7"});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->exit_code, 7);
  EXPECT_FALSE(bad->ok());
  auto sig = run_argv({"sh", "-c", "kill -KILL $$"});
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->exit_code, -1);
  EXPECT_EQ(sig->signal, SIGKILL);
}

TEST(Process, MissingCommandIsAnError) {
  auto r = run_argv({"no-such-command-smartspec"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kCommandNotFound);
  EXPECT_EQ(r.error().to_string(), "no-such-command-smartspec: command not found");
}

// Issue 16: a caller that branches on git's codes must never read a missing
// command as "ref moved" (both were 1).
TEST(Process, ItsErrorCodesAreNoGitErrorCodes) {
  for (int c : {kCommandNotFound, kCannotStart})
    for (int g : {git::kRefMoved, git::kNotFound, git::kLockHeld, git::kUnsupported})
      EXPECT_NE(c, g);
}

TEST(Process, StdinCwdEnvAndLog) {
  test::TempDir dir;
  ProcSpec spec;
  spec.argv = {"sh", "-c", "cat; pwd; echo \"$EXTRA\""};
  spec.cwd = dir.str();
  spec.stdin_data = std::string(200000, 'x') + "\n";  // more than a pipe buffer
  spec.env = {{"EXTRA", "value with spaces"}};
  spec.log_path = (dir.path() / "log.txt").string();
  auto r = run_process(spec);
  ASSERT_TRUE(r) << r.error().to_string();
  std::string expected = spec.stdin_data + dir.str() + "\nvalue with spaces\n";
  EXPECT_EQ(r->output, expected);
  EXPECT_EQ(test::read(dir.path() / "log.txt"), expected);
}

TEST(Process, ChildThatIgnoresStdinDoesNotKillUs) {
  ProcSpec spec;
  spec.argv = {"true"};
  spec.stdin_data = std::string(1 << 20, 'y');
  auto r = run_process(spec);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 0);
}

TEST(Process, EnvironmentExcludesGitLocalVariables) {
  ::setenv("GIT_DIR", "/somewhere/.git", 1);
  ::setenv("GIT_INDEX_FILE", "/somewhere/.git/index", 1);
  ::setenv("SMARTSPEC_KEEP_ME", "kept", 1);
  auto r = run_argv({"sh", "-c",
                     "echo \"dir=${GIT_DIR-unset} index=${GIT_INDEX_FILE-unset} "
                     "keep=$SMARTSPEC_KEEP_ME\""});
  ::unsetenv("GIT_DIR");
  ::unsetenv("GIT_INDEX_FILE");
  ::unsetenv("SMARTSPEC_KEEP_ME");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->output, "dir=unset index=unset keep=kept\n");
}

TEST(Process, TimeoutKillsTheWholeGroup) {
  test::TempDir dir;
  ProcSpec spec;
  // The grandchild ignores TERM and outlives its parent unless the group is killed.
  spec.argv = {"sh", "-c",
               "sh -c 'trap \"\" TERM; sleep 60' & echo $! > grandchild.pid; echo started; "
               "sleep 60"};
  spec.cwd = dir.str();
  spec.timeout_seconds = 0.5;
  spec.kill_grace_seconds = 0.2;
  auto r = run_process(spec);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->output, "started\n");
  int pid = std::stoi(test::read(dir.path() / "grandchild.pid"));
  EXPECT_TRUE(test::process_gone(pid)) << pid;
}

TEST(Process, GrandchildLeftBehindAfterANormalExitIsKilled) {
  test::TempDir dir;
  ProcSpec spec;
  spec.argv = {"sh", "-c", "sleep 60 & echo $! > bg.pid; exit 3"};
  spec.cwd = dir.str();
  spec.kill_grace_seconds = 0.2;
  auto r = run_process(spec);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->timed_out);
  int pid = std::stoi(test::read(dir.path() / "bg.pid"));
  EXPECT_TRUE(test::process_gone(pid)) << pid;
}

// Polls (bounded, 20 s) until `pred` holds.
template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 400; ++i) {
    if (pred()) return true;
    ::usleep(50 * 1000);
  }
  return pred();
}

int pid_in(const std::filesystem::path& file) { return std::stoi(test::read(file)); }

// Peak resident set of this process (VmHWM), KiB.
long vm_hwm_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// A zombie left for this process (a subreaper) is reaped, so that later tests
// see no leftovers; gone either way.
void reap(int pid) { ::waitpid(pid, nullptr, WNOHANG); }

TEST(ProcessTree, SetsidDescendantIsDeadWhenTheCallReturns) {
  test::TempDir dir;
  ProcSpec spec;
  // The daemon leaves the group and the session; its late write must never happen.
  spec.argv = {"sh", "-c",
               "setsid sh -c 'echo $$ > daemon.pid; sleep 30 & echo $! > sleep.pid; wait; "
               "echo late > late.txt' >/dev/null 2>&1 & "
               "while [ ! -s sleep.pid ]; do sleep 0.01; done; echo leader done"};
  spec.cwd = dir.str();
  spec.kill_grace_seconds = 0.2;
  auto r = run_process(spec);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->output, "leader done\n");
  const int daemon = pid_in(dir.path() / "daemon.pid");
  const int sleeper = pid_in(dir.path() / "sleep.pid");
  EXPECT_TRUE(test::process_gone(daemon)) << daemon;
  EXPECT_TRUE(test::process_gone(sleeper)) << sleeper;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "late.txt"));
}

TEST(ProcessTree, SetsidDescendantThatIgnoresTermIsDeadAfterATimeout) {
  test::TempDir dir;
  ProcSpec spec;
  spec.argv = {"sh", "-c",
               "setsid sh -c 'trap \"\" TERM HUP INT; echo $$ > daemon.pid; sleep 30; "
               "echo late > late.txt' >/dev/null 2>&1 & "
               "while [ ! -s daemon.pid ]; do sleep 0.01; done; echo started; sleep 60"};
  spec.cwd = dir.str();
  spec.timeout_seconds = 0.5;
  spec.kill_grace_seconds = 0.2;
  auto r = run_process(spec);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->output, "started\n");
  const int daemon = pid_in(dir.path() / "daemon.pid");
  EXPECT_TRUE(test::process_gone(daemon)) << daemon;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "late.txt"));
}

// The leader's children are moved to us while it dies: a scan that reads our
// children before the move and the leader's after it sees none of them. The
// KILL loop must not stop on such a scan (a CI run once left a daemon alive).
TEST(ProcessTree, ChildrenReparentedDuringTheKillAreKilledToo) {
  for (int round = 0; round < 6; ++round) {
    test::TempDir dir;
    ProcSpec spec;
    // 12 TERM-ignoring session leaders whose parent ignores TERM as well.
    spec.argv = {"sh", "-c",
                 "trap '' TERM; i=0; while [ $i -lt 12 ]; do "
                 "setsid sh -c 'trap \"\" TERM; echo $$ > d'$i'.pid; exec sleep 30' "
                 ">/dev/null 2>&1 & i=$((i+1)); done; "
                 "i=0; while [ $i -lt 12 ]; do while [ ! -s d$i.pid ]; do sleep 0.01; done; "
                 "i=$((i+1)); done; echo started; sleep 30"};
    spec.cwd = dir.str();
    spec.timeout_seconds = 0.3;
    spec.kill_grace_seconds = 0;
    auto r = run_process(spec);
    ASSERT_TRUE(r) << r.error().to_string();
    for (int i = 0; i < 12; ++i) {
      const auto file = dir.path() / ("d" + std::to_string(i) + ".pid");
      if (!std::filesystem::exists(file)) continue;  // timed out before it started
      const int daemon = pid_in(file);
      EXPECT_TRUE(test::process_gone(daemon)) << "round " << round << ", daemon " << i;
      if (!test::process_gone(daemon)) ::kill(daemon, SIGKILL);
    }
  }
}

TEST(ProcessTree, DoubleForkedDaemonIsDead) {
  test::TempDir dir;
  ProcSpec spec;
  // ( … & ): the middle process exits at once, the grandchild is an orphan in
  // its own session; the leader exits as soon as it runs.
  spec.argv = {"sh", "-c",
               "( setsid sh -c 'trap \"\" TERM; echo $$ > daemon.pid; exec sleep 30' "
               ">/dev/null 2>&1 & ); while [ ! -s daemon.pid ]; do sleep 0.01; done"};
  spec.cwd = dir.str();
  spec.kill_grace_seconds = 0.2;
  auto r = run_process(spec);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->exit_code, 0);
  const int daemon = pid_in(dir.path() / "daemon.pid");
  EXPECT_TRUE(test::process_gone(daemon)) << daemon;
}

TEST(ProcessTree, ProcessesThatExistedBeforeTheCallAreLeftAlone) {
  // A child of ours started before the call (like the persistent syntax
  // checker) is not part of the call's tree.
  pid_t mine = ::fork();
  ASSERT_GE(mine, 0);
  if (mine == 0) {
    ::execlp("sleep", "sleep", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto r = run_argv({"sh", "-c", "sleep 0.01 & exit 0"});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(test::process_gone(mine));
  ::kill(mine, SIGKILL);
  ::waitpid(mine, nullptr, 0);
}

TEST(ProcessOutput, FirstAndLastBytesAreKeptAndTheRestCounted) {
  test::TempDir dir;
  ProcSpec spec;
  spec.argv = {"sh", "-c", "printf abcdefghij"};
  spec.output_keep = 4;
  spec.log_path = (dir.path() / "log").string();
  auto r = run_process(spec);
  ASSERT_TRUE(r) << r.error().to_string();
  const std::string expected =
      "abcd\n[smartspec-batch: 2 bytes of output dropped here; the first and the last 4 bytes "
      "are kept]\nghij";
  EXPECT_EQ(r->output, expected);
  EXPECT_EQ(r->output_dropped, 2u);
  EXPECT_EQ(test::read(dir.path() / "log"), expected);

  // Exactly twice the cap: nothing dropped, no line.
  spec.argv = {"sh", "-c", "printf abcdefgh"};
  auto exact = run_process(spec);
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->output, "abcdefgh");
  EXPECT_EQ(exact->output_dropped, 0u);
  EXPECT_EQ(test::read(dir.path() / "log"), "abcdefgh");
}

TEST(ProcessOutput, TheTailSurvivesManySmallWrites) {
  ProcSpec spec;
  // 1000 lines written one by one: the ring buffer wraps many times.
  spec.argv = {"sh", "-c", "i=0; while [ $i -lt 1000 ]; do echo \"line $i\"; i=$((i+1)); done"};
  spec.output_keep = 20;
  auto r = run_process(spec);
  ASSERT_TRUE(r) << r.error().to_string();
  std::string full;
  for (int i = 0; i < 1000; ++i) full += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(r->output_dropped, full.size() - 40);
  EXPECT_EQ(r->output.substr(0, 20), full.substr(0, 20));
  EXPECT_EQ(r->output.substr(r->output.size() - 20), full.substr(full.size() - 20));
  EXPECT_NE(r->output.find("[smartspec-batch: " + std::to_string(full.size() - 40) +
                           " bytes of output dropped here"),
            std::string::npos)
      << r->output;
}

TEST(ProcessOutput, AnEndlessWriterKeepsLogAndMemoryBounded) {
  test::TempDir dir;
  const long hwm_before = vm_hwm_kib();
  ASSERT_GT(hwm_before, 0);
  ProcSpec spec;
  // 400 MB between two markers, with a cap of 1 MiB each side.
  spec.argv = {"sh", "-c", "echo FIRST; head -c 400000000 /dev/zero; echo LAST"};
  spec.output_keep = std::size_t{1} << 20;
  spec.log_path = (dir.path() / "agent.log").string();
  auto r = run_process(spec);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->exit_code, 0);
  const std::uint64_t total = 6 + 400000000ull + 5;
  EXPECT_EQ(r->output_dropped, total - 2 * spec.output_keep);
  EXPECT_EQ(r->output.rfind("FIRST\n", 0), 0u);
  EXPECT_EQ(r->output.substr(r->output.size() - 5), "LAST\n");
  const auto log_size = std::filesystem::file_size(dir.path() / "agent.log");
  EXPECT_EQ(log_size, r->output.size());
  EXPECT_LT(log_size, 2 * spec.output_keep + 200);
  // The peak memory of this process grew by far less than what was written
  // (holding it would take 400 MB).
  const long hwm_after = vm_hwm_kib();
  EXPECT_LT(hwm_after - hwm_before, 32 * 1024) << hwm_before << " -> " << hwm_after << " KiB";
}

TEST(ProcessInterrupt, EndsTheWholeTreeAndLaterCallsStartNothing) {
  test::TempDir dir;
  ProcSpec spec;
  // Ignores TERM (KILL after the grace), and has a setsid daemon.
  spec.argv = {
      "sh", "-c",
      "trap '' TERM INT; setsid sh -c 'trap \"\" TERM; echo $$ > daemon.pid; exec sleep 30' "
      ">/dev/null 2>&1 & while [ ! -s daemon.pid ]; do sleep 0.01; done; echo $$ > leader.pid; "
      "sleep 30; echo finished"};
  spec.cwd = dir.str();
  spec.timeout_seconds = 60;
  std::thread interrupter([&] {
    if (eventually([&] { return std::filesystem::exists(dir.path() / "leader.pid"); }))
      interrupt_processes();
  });
  auto r = run_process(spec);
  interrupter.join();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_TRUE(r->interrupted);
  EXPECT_FALSE(r->timed_out);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->signal, SIGKILL);
  EXPECT_EQ(r->output.find("finished"), std::string::npos);
  EXPECT_TRUE(test::process_gone(pid_in(dir.path() / "leader.pid")));
  EXPECT_TRUE(test::process_gone(pid_in(dir.path() / "daemon.pid")));

  // Interrupted: nothing more is started.
  EXPECT_TRUE(processes_interrupted());
  auto later = run_argv({"sh", "-c", "touch '" + (dir.path() / "started").string() + "'"});
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->interrupted);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "started"));
  clear_interrupt();
  auto again = run_argv({"true"});
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->ok());
}

TEST(ProcessInterrupt, ACheckerThatCouldNotRunIsNoSyntaxError) {
  test::TempDir dir;
  test::write(dir.path() / "ok.sh", "echo fine\n");
  interrupt_processes();
  SyntaxReport rep = check_syntax(dir.str(), {"ok.sh"});
  clear_interrupt();
  EXPECT_TRUE(rep.errors.empty()) << describe(rep.errors.front());
  EXPECT_TRUE(rep.checked.empty());
  EXPECT_EQ(rep.notes, std::vector<std::string>{"interrupted: syntax check of ok.sh skipped"});
  // Not interrupted: checked.
  SyntaxReport again = check_syntax(dir.str(), {"ok.sh"});
  EXPECT_TRUE(again.errors.empty());
  EXPECT_EQ(again.checked, std::vector<std::string>{"ok.sh"});
}

TEST(ProcessRecord, TheRunningTreeIsRecordedAndTheRecordRemovedAfterwards) {
  test::TempDir dir;
  const std::string record = (dir.path() / "processes").string();
  set_process_record(record);
  ProcSpec spec;
  // The command waits until the record names its daemon, then prints the
  // record and the daemon's pid and start time (/proc/<pid>/stat field 22).
  spec.argv = {
      "sh", "-c",
      "setsid sh -c 'echo $$ > daemon.pid; exec sleep 30' >/dev/null 2>&1 & "
      "while [ ! -s daemon.pid ]; do sleep 0.01; done; d=$(cat daemon.pid); i=0; "
      "until grep -q \"^$d \" \"$REC\" 2>/dev/null || [ $i -ge 400 ]; do sleep 0.05; "
      "i=$((i+1)); done; echo \"daemon $d $(cut -d' ' -f22 /proc/$d/stat)\"; cat \"$REC\""};
  spec.cwd = dir.str();
  spec.env = {{"REC", record}};
  spec.kill_grace_seconds = 0.2;
  auto r = run_process(spec);
  set_process_record("");
  ASSERT_TRUE(r) << r.error().to_string();
  const int daemon = pid_in(dir.path() / "daemon.pid");
  auto first = r->output.substr(0, r->output.find('\n'));
  ASSERT_EQ(first.rfind("daemon ", 0), 0u) << r->output;
  const std::string entry = first.substr(7);  // "pid start"
  EXPECT_NE(r->output.find("\n" + entry + "\n"), std::string::npos) << r->output;
  EXPECT_TRUE(test::process_gone(daemon));
  EXPECT_FALSE(std::filesystem::exists(record));
}

// Calls running at once (--jobs): B starts while A runs, so B's process is
// below us and was not there when A started; A's end must not take it for
// part of its own tree. Both end as themselves; the record goes with the last.
TEST(ProcessConcurrent, EndingOneCallLeavesACallStartedAfterItRunning) {
  test::TempDir dir;
  const std::string record = (dir.path() / "processes").string();
  set_process_record(record);
  auto spec = [&](const std::string& script) {
    ProcSpec s;
    s.argv = {"sh", "-c", script};
    s.cwd = dir.str();
    s.timeout_seconds = 30;
    return s;
  };
  Result<ProcResult> a = ProcResult{};
  std::thread first([&] {
    a =
        run_process(spec("touch a.started; while [ ! -e b.started ]; do sleep 0.01; done; "
                         "echo a"));
  });
  while (!std::filesystem::exists(dir.path() / "a.started")) ::usleep(10000);
  Result<ProcResult> b = ProcResult{};
  std::thread second([&] {
    b =
        run_process(spec("touch b.started; while [ ! -e a.done ]; do sleep 0.01; done; "
                         "echo b"));
  });
  first.join();  // A ended while B runs
  test::write(dir.path() / "a.done", "");
  second.join();
  set_process_record("");
  ASSERT_TRUE(a) << a.error().to_string();
  ASSERT_TRUE(b) << b.error().to_string();
  EXPECT_EQ(a->exit_code, 0);
  EXPECT_EQ(a->output, "a\n");
  EXPECT_EQ(b->exit_code, 0) << "signal " << b->signal;
  EXPECT_EQ(b->output, "b\n");
  EXPECT_FALSE(std::filesystem::exists(record));
}

TEST(ProcessRecord, EndsRecordedProcessesMatchingPidAndStartTimeAndWhatIsBelowThem) {
  test::TempDir dir;
  // A daemon started outside run_process (like one a killed run left), with a child.
  auto started = test::sh(
      "setsid sh -c 'echo $$ > daemon.pid; sleep 30 & echo $! > child.pid; wait' "
      ">/dev/null 2>&1 & while [ ! -s child.pid ]; do sleep 0.01; done",
      dir.str());
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const int daemon = pid_in(dir.path() / "daemon.pid");
  const int child = pid_in(dir.path() / "child.pid");
  auto st = proc::stat(daemon);
  ASSERT_TRUE(st);
  const std::string record = (dir.path() / "processes").string();

  // Another start time: not the recorded process (its pid was reused).
  test::write(record, std::to_string(daemon) + " " + std::to_string(st->start + 1) + "\n");
  EXPECT_EQ(end_recorded_processes(record), 0);
  EXPECT_FALSE(test::process_gone(daemon));
  EXPECT_FALSE(std::filesystem::exists(record));

  test::write(record, std::to_string(daemon) + " " + std::to_string(st->start) + "\n");
  EXPECT_EQ(end_recorded_processes(record), 2);
  EXPECT_TRUE(test::process_gone(daemon));
  EXPECT_TRUE(test::process_gone(child));
  EXPECT_FALSE(std::filesystem::exists(record));
  reap(daemon);
  reap(child);

  EXPECT_EQ(end_recorded_processes(record), 0);  // no record: nothing to do
}

TEST(Process, SplitCommandLine) {
  auto r = split_command_line("python3 -m 'my tool' --x=\"a b\"");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<std::string>{"python3", "-m", "my tool", "--x=a b"}));
  auto empty = split_command_line("  ");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().to_string(), "empty command: '  '");
}

}  // namespace
}  // namespace smartspec::exec
