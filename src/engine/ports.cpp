// The real ports (include/smartspec/engine/ports.hpp).
#include "smartspec/engine/ports.hpp"

#include <sys/time.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

namespace smartspec::engine {

namespace {

std::tm broken_down(const Clock& c) {
  auto t = static_cast<std::time_t>(c.seconds());
  std::tm tm{};
  if (c.utc())
    gmtime_r(&t, &tm);
  else
    localtime_r(&t, &tm);
  return tm;
}

class SystemClock final : public Clock {
 public:
  [[nodiscard]] double seconds() const override {
    timeval tv{};
    gettimeofday(&tv, nullptr);
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  }
  [[nodiscard]] bool utc() const override { return false; }
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(std::time_t t) : t_(t) {}
  [[nodiscard]] double seconds() const override { return static_cast<double>(t_); }
  [[nodiscard]] bool utc() const override { return true; }

 private:
  std::time_t t_;
};

class NoCrash final : public CrashPort {
 public:
  void step() override {}
};

class KillAtStep final : public CrashPort {
 public:
  explicit KillAtStep(long target) : target_(target) {}
  void step() override {
    if (++n_ == target_) {
      std::fflush(nullptr);
      ::kill(::getpid(), SIGKILL);
    }
  }

 private:
  long target_;
  long n_ = 0;
};

class RealProcesses final : public ProcessRunner {
 public:
  Result<exec::ProcResult> run(const exec::ProcSpec& spec) override {
    return exec::run_process(spec);
  }
};

class SignalInterrupt final : public InterruptPort {
 public:
  [[nodiscard]] bool requested() const override { return exec::processes_interrupted(); }
};

}  // namespace

std::string Clock::iso8601() const {
  std::tm tm = broken_down(*this);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
  std::string s = buf;  // ...+0100 → ...+01:00
  if (s.size() >= 5) s.insert(s.size() - 2, ":");
  return s;
}

std::string Clock::stamp() const {
  std::tm tm = broken_down(*this);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d_%H%M%S", &tm);
  return buf;
}

std::shared_ptr<Clock> system_clock() { return std::make_shared<SystemClock>(); }
std::shared_ptr<Clock> fixed_clock(std::time_t epoch_seconds) {
  return std::make_shared<FixedClock>(epoch_seconds);
}
std::shared_ptr<CrashPort> no_crash() { return std::make_shared<NoCrash>(); }
std::shared_ptr<CrashPort> kill_at_step(long target) {
  return std::make_shared<KillAtStep>(target);
}
std::shared_ptr<ProcessRunner> real_processes() { return std::make_shared<RealProcesses>(); }

std::shared_ptr<InterruptPort> signal_interrupt() { return std::make_shared<SignalInterrupt>(); }

Ports real_ports() {
  return Ports{system_clock(), no_crash(), real_processes(), signal_interrupt()};
}

}  // namespace smartspec::engine
