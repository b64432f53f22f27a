#include "smartspec/exec/process.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>
#include <set>

#include "exec/process_child.hpp"
#include "exec/process_tree.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::exec {

namespace {

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
  return supervise(spec, child, std::move(foreign), log.get());
}

}  // namespace smartspec::exec
