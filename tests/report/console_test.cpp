// The console status printer: exact bytes on a terminal and off it, colour
// and NO_COLOR, quiet mode, and the live progress line through a real
// pseudo-terminal (isatty() deciding, as the CLI does).
#include "smartspec/report/console.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <optional>
#include <string>

#include "report/scenarios.hpp"
#include "smartspec/report/report.hpp"

namespace smartspec::report {
namespace {

// Runs `body` with a Console writing into memory; returns every byte written,
// including what the Console's destructor writes.
std::string capture(bool terminal, bool colour, bool quiet,
                    const std::function<void(Console&)>& body) {
  char* buf = nullptr;
  size_t size = 0;
  FILE* f = open_memstream(&buf, &size);
  EXPECT_NE(f, nullptr);
  {
    Console c(f, terminal, colour, quiet);
    body(c);
  }
  fclose(f);
  std::string out(buf, size);
  free(buf);
  return out;
}

TaskReport failed_task() {
  TaskReport t = test::task("TASK-003", "Parse config", TaskStatus::kFailed);
  t.error = "SyntaxError: invalid syntax";
  t.file = "src/config.py";
  t.line = 7;
  return t;
}

void story(Console& c) {
  c.progress("missing_code", 1, 3, 2, 30);
  c.task_done(1, 3, test::task("TASK-001", "Load items", TaskStatus::kVerified));
  c.progress("missing_code", 2, 3, 12.5, -1);
  c.task_done(2, 3, failed_task());
  c.task_done(3, 3, test::task("TASK-004", "Docs", TaskStatus::kNeedsAgent));
  UnitReport u = test::unit(Unit::kMissingCode, UnitStatus::kCommitted, test::kCommitA);
  u.tasks = {test::task("TASK-001", "Load items", TaskStatus::kVerified), failed_task()};
  c.unit_done(u);
  c.progress("naming_issue", 1, 1, 3725, 0);
}

TEST(Console, NotATerminalPrintsPlainLinesOnly) {
  const std::string out = capture(false, true, false, story);
  EXPECT_EQ(out,
            "✅ [1/3] TASK-001: Load items\n"
            "❌ [2/3] TASK-003: Parse config — src/config.py:7: SyntaxError: invalid syntax\n"
            "⏭️ [3/3] TASK-004: Docs — needs an agent (--agent)\n"
            "unit missing_code: committed a1b2c3d (1 task)\n");
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_EQ(out.find('\r'), std::string::npos);
}

TEST(Console, TerminalDrawsAndErasesTheProgressLine) {
  const std::string out = capture(true, false, false, story);
  EXPECT_EQ(out,
            "\r\x1b[Kmissing_code: task 1/3, 0:02 elapsed, about 0:30 left"
            "\r\x1b[K✅ [1/3] TASK-001: Load items\n"
            "\r\x1b[Kmissing_code: task 2/3, 0:12 elapsed"
            "\r\x1b[K❌ [2/3] TASK-003: Parse config — src/config.py:7: SyntaxError: invalid "
            "syntax\n"
            "⏭️ [3/3] TASK-004: Docs — needs an agent (--agent)\n"
            "unit missing_code: committed a1b2c3d (1 task)\n"
            "\r\x1b[Knaming_issue: task 1/1, 1:02:05 elapsed, about 0:00 left"
            "\r\x1b[K");
}

TEST(Console, ColourOnATerminal) {
  const std::string out = capture(true, true, false, [](Console& c) {
    c.task_done(1, 2, test::task("T-1", "ok", TaskStatus::kVerified));
    c.task_done(2, 2, failed_task());
    c.task_done(2, 2, test::task("T-4", "later", TaskStatus::kNeedsAgent));
    c.task_done(2, 2, test::task("T-5", "before", TaskStatus::kAlreadyDone));
  });
  EXPECT_EQ(out,
            "✅ \x1b[32m[1/2] T-1: ok\x1b[0m\n"
            "❌ \x1b[31m[2/2] TASK-003: Parse config — src/config.py:7: SyntaxError: invalid "
            "syntax\x1b[0m\n"
            "⏭️ \x1b[33m[2/2] T-4: later — needs an agent (--agent)\x1b[0m\n"
            "✔️ [2/2] T-5: before — already done\n");
}

// Issue 19: the console says what the status model says, never "✅" for a
// task whose evidence does not verify or that changed nothing.
TEST(Console, UnverifiedAndUnchangedTasksSayWhy) {
  const std::string out = capture(false, false, false, [](Console& c) {
    TaskReport a = test::task("T-1", "applied", TaskStatus::kAppliedUnverified);
    a.has_evidence = true;
    a.error = "evidence not verified: src/a.py: symbol not found";
    c.task_done(1, 4, a);
    TaskReport b = test::task("T-2", "no evidence", TaskStatus::kAppliedUnverified);
    c.task_done(2, 4, b);
    TaskReport n = test::task("T-3", "same", TaskStatus::kNoChange);
    n.error = "nothing changed";
    c.task_done(3, 4, n);
    TaskReport r = test::task("T-4", "escape", TaskStatus::kRefused);
    r.error = "../x: outside the worktree; refused";
    c.task_done(4, 4, r);
  });
  EXPECT_EQ(out,
            "⚠️ [1/4] T-1: applied — applied, not verified: evidence not verified: src/a.py: "
            "symbol not found\n"
            "⚠️ [2/4] T-2: no evidence — applied (no evidence to verify)\n"
            "➖ [3/4] T-3: same — no change: nothing changed\n"
            "❌ [4/4] T-4: escape — ../x: outside the worktree; refused\n");
}

TEST(Console, ColourIsIgnoredOffATerminal) {
  const std::string out = capture(false, true, false, [](Console& c) {
    c.task_done(1, 1, test::task("T-1", "ok", TaskStatus::kVerified));
  });
  EXPECT_EQ(out, "✅ [1/1] T-1: ok\n");
}

// --color with NO_COLOR and TERM: every combination of the rule.
TEST(Console, ColourModeNoColorAndTermDecideColour) {
  const ColourMode a = ColourMode::kAuto, y = ColourMode::kAlways, n = ColourMode::kNever;
  // auto: a terminal, NO_COLOR unset or empty, TERM not dumb.
  EXPECT_TRUE(Console::colour_wanted(a, true, nullptr, "xterm-256color"));
  EXPECT_TRUE(Console::colour_wanted(a, true, "", nullptr));
  EXPECT_FALSE(Console::colour_wanted(a, false, nullptr, "xterm"));
  EXPECT_FALSE(Console::colour_wanted(a, true, "1", "xterm"));
  EXPECT_FALSE(Console::colour_wanted(a, true, "no", "xterm"));  // any non-empty value
  EXPECT_FALSE(Console::colour_wanted(a, true, nullptr, "dumb"));
  // always: even off a terminal, with NO_COLOR set, with TERM=dumb.
  for (bool terminal : {true, false})
    for (const char* no_color : {static_cast<const char*>(nullptr), "", "1"})
      for (const char* term : {static_cast<const char*>(nullptr), "xterm", "dumb"}) {
        EXPECT_TRUE(Console::colour_wanted(y, terminal, no_color, term));
        EXPECT_FALSE(Console::colour_wanted(n, terminal, no_color, term));
      }
  EXPECT_TRUE(Console::dumb_terminal("dumb"));
  EXPECT_FALSE(Console::dumb_terminal("xterm"));
  EXPECT_FALSE(Console::dumb_terminal(nullptr));
}

// The process policy (--color, TERM=dumb) as the CLI sets it; restored after.
struct PolicyGuard {
  ~PolicyGuard() { Console::set_policy(ColourMode::kAuto, false); }
};

TEST(Console, PolicyAlwaysColoursOffATerminalNeverDoesNot) {
  PolicyGuard guard;
  const char* saved = getenv("NO_COLOR");
  std::optional<std::string> keep = saved ? std::optional<std::string>(saved) : std::nullopt;
  setenv("NO_COLOR", "1", 1);
  Console::set_policy(ColourMode::kAlways, false);
  EXPECT_TRUE(Console::colour_from_env(false));
  std::string out = capture(false, Console::colour_from_env(false), false, [](Console& c) {
    c.task_done(1, 1, test::task("T-1", "ok", TaskStatus::kVerified));
  });
  EXPECT_EQ(out, "✅ \x1b[32m[1/1] T-1: ok\x1b[0m\n");
  Console::set_policy(ColourMode::kNever, false);
  unsetenv("NO_COLOR");
  EXPECT_FALSE(Console::colour_from_env(true));
  out = capture(true, Console::colour_from_env(true), false, [](Console& c) {
    c.task_done(1, 1, test::task("T-1", "ok", TaskStatus::kVerified));
  });
  EXPECT_EQ(out, "✅ [1/1] T-1: ok\n");
  Console::set_policy(ColourMode::kAuto, false);
  EXPECT_TRUE(Console::colour_from_env(true));
  Console::set_policy(ColourMode::kAuto, true);  // TERM=dumb
  EXPECT_FALSE(Console::colour_from_env(true));
  if (keep) setenv("NO_COLOR", keep->c_str(), 1);
}

TEST(Console, NoColorDecidesColour) {
  EXPECT_TRUE(Console::colour_enabled(true, nullptr));
  EXPECT_TRUE(Console::colour_enabled(true, ""));  // no-color.org: empty = unset
  EXPECT_FALSE(Console::colour_enabled(true, "1"));
  EXPECT_FALSE(Console::colour_enabled(false, nullptr));

  // From the environment (the test main sets NO_COLOR=1; restore it after).
  const char* saved = getenv("NO_COLOR");
  std::optional<std::string> keep = saved ? std::optional<std::string>(saved) : std::nullopt;
  setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(Console::colour_from_env(true));
  unsetenv("NO_COLOR");
  EXPECT_TRUE(Console::colour_from_env(true));
  EXPECT_FALSE(Console::colour_from_env(false));
  if (keep) setenv("NO_COLOR", keep->c_str(), 1);
}

TEST(Console, UnitLines) {
  const std::string out = capture(false, false, false, [](Console& c) {
    UnitReport u = test::unit(Unit::kNotImplemented, UnitStatus::kCommitted, test::kCommitB);
    for (const char* id : {"T-1", "T-2", "T-3"}) {
      u.tasks.push_back(test::task(id, "t", TaskStatus::kVerified));
    }
    c.unit_done(u);
    u = test::unit(Unit::kSymbolIssue, UnitStatus::kRolledBack);
    u.reason = "--verify-cmd exited with status 1";
    c.unit_done(u);
    c.unit_done(test::unit(Unit::kContentIssue, UnitStatus::kNothingToCommit));
    c.unit_done(test::unit(Unit::kCritical, UnitStatus::kDoneEarlier, test::kCommitA));
    c.unit_done(test::unit(Unit::kNamingIssue, UnitStatus::kNotRun));
  });
  EXPECT_EQ(out,
            "unit not_implemented: committed b2c3d4e (3 tasks)\n"
            "unit symbol_issue: rolled back — --verify-cmd exited with status 1\n"
            "unit content_issue: nothing to commit\n"
            "unit critical: done earlier (a1b2c3d)\n"
            "unit naming_issue: not run\n");
}

TEST(Console, QuietKeepsOnlyWhatWentWrong) {
  const std::string out = capture(true, false, true, [](Console& c) {
    story(c);
    UnitReport u = test::unit(Unit::kSymbolIssue, UnitStatus::kRolledBack);
    u.reason = "failure budget exhausted";
    c.unit_done(u);
    c.note("resuming after critical");
  });
  EXPECT_EQ(out,
            "❌ [2/3] TASK-003: Parse config — src/config.py:7: SyntaxError: invalid syntax\n"
            "unit symbol_issue: rolled back — failure budget exhausted\n");
}

// -q: a run that needs nothing from the reader prints nothing at all; a run
// that does (exit != 0) still gets its summary.
TEST(Console, QuietPrintsNoSummaryOnSuccessButOnFailure) {
  const std::string ok =
      capture(false, false, true, [](Console& c) { c.summary(test::all_succeeded()); });
  EXPECT_EQ(ok, "");
  const std::string stopped =
      capture(false, false, true, [](Console& c) { c.summary(test::rolled_back()); });
  EXPECT_NE(stopped.find("stopped: unit symbol_issue failed"), std::string::npos) << stopped;
  EXPECT_NE(stopped.find("exit 3: "), std::string::npos) << stopped;
}

TEST(Console, ControlCharactersFromThePackAreEscaped) {
  const std::string out = capture(false, false, false, [](Console& c) {
    c.task_done(1, 1, test::task("T-1", "evil\r\x1b[2Jtitle\nnext", TaskStatus::kVerified));
  });
  EXPECT_EQ(out, "✅ [1/1] T-1: evil \\x1b[2Jtitle next\n");
}

TEST(Console, SummaryOfAStoppedRun) {
  const std::string out =
      capture(false, false, false, [](Console& c) { c.summary(test::rolled_back()); });
  EXPECT_EQ(out,
            "4 tasks: 1 verified, 1 failed, 2 not run\n"
            "branch smartspec/20260101_100000 at a1b2c3d (base 1111111)\n"
            "stopped: unit symbol_issue failed: --verify-cmd exited with status 1\n"
            "resume with: smartspec-batch run --prompts-dir .spec/prompts/20260101_100000 "
            "--tasks tasks.md --resume\n"
            "report: .spec/reports/batch_execution_20260101_100205.md, "
            ".spec/reports/batch_execution_20260101_100205.json\n"
            "exit 3: stopped early, resumable\n");
}

TEST(Console, SummaryOfAFinishedRunInColour) {
  const std::string out =
      capture(true, true, false, [](Console& c) { c.summary(test::failures_within_budget()); });
  EXPECT_EQ(out,
            "5 tasks: 1 verified, 1 applied, not verified, 1 needs an agent, 2 failed\n"
            "branch smartspec/20260101_100000 at a1b2c3d (base 1111111)\n"
            "report: .spec/reports/batch_execution_20260101_100205.md, "
            ".spec/reports/batch_execution_20260101_100205.json\n"
            "\x1b[31mexit 1: the run finished, some tasks are not verified\x1b[0m\n");
}

TEST(Console, SummaryWithoutACommit) {
  RunReport r = test::base_run();
  r.report_md_path.clear();
  r.report_json_path.clear();
  const std::string out = capture(false, false, false, [&](Console& c) { c.summary(r); });
  EXPECT_EQ(out,
            "0 tasks: 0 verified\n"
            "branch smartspec/20260101_100000: no commit (base 1111111)\n"
            "exit 0: every planned task is verified\n");
}

// Exit 0 with a task applied that tasks.md gives no evidence for: the last
// line must not claim that every task is verified.
TEST(Console, ExitZeroWithATaskWithoutEvidenceSaysSo) {
  RunReport r = test::base_run();
  UnitReport u = test::unit(Unit::kMissingCode, UnitStatus::kCommitted, test::kCommitA);
  u.tasks.push_back(test::task("T-1", "Big", TaskStatus::kAppliedUnverified));
  u.tasks.push_back(test::task("T-2", "Small", TaskStatus::kVerified));
  r.units = {u};
  r.tip = test::kCommitA;
  r.report_md_path.clear();
  r.report_json_path.clear();
  r.exit_code = 0;
  const std::string out = capture(false, false, false, [&](Console& c) { c.summary(r); });
  EXPECT_EQ(out,
            "2 tasks: 1 verified, 1 applied, not verified\n"
            "branch smartspec/20260101_100000 at a1b2c3d (base 1111111)\n"
            "exit 0: every planned task is done; 1 applied with no evidence in tasks.md to "
            "verify\n");
  const std::string md = render_markdown(r);
  EXPECT_NE(md.find("- **Exit code:** 0 — every planned task is done; 1 applied with no evidence "
                    "in tasks.md to verify\n"),
            std::string::npos)
      << md;
}

TEST(Console, ClockFormat) {
  EXPECT_EQ(format_clock(0), "0:00");
  EXPECT_EQ(format_clock(59.9), "0:59");
  EXPECT_EQ(format_clock(61), "1:01");
  EXPECT_EQ(format_clock(3725), "1:02:05");
  EXPECT_EQ(format_clock(-1), "0:00");
}

// ------------------------------------------------------------ pseudo-terminal

// A pseudo-terminal pair; the slave is in raw mode so the bytes read from the
// master are exactly the bytes written (no "\n" → "\r\n" translation).
class Pty {
 public:
  Pty() {
    master_ = posix_openpt(O_RDWR | O_NOCTTY);
    if (master_ < 0 || grantpt(master_) != 0 || unlockpt(master_) != 0) return;
    const char* name = ptsname(master_);
    if (name == nullptr) return;
    int slave = open(name, O_RDWR | O_NOCTTY);
    if (slave < 0) return;
    termios tio{};
    tcgetattr(slave, &tio);
    cfmakeraw(&tio);
    tcsetattr(slave, TCSANOW, &tio);
    slave_ = fdopen(slave, "w");
  }
  ~Pty() {
    close_slave();
    if (master_ >= 0) close(master_);
  }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;

  [[nodiscard]] bool ok() const { return master_ >= 0 && slave_ != nullptr; }
  [[nodiscard]] FILE* slave() const { return slave_; }

  void set_columns(unsigned short cols) {
    winsize ws{};
    ws.ws_row = 24;
    ws.ws_col = cols;
    ioctl(master_, TIOCSWINSZ, &ws);
  }

  void close_slave() {
    if (slave_ != nullptr) fclose(slave_);
    slave_ = nullptr;
  }

  // Everything written to the slave: call after close_slave(). Once the slave
  // is closed and its output drained, reading the master fails with EIO.
  std::string drain() {
    std::string out;
    char buf[4096];
    for (;;) {
      pollfd p{master_, POLLIN, 0};
      if (poll(&p, 1, 5000) <= 0) break;  // a safety net only: data is already there
      ssize_t n = read(master_, buf, sizeof buf);
      if (n > 0) {
        out.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      break;  // EIO (slave closed) or end of file
    }
    return out;
  }

 private:
  int master_ = -1;
  FILE* slave_ = nullptr;
};

// TERM=dumb (the policy the CLI sets from it): a real terminal, yet no live
// line and no colour: plain lines only.
TEST(ConsolePty, DumbTerminalGetsNoLiveLineAndNoColour) {
  PolicyGuard guard;
  Console::set_policy(ColourMode::kAuto, true);
  Pty pty;
  ASSERT_TRUE(pty.ok()) << "cannot open a pseudo-terminal";
  const bool tty = isatty(fileno(pty.slave())) == 1;
  ASSERT_TRUE(tty);
  {
    Console c(pty.slave(), tty, Console::colour_enabled(tty, nullptr));
    c.progress("critical", 1, 2, 1, 9);
    c.task_done(1, 2, test::task("T-1", "first", TaskStatus::kVerified));
    c.progress("critical", 2, 2, 3, 5);
  }
  pty.close_slave();
  EXPECT_EQ(pty.drain(), "✅ [1/2] T-1: first\n");
}

TEST(ConsolePty, LiveProgressLineIsDrawnOnARealTerminal) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << "cannot open a pseudo-terminal";
  const bool tty = isatty(fileno(pty.slave())) == 1;
  ASSERT_TRUE(tty);
  {
    Console c(pty.slave(), tty, Console::colour_enabled(tty, nullptr));
    c.progress("critical", 1, 2, 1, 9);
    c.task_done(1, 2, test::task("T-1", "first", TaskStatus::kVerified));
    c.progress("critical", 2, 2, 3, 5);
  }
  pty.close_slave();
  EXPECT_EQ(pty.drain(),
            "\r\x1b[Kcritical: task 1/2, 0:01 elapsed, about 0:09 left"
            "\r\x1b[K✅ \x1b[32m[1/2] T-1: first\x1b[0m\n"
            "\r\x1b[Kcritical: task 2/2, 0:03 elapsed, about 0:05 left"
            "\r\x1b[K");
}

// A line wider than the terminal would wrap and "\r" would redraw only its
// last row: the progress line is cut to the width minus one column.
TEST(ConsolePty, ProgressLineFitsTheTerminalWidth) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << "cannot open a pseudo-terminal";
  pty.set_columns(21);
  {
    Console c(pty.slave(), isatty(fileno(pty.slave())) == 1, false);
    c.progress("not_implemented", 3, 9, 10, 20);
  }
  pty.close_slave();
  EXPECT_EQ(pty.drain(), "\r\x1b[Knot_implemented: tas\r\x1b[K");
}

// The same printer on a pipe (CI, hooks): isatty() says no, nothing but plain lines.
TEST(ConsolePty, NothingLiveOnAPipe) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  FILE* w = fdopen(fds[1], "w");
  ASSERT_NE(w, nullptr);
  const bool tty = isatty(fileno(w)) == 1;
  EXPECT_FALSE(tty);
  {
    Console c(w, tty, Console::colour_enabled(tty, nullptr));
    c.progress("critical", 1, 1, 1, 1);
    c.task_done(1, 1, test::task("T-1", "first", TaskStatus::kVerified));
    c.progress("critical", 1, 1, 2, 0);
  }
  fclose(w);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  EXPECT_EQ(out, "✅ [1/1] T-1: first\n");
}

}  // namespace
}  // namespace smartspec::report

namespace smartspec::report {
namespace {

TEST(Console, ExitMeaningsIncludeTheInternalError) {
  EXPECT_EQ(exit_meaning(3), "stopped early, resumable");
  EXPECT_EQ(exit_meaning(70), "internal error");
  EXPECT_EQ(exit_meaning(9), "unknown exit code");
}

}  // namespace
}  // namespace smartspec::report
