#include "smartspec/exec/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <mutex>
#include <set>

#include "exec/output_sink.hpp"
#include "exec/process_tree.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::exec {

namespace {

using Clock = std::chrono::steady_clock;

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  [[nodiscard]] int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

Result<std::pair<Fd, Fd>> make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    Error e{{}, 0, std::string("cannot create a pipe: ") + std::strerror(errno)};
    e.code = kCannotStart;
    return fail(std::move(e));
  }
  return std::make_pair(Fd(p[0]), Fd(p[1]));
}

// argv[0] resolved like execvp does, but in the parent, so the child only calls
// async-signal-safe functions. Empty when not found.
std::string resolve_program(const std::string& name, const std::vector<std::string>& envp) {
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& kv : envp) {
    if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
  }
  return find_program(name, path);
}

// Blocks SIGPIPE in this thread while we write to the child's stdin (a child that
// exits early must not kill us); discards a pending one and restores the mask.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1 && sigismember(&old_, SIGPIPE) == 0) {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGPIPE);
      timespec zero{0, 0};
      sigtimedwait(&set, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t old_;
};

// A started child: its pid (the leader of its process group) and the parent's
// ends of its pipes.
struct Child {
  pid_t pid = -1;
  Fd input;   // its stdin
  Fd output;  // its stdout and stderr
  Fd failed;  // the exec failure report: closed by a successful exec
};

tl::unexpected<Error> cannot(std::string what) {
  Error e{{}, 0, std::move(what) + ": " + std::strerror(errno)};
  e.code = kCannotStart;
  return fail(std::move(e));
}

// Forks and execs `program`, registering the child as a call's leader under
// calls().mu in the same critical section (`foreign`: the processes below us
// that are not this call's). Everything the child needs is prepared before
// fork: after it, only async-signal-safe calls.
Result<Child> start_child(const ProcSpec& spec, const std::string& program,
                          const std::vector<std::string>& envs, std::set<Ident>& foreign) {
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : envs) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const char* cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();
  TRY(auto in_pipe, make_pipe());
  TRY(auto out_pipe, make_pipe());
  TRY(auto err_pipe, make_pipe());

  become_subreaper();
  const pid_t parent = ::getpid();
  std::unique_lock<std::mutex> registering(calls().mu);
  // Other calls' trees are not foreign: they are told apart by their leaders.
  for (const auto& id : processes_below_us())
    if (calls().leaders.count(id.first) == 0) foreign.insert(id);
  pid_t pid = ::fork();
  if (pid < 0) return cannot("cannot start " + spec.argv[0]);
  if (pid == 0) {
    ::setpgid(0, 0);
    // Dies with the tool, even by SIGKILL (the rest of the tree is ended by
    // the next run from the record).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (::getppid() != parent) ::_exit(127);  // the tool died before the prctl
    // Default dispositions and an empty mask for the new program.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(in_pipe.first.get(), 0);
    ::dup2(out_pipe.second.get(), 1);
    ::dup2(out_pipe.second.get(), 2);
    int stage = 0;
    if (cwd == nullptr || ::chdir(cwd) == 0) {
      stage = 1;
      ::execve(program.c_str(), argv.data(), envp.data());
    }
    int report[2] = {stage, errno};
    ssize_t ignored = ::write(err_pipe.second.get(), report, sizeof report);
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also in the parent: no race with the kill below
  calls().leaders.insert(pid);
  return Child{pid, std::move(in_pipe.second), std::move(out_pipe.first),
               std::move(err_pipe.first)};
}

// Waits for the exec: its failure (cannot enter the directory, cannot run the
// program) as an error, after reaping the child.
Result<void> exec_failure(Child& child, const ProcSpec& spec) {
  int report[2] = {0, 0};
  ssize_t got;
  do {
    got = ::read(child.failed.get(), report, sizeof report);
  } while (got < 0 && errno == EINTR);
  if (got != static_cast<ssize_t>(sizeof report)) return {};
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  errno = report[1];
  if (report[0] == 0) return cannot("cannot enter " + spec.cwd);
  return cannot("cannot run " + spec.argv[0]);
}

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// Runs a started child to its end: feeds its stdin, collects its output, ends
// its tree on the timeout or an interrupt (TERM, then KILL after the grace),
// ends what the leader leaves behind, and keeps the record of the tree.
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

Result<ProcResult> run_process(const ProcSpec& spec) {
  if (spec.argv.empty()) {
    Error e{{}, 0, "empty command"};
    e.code = kCannotStart;
    return fail(std::move(e));
  }
  std::vector<std::string> envs = child_environment(spec.env);
  std::string program = resolve_program(spec.argv[0], envs);
  if (program.empty()) {
    Error e{{}, 0, spec.argv[0] + ": command not found"};
    e.code = kCommandNotFound;
    return fail(std::move(e));
  }
  if (processes_interrupted()) {  // the tool is stopping: start nothing
    ProcResult r;
    r.interrupted = true;
    return r;
  }
  Fd log;
  if (!spec.log_path.empty()) {
    log = Fd(::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (log.get() < 0) return cannot("cannot write " + spec.log_path);
  }
  SigpipeBlock no_sigpipe;
  std::set<Ident> foreign;
  TRY(auto child, start_child(spec, program, envs, foreign));
  struct Unregister {
    long pid;
    ~Unregister() {
      std::lock_guard<std::mutex> lock(calls().mu);
      calls().leaders.erase(pid);
    }
  } unregister{child.pid};
  TRY_VOID(exec_failure(child, spec));
  return Supervisor(spec, child, std::move(foreign), log.get()).run();
}

}  // namespace smartspec::exec
