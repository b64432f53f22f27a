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
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/proc.hpp"
#include "smartspec/util/text.hpp"

extern char** environ;

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

void write_all(int fd, const char* data, std::size_t n) {
  (void)text::write_all(fd, std::string_view(data, n));  // best effort
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

volatile std::sig_atomic_t g_interrupt = 0;

std::string& record_path() {
  static std::string path;
  return path;
}

// Orphans of the commands we start (setsid daemons, double forks) are
// reparented to this process instead of init, so they stay in reach.
void become_subreaper() {
  static const bool done = [] {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    return true;
  }();
  (void)done;
}

// A process: pid and start time (a pid alone may be reused).
using Ident = std::pair<long, unsigned long long>;

// Whether /proc/<pid>/task/<tid>/children exists: then a tree is walked from
// this process down (a few small reads); else /proc is scanned whole.
bool children_files() {
  static const bool yes = proc::children(::getpid()).has_value();
  return yes;
}

// Processes below this one that existed before a call: not the call's (the
// persistent syntax checker, a test's own children). Pruned from its tree;
// with children files our direct children are enough (their subtrees go with them).
std::set<Ident> processes_below_us() {
  std::set<Ident> out;
  if (children_files()) {
    for (long c : proc::children(::getpid()).value_or(std::vector<long>{}))
      if (auto s = proc::stat(c)) out.insert({c, s->start});
    return out;
  }
  for (const auto& e :
       proc::descendants(::getpid(), proc::all(), [](const proc::Entry&) { return false; }))
    out.insert({e.pid, e.stat.start});
  return out;
}

// Calls running at once (agent lanes, --jobs): each call's leader, and each
// call's live tree for the record. A leader is registered under `mu` in the
// same critical section as its fork, and every scan of a tree holds `mu`, so
// no scan sees another call's leader before it is known as one.
struct Calls {
  std::mutex mu;
  std::set<long> leaders;
  std::map<long, std::set<Ident>> recorded;
};
Calls& calls() {
  static Calls c;
  return c;
}

// A call's tree: every process below this one that was not there (nor below
// one that was) when the call started, and that is not another running
// call's leader, below one, or in its process group. Being a subreaper, we
// are an ancestor of everything the command started, wherever it moved its
// session or group (a process that left both its parent and its group is
// counted in every running call's tree).
std::vector<proc::Entry> call_tree(const std::set<Ident>& foreign, long self = 0) {
  std::lock_guard<std::mutex> lock(calls().mu);
  auto other = [&](const proc::Entry& e) {
    for (long l : calls().leaders)
      if (l != self && (e.pid == l || e.stat.pgrp == l)) return true;
    return false;
  };
  if (!children_files()) {
    return proc::descendants(::getpid(), proc::all(), [&](const proc::Entry& e) {
      return foreign.count({e.pid, e.stat.start}) != 0 || other(e);
    });
  }
  std::vector<proc::Entry> out;
  std::vector<long> frontier = proc::children(::getpid()).value_or(std::vector<long>{});
  std::set<long> seen;
  while (!frontier.empty()) {
    std::vector<long> next;
    for (long pid : frontier) {
      if (!seen.insert(pid).second) continue;
      auto s = proc::stat(pid);
      if (!s || foreign.count({pid, s->start}) != 0) continue;
      if (other({pid, *s})) continue;
      out.push_back({pid, *s});
      for (long c : proc::children(pid).value_or(std::vector<long>{})) next.push_back(c);
    }
    frontier = std::move(next);
  }
  return out;
}

// Sends `sig` to every live process of the tree (0: none) and reaps the
// tree's zombies that are our children, except `leader` (its status is
// wanted: run_process reaps it). Returns the live processes found.
std::vector<proc::Entry> signal_tree(const std::set<Ident>& foreign, pid_t leader, int sig) {
  std::vector<proc::Entry> live;
  for (const auto& e : call_tree(foreign, leader)) {
    if (proc::finished(e.stat)) {
      if (e.stat.ppid == ::getpid() && e.pid != leader)
        ::waitpid(static_cast<pid_t>(e.pid), nullptr, WNOHANG);
      continue;
    }
    if (sig != 0) ::kill(static_cast<pid_t>(e.pid), sig);
    live.push_back(e);
  }
  return live;
}

// "pid start" per line, replaced atomically: the trees of every running call
// (`leader`'s now `procs`; empty procs: the call ended). Removed when no call
// is left.
void write_record(const std::string& path, long leader, const std::set<Ident>& procs) {
  std::lock_guard<std::mutex> lock(calls().mu);
  if (procs.empty())
    calls().recorded.erase(leader);
  else
    calls().recorded[leader] = procs;
  if (calls().recorded.empty()) {
    ::unlink(path.c_str());
    return;
  }
  std::string text;
  for (const auto& [call, ids] : calls().recorded)
    for (const auto& [pid, start] : ids)
      text += std::to_string(pid) + " " + std::to_string(start) + "\n";
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  write_all(fd, text.data(), text.size());
  ::close(fd);
  ::rename(tmp.c_str(), path.c_str());
}

std::string size_text(std::size_t n) {
  if (n >= (std::size_t{1} << 20) && n % (std::size_t{1} << 20) == 0)
    return std::to_string(n >> 20) + " MiB";
  return std::to_string(n) + " bytes";
}

// A command's output: the first `keep` bytes (streamed to the log as they
// come), the last `keep` bytes in a ring buffer, the rest counted. Memory
// stays within 2 × keep whatever the command writes.
class OutputSink {
 public:
  OutputSink(int log_fd, std::size_t keep) : log_(log_fd), keep_(keep) {}

  void add(const char* p, std::size_t n) {
    if (head_.size() < keep_) {
      std::size_t h = std::min(n, keep_ - head_.size());
      head_.append(p, h);
      if (log_ >= 0) write_all(log_, p, h);
      p += h;
      n -= h;
    }
    if (n == 0) return;
    if (keep_ == 0) {
      dropped_ += n;
      return;
    }
    if (ring_.empty()) ring_.resize(keep_);
    if (n >= keep_) {
      dropped_ += filled_ + (n - keep_);
      std::memcpy(ring_.data(), p + (n - keep_), keep_);
      pos_ = 0;
      filled_ = keep_;
      return;
    }
    if (filled_ + n > keep_) dropped_ += filled_ + n - keep_;
    std::size_t first = std::min(n, keep_ - pos_);
    std::memcpy(ring_.data() + pos_, p, first);
    std::memcpy(ring_.data(), p + first, n - first);
    pos_ = (pos_ + n) % keep_;
    filled_ = std::min(keep_, filled_ + n);
  }

  // Writes the rest of the log; the output as kept.
  std::string finish() {
    std::string marker;
    if (dropped_ > 0) {
      marker = "\n[smartspec-batch: " + std::to_string(dropped_) +
               " bytes of output dropped here; the first and the last " + size_text(keep_) +
               " are kept]\n";
    }
    std::string tail;
    if (filled_ < keep_) {
      tail.assign(ring_.data(), filled_);
    } else {
      tail.assign(ring_.data() + pos_, keep_ - pos_);
      tail.append(ring_.data(), pos_);
    }
    if (log_ >= 0) {
      write_all(log_, marker.data(), marker.size());
      write_all(log_, tail.data(), tail.size());
    }
    std::string out = std::move(head_);
    out += marker;
    out += tail;
    return out;
  }

  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }

 private:
  int log_;
  std::size_t keep_;
  std::string head_;
  std::vector<char> ring_;
  std::size_t pos_ = 0;     // next write position in ring_
  std::size_t filled_ = 0;  // bytes held in ring_
  std::uint64_t dropped_ = 0;
};

}  // namespace

const std::vector<std::string>& git_local_env_vars() {
  static const std::vector<std::string> vars = {
      // `git rev-parse --local-env-vars` (git 2.39)
      "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
      "GIT_OBJECT_DIRECTORY", "GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE",
      "GIT_GRAFT_FILE", "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE",
      "GIT_PREFIX", "GIT_INTERNAL_SUPER_PREFIX", "GIT_SHALLOW_FILE", "GIT_COMMON_DIR",
      // What hooks and wrappers may also carry and that would point a child elsewhere.
      "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES", "GIT_QUARANTINE_PATH",
      "GIT_DISCOVERY_ACROSS_FILESYSTEM"};
  return vars;
}

std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
  const auto& drop = git_local_env_vars();
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    std::string_view name = kv.substr(0, kv.find('='));
    if (std::find(drop.begin(), drop.end(), name) != drop.end()) continue;
    // GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n go with GIT_CONFIG_COUNT.
    if (name.rfind("GIT_CONFIG_KEY_", 0) == 0 || name.rfind("GIT_CONFIG_VALUE_", 0) == 0) continue;
    if (extra.count(std::string(name)) != 0) continue;
    out.emplace_back(kv);
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}

Result<std::vector<std::string>> split_command_line(const std::string& cmd) {
  TRY(auto words, tasks::shell_split(cmd));
  if (words.empty()) return fail("empty command: '" + cmd + "'");
  return words;
}

void interrupt_processes() noexcept { g_interrupt = 1; }
bool processes_interrupted() noexcept { return g_interrupt != 0; }
void clear_interrupt() noexcept { g_interrupt = 0; }

void set_process_record(const std::string& path) { record_path() = path; }

int end_recorded_processes(const std::string& path) {
  std::ifstream in(path);
  if (!in) return 0;
  std::set<Ident> targets;  // recorded processes still alive as themselves, and what is below them
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    Ident id{0, 0};
    if (!(words >> id.first >> id.second) || id.first <= 1) continue;
    auto s = proc::stat(id.first);
    if (s && s->start == id.second && !proc::finished(*s)) targets.insert(id);
  }
  in.close();
  std::set<long> ended;
  const auto give_up = Clock::now() + std::chrono::seconds(3);
  while (!targets.empty()) {
    const auto table = proc::all();
    // Still the same processes (pid and start time), plus everything below
    // them now: what they started, including what was reparented meanwhile.
    std::set<Ident> now;
    for (const auto& e : table)
      if (targets.count({e.pid, e.stat.start}) != 0) now.insert({e.pid, e.stat.start});
    std::set<Ident> below;
    for (const auto& [pid, start] : now)
      for (const auto& e : proc::descendants(pid, table, [](const proc::Entry&) { return false; }))
        below.insert({e.pid, e.stat.start});
    now.insert(below.begin(), below.end());
    std::size_t live = 0;
    for (const auto& [pid, start] : now) {
      auto s = proc::stat(pid);
      if (!s || s->start != start || proc::finished(*s)) continue;
      ++live;
      ::kill(static_cast<pid_t>(pid), SIGKILL);
      ended.insert(pid);
    }
    targets = std::move(now);
    if (live == 0 || Clock::now() >= give_up) break;
    ::usleep(5000);
  }
  ::unlink(path.c_str());
  return static_cast<int>(ended.size());
}

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
  if (g_interrupt != 0) {  // the tool is stopping: start nothing
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
    if (g_interrupt != 0 && !result.interrupted) {
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

bool is_executable_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

std::string find_program(const std::string& name, const std::string& path) {
  if (name.find('/') != std::string::npos) return is_executable_file(name) ? name : std::string();
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t colon = path.find(':', start);
    std::string dir =
        path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    std::string cand = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (is_executable_file(cand)) return cand;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return {};
}

}  // namespace smartspec::exec
