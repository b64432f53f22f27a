#include "smartspec/util/text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

namespace smartspec::text {

std::size_t invalid_utf8_offset(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and out-of-range code points are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

int line_of(std::string_view s, std::size_t pos) {
  pos = std::min(pos, s.size());
  return 1 + static_cast<int>(
                 std::count(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

std::string_view strip_bom(std::string_view s) {
  if (s.size() >= 3 && static_cast<unsigned char>(s[0]) == 0xEF &&
      static_cast<unsigned char>(s[1]) == 0xBB && static_cast<unsigned char>(s[2]) == 0xBF) {
    s.remove_prefix(3);
  }
  return s;
}

std::vector<Line> split_lines(std::string_view s) {
  std::vector<Line> out;
  int number = 1;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t nl = s.find('\n', start);
    std::size_t end = nl == std::string_view::npos ? s.size() : nl;
    std::string_view line = s.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back({line, number++});
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  return s;
}
std::string_view trim_right(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}
std::string_view trim(std::string_view s) { return trim_right(trim_left(s)); }

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string crlf_to_lf(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    out += s[i];
  }
  return out;
}

Result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
  // O_NONBLOCK so that opening a FIFO never hangs; we then refuse non-regular files.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return fail(path, 0, "no such file");
    return fail(path, 0, std::string("cannot read: ") + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return fail(path, 0, std::string("cannot read: ") + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail(path, 0, "is a directory, not a file");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(path, 0, "not a regular file");
  }
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return fail(path, 0,
                "file too large (" + std::to_string(st.st_size) + " bytes; limit " +
                    std::to_string(max_bytes) + ")");
  }
  std::string out;
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t r = ::read(fd, out.data() + got, out.size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return fail(path, 0, std::string("cannot read: ") + std::strerror(errno));
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  ::close(fd);
  return out;
}

Result<void> require_utf8(std::string_view bytes, const std::string& path) {
  std::size_t bad = invalid_utf8_offset(bytes);
  if (bad != std::string_view::npos) {
    return fail(path, line_of(bytes, bad), "invalid UTF-8");
  }
  return {};
}

std::string shell_quote(std::string_view s) {
  if (s.empty()) return "''";
  bool safe = std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c < 0x80 && (std::isalnum(c) != 0 ||
                        std::string_view("_@%+=:,./-").find(ch) != std::string_view::npos);
  });
  if (safe) return std::string(s);
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'') {
      out += "'\"'\"'";
    } else {
      out += ch;
    }
  }
  return out + "'";
}

std::string short_id(std::string_view commit) { return std::string(commit.substr(0, 7)); }

int write_all(int fd, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = EIO;
      return errno;
    }
    done += static_cast<std::size_t>(w);
  }
  return 0;
}

Replaced replace_file_at(int dirfd, const std::string& tmp, const std::string& name,
                         std::string_view bytes, mode_t mode, bool sync) {
  auto failed = [&](ReplaceStep step, int fd) {
    int e = errno;
    if (fd >= 0) ::close(fd);
    if (step != ReplaceStep::kCreate) ::unlinkat(dirfd, tmp.c_str(), 0);
    errno = e;
    return Replaced{step, e};
  };
  ::unlinkat(dirfd, tmp.c_str(), 0);
  int fd = ::openat(dirfd, tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return failed(ReplaceStep::kCreate, -1);
  if (write_all(fd, bytes) != 0 || (sync && ::fsync(fd) != 0))
    return failed(ReplaceStep::kWrite, fd);
  if (::close(fd) != 0) return failed(ReplaceStep::kWrite, -1);
  // renameat replaces a symlink named `name` itself; it never writes through it.
  if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0)
    return failed(ReplaceStep::kRename, -1);
  return {};
}

Result<void> write_file_atomic(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  if (auto r = replace_file_at(AT_FDCWD, tmp, path, bytes, 0644, true); !r) {
    return fail(path, 0, std::string("cannot write: ") + std::strerror(r.err));
  }
  return {};
}

namespace {

// Splits "a/b/c" into its components (empty and "." dropped).
std::vector<std::string> components(const std::string& rel) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= rel.size()) {
    std::size_t slash = rel.find('/', start);
    std::string part =
        rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty() && part != ".") out.push_back(std::move(part));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Opens the directory holding the last component of `parts` below root,
// creating missing directories, refusing symlinks. Error names the path.
Result<int> open_parent_beneath(const std::string& root, const std::vector<std::string>& parts,
                                const std::string& rel, bool create) {
  int dir = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return fail(root, 0, std::string("cannot open: ") + std::strerror(errno));
  std::string walked;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    walked += (walked.empty() ? "" : "/") + parts[i];
    if (create && ::mkdirat(dir, parts[i].c_str(), 0755) != 0 && errno != EEXIST) {
      int e = errno;
      ::close(dir);
      return fail(root + "/" + rel, 0, "cannot create " + walked + ": " + std::strerror(e));
    }
    int next = ::openat(dir, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    ::close(dir);
    if (next < 0) {
      struct stat st {};
      bool link = e == ELOOP || (e == ENOTDIR && ::lstat((root + "/" + walked).c_str(), &st) == 0 &&
                                 S_ISLNK(st.st_mode));
      return fail(root + "/" + rel, 0,
                  link ? walked + " is a symbolic link; not followed"
                       : "cannot open " + walked + ": " + std::strerror(e));
    }
    dir = next;
  }
  return dir;
}

}  // namespace

Result<void> write_file_beneath(const std::string& root, const std::string& rel,
                                std::string_view bytes) {
  auto parts = components(rel);
  if (parts.empty()) return fail(root, 0, "no file name to write");
  TRY(int dirfd, open_parent_beneath(root, parts, rel, true));
  Fd dir{dirfd};
  const std::string& name = parts.back();
  const std::string path = root + "/" + rel;
  const std::string tmp = name + ".tmp." + std::to_string(::getpid());
  if (auto r = replace_file_at(dir.fd, tmp, name, bytes, 0644, true); !r) {
    return fail(path, 0, std::string("cannot write: ") + std::strerror(r.err));
  }
  return {};
}

Result<bool> remove_file_beneath(const std::string& root, const std::string& rel) {
  auto parts = components(rel);
  if (parts.empty()) return false;
  auto dirfd = open_parent_beneath(root, parts, rel, false);
  if (!dirfd) {
    // A symlink on the way: refused. A missing directory: nothing to remove.
    if (dirfd.error().message.find("symbolic link") != std::string::npos)
      return fail(dirfd.error());
    return false;
  }
  Fd dir{*dirfd};
  if (::unlinkat(dir.fd, parts.back().c_str(), 0) != 0) {
    if (errno == ENOENT) return false;
    return fail(root + "/" + rel, 0, std::string("cannot remove: ") + std::strerror(errno));
  }
  return true;
}

std::string decode_utf8_ignore(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      out += s[i++];
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    }
    // A truncated sequence is dropped as a whole (its lead byte and the
    // continuation bytes that fit), like Python's decoder.
    std::size_t good = len == 0 ? 0 : 1;
    for (std::size_t k = 1; good == k && k < len && i + k < s.size(); ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b >= lo && b <= hi) : ((b & 0xC0) == 0x80)) ++good;
    }
    if (len != 0 && good == len) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      i += std::max<std::size_t>(good, 1);
    }
  }
  return out;
}

}  // namespace smartspec::text
