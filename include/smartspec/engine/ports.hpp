// The engine's ports: what a run touches outside its own memory besides the
// repository itself — the time, the processes it starts, whether it was
// interrupted, and the numbered steps where a test may crash it. The engine calls only these
// interfaces; the composition root (cli/main.cpp) installs the real ones, in-process tests install
// fakes (tests/engine/engine_test_util.hpp). Test seams such as SMARTSPEC_CRASH_AT and
// SMARTSPEC_FAKE_TIME are read there, never by the engine. Version control and the scratch
// workspace are the git module's Repository and Scratch: real libgit2 repositories in temporary
// directories are as fast as fakes would be, and only they prove the trees and refs.
#pragma once

#include <ctime>
#include <memory>
#include <string>

#include "smartspec/exec/process.hpp"
#include "smartspec/util/result.hpp"

namespace smartspec::engine {

// The wall clock. A fixed clock renders dates in UTC (so that a test's
// report and state do not depend on the machine's time zone).
class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the epoch (fractions where the clock has them).
  [[nodiscard]] virtual double seconds() const = 0;
  [[nodiscard]] virtual bool utc() const = 0;

  // ISO-8601 with the offset ("2026-01-01T00:00:00+00:00").
  [[nodiscard]] std::string iso8601() const;
  // "YYYYMMDD_HHMMSS" (report file names).
  [[nodiscard]] std::string stamp() const;
};

// The machine's clock, local time.
std::shared_ptr<Clock> system_clock();
// A clock that always says `epoch_seconds`, in UTC.
std::shared_ptr<Clock> fixed_clock(std::time_t epoch_seconds);

// Numbered steps of a run: after each durable write (a ref, the state, a
// commit, the scratch ready...) the engine calls step(). A kill at any of them
// must leave the repository consistent and resumable (scripts/torture).
class CrashPort {
 public:
  virtual ~CrashPort() = default;
  virtual void step() = 0;
};

// No crash (production).
std::shared_ptr<CrashPort> no_crash();
// SIGKILLs the process at the `target`-th step (the binary under
// SMARTSPEC_CRASH_AT=N, for the torture and the end-to-end tests).
std::shared_ptr<CrashPort> kill_at_step(long target);

// Starts the processes a run needs: the agent, the user's commit hooks,
// --verify-cmd, `git grep`. The real one is exec::run_process.
class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  virtual Result<exec::ProcResult> run(const exec::ProcSpec& spec) = 0;
};

std::shared_ptr<ProcessRunner> real_processes();

// Whether the run was asked to stop (SIGINT, SIGTERM, SIGHUP). A unit asks
// before each task and around its seal: an interrupted unit rolls back and the
// run stops, resumable (docs/DESIGN.md "Exit codes": 3). Once requested it
// stays requested.
class InterruptPort {
 public:
  virtual ~InterruptPort() = default;
  [[nodiscard]] virtual bool requested() const = 0;
};

// The real one: the process-wide flag the run's signal handlers raise
// (exec::interrupt_processes, which also ends a running process's tree).
std::shared_ptr<InterruptPort> signal_interrupt();

struct Ports {
  std::shared_ptr<Clock> clock;
  std::shared_ptr<CrashPort> crash;
  std::shared_ptr<ProcessRunner> processes;
  std::shared_ptr<InterruptPort> interrupt;
};

// The real ports: the machine's clock, no crash, real processes, the signals.
Ports real_ports();

}  // namespace smartspec::engine
