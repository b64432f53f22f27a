// Scratch repository: its control files (config, alternates, info/, hooks/,
// HEAD, the .git link), rewritten before every use so that nothing a process
// left there redirects the tool elsewhere; written without following links.
#include <dirent.h>
#include <fcntl.h>
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

namespace detail {
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

}  // namespace detail

namespace {

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

}  // namespace

namespace detail {

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

}  // namespace detail

namespace {

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

}  // namespace

namespace detail {

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
}  // namespace detail

}  // namespace smartspec::git
