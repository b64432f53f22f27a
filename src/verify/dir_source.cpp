// DirSource: the working directory as a FileSource. Paths are checked with
// realpath against the root's realpath so that a symlink (the entry itself or
// a directory on the way) never leads the verifier outside the root.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>

#include "smartspec/verify/verify.hpp"

namespace smartspec::verify {

namespace {

std::string real_path(const std::string& p) {
  std::unique_ptr<char, decltype(&std::free)> r(::realpath(p.c_str(), nullptr), &std::free);
  return r ? std::string(r.get()) : std::string();
}

bool within(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

}  // namespace

DirSource::DirSource(std::string root, bool python_compat)
    : root_(std::move(root)), compat_(python_compat) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  real_root_ = real_path(root_);
}

std::optional<std::string> DirSource::inside(const std::string& rel) const {
  if (real_root_.empty()) return std::nullopt;
  std::string full = rel.empty() ? root_ : root_ + "/" + rel;
  struct stat st {};
  if (::lstat(full.c_str(), &st) != 0) return std::nullopt;
  std::string real = real_path(full);
  if (real.empty() || !within(real, real_root_)) return std::nullopt;
  return real;
}

std::string DirSource::resolve(const std::string& rel, bool absolute) {
  // Path.resolve(strict=False): the real path of the longest existing
  // prefix, then the rest as written.
  std::string head = rel.empty() ? root_ : root_ + "/" + rel;
  std::string tail;
  std::string real;
  for (;;) {
    real = real_path(head);
    if (!real.empty()) break;
    std::size_t slash = head.rfind('/');
    if (slash == std::string::npos || slash == 0 || head.size() <= root_.size()) {
      real = head;
      break;
    }
    tail = head.substr(slash) + tail;
    head.erase(slash);
  }
  real += tail;
  if (!absolute && !real_root_.empty() && within(real, real_root_)) {
    return real.size() == real_root_.size() ? std::string() : real.substr(real_root_.size() + 1);
  }
  return real;
}

FileSource::Kind DirSource::kind(const std::string& rel) {
  auto real = inside(rel);
  if (!real && compat_) {
    // Python follows the link wherever it goes; only its kind is taken.
    std::string full = rel.empty() ? root_ : root_ + "/" + rel;
    struct stat st {};
    if (::stat(full.c_str(), &st) != 0) return Kind::kMissing;
    if (S_ISDIR(st.st_mode)) return Kind::kDir;
    if (S_ISREG(st.st_mode)) return Kind::kFile;
    return Kind::kMissing;
  }
  if (!real) return Kind::kMissing;
  struct stat st {};
  if (::stat(real->c_str(), &st) != 0) return Kind::kMissing;
  if (S_ISDIR(st.st_mode)) return Kind::kDir;
  if (S_ISREG(st.st_mode)) return Kind::kFile;
  return Kind::kMissing;  // FIFOs, sockets, devices: never read
}

std::optional<std::uint64_t> DirSource::size(const std::string& rel) {
  auto real = inside(rel);
  if (!real && compat_) real = rel.empty() ? root_ : root_ + "/" + rel;  // stat only
  if (!real) return std::nullopt;
  struct stat st {};
  if (::stat(real->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

std::optional<std::string> DirSource::read(const std::string& rel, std::size_t max_bytes) {
  auto real = inside(rel);
  if (!real) return std::nullopt;
  int fd = ::open(real->c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  std::string out;
  out.resize(std::min<std::size_t>(max_bytes, static_cast<std::size_t>(st.st_size)));
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(done);
  return out;
}

std::vector<FileSource::Entry> DirSource::list(const std::string& rel) {
  std::vector<Entry> out;
  auto real = inside(rel);
  if (!real) return out;
  struct CloseDir {
    void operator()(DIR* d) const { ::closedir(d); }
  };
  std::unique_ptr<DIR, CloseDir> dir(::opendir(real->c_str()));
  if (!dir) return out;
  while (dirent* e = ::readdir(dir.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string child = *real + "/" + name;
    struct stat st {};
    if (e->d_type == DT_DIR) {
      out.push_back({name, true});
      continue;
    }
    if (e->d_type == DT_REG) {
      out.push_back({name, false});
      continue;
    }
    if (::lstat(child.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      // A symlink counts as the file it points to when that stays inside the
      // root; symlinked directories are not descended into.
      std::string target = real_path(child);
      if (target.empty() || (!compat_ && !within(target, real_root_))) continue;
      if (::stat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      out.push_back({name, false});
    } else if (S_ISDIR(st.st_mode)) {
      out.push_back({name, true});
    } else if (S_ISREG(st.st_mode)) {
      out.push_back({name, false});
    }
  }
  if (!compat_) {
    std::sort(out.begin(), out.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });
  }
  return out;
}

}  // namespace smartspec::verify
