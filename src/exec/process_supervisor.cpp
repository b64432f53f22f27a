#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <set>
#include <string>

#include "exec/output_sink.hpp"
#include "exec/process_child.hpp"
#include "exec/process_tree.hpp"

namespace smartspec::exec {

namespace {

using Clock = std::chrono::steady_clock;

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// supervise(): the state of the wait loop and its steps.
class Supervisor {
 public:
  Supervisor(const ProcSpec& spec, Child& child, std::set<Ident> foreign, int log)
      : spec_(spec),
        child_(child),
        pid_(child.pid),
        foreign_(std::move(foreign)),
        sink_(log, spec.output_keep),
        start_(Clock::now()),
        grace_(seconds(spec.kill_grace_seconds)),
        interrupt_grace_(std::min(grace_, seconds(kInterruptGraceSeconds))),
        record_(record_path()),
        record_at_(start_ + std::chrono::milliseconds(50)) {
    ::fcntl(child_.input.get(), F_SETFL, O_NONBLOCK);
    ::fcntl(child_.output.get(), F_SETFL, O_NONBLOCK);
    if (spec.stdin_data.empty()) child_.input.reset();
    if (spec.timeout_seconds > 0) deadline_ = start_ + seconds(spec.timeout_seconds);
      // A pidfd becomes readable when the child exits, so poll() wakes at once
      // instead of sleeping its timeout out (-1 on kernels without pidfd_open:
      // then the 20 ms polling notices the exit).
#ifdef SYS_pidfd_open
    pidfd_ = Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
#endif
  }

  ProcResult run() {
    while (true) {
      reap_leader();
      const auto now = Clock::now();
      stop_when_asked(now);
      if (reaped_ && !tree_gone_) {
        // The leader is gone: whatever it left goes too.
        if (tree_empty(0)) {
          tree_gone_ = true;
        } else {
          terminate(result_.interrupted ? interrupt_grace_ : grace_);
        }
      }
      if (!tree_gone_ && term_sent_ && Clock::now() >= kill_at_) kill_tree();
      if (tree_gone_ && reaped_) {
        // Nobody of the tree holds the output open any more.
        if (!eof_) drain();
        break;
      }
      if (!record_.empty() && now >= record_at_) record_tree(now);
      if (!pump()) break;
    }
    return finish();
  }

 private:
  void reap_leader() {
    if (!reaped_ && ::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  }

  // The timeout and the tool's interrupt: TERM to the tree.
  void stop_when_asked(Clock::time_point now) {
    if (!reaped_ && !result_.timed_out && now >= deadline_) {
      result_.timed_out = true;
      terminate(grace_);
    }
    if (processes_interrupted() && !result_.interrupted) {
      result_.interrupted = true;
      terminate(interrupt_grace_);
    }
  }

  // TERM to the tree, KILL `after` it (or sooner when already planned).
  void terminate(Clock::duration after) {
    const auto now = Clock::now();
    if (!term_sent_) {
      term_sent_ = true;
      if (!reaped_) ::kill(-pid_, SIGTERM);
      signal_tree(foreign_, pid_, SIGTERM);
      kill_at_ = now + after;
    } else {
      kill_at_ = std::min(kill_at_, now + after);
    }
  }

  // A process that dies while the tree is scanned hands its children to us
  // after our own children were read: that scan misses them. A process seen
  // dead has handed them over already, so the next scan sees them: the tree
  // is empty only when two scans in a row, both begun after the leader was
  // reaped, find nothing alive.
  bool tree_empty(int sig) {
    return signal_tree(foreign_, pid_, sig).empty() && signal_tree(foreign_, pid_, sig).empty();
  }

  // KILL until nothing of the tree is left (bounded: a process we may not
  // signal, or one stuck in the kernel, is given up on after 2 s).
  void kill_tree() {
    const auto give_up = Clock::now() + std::chrono::seconds(2);
    while (true) {
      if (!reaped_) ::kill(-pid_, SIGKILL);
      reap_leader();
      const bool leader_gone = reaped_;
      const bool empty = tree_empty(SIGKILL);
      if ((empty && leader_gone) || Clock::now() >= give_up) break;
      ::usleep(2000);
    }
    tree_gone_ = true;
  }

  void drain() {
    ssize_t k;
    while ((k = ::read(child_.output.get(), buf_, sizeof buf_)) > 0)
      sink_.add(buf_, static_cast<std::size_t>(k));
  }

  // While it runs, the tree is written to the record (a SIGKILL of the tool
  // leaves it for the next run to end), at most every 250 ms.
  void record_tree(Clock::time_point now) {
    record_at_ = now + std::chrono::milliseconds(250);
    std::set<Ident> ids;
    for (const auto& e : call_tree(foreign_, pid_))
      if (!proc::finished(e.stat)) ids.insert({e.pid, e.stat.start});
    if (ids != recorded_) {
      write_record(record_, pid_, ids);
      recorded_ = std::move(ids);
      record_written_ = true;
    }
  }

  // One wait for output, room in stdin or the exit, and what it allows;
  // false when poll() fails.
  bool pump() {
    pollfd fds[3];
    nfds_t n = 0;
    if (!eof_) fds[n++] = {child_.output.get(), POLLIN, 0};
    if (child_.input.get() >= 0) fds[n++] = {child_.input.get(), POLLOUT, 0};
    if (!reaped_ && pidfd_.get() >= 0) fds[n++] = {pidfd_.get(), POLLIN, 0};
    // Short waits: the exit of the leader's leftovers is noticed by a /proc
    // scan, a signal by the flag.
    int r = ::poll(fds, n, 20);
    if (r < 0 && errno != EINTR) return false;
    for (nfds_t i = 0; r > 0 && i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == pidfd_.get()) continue;  // the exit: waitpid picks it up
      if (fds[i].fd == child_.output.get()) {
        read_output();
      } else {
        write_input();
      }
    }
    return true;
  }

  void read_output() {
    ssize_t k = ::read(child_.output.get(), buf_, sizeof buf_);
    if (k > 0) {
      sink_.add(buf_, static_cast<std::size_t>(k));
    } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
      eof_ = true;
    }
  }

  void write_input() {
    const std::string& data = spec_.stdin_data;
    ssize_t k = ::write(child_.input.get(), data.data() + written_, data.size() - written_);
    if (k > 0) written_ += static_cast<std::size_t>(k);
    if ((k < 0 && errno != EAGAIN && errno != EINTR) || written_ == data.size()) {
      child_.input.reset();
    }
  }

  ProcResult finish() {
    if (record_written_) write_record(record_, pid_, {});
    result_.output = sink_.finish();
    result_.output_dropped = sink_.dropped();
    if (!reaped_) {
      result_.signal = SIGKILL;  // given up on: it could not be ended
    } else if (WIFEXITED(status_)) {
      result_.exit_code = WEXITSTATUS(status_);
    } else if (WIFSIGNALED(status_)) {
      result_.signal = WTERMSIG(status_);
    }
    return std::move(result_);
  }

  const ProcSpec& spec_;
  Child& child_;
  const pid_t pid_;
  const std::set<Ident> foreign_;
  OutputSink sink_;
  ProcResult result_;
  const Clock::time_point start_;
  Clock::time_point deadline_ = Clock::time_point::max();
  const Clock::duration grace_;
  const Clock::duration interrupt_grace_;
  Fd pidfd_;
  std::size_t written_ = 0;
  bool eof_ = false;
  bool reaped_ = false;
  bool term_sent_ = false;  // TERM went to the tree: KILL at kill_at_
  bool tree_gone_ = false;  // nothing of the call's tree is left
  Clock::time_point kill_at_ = Clock::time_point::max();
  int status_ = 0;
  const std::string record_;
  std::set<Ident> recorded_;
  bool record_written_ = false;
  Clock::time_point record_at_;
  char buf_[65536];
};

}  // namespace

ProcResult supervise(const ProcSpec& spec, Child& child, std::set<Ident> foreign, int log) {
  return Supervisor(spec, child, std::move(foreign), log).run();
}

}  // namespace smartspec::exec
