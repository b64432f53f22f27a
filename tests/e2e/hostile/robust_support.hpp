// Helpers shared by the reliability and security tests (tests/e2e/robust_*_test.cpp):
// the seven-unit pack, a dirty user repository, and a child process of the tool
// that can be signalled and whose exit status and peak memory are read.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace smartspec::test::robust {

inline const std::string kRunId = "20250301_000000";

// Environment for the tool: the syntax checks start python3/node per written
// file; take them from /usr/bin rather than through version-manager shims.
inline std::map<std::string, std::string> fast_env(std::map<std::string, std::string> extra = {}) {
  const char* path = std::getenv("PATH");
  extra.emplace("PATH", std::string("/usr/bin:/bin:") + (path ? path : ""));
  return extra;
}

// Copies tests/e2e/hostile/seven_units (7 units, all applying cleanly on the
// inventory repository) to dir/packs/<kRunId>; returns the pack path.
inline std::string seven_unit_pack(const TempDir& dir) {
  fs::path pack = dir.path() / "packs" / kRunId;
  fs::create_directories(pack);
  for (const auto& e :
       fs::directory_iterator(source_dir() / "tests" / "e2e" / "hostile" / "seven_units")) {
    if (e.path().extension() == ".md" && e.path().filename() != "README.md")
      fs::copy_file(e.path(), pack / e.path().filename());
  }
  return pack.string();
}

// The inventory repository with a user who has a local edit, a staged file,
// an untracked and an ignored file: everything the tool must leave alone.
inline std::string dirty_inventory_repo(const TempDir& dir, const std::string& name = "repo") {
  std::string repo = make_inventory_repo(dir, name);
  fs::path r(repo);
  write(r / "src/inventory/models.py", read(r / "src/inventory/models.py") + "# local edit\n");
  write(r / "staged.txt", "staged\n");
  git(repo, {"add", "staged.txt"});
  write(r / "untracked.txt", "untracked\n");
  write(r / ".gitignore", "ignored.log\n");
  write(r / "ignored.log", "ignored\n");
  return repo;
}

inline std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

inline bool fsck_clean(const std::string& repo, std::string* why = nullptr) {
  CmdResult r = run({"git", "-C", repo, "fsck", "--strict"});
  if (why != nullptr) *why = r.out + r.err;
  return r.exit_code == 0;
}

// The tool started in the background, stdout+stderr to `log`.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::string& cwd, const std::string& log,
        const std::map<std::string, std::string>& env = fast_env()) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      if (::chdir(cwd.c_str()) != 0) _exit(127);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0) _exit(127);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      std::vector<std::string> full{binary()};
      full.insert(full.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : full) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0 && !waited_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  void signal(int sig) const { ::kill(pid_, sig); }
  // True while the child has not exited; reaps it when it has (status kept).
  bool running() {
    if (waited_) return false;
    int status = 0;
    struct rusage ru {};
    pid_t r = ::wait4(pid_, &status, WNOHANG, &ru);
    if (r == 0) return true;
    waited_ = true;
    status_ = status;
    rss_ = ru.ru_maxrss;
    return false;
  }
  // Exit code, or 128+signal; ru_maxrss (KiB) in *max_rss_kib.
  int wait(long* max_rss_kib = nullptr) {
    if (!waited_) {
      struct rusage ru {};
      ::wait4(pid_, &status_, 0, &ru);
      rss_ = ru.ru_maxrss;
      waited_ = true;
    }
    const int status = status_;
    if (max_rss_kib != nullptr) *max_rss_kib = rss_;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
  }
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool waited_ = false;
  int status_ = 0;
  long rss_ = 0;
};

// Polls (bounded, 20 s) until `pred` holds.
template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 400; ++i) {
    if (pred()) return true;
    ::usleep(50 * 1000);
  }
  return pred();
}

}  // namespace smartspec::test::robust
