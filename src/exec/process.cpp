#include "smartspec/exec/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "smartspec/tasks/tasks.hpp"
#include "smartspec/util/proc.hpp"

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

bool is_executable_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

// argv[0] resolved like execvp does, but in the parent, so the child only calls
// async-signal-safe functions. Empty when not found.
std::string resolve_program(const std::string& name, const std::vector<std::string>& envp) {
  if (name.find('/') != std::string::npos) return is_executable_file(name) ? name : std::string();
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& kv : envp) {
    if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos
                                                                    : colon - start);
    std::string cand = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (is_executable_file(cand)) return cand;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return {};
}

// Whether a process group still has a live (non-zombie) member. Killed members
// are reparented to PID 1, which in a container may never reap them: their
// zombies answer kill(0), so /proc is consulted when it is there.
bool group_alive(pid_t pgid) {
  if (::kill(-pgid, 0) != 0 && errno != EPERM) return false;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return true;
  bool alive = false;
  while (dirent* d = ::readdir(proc)) {
    if (d->d_name[0] < '0' || d->d_name[0] > '9') continue;
    auto s = proc::stat(std::strtol(d->d_name, nullptr, 10));
    if (s && s->pgrp == pgid && !proc::finished(*s)) {
      alive = true;
      break;
    }
  }
  ::closedir(proc);
  return alive;
}

void write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
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

const std::vector<std::string>& git_local_env_vars() {
  static const std::vector<std::string> vars = {
      // `git rev-parse --local-env-vars` (git 2.39)
      "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS",
      "GIT_CONFIG_COUNT", "GIT_OBJECT_DIRECTORY", "GIT_DIR", "GIT_WORK_TREE",
      "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE", "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS",
      "GIT_REPLACE_REF_BASE", "GIT_PREFIX", "GIT_INTERNAL_SUPER_PREFIX", "GIT_SHALLOW_FILE",
      "GIT_COMMON_DIR",
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

  SigpipeBlock no_sigpipe;
  pid_t pid = ::fork();
  if (pid < 0) return cannot("cannot start " + spec.argv[0]);
  if (pid == 0) {
    ::setpgid(0, 0);
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
  ::fcntl(in_pipe.second.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(out_pipe.first.get(), F_SETFL, O_NONBLOCK);
  std::size_t written = 0;
  if (spec.stdin_data.empty()) in_pipe.second.reset();

  const auto start = Clock::now();
  auto deadline = Clock::time_point::max();
  if (spec.timeout_seconds > 0) {
    deadline = start + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(spec.timeout_seconds));
  }
  const auto grace = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(spec.kill_grace_seconds));
  auto kill_at = Clock::time_point::max();    // TERM was sent: KILL at this time
  auto give_up_at = Clock::time_point::max();  // KILL was sent: stop waiting at this time
  bool reaped = false;
  bool eof = false;
  int status = 0;

  auto terminate_group = [&] {
    if (kill_at != Clock::time_point::max() || give_up_at != Clock::time_point::max()) return;
    ::kill(-pid, SIGTERM);
    kill_at = Clock::now() + grace;
  };

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

  char buf[65536];
  while (true) {
    if (!reaped) {
      pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) reaped = true;
    }
    auto now = Clock::now();
    if (reaped) {
      // The leader is gone: whatever it left in its group goes too. Killed
      // members nobody reaps (zombies under a PID 1 that does not wait) still
      // answer kill(0): after KILL, stop waiting for them after a while.
      if (!group_alive(pid) || now >= give_up_at) {
        if (eof) break;
      } else {
        terminate_group();
      }
    }
    if (now >= deadline && !result.timed_out && !reaped) {
      result.timed_out = true;
      terminate_group();
    }
    if (now >= kill_at) {
      ::kill(-pid, SIGKILL);
      kill_at = Clock::time_point::max();
      give_up_at = now + std::chrono::seconds(1);
    }
    if (reaped && eof) {
      // Members left but the output is closed: wait for them to die.
      ::usleep(10000);
      continue;
    }
    pollfd fds[3];
    nfds_t n = 0;
    if (!eof) fds[n++] = {out_pipe.first.get(), POLLIN, 0};
    if (in_pipe.second.get() >= 0) fds[n++] = {in_pipe.second.get(), POLLOUT, 0};
    if (!reaped && pidfd >= 0) fds[n++] = {pidfd, POLLIN, 0};
    // Short waits: the child's exit is noticed by waitpid, not by an event here.
    int r = ::poll(fds, n, 20);
    if (r < 0 && errno != EINTR) break;
    for (nfds_t i = 0; r > 0 && i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == pidfd) continue;  // the exit: waitpid above picks it up
      if (fds[i].fd == out_pipe.first.get()) {
        ssize_t k = ::read(fds[i].fd, buf, sizeof buf);
        if (k > 0) {
          result.output.append(buf, static_cast<std::size_t>(k));
          if (log.get() >= 0) write_all(log.get(), buf, static_cast<std::size_t>(k));
        } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
          eof = true;
        }
      } else {
        ssize_t k = ::write(fds[i].fd, spec.stdin_data.data() + written,
                            spec.stdin_data.size() - written);
        if (k > 0) written += static_cast<std::size_t>(k);
        if ((k < 0 && errno != EAGAIN && errno != EINTR) || written == spec.stdin_data.size()) {
          in_pipe.second.reset();
        }
      }
    }
    // A member that escaped the group may hold the output open: once the group
    // is gone, stop reading.
    if (reaped && (!group_alive(pid) || Clock::now() >= give_up_at) && !eof) {
      ssize_t k;
      while ((k = ::read(out_pipe.first.get(), buf, sizeof buf)) > 0) {
        result.output.append(buf, static_cast<std::size_t>(k));
        if (log.get() >= 0) write_all(log.get(), buf, static_cast<std::size_t>(k));
      }
      eof = true;
    }
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace smartspec::exec
