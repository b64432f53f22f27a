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

}  // namespace

Result<ProcResult> run_process(const ProcSpec& spec) {
  auto cannot = [](std::string what) {
    Error e{{}, 0, std::move(what) + ": " + std::strerror(errno)};
    e.code = kCannotStart;
    return fail(std::move(e));
  };
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

  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : envs) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const char* cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();

  Fd log;
  if (!spec.log_path.empty()) {
    log = Fd(::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (log.get() < 0) return cannot("cannot write " + spec.log_path);
  }
  TRY(auto in_pipe, make_pipe());
  TRY(auto out_pipe, make_pipe());
  TRY(auto err_pipe, make_pipe());  // exec failure report (errno), closed by a successful exec

  become_subreaper();
  const pid_t parent = ::getpid();
  SigpipeBlock no_sigpipe;
  std::unique_lock<std::mutex> registering(calls().mu);
  // Other calls' trees are not foreign: they are told apart by their leaders.
  std::set<Ident> foreign;
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
  registering.unlock();
  struct Unregister {
    long pid;
    ~Unregister() {
      std::lock_guard<std::mutex> lock(calls().mu);
      calls().leaders.erase(pid);
    }
  } unregister{pid};
  in_pipe.first.reset();
  out_pipe.second.reset();
  err_pipe.second.reset();

  int report[2] = {0, 0};
  ssize_t got;
  do {
    got = ::read(err_pipe.first.get(), report, sizeof report);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof report)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    errno = report[1];
    if (report[0] == 0) return cannot("cannot enter " + spec.cwd);
    return cannot("cannot run " + spec.argv[0]);
  }

  ProcResult result;
  OutputSink sink(log.get(), spec.output_keep);
  ::fcntl(in_pipe.second.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(out_pipe.first.get(), F_SETFL, O_NONBLOCK);
  std::size_t written = 0;
  if (spec.stdin_data.empty()) in_pipe.second.reset();

  auto seconds = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  const auto start = Clock::now();
  auto deadline = Clock::time_point::max();
  if (spec.timeout_seconds > 0) deadline = start + seconds(spec.timeout_seconds);
  const auto grace = seconds(spec.kill_grace_seconds);
  const auto interrupt_grace = std::min(grace, seconds(kInterruptGraceSeconds));
  bool reaped = false;
  bool term_sent = false;  // TERM went to the tree: KILL at kill_at
  bool tree_gone = false;  // nothing of the call's tree is left
  auto kill_at = Clock::time_point::max();
  int status = 0;

  // While it runs, the tree is written to the record (a SIGKILL of the tool
  // leaves it for the next run to end), at most every 250 ms.
  const std::string record = record_path();
  std::set<Ident> recorded;
  bool record_written = false;
  auto record_at = start + std::chrono::milliseconds(50);

  auto reap_leader = [&] {
    if (!reaped && ::waitpid(pid, &status, WNOHANG) == pid) reaped = true;
  };
  auto terminate = [&](Clock::duration after) {
    const auto now = Clock::now();
    if (!term_sent) {
      term_sent = true;
      if (!reaped) ::kill(-pid, SIGTERM);
      signal_tree(foreign, pid, SIGTERM);
      kill_at = now + after;
    } else {
      kill_at = std::min(kill_at, now + after);
    }
  };
  // KILL until nothing of the tree is left (bounded: a process we may not
  // signal, or one stuck in the kernel, is given up on after 2 s).
  // A process that dies while the tree is scanned hands its children to us
  // after our own children were read: that scan misses them. A process seen
  // dead has handed them over already, so the next scan sees them: the tree
  // is empty only when two scans in a row, both begun after the leader was
  // reaped, find nothing alive.
  auto tree_empty = [&](int sig) {
    return signal_tree(foreign, pid, sig).empty() && signal_tree(foreign, pid, sig).empty();
  };
  auto kill_tree = [&] {
    const auto give_up = Clock::now() + std::chrono::seconds(2);
    while (true) {
      if (!reaped) ::kill(-pid, SIGKILL);
      reap_leader();
      const bool leader_gone = reaped;
      const bool empty = tree_empty(SIGKILL);
      if ((empty && leader_gone) || Clock::now() >= give_up) break;
      ::usleep(2000);
    }
    tree_gone = true;
  };

  char buf[65536];
  auto drain = [&] {
    ssize_t k;
    while ((k = ::read(out_pipe.first.get(), buf, sizeof buf)) > 0)
      sink.add(buf, static_cast<std::size_t>(k));
  };
  bool eof = false;

  // A pidfd becomes readable when the child exits, so poll() wakes at once
  // instead of sleeping its timeout out (-1 on kernels without pidfd_open:
  // then the 20 ms polling below notices the exit).
#ifdef SYS_pidfd_open
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  int pidfd = -1;
#endif
  struct PidfdCloser {
    int fd;
    ~PidfdCloser() {
      if (fd >= 0) ::close(fd);
    }
  } pidfd_closer{pidfd};

  while (true) {
    reap_leader();
    auto now = Clock::now();
    if (!reaped && !result.timed_out && now >= deadline) {
      result.timed_out = true;
      terminate(grace);
    }
    if (processes_interrupted() && !result.interrupted) {
      result.interrupted = true;
      terminate(interrupt_grace);
    }
    if (reaped && !tree_gone) {
      // The leader is gone: whatever it left goes too.
      if (tree_empty(0)) {
        tree_gone = true;
      } else {
        terminate(result.interrupted ? interrupt_grace : grace);
      }
    }
    if (!tree_gone && term_sent && Clock::now() >= kill_at) kill_tree();
    if (tree_gone && reaped) {
      // Nobody of the tree holds the output open any more.
      if (!eof) drain();
      break;
    }
    if (!record.empty() && now >= record_at) {
      record_at = now + std::chrono::milliseconds(250);
      std::set<Ident> ids;
      for (const auto& e : call_tree(foreign, pid))
        if (!proc::finished(e.stat)) ids.insert({e.pid, e.stat.start});
      if (ids != recorded) {
        write_record(record, pid, ids);
        recorded = std::move(ids);
        record_written = true;
      }
    }
    pollfd fds[3];
    nfds_t n = 0;
    if (!eof) fds[n++] = {out_pipe.first.get(), POLLIN, 0};
    if (in_pipe.second.get() >= 0) fds[n++] = {in_pipe.second.get(), POLLOUT, 0};
    if (!reaped && pidfd >= 0) fds[n++] = {pidfd, POLLIN, 0};
    // Short waits: the exit of the leader's leftovers is noticed by a /proc
    // scan, a signal by the flag.
    int r = ::poll(fds, n, 20);
    if (r < 0 && errno != EINTR) break;
    for (nfds_t i = 0; r > 0 && i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == pidfd) continue;  // the exit: waitpid above picks it up
      if (fds[i].fd == out_pipe.first.get()) {
        ssize_t k = ::read(fds[i].fd, buf, sizeof buf);
        if (k > 0) {
          sink.add(buf, static_cast<std::size_t>(k));
        } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
          eof = true;
        }
      } else {
        ssize_t k =
            ::write(fds[i].fd, spec.stdin_data.data() + written, spec.stdin_data.size() - written);
        if (k > 0) written += static_cast<std::size_t>(k);
        if ((k < 0 && errno != EAGAIN && errno != EINTR) || written == spec.stdin_data.size()) {
          in_pipe.second.reset();
        }
      }
    }
  }
  if (record_written) write_record(record, pid, {});
  result.output = sink.finish();
  result.output_dropped = sink.dropped();
  if (!reaped) {
    result.signal = SIGKILL;  // given up on: it could not be ended
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace smartspec::exec
