// RepoLock: <common_dir>/smartspec/lock = "pid starttime run_id\n".
//
// Creation is atomic (the content is written to a private temporary file,
// then link()ed to the lock path, which fails if it exists). Taking over a
// stale lock is serialised by flock() on <common_dir>/smartspec/lock.guard:
// the kernel drops that lock when its holder dies, so the guard itself can
// never go stale, and a taker removes the stale file only if it still holds
// exactly the content it judged stale.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "git/internal.hpp"
#include "smartspec/util/proc.hpp"

namespace smartspec::git {

namespace fs = std::filesystem;

namespace {

// 0 when unknown. Tells a live process from a later one reusing the pid.
unsigned long long start_time(long pid) {
  auto s = proc::stat(pid);
  return s ? s->start : 0;
}

struct LockContent {
  long pid = 0;
  unsigned long long start = 0;
  std::string run_id;
  std::string raw;
};

std::optional<LockContent> read_lock(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  LockContent c;
  c.raw = ss.str();
  std::istringstream fields(c.raw);
  if (!(fields >> c.pid >> c.start)) c.pid = 0;
  std::getline(fields >> std::ws, c.run_id);
  return c;
}

bool alive(const LockContent& c) {
  if (c.pid <= 0) return false;  // unreadable content: nobody can hold it
  if (::kill(static_cast<pid_t>(c.pid), 0) != 0 && errno != EPERM) return false;
  const auto now = proc::stat(c.pid);
  if (!now) return true;  // no /proc: kill(0) is all we know
  // A killed holder not yet reaped by its parent is a zombie: it holds nothing.
  if (proc::finished(*now)) return false;
  // A different start time means the pid was reused by another process.
  return c.start == 0 || now->start == 0 || now->start == c.start;
}

std::string lock_dir(const Repository& repo) { return repo.common_dir() + "/smartspec"; }

// flock() on the guard file for the lifetime of the object.
class Guard {
 public:
  explicit Guard(const std::string& path) {
    fd_ = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~Guard() {
    if (fd_ >= 0) ::close(fd_);  // closing drops the flock
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  [[nodiscard]] bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Creates `path` holding `content` atomically; false with errno EEXIST when it exists.
bool create_exclusive(const std::string& path, const std::string& content, std::string* err) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    *err = "cannot create " + tmp + ": " + std::strerror(errno);
    return false;
  }
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok) {
    *err = "cannot write " + tmp + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  int rc = ::link(tmp.c_str(), path.c_str());
  int saved = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (saved != EEXIST) *err = "cannot create " + path + ": " + std::strerror(saved);
    errno = saved;
    return false;
  }
  return true;
}

}  // namespace

Result<RepoLock> RepoLock::acquire(const Repository& repo, const std::string& run_id,
                                   std::optional<Holder>* stale) {
  const std::string dir = lock_dir(repo);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(dir, 0, "cannot create directory: " + ec.message());
  const std::string path = dir + "/lock";
  const long self = static_cast<long>(::getpid());
  const std::string content =
      std::to_string(self) + " " + std::to_string(start_time(self)) + " " + run_id + "\n";

  Guard guard(path + ".guard");
  if (!guard.ok()) return fail(path + ".guard", 0, std::string("cannot open: ") + strerror(errno));
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string err;
    if (create_exclusive(path, content, &err)) {
      RepoLock lock;
      lock.path_ = path;
      lock.content_ = content;
      return lock;
    }
    if (!err.empty()) return fail(path, 0, err);
    std::optional<LockContent> held = read_lock(path);
    if (!held) continue;  // released meanwhile
    if (alive(*held)) {
      Error e{{},
              0,
              "another run holds the lock: run " + held->run_id + " (pid " +
                  std::to_string(held->pid) + ")"};
      e.exit = Exit::kLocked;
      e.code = kLockHeld;
      return tl::unexpected<Error>(std::move(e));
    }
    // Stale: its process is gone. We hold the guard, so nobody else is taking
    // it over; remove it only if it is still the content judged stale.
    std::optional<LockContent> again = read_lock(path);
    if (again && again->raw == held->raw) {
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return fail(path, 0, std::string("cannot remove stale lock: ") + strerror(errno));
      }
      if (stale != nullptr) *stale = Holder{held->pid, held->run_id};
    }
  }
  return fail(path, 0, "cannot take the lock: it keeps changing");
}

std::optional<RepoLock::Holder> RepoLock::holder(const Repository& repo) {
  std::optional<LockContent> held = read_lock(lock_dir(repo) + "/lock");
  if (!held || !alive(*held)) return std::nullopt;
  return Holder{held->pid, held->run_id};
}

RepoLock::RepoLock(RepoLock&& o) noexcept
    : path_(std::move(o.path_)), content_(std::move(o.content_)) {
  o.path_.clear();
  o.content_.clear();
}

RepoLock& RepoLock::operator=(RepoLock&& o) noexcept {
  if (this != &o) {
    release();
    path_ = std::move(o.path_);
    content_ = std::move(o.content_);
    o.path_.clear();
    o.content_.clear();
  }
  return *this;
}

RepoLock::~RepoLock() { release(); }

void RepoLock::release() {
  if (path_.empty()) return;
  // Unlink only our own lock: never somebody else's that replaced it.
  std::optional<LockContent> held = read_lock(path_);
  if (held && held->raw == content_) ::unlink(path_.c_str());
  path_.clear();
  content_.clear();
}

}  // namespace smartspec::git
