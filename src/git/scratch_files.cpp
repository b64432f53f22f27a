// Scratch repository: writing a tree's entries into its worktree.
//
// Files are written without ever following a symlink on disk: parent
// directories are checked with lstat() and replaced when they are not real
// directories, and files are replaced by rename() (which replaces a symlink
// itself, not its target).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "git/internal.hpp"
#include "git/scratch_internal.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::git::detail {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

// The process umask (read once; umask() can only be read by setting it).
mode_t current_umask() {
  static const mode_t mask = [] {
    mode_t m = ::umask(022);
    ::umask(m);
    return m;
  }();
  return mask;
}

// Makes every ancestor of root/rel a real directory (replacing files and symlinks).
Result<void> make_parents(const std::string& root, const std::string& rel) {
  std::size_t pos = 0;
  while ((pos = rel.find('/', pos)) != std::string::npos) {
    const std::string dir = root + "/" + rel.substr(0, pos);
    struct stat st;
    if (::lstat(dir.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        if (::unlink(dir.c_str()) != 0) return fail_path(dir, "cannot remove: " + errno_text());
        if (::mkdir(dir.c_str(), 0777) != 0)
          return fail_path(dir, "cannot create: " + errno_text());
      }
    } else if (errno == ENOENT) {
      if (::mkdir(dir.c_str(), 0777) != 0) return fail_path(dir, "cannot create: " + errno_text());
    } else {
      return fail_path(dir, "cannot inspect: " + errno_text());
    }
    ++pos;
  }
  return {};
}

Result<void> write_entry(const std::string& root, const std::string& rel, git_filemode_t mode,
                         std::string_view content) {
  TRY_VOID(make_parents(root, rel));
  const std::string full = root + "/" + rel;
  struct stat st;
  if (::lstat(full.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::error_code ec;
    fs::remove_all(full, ec);
    if (ec) return fail_path(full, "cannot remove: " + ec.message());
  }
  if (mode == GIT_FILEMODE_LINK) {
    if (::unlink(full.c_str()) != 0 && errno != ENOENT) {
      return fail_path(full, "cannot remove: " + errno_text());
    }
    if (::symlink(std::string(content).c_str(), full.c_str()) != 0) {
      return fail_path(full, "cannot create symlink: " + errno_text());
    }
    return {};
  }
  if (mode == GIT_FILEMODE_COMMIT) {  // submodule: an empty directory
    if (::unlink(full.c_str()) != 0 && errno != ENOENT) {
      return fail_path(full, "cannot remove: " + errno_text());
    }
    if (::mkdir(full.c_str(), 0777) != 0 && errno != EEXIST) {
      return fail_path(full, "cannot create: " + errno_text());
    }
    return {};
  }
  const mode_t perm = mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0777 : 0666;
  auto write_all = [&content](int fd) { return text::write_all(fd, content) == 0; };
  // A regular file with no other link is rewritten in place: a new inode per
  // write (and the old one freed) is what makes ext4's inode allocator slow
  // after many deletions. A file linked elsewhere (a hard link an agent made
  // to a file outside) is replaced, never written through.
  if (::lstat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1) {
    int fd = ::open(full.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      struct stat now;
      bool same = ::fstat(fd, &now) == 0 && now.st_ino == st.st_ino && now.st_nlink == 1;
      if (same && write_all(fd)) {
        const mode_t want = perm & ~current_umask();
        bool ok = (now.st_mode & 07777) == want || ::fchmod(fd, want) == 0;
        if (::close(fd) == 0 && ok) return {};
      } else {
        ::close(fd);
      }
    }
    // Fall back to a fresh file.
  }
  const std::string tmp = full + ".smartspec-tmp";
  auto r = text::replace_file_at(AT_FDCWD, tmp, full, content, perm, false);
  if (r.failed == text::ReplaceStep::kCreate)
    return fail_path(tmp, "cannot create: " + errno_text());
  if (r.failed == text::ReplaceStep::kWrite) return fail_path(tmp, "cannot write: " + errno_text());
  if (r.failed == text::ReplaceStep::kRename)
    return fail_path(full, "cannot write: " + errno_text());
  return {};
}

struct WriteCtx {
  git_repository* repo;
  const std::string* root;
  std::string base;  // rel path of the walked tree
  std::optional<Error> error;
};

int walk_cb(const char* dir, const git_tree_entry* te, void* payload) {
  auto* ctx = static_cast<WriteCtx*>(payload);
  if (git_tree_entry_type(te) == GIT_OBJECT_TREE) return 0;
  const std::string rel = ctx->base + "/" + dir + git_tree_entry_name(te);
  auto r = write_tree_entry(ctx->repo, *ctx->root, rel, te);
  if (!r) {
    ctx->error = r.error();
    return -1;
  }
  return 0;
}

}  // namespace

std::string invalid_path(const std::string& rel) {
  if (rel.empty()) return "empty path";
  if (rel.front() == '/') return "absolute path";
  std::size_t start = 0;
  while (start <= rel.size()) {
    std::size_t slash = rel.find('/', start);
    std::string part =
        rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == ".") return "empty or '.' path component";
    if (part == "..") return "'..' path component";
    std::string low = part;
    for (char& c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (low == ".git") return "'.git' path component";
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return {};
}

// Removes root/rel without following symlinks, then its parents left empty.
Result<void> remove_path(const std::string& root, const std::string& rel) {
  std::size_t pos = 0;
  while ((pos = rel.find('/', pos)) != std::string::npos) {
    struct stat st;
    const std::string dir = root + "/" + rel.substr(0, pos);
    // An ancestor that is not a real directory: rel is not reachable, nothing to remove.
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return {};
    ++pos;
  }
  const std::string full = root + "/" + rel;
  struct stat st;
  if (::lstat(full.c_str(), &st) != 0) return {};
  if (S_ISDIR(st.st_mode)) {
    std::error_code ec;
    fs::remove_all(full, ec);  // does not follow symlinks
    if (ec) return fail_path(full, "cannot remove: " + ec.message());
  } else if (::unlink(full.c_str()) != 0) {
    return fail_path(full, "cannot remove: " + errno_text());
  }
  for (std::string p = rel; (pos = p.rfind('/')) != std::string::npos;) {
    p.resize(pos);
    std::string dir = root;
    dir += '/';
    dir += p;
    if (::rmdir(dir.c_str()) != 0) break;  // not empty: stop
  }
  return {};
}

// Writes the tree entry `te` at rel (a whole subtree for a directory).
Result<void> write_tree_entry(git_repository* repo, const std::string& root, const std::string& rel,
                              const git_tree_entry* te) {
  const git_filemode_t mode = git_tree_entry_filemode(te);
  if (mode == GIT_FILEMODE_TREE) {
    TRY_VOID(remove_path(root, rel));
    TRY_VOID(make_parents(root, rel + "/x"));
    git_tree* sub = nullptr;
    int rc = git_tree_lookup(&sub, repo, git_tree_entry_id(te));
    if (rc != 0) return fail_git("cannot read tree of '" + rel + "'", rc);
    TreePtr owner(sub);
    WriteCtx ctx{repo, &root, rel, std::nullopt};
    rc = git_tree_walk(sub, GIT_TREEWALK_PRE, walk_cb, &ctx);
    if (ctx.error) return tl::unexpected<Error>(*ctx.error);
    if (rc != 0) return fail_git("cannot walk tree of '" + rel + "'", rc);
    return {};
  }
  if (mode == GIT_FILEMODE_COMMIT) return write_entry(root, rel, mode, {});
  git_blob* blob = nullptr;
  int rc = git_blob_lookup(&blob, repo, git_tree_entry_id(te));
  if (rc != 0) return fail_git("cannot read blob of '" + rel + "'", rc);
  BlobPtr owner(blob);
  std::string_view bytes(static_cast<const char*>(git_blob_rawcontent(blob)),
                         static_cast<std::size_t>(git_blob_rawsize(blob)));
  return write_entry(root, rel, mode, bytes);
}

bool is_real_dir(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace smartspec::git::detail
