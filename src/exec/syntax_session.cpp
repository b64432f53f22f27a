// The Python syntax checker as one long-lived process per run (SyntaxSession).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <functional>

#include "exec/syntax_internal.hpp"
#include "smartspec/exec/process.hpp"
#include "smartspec/exec/syntax.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::exec {

namespace {

// The Python checker, a long-lived process (SyntaxSession): one path per line
// on stdin; for each request (paths, then an empty line) it prints one
// "path:line: message" line per failure and then a line "\x01done" — so a run
// pays one interpreter start. compile() writes no .pyc into the worktree.
constexpr const char* kPythonServer = R"PY(
import os, sys
def serve():
    sys.stdout.write('\x01exe %s\n' % sys.executable)
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        p = line.rstrip('\n')
        if p == '':
            sys.stdout.write('\x01done\n')
            sys.stdout.flush()
            continue
        try:
            with open(p, 'rb') as f:
                src = f.read()
            compile(src, p, 'exec', dont_inherit=True)
        except SyntaxError as e:
            msg = (e.msg or 'invalid syntax').replace('\n', ' ')
            sys.stdout.write('%s:%d: %s\n' % (p, e.lineno or 0, msg))
        except (ValueError, OSError) as e:
            sys.stdout.write('%s:0: %s\n' % (p, str(e).replace('\n', ' ')))
try:
    serve()
except (BrokenPipeError, KeyboardInterrupt):
    # The tool is gone (killed mid-request): leave without a traceback on
    # the terminal it shared.
    os._exit(0)
)PY";

}  // namespace

SyntaxSession::SyntaxSession(std::string root, ExtraChecks extra, PythonHome home)
    : root_(std::move(root)), extra_(std::move(extra)), home_(std::move(home)) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(root_, ec);
  if (!ec) root_ = abs.lexically_normal().string();
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (home_.project_dir.empty()) home_.project_dir = root_;
}

SyntaxSession::~SyntaxSession() { stop(); }

void SyntaxSession::stop() {
  if (to_ >= 0) ::close(to_);
  if (from_ >= 0) ::close(from_);
  to_ = from_ = -1;
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
}

bool SyntaxSession::start() {
  if (pid_ > 0) return true;
  if (failed_) return false;
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return failed_ = true, false;
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return failed_ = true, false;
  }
  std::vector<std::string> env = child_environment({{"PYTHONDONTWRITEBYTECODE", "1"}});
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  // The interpreter PATH gives in the project's directory; through a pyenv
  // shim, the answer remembered for this repository when its key still holds.
  choice_ = choose_python3(home_, env);
  handshake_ = false;
  const std::string& direct = choice_.direct;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    if (::chdir(home_.project_dir.c_str()) != 0) ::_exit(127);
    // -S: no `site` import — the server needs only builtins, and site's
    // scan of site-packages was most of the interpreter's start-up
    // (24 -> 8 ms for /usr/bin/python3, 119 -> 71 ms through a pyenv shim).
    const char* argv[] = {"python3", "-S", "-u", "-c", kPythonServer, nullptr};
    if (!direct.empty()) {
      // argv[0] absolute: Python derives sys.executable from it.
      const char* dargv[] = {direct.c_str(), "-S", "-u", "-c", kPythonServer, nullptr};
      ::execve(direct.c_str(), const_cast<char* const*>(dargv), envp.data());
      // Gone since it was checked: the shim answers, as without a cache.
    }
    ::execvpe("python3", const_cast<char* const*>(argv), envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  if (pid < 0) {
    ::close(in[1]);
    ::close(out[0]);
    return failed_ = true, false;
  }
  ::setpgid(pid, pid);
  pid_ = pid;
  to_ = in[1];
  from_ = out[0];
  return true;
}

// Sends the paths, reads until the done marker. False (and the server gone)
// when it cannot start or answer (no python3): the files are not checked.
bool SyntaxSession::python(const std::vector<std::string>& files, SyntaxReport& rep) {
  for (const auto& f : files)
    if (f.find('\n') != std::string::npos) return false;
  if (root_.find('\n') != std::string::npos) return false;
  if (!start()) return false;
  std::string request;
  for (const auto& f : files) request += root_ + "/" + f + "\n";
  request += "\n";
  // A server that died (no python3: exit 127) must give EPIPE, not kill us.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old);
  const bool write_ok = text::write_all(to_, request) == 0;
  ::sigaction(SIGPIPE, &old, nullptr);
  if (!write_ok) {
    stop();
    failed_ = true;
    return false;
  }
  std::string output;
  const std::string marker =
      "\x01"
      "done\n";  // not "\x01d…": \x takes every hex digit
  char buf[4096];
  while (output.size() < marker.size() ||
         output.compare(output.size() - marker.size(), marker.size(), marker) != 0) {
    pollfd pfd{from_, POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(kCheckerTimeout * 1000));
    if (r < 0 && errno == EINTR) continue;
    ssize_t k = r > 0 ? ::read(from_, buf, sizeof buf) : -1;
    if (k <= 0) {  // timeout, exit (python3 missing: exit 127), or error
      stop();
      failed_ = true;
      return false;
    }
    output.append(buf, static_cast<std::size_t>(k));
  }
  output.resize(output.size() - marker.size());
  if (!handshake_) {
    // The server's first line names the interpreter that runs it.
    const std::string hello =
        "\x01"
        "exe ";
    std::size_t nl = output.find('\n');
    if (output.rfind(hello, 0) == 0 && nl != std::string::npos) {
      interpreter_ = output.substr(hello.size(), nl - hello.size());
      output.erase(0, nl + 1);
      handshake_ = true;
      // Through the shim (no answer remembered, or a stale one): remember its answer.
      if (!choice_.key.empty() && interpreter_ != choice_.direct) {
        remember_python3(home_, choice_.key, interpreter_);
      }
    }
  }
  rep.checked.insert(rep.checked.end(), files.begin(), files.end());
  python_errors(output, root_, files, rep);
  return true;
}

void SyntaxSession::warm_up(const std::vector<std::string>& rels) {
  for (const auto& f : rels) {
    std::string ext = extension_of(f);
    if (ext == "py" && extra_.count(ext) == 0) {
      start();
      return;
    }
  }
}

SyntaxReport SyntaxSession::check(const std::vector<std::string>& rels) {
  return check_with(root_, rels, extra_,
                    [this](const std::vector<std::string>& files, SyntaxReport& rep) {
                      return python(files, rep);
                    });
}

}  // namespace smartspec::exec
