#include "smartspec/report/console.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>

#include <cmath>
#include <cstdlib>
#include <iterator>
#include <string>

#include "report/format.hpp"
#include "smartspec/util/path_rules.hpp"

namespace smartspec::report {

namespace {

constexpr std::string_view kGreen = "32";
constexpr std::string_view kRed = "31";
constexpr std::string_view kYellow = "33";
constexpr std::string_view kErase = "\r\x1b[K";

// Columns of the terminal behind `f`, 0 when unknown (not a tty, or a pty
// whose size was never set).
int terminal_columns(std::FILE* f) {
  winsize ws{};
  if (ioctl(fileno(f), TIOCGWINSZ, &ws) != 0) return 0;
  return ws.ws_col;
}

std::string failure_text(const TaskReport& t) {
  // Executors often name the file in the error already (as paths::printable
  // shows it): do not say it twice.
  const std::string file = paths::printable(t.file);
  if (!file.empty() && t.error.rfind(file + ":", 0) == 0) {
    if (t.line > 0 && t.error.rfind(file + ": ", 0) == 0)
      return fmt::format("{}:{}{}", file, t.line, t.error.substr(file.size()));
    return t.error;
  }
  const std::string_view error = t.error.empty() ? std::string_view("failed") : t.error;
  if (file.empty()) return std::string(error);
  if (t.line > 0) return fmt::format("{}:{}: {}", file, t.line, error);
  return fmt::format("{}: {}", file, error);
}

}  // namespace

std::string totals_line(const Totals& t) {
  std::string line =
      fmt::format("{}: {} verified", detail::count_noun(t.total, "task", "tasks"), t.verified);
  auto part = [&line](int n, std::string_view what) {
    if (n > 0) fmt::format_to(std::back_inserter(line), ", {} {}", n, what);
  };
  part(t.applied_unverified, "applied, not verified");
  part(t.no_change, "no change");
  part(t.needs_agent, t.needs_agent == 1 ? "needs an agent" : "need an agent");
  part(t.refused, "refused");
  part(t.failed, "failed");
  part(t.already_done, "already done");
  part(t.not_run, "not run");
  return line;
}

std::string_view exit_meaning(int code) { return detail::exit_meaning(code); }
std::string run_exit_meaning(const RunReport& r) { return detail::run_exit_meaning(r); }

std::string format_clock(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  long s = static_cast<long>(seconds);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

namespace {

ColourMode g_mode = ColourMode::kAuto;
bool g_dumb = false;

}  // namespace

Console::Console(std::FILE* out, bool terminal, bool colour, bool quiet)
    : out_(out),
      terminal_(terminal && !g_dumb),
      colour_(colour && (terminal_ || g_mode == ColourMode::kAlways)),
      quiet_(quiet) {}

Console::~Console() { clear_progress(); }

bool Console::colour_enabled(bool terminal, const char* no_color) {
  return terminal && (no_color == nullptr || *no_color == '\0');
}

bool Console::colour_from_env(bool terminal) {
  switch (g_mode) {
    case ColourMode::kAlways:
      return true;
    case ColourMode::kNever:
      return false;
    case ColourMode::kAuto:
      break;
  }
  return colour_enabled(terminal && !g_dumb, std::getenv("NO_COLOR"));
}

bool Console::colour_wanted(ColourMode mode, bool terminal, const char* no_color,
                            const char* term) {
  switch (mode) {
    case ColourMode::kAlways:
      return true;
    case ColourMode::kNever:
      return false;
    case ColourMode::kAuto:
      break;
  }
  return colour_enabled(terminal && !dumb_terminal(term), no_color);
}

bool Console::dumb_terminal(const char* term) {
  return term != nullptr && std::string_view(term) == "dumb";
}

void Console::set_policy(ColourMode mode, bool dumb) {
  g_mode = mode;
  g_dumb = dumb;
}

void Console::clear_progress() {
  if (!live_) return;
  std::fwrite(kErase.data(), 1, kErase.size(), out_);
  std::fflush(out_);
  live_ = false;
}

void Console::emit(std::string_view marker, std::string_view text, std::string_view sgr) {
  clear_progress();
  std::string line;
  if (!marker.empty()) {
    line += marker;
    line += ' ';
  }
  bool paint = colour_ && !sgr.empty();
  if (paint) fmt::format_to(std::back_inserter(line), "\x1b[{}m", sgr);
  // Every piece of text may come from a pack or a tool: never let it carry a
  // control character (a stray "\r" or escape would corrupt the screen).
  line += detail::one_line(text);
  if (paint) line += "\x1b[0m";
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void Console::task_done(int n, int total, const TaskReport& t) {
  const std::string text = fmt::format("[{}/{}] {}: {}", n, total, t.id, t.title);
  auto with = [&](std::string_view what) {
    return t.error.empty() ? fmt::format("{} — {}", text, what)
                           : fmt::format("{} — {}: {}", text, what, t.error);
  };
  switch (t.status) {
    case TaskStatus::kVerified:
      if (quiet_) return;
      emit(detail::status_marker(t.status), text, kGreen);
      return;
    case TaskStatus::kSucceeded:
    case TaskStatus::kAppliedUnverified:
      if (quiet_ && !t.has_evidence) return;
      emit(detail::status_marker(t.status),
           t.has_evidence ? with("applied, not verified")
                          : fmt::format("{} — applied (no evidence to verify)", text),
           t.has_evidence ? kYellow : kGreen);
      return;
    case TaskStatus::kNoChange:
      emit(detail::status_marker(t.status), with("no change"), kYellow);
      return;
    case TaskStatus::kRefused:
    case TaskStatus::kFailed:
      emit(detail::status_marker(t.status), fmt::format("{} — {}", text, failure_text(t)), kRed);
      return;
    case TaskStatus::kNeedsAgent: {
      if (quiet_) return;
      constexpr std::string_view kNeeds = "needs an agent (--agent)";
      const bool said = t.error.empty() || t.error == kNeeds;  // no need to say it twice
      emit(detail::status_marker(t.status),
           said ? fmt::format("{} — {}", text, kNeeds) : with(kNeeds), kYellow);
      return;
    }
    case TaskStatus::kAlreadyDone:
      if (quiet_) return;
      emit(detail::status_marker(t.status), fmt::format("{} — already done", text), {});
      return;
    case TaskStatus::kNotRun:
      if (quiet_) return;
      emit(detail::status_marker(t.status), fmt::format("{} — not run", text), {});
      return;
  }
}

void Console::unit_done(const UnitReport& u) {
  const std::string head = fmt::format("unit {}: ", unit_name(u.unit));
  switch (u.status) {
    case UnitStatus::kCommitted: {
      if (quiet_) return;
      long done = 0;
      for (const auto& t : u.tasks)
        done += t.status == TaskStatus::kVerified || t.status == TaskStatus::kAppliedUnverified ||
                        t.status == TaskStatus::kSucceeded
                    ? 1
                    : 0;
      emit({},
           fmt::format("{}committed {} ({})", head, detail::short_id(u.commit),
                       detail::count_noun(done, "task", "tasks")),
           kGreen);
      return;
    }
    case UnitStatus::kRolledBack:
      emit({},
           fmt::format("{}rolled back — {}", head,
                       u.reason.empty() ? std::string_view("no reason given") : u.reason),
           kRed);
      return;
    case UnitStatus::kNothingToCommit:
      if (quiet_) return;
      emit({}, head + "nothing to commit", kYellow);
      return;
    case UnitStatus::kDoneEarlier:
      if (quiet_) return;
      emit({},
           u.commit.empty() ? head + "done earlier"
                            : fmt::format("{}done earlier ({})", head, detail::short_id(u.commit)),
           {});
      return;
    case UnitStatus::kNotRun:
      if (quiet_) return;
      emit({}, head + "not run", {});
      return;
  }
}

void Console::progress(std::string_view unit, int n, int total, double elapsed_seconds,
                       double estimate_seconds) {
  if (!terminal_ || quiet_) return;
  std::string text = fmt::format("{}: task {}/{}, {} elapsed", detail::one_line(unit), n, total,
                                 format_clock(elapsed_seconds));
  if (estimate_seconds >= 0) {
    fmt::format_to(std::back_inserter(text), ", about {} left", format_clock(estimate_seconds));
  }
  draw_live(std::move(text));
}

void Console::draw_live(std::string text) {
  // A line longer than the terminal wraps, and "\r" would then redraw only
  // its last row: keep it within the width (on a UTF-8 character boundary).
  int cols = terminal_columns(out_);
  if (cols > 1 && text.size() > static_cast<std::size_t>(cols - 1)) {
    std::size_t cut = static_cast<std::size_t>(cols - 1);
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
  }
  std::string line = std::string(kErase) + text;
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
  live_ = true;
}

void Console::agent_running(std::string_view unit, int n, int total, std::string_view task,
                            double elapsed_seconds, std::string_view last_output,
                            double every_seconds) {
  if (quiet_) return;
  if (elapsed_seconds < agent_elapsed_) agent_lines_ = 0;  // a new call
  agent_elapsed_ = elapsed_seconds;
  const std::string head = fmt::format("{}: agent running, {} elapsed", detail::one_line(task),
                                       format_clock(elapsed_seconds));
  if (!terminal_) {
    long due = every_seconds > 0 ? static_cast<long>(elapsed_seconds / every_seconds) : 0;
    if (due <= agent_lines_) return;
    agent_lines_ = due;
    emit({}, head, {});
    return;
  }
  std::string text = fmt::format("{}: task {}/{}, {}", detail::one_line(unit), n, total, head);
  if (!last_output.empty()) {
    fmt::format_to(std::back_inserter(text), " | {}", detail::one_line(last_output));
  }
  draw_live(std::move(text));
}

void Console::agents_running(std::string_view unit, int done, int total,
                             const std::vector<RunningCall>& calls, double since,
                             double every_seconds) {
  if (quiet_ || calls.empty()) return;
  if (since < jobs_since_) jobs_lines_ = 0;  // a new unit
  jobs_since_ = since;
  const std::string count =
      std::to_string(calls.size()) + (calls.size() == 1 ? " agent running" : " agents running");
  const std::string figures = std::to_string(done) + "/" + std::to_string(total) + " done";
  std::string list;
  for (const auto& c : calls)
    list += (list.empty() ? "" : ", ") + detail::one_line(c.task) + " " + format_clock(c.elapsed);
  if (!terminal_) {
    long due = every_seconds > 0 ? static_cast<long>(since / every_seconds) : 0;
    if (due <= jobs_lines_) return;
    jobs_lines_ = due;
    emit({}, count + " (" + figures + "): " + list, {});
    return;
  }
  std::string text = detail::one_line(unit) + ": " + count + ", " + figures + ": " + list;
  for (const auto& c : calls) {
    if (c.last_output.empty()) continue;
    text += " | " + detail::one_line(c.task) + ": " + detail::one_line(c.last_output);
    break;
  }
  draw_live(std::move(text));
}

void Console::agent_output(const std::vector<std::string>& tail, std::string_view log) {
  for (const auto& l : tail) emit({}, fmt::format("    | {}", l), {});
  if (!log.empty()) emit({}, fmt::format("    log: {}", log), {});
}

void Console::note(std::string_view text) {
  if (quiet_) return;
  emit({}, text, {});
}

void Console::summary(const RunReport& r) {
  // -q: nothing at all when the run needs nothing from the reader.
  if (quiet_ && r.exit_code == 0) return;
  const Totals t = totals(r);
  std::string line = totals_line(t);
  emit({}, line, {});

  if (!r.tip.empty() && r.tip != r.base) {
    emit({},
         fmt::format("branch {} at {} (base {})", r.branch, detail::short_id(r.tip),
                     detail::short_id(r.base)),
         {});
  } else {
    emit({}, fmt::format("branch {}: no commit (base {})", r.branch, detail::short_id(r.base)), {});
  }
  if (!r.stopped_reason.empty()) {
    emit({}, fmt::format("stopped: {}", r.stopped_reason), kRed);
    emit({}, fmt::format("resume with: {} --resume", detail::run_command(r)), {});
  }
  if (!r.report_md_path.empty() || !r.report_json_path.empty()) {
    std::string where = r.report_md_path;
    if (!where.empty() && !r.report_json_path.empty()) where += ", ";
    where += r.report_json_path;
    emit({}, fmt::format("report: {}", where), {});
  }
  std::string_view sgr = r.exit_code == 0                                ? kGreen
                         : (t.failed + t.refused > 0 || r.exit_code > 1) ? kRed
                                                                         : kYellow;
  emit({}, fmt::format("exit {}: {}", r.exit_code, detail::run_exit_meaning(r)), sgr);
}

}  // namespace smartspec::report
