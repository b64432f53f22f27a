#include "test_support.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "smartspec/util/proc.hpp"

extern char** environ;

namespace smartspec::test {

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "smartspec-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = fs::canonical(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;
  // Make everything writable first (git objects are read-only).
  fs::remove_all(path_, ec);
  if (ec) {
    std::string cmd =
        "chmod -R u+w '" + path_.string() + "' 2>/dev/null; rm -rf '" + path_.string() + "'";
    (void)std::system(cmd.c_str());
  }
}

CmdResult run(const std::vector<std::string>& argv, const std::string& cwd,
              const std::map<std::string, std::string>& env, const std::string& input) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC))
    throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    if (chdir(cwd.c_str()) != 0) _exit(127);
    for (const auto& [k, v] : env) {
      if (v == "\x01unset")
        unsetenv(k.c_str());
      else
        setenv(k.c_str(), v.c_str(), 1);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  // Feed stdin and drain both outputs without deadlocking.
  std::size_t written = 0;
  int in_fd = in_pipe[1];
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  CmdResult r;
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open || in_fd >= 0) {
    pollfd fds[3];
    int n = 0;
    int io = -1, ie = -1, ii = -1;
    if (out_open) {
      fds[n] = {out_pipe[0], POLLIN, 0};
      io = n++;
    }
    if (err_open) {
      fds[n] = {err_pipe[0], POLLIN, 0};
      ie = n++;
    }
    if (in_fd >= 0) {
      fds[n] = {in_fd, POLLOUT, 0};
      ii = n++;
    }
    if (poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (io >= 0 && fds[io].revents) {
      ssize_t k = ::read(out_pipe[0], buf, sizeof buf);
      if (k <= 0)
        out_open = false;
      else
        r.out.append(buf, static_cast<std::size_t>(k));
    }
    if (ie >= 0 && fds[ie].revents) {
      ssize_t k = ::read(err_pipe[0], buf, sizeof buf);
      if (k <= 0)
        err_open = false;
      else
        r.err.append(buf, static_cast<std::size_t>(k));
    }
    if (ii >= 0 && fds[ii].revents) {
      ssize_t k = ::write(in_fd, input.data() + written, input.size() - written);
      if (k > 0) written += static_cast<std::size_t>(k);
      if (k < 0 || written == input.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
  }
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

CmdResult sh(const std::string& command, const std::string& cwd,
             const std::map<std::string, std::string>& env) {
  return run({"/bin/sh", "-c", command}, cwd, env);
}

std::string git(const std::string& repo, const std::vector<std::string>& args, bool check) {
  std::vector<std::string> argv{"git", "-C", repo};
  argv.insert(argv.end(), args.begin(), args.end());
  CmdResult r = run(argv);
  if (check && r.exit_code != 0) {
    std::string joined;
    for (const auto& a : args) joined += " " + a;
    ADD_FAILURE() << "git" << joined << " failed (" << r.exit_code << "): " << r.err;
  }
  if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

// SMARTSPEC_TEST_BINARY runs the tests against another build (e.g. the
// commit before a fix, to see a new test fail there).
std::string binary() {
  const char* other = std::getenv("SMARTSPEC_TEST_BINARY");
  return other != nullptr && *other != '\0' ? std::string(other) : std::string(SMARTSPEC_BINARY);
}

CmdResult run_tool(const std::vector<std::string>& args, const std::string& cwd,
                   const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, cwd, env);
}

int run_tool_on_terminal(const std::vector<std::string>& args, const std::string& cwd,
                         std::string& out,
                         const std::function<void(const std::string&)>& on_output) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
    ADD_FAILURE() << "no pseudo-terminal";
    return -1;
  }
  std::string slave_name = ptsname(master);
  std::vector<std::string> argv_s{binary()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    int slave = open(slave_name.c_str(), O_RDWR | O_NOCTTY);
    termios tio{};
    tcgetattr(slave, &tio);
    cfmakeraw(&tio);
    tcsetattr(slave, TCSANOW, &tio);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    close(master);
    if (chdir(cwd.c_str()) != 0) _exit(127);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  char buf[4096];
  for (int idle = 0; pid > 0 && idle < 300;) {  // a safety net: the run ends long before
    pollfd p{master, POLLIN, 0};
    int ready = poll(&p, 1, 1000);
    if (ready == 0) {
      ++idle;
      continue;
    }
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EIO: the run has closed the terminal
    out.append(buf, static_cast<std::size_t>(n));
    on_output(out);
  }
  close(master);
  int status = 0;
  if (pid <= 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void write(const fs::path& p, const std::string& content) {
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << content;
}

std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

fs::path fixtures() {
  fs::path p = SMARTSPEC_FIXTURES_DIR;
  if (!fs::exists(p)) p = fs::path(SMARTSPEC_SOURCE_DIR) / "examples" / "fixtures";
  return fs::weakly_canonical(p);
}

fs::path source_dir() { return SMARTSPEC_SOURCE_DIR; }

std::string make_repo(const TempDir& dir, const std::map<std::string, std::string>& files,
                      const std::string& name) {
  fs::path repo = dir.path() / name;
  fs::create_directories(repo);
  git(repo.string(), {"init", "-q", "-b", "main"});
  for (const auto& [path, content] : files) write(repo / path, content);
  git(repo.string(), {"add", "-A"});
  git(repo.string(), {"commit", "-q", "--allow-empty", "-m", "initial"});
  return repo.string();
}

std::string make_project_repo(const TempDir& dir, const std::string& project,
                              const std::string& name) {
  fs::path repo = dir.path() / name;
  fs::create_directories(repo);
  fs::copy(fixtures() / project / "repo", repo, fs::copy_options::recursive);
  fs::copy_file(fixtures() / project / "tasks.md", repo / "tasks.md");
  // Fixture files may be read-only (a packaged checkout); the copy must be writable.
  sh("chmod -R u+w .", repo.string());
  git(repo.string(), {"init", "-q", "-b", "main"});
  git(repo.string(), {"add", "-A"});
  git(repo.string(), {"commit", "-q", "-m", project + " project"});
  return repo.string();
}

std::string make_inventory_repo(const TempDir& dir, const std::string& name) {
  return make_project_repo(dir, "inventory", name);
}

std::string user_state(const std::string& repo) {
  std::string s;
  s += "HEAD=" + git(repo, {"rev-parse", "HEAD"}, false) + "\n";
  s += "symbolic=" + git(repo, {"symbolic-ref", "-q", "HEAD"}, false) + "\n";
  s += "branches=" +
       git(repo, {"for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/"}, false) +
       "\n";
  // Exclude the tool's own branches (refs/heads/smartspec/*) from the user's branches.
  std::string filtered;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) {
    if (line.find("refs/heads/smartspec/") != std::string::npos) continue;
    filtered += line + "\n";
  }
  filtered += "index=" + git(repo, {"ls-files", "-s", "--debug"}, false) + "\n";
  filtered +=
      "status=" +
      git(repo, {"status", "--porcelain=v1", "--ignored", "-uall", "--", ".", ":(exclude).spec"},
          false) +
      "\n";
  filtered += "stash=" + git(repo, {"stash", "list"}, false) + "\n";
  // Byte content of every file in the working tree (outside .git).
  CmdResult r =
      sh("find . -path ./.git -prune -o -path ./.spec -prune -o -type f -print0 | sort -z | xargs "
         "-0 -r sha1sum",
         repo);
  filtered += "files=" + r.out;
  return filtered;
}

std::string scratch_path(const std::string& repo, const std::string& name) {
  const std::string common = fs::canonical(fs::path(repo) / ".git").string();
  CmdResult h = run({"git", "hash-object", "--stdin"}, ".", {}, common);
  std::string key = fs::path(repo).filename().string() + "-" + h.out.substr(0, 16);
  return std::string(std::getenv("XDG_CACHE_HOME")) + "/smartspec-batch/" + key + "/" + name;
}

std::set<std::string> files_under(const std::string& root) {
  std::set<std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    std::string rel = it->path().lexically_relative(root).string();
    if (rel == ".git") continue;
    out.insert(it->is_directory() && !it->is_symlink() ? rel + "/" : rel);
  }
  return out;
}

bool process_gone(int pid) {
  if (::kill(pid, 0) != 0) return true;
  auto s = proc::stat(pid);
  return s && proc::finished(*s);
}

}  // namespace smartspec::test
