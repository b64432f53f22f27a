// The one status printer for what a person reads during a run (docs/DESIGN.md
// "Outputs", issue 6); modelled on ninja's Status interface. Logs are not
// output: diagnostics go through spdlog, this prints only the run's story.
//
// On a terminal it keeps one live progress line at the bottom, redrawn in
// place ("\r" + erase to end of line "\x1b[K") and erased before any other
// line is printed and when the printer is done. Not on a terminal (CI, hooks,
// a pipe) it prints plain lines with no control character at all: no
// progress line, no "\r", no escape sequence, and text from the pack (titles,
// errors) has its control characters replaced.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "smartspec/report/report.hpp"

namespace smartspec::report {

// --color: auto (colour on a terminal, unless NO_COLOR or TERM=dumb), always
// (even when not a terminal, NO_COLOR notwithstanding), never.
enum class ColourMode { kAuto, kAlways, kNever };

// One agent call running (--jobs): its task, its elapsed seconds, the last
// line of its output (empty: not to be shown).
struct RunningCall {
  std::string task;
  double elapsed = 0;
  std::string last_output;
};

class Console {
 public:
  // `out`: stdout, or stderr when --json owns stdout. `terminal`: the caller
  // decides, normally isatty(fileno(out)). `colour`: SGR colours (green, red,
  // yellow); ignored unless `terminal`. `quiet` (-q): only what went wrong
  // (failed tasks, rolled-back units) and the summary; no progress line.
  Console(std::FILE* out, bool terminal, bool colour, bool quiet = false);
  // Erases the live progress line if one is drawn.
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // Colour is on for a terminal unless NO_COLOR is set to a non-empty value
  // (https://no-color.org: "when present and not an empty string").
  // `no_color` is the variable's value, nullptr when unset.
  static bool colour_enabled(bool terminal, const char* no_color);
  // The same, reading NO_COLOR from the environment, under the process's
  // policy (set_policy): --color=always/never decide alone; auto also needs
  // a terminal that is not TERM=dumb.
  static bool colour_from_env(bool terminal);
  // The whole rule: `mode` from --color; `terminal`: the output is one;
  // `no_color`, `term`: NO_COLOR and TERM (nullptr when unset).
  static bool colour_wanted(ColourMode mode, bool terminal, const char* no_color, const char* term);
  // TERM=dumb: a terminal without cursor control (Emacs shell, some CI
  // logs): no live line ("\r\x1b[K" redraws), no colour in auto mode.
  static bool dumb_terminal(const char* term);
  // The process-wide policy every Console follows, set once by the command
  // line (--color, TERM): a Console made while `dumb` draws no live line;
  // kAlways colours even when not a terminal. Default: kAuto, not dumb.
  static void set_policy(ColourMode mode, bool dumb);

  // "✅ [3/9] TASK-003: title" (verified),
  // "⚠️ [3/9] TASK-003: title — applied, not verified: <why>",
  // "➖ [3/9] TASK-003: title — no change: <why>",
  // "❌ [3/9] TASK-003: title — <file>:<line>: <error>" (failed or refused),
  // "⏭️ [3/9] TASK-003: title — needs an agent (--agent)[: <why>]",
  // "✔️ [3/9] TASK-003: title — already done", "⬜ [3/9] TASK-003: title — not run".
  void task_done(int n, int total, const TaskReport& t);

  // "unit not_implemented: committed abc1234 (3 tasks)" (the tasks in the
  // commit: the succeeded ones), "unit X: rolled back — <reason>",
  // "unit X: nothing to commit", "unit X: done earlier (abc1234)", "unit X: not run".
  void unit_done(const UnitReport& u);

  // Live line "<unit>: task <n>/<total>, <m:ss> elapsed[, about <m:ss> left]"
  // on a terminal (a negative estimate = unknown, omitted); cut to the
  // terminal's width when known. Nothing when not a terminal or quiet.
  void progress(std::string_view unit, int n, int total, double elapsed_seconds,
                double estimate_seconds);

  // During an agent call (issue 18), called about once a second. On a
  // terminal: the live line "<unit>: task <n>/<total>, <task>: agent running,
  // <m:ss> elapsed | <last line of its output>" (cut to the width). Not on a
  // terminal: the plain line "<task>: agent running, <m:ss> elapsed" once per
  // `every_seconds` of a call (elapsed going back starts a new call). Nothing
  // when quiet.
  void agent_running(std::string_view unit, int n, int total, std::string_view task,
                     double elapsed_seconds, std::string_view last_output,
                     double every_seconds = 30);

  // --jobs (issue 21): several calls at once, called about once a second.
  // On a terminal: the live line "<unit>: <k> agent(s) running, <done>/<total>
  // done: <task> <m:ss>, … | <task>: <line>" with the first non-empty
  // last_output (cut to the width). Not on a terminal: "<k> agent(s) running
  // (<done>/<total> done): <task> <m:ss>, …" once per `every_seconds` of
  // `since` (seconds since the unit's calls began; going back starts a new
  // count). Nothing when quiet or when no call runs.
  void agents_running(std::string_view unit, int done, int total,
                      const std::vector<RunningCall>& calls, double since,
                      double every_seconds = 30);

  // After a failed agent call: its last output lines ("    | <line>") and
  // "    log: <path>". Shown when quiet too (it is what went wrong).
  void agent_output(const std::vector<std::string>& tail, std::string_view log);

  // The final lines: totals, the branch and its tip, where the report is,
  // the exit code and its meaning (and how to resume when stopped).
  void summary(const RunReport& r);

  // One free-form line (e.g. "resuming after missing_code"); not in quiet mode.
  void note(std::string_view text);

  // Erases the live progress line, if drawn (no-op otherwise).
  void clear_progress();

 private:
  // Draws `text` as the live line (cut to the terminal's width).
  void draw_live(std::string text);
  // Prints one line (a "\n" is added), erasing the live line first; `sgr` is
  // the colour's SGR parameter ("32") or empty.
  void emit(std::string_view marker, std::string_view text, std::string_view sgr);

  std::FILE* out_;
  bool terminal_;
  bool colour_;
  bool quiet_;
  bool live_ = false;         // a progress line is drawn and not yet erased
  double agent_elapsed_ = 0;  // agent_running: the last elapsed time seen
  long agent_lines_ = 0;      // agent_running: plain lines printed for this call
  double jobs_since_ = 0;     // agents_running: the last `since` seen
  long jobs_lines_ = 0;       // agents_running: plain lines printed for this unit
};

// "3 tasks: 2 verified, 1 applied, not verified, 1 failed ..." (zero counts
// other than verified left out): the summary's first line.
std::string totals_line(const Totals& t);

// The meaning of an exit code, as the summary prints it.
std::string_view exit_meaning(int code);
// A run's exit code told by its tasks (exit 0 says how many had no evidence).
std::string run_exit_meaning(const RunReport& r);

// "m:ss" ("h:mm:ss" from an hour on); negative = 0:00.
std::string format_clock(double seconds);

}  // namespace smartspec::report
