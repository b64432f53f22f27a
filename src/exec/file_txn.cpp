#include "smartspec/exec/file_txn.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "smartspec/exec/confine.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::exec {

std::string_view change_name(Change c) {
  switch (c) {
    case Change::kCreated:
      return "created";
    case Change::kModified:
      return "modified";
    case Change::kDeleted:
      return "deleted";
  }
  return "modified";
}

namespace {

Error io_error(const std::string& rel, const std::string& what) {
  return Error{rel, 0, what + ": " + std::strerror(errno)};
}

// Writes bytes through fd-level calls; O_NOFOLLOW refuses a final symlink
// created behind our back.
Result<void> write_bytes(const std::string& abs, const std::string& rel, std::string_view bytes,
                         int flags, mode_t mode) {
  int fd = ::open(abs.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW | flags, mode);
  if (fd < 0) return fail(io_error(rel, "cannot write"));
  if (text::write_all(fd, bytes) != 0) {
    Error e = io_error(rel, "cannot write");
    ::close(fd);
    return fail(std::move(e));
  }
  if (::close(fd) != 0) return fail(io_error(rel, "cannot write"));
  return {};
}

struct State {
  bool exists = false;
  std::string bytes;
  mode_t mode = 0;
};

Result<State> state_of(const std::string& abs, const std::string& rel) {
  struct stat st {};
  if (::lstat(abs.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return State{};
    return fail(io_error(rel, "cannot inspect"));
  }
  if (!S_ISREG(st.st_mode)) return fail(rel, 0, "not a regular file");
  auto bytes = text::read_file(abs);
  if (!bytes) return fail(rel, 0, bytes.error().message);
  return State{true, std::move(*bytes), static_cast<mode_t>(st.st_mode & 07777)};
}

}  // namespace

FileTxn::FileTxn(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

FileTxn::~FileTxn() {
  if (!done_) (void)rollback();
}

Result<std::optional<std::string>> FileTxn::read(const std::string& rel) const {
  TRY(auto c, confine(root_, rel));
  TRY(auto st, state_of(c.abs, c.rel));
  if (!st.exists) return std::optional<std::string>();
  return std::optional<std::string>(std::move(st.bytes));
}

Result<std::string> FileTxn::prepare(const std::string& rel, std::string* normalized) {
  TRY(auto c, confine(root_, rel));
  if (normalized != nullptr) *normalized = c.rel;
  if (originals_.count(c.rel) == 0) {
    TRY(auto st, state_of(c.abs, c.rel));
    originals_[c.rel] = Original{st.exists, std::move(st.bytes), st.mode};
    order_.push_back(c.rel);
  }
  return c.abs;
}

Result<void> FileTxn::make_parents(const std::string& rel) {
  std::size_t pos = 0;
  while ((pos = rel.find('/', pos)) != std::string::npos) {
    std::string dir = root_ + "/" + rel.substr(0, pos);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) {
      if (::mkdir(dir.c_str(), 0755) != 0) {
        return fail(io_error(rel.substr(0, pos), "cannot create directory"));
      }
      created_dirs_.push_back(dir);
    } else if (!S_ISDIR(st.st_mode)) {
      return fail(rel.substr(0, pos), 0, "not a directory");
    }
    ++pos;
  }
  return {};
}

Result<void> FileTxn::write_file(const std::string& rel, std::string_view bytes, mode_t mode) {
  std::string norm;
  TRY(auto abs, prepare(rel, &norm));
  TRY_VOID(make_parents(norm));
  // An existing file is truncated in place, so it keeps its mode.
  return write_bytes(abs, norm, bytes, O_CREAT | O_TRUNC, mode);
}

Result<void> FileTxn::append(const std::string& rel, std::string_view bytes) {
  std::string norm;
  TRY(auto abs, prepare(rel, &norm));
  if (!originals_[norm].existed && ::access(abs.c_str(), F_OK) != 0) {
    return fail(norm, 0, "file not found");
  }
  return write_bytes(abs, norm, bytes, O_APPEND, 0);
}

Result<void> FileTxn::rename(const std::string& from, const std::string& to) {
  std::string nfrom, nto;
  TRY(auto afrom, prepare(from, &nfrom));
  TRY(auto ato, prepare(to, &nto));
  struct stat st {};
  if (::lstat(afrom.c_str(), &st) != 0) return fail(nfrom, 0, "file not found");
  if (::lstat(ato.c_str(), &st) == 0) return fail(nto, 0, "exists, would overwrite");
  TRY_VOID(make_parents(nto));
  if (::rename(afrom.c_str(), ato.c_str()) != 0) return fail(io_error(nfrom, "cannot rename"));
  return {};
}

Result<void> FileTxn::remove(const std::string& rel) {
  std::string norm;
  TRY(auto abs, prepare(rel, &norm));
  if (::unlink(abs.c_str()) != 0) {
    if (errno == ENOENT) return fail(norm, 0, "file not found");
    return fail(io_error(norm, "cannot delete"));
  }
  return {};
}

std::vector<Touched> FileTxn::touched() const {
  std::vector<Touched> out;
  for (const auto& [rel, orig] : originals_) {
    auto now = state_of(root_ + "/" + rel, rel);
    bool exists = !now || now->exists;  // unreadable now: report it as modified
    if (!orig.existed && exists) {
      out.push_back({rel, Change::kCreated});
    } else if (orig.existed && !exists) {
      out.push_back({rel, Change::kDeleted});
    } else if (orig.existed && (!now || now->bytes != orig.bytes || now->mode != orig.mode)) {
      out.push_back({rel, Change::kModified});
    }
  }
  return out;  // std::map: already sorted by path
}

void FileTxn::commit() { done_ = true; }

Result<void> FileTxn::rollback() {
  done_ = true;
  std::optional<Error> first;
  // Latest first, so a path recorded twice through a rename ends in its original state.
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
    const std::string& rel = *it;
    const Original& orig = originals_[rel];
    std::string abs = root_ + "/" + rel;
    Result<void> r;
    if (orig.existed) {
      struct stat st {};
      if (::lstat(abs.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) ::unlink(abs.c_str());
      r = make_parents(rel);
      if (r) r = write_bytes(abs, rel, orig.bytes, O_CREAT | O_TRUNC, orig.mode);
      if (r && ::chmod(abs.c_str(), orig.mode) != 0) r = fail(io_error(rel, "cannot restore mode"));
    } else if (::unlink(abs.c_str()) != 0 && errno != ENOENT) {
      r = fail(io_error(rel, "cannot delete"));
    }
    if (!r && !first) first = r.error();
  }
  for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it) {
    ::rmdir(it->c_str());  // only when empty; anything else is not ours to remove
  }
  originals_.clear();
  order_.clear();
  created_dirs_.clear();
  if (first) return fail(*first);
  return {};
}

}  // namespace smartspec::exec
