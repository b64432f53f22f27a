// Scratch repository: a repository of its own outside the user's .git
// (<cache>/smartspec-batch/<key>/<name>, git directory <name>.git beside it),
// the user's objects reachable read-only through objects/info/alternates, HEAD
// detached, written lazily. Processes run there (agents, --verify-cmd, hooks)
// can run any git command: refs, config, hooks, index and stash they reach
// are the scratch's, never the user's. The tool rewrites the scratch's control
// files (config, alternates, info/, hooks/, the .git link) before every use,
// so nothing a process left there redirects the tool elsewhere.
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
#include "smartspec/util/text.hpp"

namespace smartspec::git {

namespace fs = std::filesystem;
using namespace detail;

namespace {

// Worktree admin name of the linked scratch worktree of earlier versions.
constexpr const char* kPrefix = "smartspec-";

bool valid_name(const std::string& name) {
  if (name.empty() || name[0] == '.' || name.size() > 100) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

// "" when `rel` is a safe relative path inside a worktree, else the reason.
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

tl::unexpected<Error> fail_path(const std::string& path, const std::string& what) {
  return fail(path, 0, what);
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

}  // namespace

namespace {

// ------------------------------------------------------------ where it lives
std::string errno_of(const std::string& what) { return what + ": " + std::strerror(errno); }

// $XDG_CACHE_HOME when absolute (the XDG rule), else $HOME/.cache, else the
// passwd entry's home + /.cache; "" when there is none.
std::string cache_home() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return strip_slash(xdg);
  std::string home;
  if (const char* h = std::getenv("HOME"); h != nullptr && h[0] == '/') home = h;
  if (home.empty()) {
    if (struct passwd* pw = ::getpwuid(::getuid());
        pw != nullptr && pw->pw_dir != nullptr && pw->pw_dir[0] == '/') {
      home = pw->pw_dir;
    }
  }
  if (home.empty()) return {};
  return strip_slash(home.c_str()) + "/.cache";
}

std::string real_path(const std::string& p) {
  char* r = ::realpath(p.c_str(), nullptr);
  if (r == nullptr) return p;
  std::string out(r);
  std::free(r);
  return out;
}

// "<name>-<16 hex digits>": the repository's directory name (readable) and a
// hash of the real path of its git directory (unique per repository; linked
// worktrees of one repository share it, as they share the run lock).
std::string repo_key(const Repository& repo) {
  const std::string common = real_path(repo.common_dir());
  fs::path p(common);
  std::string name = p.filename().string();
  if (name == ".git") {
    name = p.parent_path().filename().string();
  } else if (name.size() > 4 && name.ends_with(".git")) {
    name.resize(name.size() - 4);
  }
  std::string clean;
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    clean += ok ? c : '_';
  }
  if (clean.size() > 40) clean.resize(40);
  if (clean.empty() || clean[0] == '.') clean.insert(0, "repo");
  return clean + "-" + Repository::hash(common).substr(0, 16);
}

bool is_real_dir(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Removes whatever is at `p` without following a symlink; absent is fine.
Result<void> remove_entry(const std::string& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return fail_path(p, errno_of("cannot inspect"));
  }
  if (S_ISDIR(st.st_mode)) {
    std::error_code ec;
    fs::remove_all(p, ec);  // does not follow symlinks
    if (ec) return fail_path(p, "cannot remove: " + ec.message());
  } else if (::unlink(p.c_str()) != 0 && errno != ENOENT) {
    return fail_path(p, errno_of("cannot remove"));
  }
  return {};
}

// Makes `p` a real directory (replacing a file or symlink there).
Result<void> real_dir(const std::string& p, mode_t mode = 0777) {
  if (is_real_dir(p)) return {};
  TRY_VOID(remove_entry(p));
  if (::mkdir(p.c_str(), mode) != 0 && errno != EEXIST)
    return fail_path(p, errno_of("cannot create"));
  if (!is_real_dir(p)) return fail_path(p, "cannot create: not a directory");
  return {};
}

std::optional<std::string> read_exact(const std::string& p, std::size_t max) {
  int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max) break;
  }
  ::close(fd);
  if (n < 0) return std::nullopt;
  return out;
}

// Makes `p` a regular file holding exactly `bytes`: nothing is written when it
// already does; otherwise a new file (created exclusively, never through a
// link) is renamed over it, so a link or hard link planted there is replaced,
// not written through.
Result<void> put_file(const std::string& p, const std::string& bytes) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::size_t>(st.st_size) == bytes.size()) {
    if (auto cur = read_exact(p, bytes.size()); cur && *cur == bytes) return {};
  }
  if (is_real_dir(p)) TRY_VOID(remove_entry(p));
  const std::string tmp = p + ".smartspec-tmp";
  TRY_VOID(remove_entry(tmp));  // a directory there too
  auto r = text::replace_file_at(AT_FDCWD, tmp, p, bytes, 0644, false);
  if (r.failed == text::ReplaceStep::kCreate) return fail_path(tmp, errno_of("cannot create"));
  if (r.failed == text::ReplaceStep::kWrite) return fail_path(tmp, errno_of("cannot write"));
  if (r.failed == text::ReplaceStep::kRename) return fail_path(p, errno_of("cannot write"));
  return {};
}

std::string config_quote(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Settings of the user's repository configuration that decide how files are
// checked out and stored, copied into the scratch's configuration (the user's
// global and system files are read by both anyway). Nothing else is copied:
// no hooksPath, fsmonitor, remotes, aliases or filters.
constexpr const char* kCopiedCore[] = {
    "autocrlf",          "eol",       "safecrlf",   "symlinks",       "filemode",    "ignorecase",
    "precomposeunicode", "checkstat", "trustctime", "attributesfile", "excludesfile"};

std::string scratch_config(const Repository& repo, const std::string& git_dir,
                           const std::string& worktree) {
  std::string c = "# smartspec-batch: scratch repository of " + repo.common_dir() +
                  "\n# (rewritten by smartspec-batch before every use)\n[core]\n"
                  "\trepositoryformatversion = 0\n\tbare = false\n\tlogallrefupdates = true\n"
                  "\tworktree = " +
                  config_quote(worktree) +
                  "\n"
                  "\thooksPath = " +
                  config_quote(git_dir + "/hooks") + "\n";
  git_config* all = nullptr;
  if (git_repository_config_snapshot(&all, repo.raw()) != 0) return c;
  ConfigPtr all_owner(all);
  git_config* local = nullptr;
  if (git_config_open_level(&local, all, GIT_CONFIG_LEVEL_LOCAL) != 0) return c;
  ConfigPtr local_owner(local);
  for (const char* key : kCopiedCore) {
    git_config_entry* e = nullptr;
    if (git_config_get_entry(&e, local, (std::string("core.") + key).c_str()) == 0 &&
        e != nullptr) {
      c += std::string("\t") + key + " = " + config_quote(e->value != nullptr ? e->value : "") +
           "\n";
      git_config_entry_free(e);
    }
  }
  return c;
}

bool valid_head(const std::string& text) {
  if (text.rfind("ref: refs/", 0) == 0 && text.back() == '\n') return true;
  return text.size() == 41 && parse_oid(text.substr(0, 40)).has_value() && text[40] == '\n';
}

// Rewrites everything in the scratch's git directory that decides where git
// (libgit2 or a process's git) reads and writes, and the worktree's .git
// link: whatever a process changed there, the tool then opens the scratch
// repository, with the user's objects as its alternate, and nothing else.
Result<void> ensure_control(const Repository& repo, const std::string& git_dir,
                            const std::string& worktree) {
  if (!is_real_dir(git_dir))
    return fail_path(git_dir, "scratch git directory is missing or not a directory");
  if (!is_real_dir(worktree))
    return fail_path(worktree, "scratch worktree is missing or not a directory");
  for (const char* d : {"objects", "objects/info", "objects/pack", "refs", "refs/heads",
                        "refs/tags", "info", "hooks"}) {
    TRY_VOID(real_dir(git_dir + "/" + d));
  }
  TRY_VOID(put_file(git_dir + "/config", scratch_config(repo, git_dir, worktree)));
  TRY_VOID(put_file(git_dir + "/objects/info/alternates", repo.common_dir() + "/objects\n"));
  // What the user's repository says about ignores, attributes and history
  // (a shallow clone's boundary), as the linked worktree used to share it.
  for (const char* f : {"info/exclude", "info/attributes", "info/grafts", "shallow"}) {
    auto bytes = read_exact(repo.common_dir() + "/" + f, 64u << 20);
    if (bytes) {
      TRY_VOID(put_file(git_dir + "/" + f, *bytes));
    } else {
      TRY_VOID(remove_entry(git_dir + "/" + f));
    }
  }
  // Files that would make this git directory another repository's worktree
  // or add configuration; lock files of a killed process.
  for (const char* f : {"commondir", "gitdir", "config.worktree", "objects/info/http-alternates",
                        "index.lock", "HEAD.lock", "config.lock"}) {
    TRY_VOID(remove_entry(git_dir + "/" + f));
  }
  // No hooks: git commands run there never run anything of the user's or a process's.
  if (DIR* d = ::opendir((git_dir + "/hooks").c_str())) {
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    for (const auto& n : names) TRY_VOID(remove_entry(git_dir + "/hooks/" + n));
  }
  struct stat st {};
  auto head = ::lstat((git_dir + "/HEAD").c_str(), &st) == 0 && S_ISREG(st.st_mode)
                  ? read_exact(git_dir + "/HEAD", 4096)
                  : std::nullopt;
  if (!head || !valid_head(*head)) {
    auto commit = repo.resolve_commit("HEAD");
    TRY_VOID(put_file(git_dir + "/HEAD", commit ? *commit + "\n" : "ref: refs/heads/main\n"));
  }
  TRY_VOID(put_file(worktree + "/.git", "gitdir: " + git_dir + "\n"));
  return {};
}

// The linked worktree of earlier versions (<common>/smartspec/worktrees/<name>,
// registered as <common>/worktrees/smartspec-<name>): unregistered (moved out
// of git's sight in one rename, then deleted) and removed.
Result<void> remove_legacy(Repository& repo, const std::string& name) {
  const std::string old = repo.common_dir() + "/smartspec/worktrees/" + name;
  const std::string admin = kPrefix + name;
  struct stat st {};
  bool any = ::lstat(old.c_str(), &st) == 0 ||
             ::lstat((repo.common_dir() + "/worktrees/" + admin).c_str(), &st) == 0 ||
             ::lstat((repo.git_dir() + "/worktrees/" + admin).c_str(), &st) == 0;
  if (!any) return {};
  const std::string trash = repo.common_dir() + "/smartspec/" + admin + ".admin-tmp";
  TRY_VOID(remove_entry(trash));
  for (const std::string& dir : {repo.common_dir(), repo.git_dir()}) {
    const std::string registered = dir + "/worktrees/" + admin;
    if (::rename(registered.c_str(), trash.c_str()) != 0 && errno != ENOENT) {
      return fail_path(registered, errno_of("cannot unregister the old scratch worktree"));
    }
    TRY_VOID(remove_entry(trash));
  }
  TRY_VOID(remove_entry(old));
  TRY_VOID(remove_entry(old + ".full"));
  git_reference* ref = nullptr;
  if (git_reference_lookup(&ref, repo.raw(),
                           ("refs/heads/smartspec/scratch+tmp+" + name).c_str()) == 0) {
    RefPtr owner(ref);
    git_reference_delete(ref);
  }
  return {};
}

// mkdir -p for the scratch's base directory: what this tool creates is
// private to the user (0700); every level it uses must be a real directory.
Result<void> make_base(const std::string& base) {
  const std::string top = fs::path(base).parent_path().string();  // <cache>/smartspec-batch
  std::error_code ec;
  fs::create_directories(fs::path(top).parent_path(), ec);
  if (ec) return fail_path(top, "cannot create directory: " + ec.message());
  for (const std::string& d : {top, base}) {
    if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST)
      return fail_path(d, errno_of("cannot create"));
    if (!is_real_dir(d)) return fail_path(d, "not a directory (a symbolic link?); refused");
  }
  return {};
}

std::optional<std::string> name_in(const std::string& base, const std::string& worktree) {
  if (worktree.size() <= base.size() + 1 || worktree.compare(0, base.size(), base) != 0 ||
      worktree[base.size()] != '/') {
    return std::nullopt;
  }
  std::string name = worktree.substr(base.size() + 1);
  if (!valid_name(name) || name.ends_with(".git") || name.ends_with(".full")) return std::nullopt;
  return name;
}

}  // namespace

namespace detail {

Result<RepoPtr> open_scratch(const Repository& repo, const std::string& worktree) {
  ensure_init();
  auto not_ours = [&] {
    return fail(worktree, 0, "not a checkout of repository " + repo.common_dir());
  };
  auto base = Scratch::base_dir(repo);
  if (!base) return not_ours();
  auto name = name_in(*base, worktree);
  if (!name || !is_real_dir(*base)) return not_ours();
  const std::string git_dir = worktree + ".git";
  if (!is_real_dir(git_dir)) return not_ours();
  TRY_VOID(ensure_control(repo, git_dir, worktree));
  git_repository* raw = nullptr;
  int rc = git_repository_open_ext(&raw, git_dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
  if (rc != 0) return fail_git("cannot open the scratch repository " + git_dir, rc);
  RepoPtr r(raw);
  // libgit2 1.5.1 leaks its path buffer when set_workdir is asked for the
  // workdir the repository already has (core.worktree): only set a different one.
  if (git_repository_workdir(raw) == nullptr ||
      strip_slash(git_repository_workdir(raw)) != worktree) {
    rc = git_repository_set_workdir(raw, worktree.c_str(), 0);
    if (rc != 0) return fail_git("cannot open the scratch worktree " + worktree, rc);
  }
  if (git_repository_workdir(raw) == nullptr ||
      strip_slash(git_repository_workdir(raw)) != worktree ||
      strip_slash(git_repository_commondir(raw)) != git_dir) {
    return not_ours();
  }
  return r;
}

}  // namespace detail

Result<std::string> Scratch::base_dir(const Repository& repo) {
  const std::string cache = cache_home();
  if (cache.empty()) {
    return fail(
        "cannot find a cache directory for the scratch repository: set XDG_CACHE_HOME or HOME");
  }
  return cache + "/smartspec-batch/" + repo_key(repo);
}

Result<Scratch> Scratch::open(Repository& repo, const std::string& name) {
  if (!valid_name(name) || name.ends_with(".git") || name.ends_with(".full")) {
    return fail("invalid scratch worktree name '" + name + "'");
  }
  ensure_init();
  TRY(std::string base, base_dir(repo));
  Scratch s;
  s.repo_ = &repo;
  s.name_ = name;
  s.path_ = base + "/" + name;
  s.git_dir_ = s.path_ + ".git";
  TRY_VOID(remove_legacy(repo, name));
  TRY_VOID(make_base(base));
  struct stat st {};
  const bool valid = is_real_dir(s.git_dir_) && is_real_dir(s.path_) &&
                     ::lstat((s.git_dir_ + "/HEAD").c_str(), &st) == 0 && S_ISREG(st.st_mode);
  if (!valid) {
    // Debris of an interrupted creation or removal, or something else in its
    // place: the git directory is built aside and appears by one rename, the
    // worktree (empty: lazy) after it.
    TRY_VOID(remove_entry(s.path_ + ".full"));
    TRY_VOID(remove_entry(s.git_dir_));
    TRY_VOID(remove_entry(s.path_));
    const std::string staging = s.git_dir_ + ".new";
    TRY_VOID(remove_entry(staging));
    if (::mkdir(staging.c_str(), 0777) != 0) return fail_path(staging, errno_of("cannot create"));
    TRY(Oid head, repo.resolve_commit("HEAD"));
    TRY_VOID(put_file(staging + "/HEAD", head + "\n"));
    if (::rename(staging.c_str(), s.git_dir_.c_str()) != 0) {
      return fail_path(s.git_dir_, errno_of("cannot create the scratch repository"));
    }
    if (::mkdir(s.path_.c_str(), 0777) != 0) return fail_path(s.path_, errno_of("cannot create"));
  }
  TRY_VOID(ensure_control(repo, s.git_dir_, s.path_));
  return s;
}

std::vector<std::pair<std::string, std::string>> Scratch::list(const Repository& repo) {
  std::vector<std::pair<std::string, std::string>> out;
  auto base = base_dir(repo);
  if (!base || !is_real_dir(*base)) return out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(*base, ec)) {
    std::string n = e.path().filename().string();
    if (n.size() <= 4 || !n.ends_with(".git")) continue;
    std::string name = n.substr(0, n.size() - 4);
    if (!name_in(*base, *base + "/" + name)) continue;
    if (is_real_dir(*base + "/" + n) && is_real_dir(*base + "/" + name)) {
      out.emplace_back(name, *base + "/" + name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

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
  if (!incremental) {
    // Against an empty baseline every file of the commit is written, and
    // anything else in the directory (files the tool or a process created) removed.
    git_index* empty = nullptr;
    rc = git_index_new(&empty);
    if (rc != 0) return fail_git("cannot create index", rc);
    IndexPtr empty_owner(empty);
    git_checkout_options opts;
    git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
    opts.checkout_strategy =
        GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED | GIT_CHECKOUT_REMOVE_IGNORED;
    opts.baseline_index = empty;
    rc = git_checkout_tree(wt_raw, reinterpret_cast<git_object*>(tree.get()), &opts);
    if (rc != 0) return fail_git("cannot check out " + commit + " in " + path_, rc);
  }
  // The index equals the tree. After a move only the changed paths are
  // updated (entries without stat data: the next comparison hashes those
  // files); otherwise read_tree, which keeps the stat data of unchanged
  // entries. Either way it must end equal to the tree, which its cached tree
  // id confirms cheaply.
  git_index* index = nullptr;
  rc = git_repository_index(&index, wt_raw);
  if (rc != 0) return fail_git("cannot open index of " + path_, rc);
  IndexPtr index_owner(index);
  bool updated = incremental && update_index_paths(index, tree.get(), changed);
  git_oid written;
  if (updated && (git_index_write_tree(&written, index) != 0 ||
                  !git_oid_equal(&written, git_tree_id(tree.get())))) {
    updated = false;
  }
  rc = updated ? 0 : git_index_read_tree(index, tree.get());
  if (rc == 0) rc = git_index_write(index);
  if (rc != 0) return fail_git("cannot write index of " + path_, rc);
  rc = git_repository_set_head_detached(wt_raw, git_commit_id(target.get()));
  if (rc != 0) return fail_git("cannot set HEAD of " + path_, rc);
  return write_text(marker, commit);
}

// The scratch is no longer registered with the user's repository, so there
// is nothing for git to lock; the reason is kept as the scratch repository's
// description (`cat <git dir>/description`), written only when it changes.
Result<void> Scratch::lock(const std::string& reason) {
  if (!is_real_dir(git_dir_)) return fail_path(git_dir_, "scratch repository is missing");
  return put_file(git_dir_ + "/description", reason + "\n");
}

Result<void> Scratch::unlock() { return remove_entry(git_dir_ + "/description"); }

Result<void> Scratch::remove() {
  // The marker first (a half-removed checkout is never taken for a full one),
  // then the git directory (a worktree without it is debris the next open clears).
  TRY_VOID(remove_entry(path_ + ".full"));
  TRY_VOID(remove_entry(git_dir_));
  TRY_VOID(remove_entry(path_));
  TRY_VOID(remove_entry(git_dir_ + ".new"));
  return remove_legacy(*repo_, name_);
}

}  // namespace smartspec::git
