// Scratch repository: writing a commit's files into its worktree
// (materialize, checkout_full).
//
// Files are written without ever following a symlink on disk: parent
// directories are checked with lstat() and replaced when they are not real
// directories, and files are replaced by rename() (which replaces a symlink
// itself, not its target).
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "git/internal.hpp"
#include "git/scratch_internal.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::git {

namespace fs = std::filesystem;
using namespace detail;

namespace {

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

Result<void> write_tree_entry(git_repository* repo, const std::string& root, const std::string& rel,
                              const git_tree_entry* te);

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

// Makes the entries of `paths` in `index` those of `tree` (removals first, so a
// file can become a directory). False when libgit2 refuses one: the caller
// then reloads the whole tree.
bool update_index_paths(git_index* index, git_tree* tree, const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, TreeEntryPtr>> present;
  for (const std::string& rel : paths) {
    git_tree_entry* te = nullptr;
    if (git_tree_entry_bypath(&te, tree, rel.c_str()) == 0 &&
        git_tree_entry_filemode(te) != GIT_FILEMODE_TREE) {
      present.emplace_back(rel, TreeEntryPtr(te));
      continue;
    }
    if (te != nullptr) git_tree_entry_free(te);
    if (git_index_get_bypath(index, rel.c_str(), 0) != nullptr &&
        git_index_remove(index, rel.c_str(), 0) != 0) {
      return false;
    }
  }
  for (const auto& [rel, te] : present) {
    // A file that replaces a directory: drop the directory's entries first.
    if (git_index_remove_directory(index, rel.c_str(), 0) != 0) return false;
    git_index_entry e{};
    e.mode = git_tree_entry_filemode(te.get());
    git_oid_cpy(&e.id, git_tree_entry_id(te.get()));
    e.path = rel.c_str();
    if (git_index_add(index, &e) != 0) return false;
  }
  return true;
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

Result<void> write_text(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text << "\n";
    if (!out) return fail_path(tmp, "cannot write");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return fail_path(path, "cannot write: " + errno_text());
  return {};
}

// Checks `tree` out against an empty baseline: every file of the commit is
// written, and anything else in the directory (files the tool or a process
// created) removed.
Result<void> force_checkout(git_repository* wt_raw, git_tree* tree, const Oid& commit,
                            const std::string& path) {
  git_index* empty = nullptr;
  int rc = git_index_new(&empty);
  if (rc != 0) return fail_git("cannot create index", rc);
  IndexPtr empty_owner(empty);
  git_checkout_options opts;
  git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
  opts.checkout_strategy =
      GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED | GIT_CHECKOUT_REMOVE_IGNORED;
  opts.baseline_index = empty;
  rc = git_checkout_tree(wt_raw, reinterpret_cast<git_object*>(tree), &opts);
  if (rc != 0) return fail_git("cannot check out " + commit + " in " + path, rc);
  return {};
}

// The index equals the tree. After a move only the changed paths are
// updated (entries without stat data: the next comparison hashes those
// files); otherwise read_tree, which keeps the stat data of unchanged
// entries. Either way it must end equal to the tree, which its cached tree
// id confirms cheaply.
Result<void> sync_index(git_repository* wt_raw, git_tree* tree, bool incremental,
                        const std::vector<std::string>& changed, const std::string& path) {
  git_index* index = nullptr;
  int rc = git_repository_index(&index, wt_raw);
  if (rc != 0) return fail_git("cannot open index of " + path, rc);
  IndexPtr index_owner(index);
  bool updated = incremental && update_index_paths(index, tree, changed);
  git_oid written;
  if (updated &&
      (git_index_write_tree(&written, index) != 0 || !git_oid_equal(&written, git_tree_id(tree)))) {
    updated = false;
  }
  rc = updated ? 0 : git_index_read_tree(index, tree);
  if (rc == 0) rc = git_index_write(index);
  if (rc != 0) return fail_git("cannot write index of " + path, rc);
  return {};
}

}  // namespace

namespace detail {

bool is_real_dir(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace detail

Result<void> Scratch::materialize(const Oid& commit, const std::vector<std::string>& paths) {
  git_repository* raw = repo_->raw();
  TreePtr tree = tree_for(raw, commit);
  if (!tree) return fail_code("commit " + commit + " does not exist", kNotFound);
  // The root itself is checked too: a process may have put a symbolic link
  // in its place, and nothing is ever written through one.
  if (!is_real_dir(path_))
    return fail_path(path_, "scratch worktree is missing or not a directory");
  for (const std::string& rel : paths) {
    std::string why = invalid_path(rel);
    if (!why.empty()) return fail(rel, 0, "refused path: " + why);
  }
  for (const std::string& rel : paths) {
    // The first ancestor that is not a directory in the tree decides: a
    // symlink (or file) there is materialized itself, so the caller's
    // confinement check sees it and nothing is written through it.
    std::string target = rel;
    TreeEntryPtr entry;
    for (std::size_t pos = rel.find('/'); pos != std::string::npos; pos = rel.find('/', pos + 1)) {
      const std::string prefix = rel.substr(0, pos);
      git_tree_entry* te = nullptr;
      if (git_tree_entry_bypath(&te, tree.get(), prefix.c_str()) != 0) break;  // absent
      TreeEntryPtr owner(te);
      if (git_tree_entry_filemode(te) != GIT_FILEMODE_TREE) {
        target = prefix;
        entry = std::move(owner);
        break;
      }
    }
    if (!entry) {
      git_tree_entry* te = nullptr;
      if (git_tree_entry_bypath(&te, tree.get(), target.c_str()) == 0) entry.reset(te);
    }
    if (!entry) {
      TRY_VOID(remove_path(path_, target));
    } else {
      TRY_VOID(write_tree_entry(raw, path_, target, entry.get()));
    }
  }
  return {};
}

bool Scratch::is_full() const { return full_commit().has_value(); }

std::optional<Oid> Scratch::full_commit() const {
  auto text = read_text(path_ + ".full");
  if (!text || !parse_oid(*text)) return std::nullopt;
  return text;
}

Result<void> Scratch::checkout_full(const Oid& commit) {
  git_repository* raw = repo_->raw();
  CommitPtr target = lookup_commit(raw, commit);
  if (!target) return fail_code("commit " + commit + " does not exist", kNotFound);
  const std::string marker = path_ + ".full";
  const std::optional<Oid> current = full_commit();
  // While the worktree is being changed it is not a known full checkout: if
  // this is interrupted, the next call does a complete (forced) checkout.
  std::error_code ec;
  fs::remove(marker, ec);

  TRY(RepoPtr wt_repo, open_scratch(*repo_, path_));
  git_repository* wt_raw = wt_repo.get();
  // Objects handed to the worktree's handle must be looked up through it
  // (the user's objects, through the alternates).
  git_tree* tree_raw = nullptr;
  int rc = git_tree_lookup(&tree_raw, wt_raw, git_commit_tree_id(target.get()));
  if (rc != 0) return fail_git("cannot read tree of " + commit, rc);
  TreePtr tree(tree_raw);

  bool incremental = false;
  std::vector<std::string> changed;
  if (current) {
    CommitPtr from = lookup_commit(raw, *current);
    if (from) {
      auto paths = repo_->changed_paths(to_hex(*git_commit_tree_id(from.get())),
                                        to_hex(*git_tree_id(tree.get())));
      if (paths) {
        TRY_VOID(materialize(commit, *paths));
        incremental = true;
        changed = std::move(*paths);
      }
    }
  }
  if (!incremental) TRY_VOID(force_checkout(wt_raw, tree.get(), commit, path_));
  TRY_VOID(sync_index(wt_raw, tree.get(), incremental, changed, path_));
  rc = git_repository_set_head_detached(wt_raw, git_commit_id(target.get()));
  if (rc != 0) return fail_git("cannot set HEAD of " + path_, rc);
  return write_text(marker, commit);
}

// The scratch is no longer registered with the user's repository, so there
// is nothing for git to lock; the reason is kept as the scratch repository's
// description (`cat <git dir>/description`), written only when it changes.

}  // namespace smartspec::git
