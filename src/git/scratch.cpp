// Scratch repository: a repository of its own outside the user's .git
// (<cache>/smartspec-batch/<key>/<name>, git directory <name>.git beside it),
// the user's objects reachable read-only through objects/info/alternates, HEAD
// detached, written lazily. Processes run there (agents, --verify-cmd, hooks)
// can run any git command: refs, config, hooks, index and stash they reach
// are the scratch's, never the user's. The tool rewrites the scratch's control
// files (config, alternates, info/, hooks/, the .git link) before every use,
// so nothing a process left there redirects the tool elsewhere.
//
// Bringing the worktree to a commit is scratch_write.cpp (the files written by
// scratch_files.cpp).
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

}  // namespace

namespace {

// ------------------------------------------------------------ where it lives

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
  TRY_VOID(remove_entry(old + ".clean"));
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
  if (!valid_name(name) || name.ends_with(".git") || name.ends_with(".full") ||
      name.ends_with(".clean"))
    return std::nullopt;
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
  if (!valid_name(name) || name.ends_with(".git") || name.ends_with(".full") ||
      name.ends_with(".clean")) {
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
    TRY_VOID(remove_entry(s.path_ + ".clean"));
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

Result<void> Scratch::lock(const std::string& reason) {
  if (!is_real_dir(git_dir_)) return fail_path(git_dir_, "scratch repository is missing");
  return put_file(git_dir_ + "/description", reason + "\n");
}

Result<void> Scratch::unlock() { return remove_entry(git_dir_ + "/description"); }

Result<void> Scratch::remove() {
  // The marker first (a half-removed checkout is never taken for a full one),
  // then the git directory (a worktree without it is debris the next open clears).
  TRY_VOID(remove_entry(path_ + ".full"));
  TRY_VOID(remove_entry(path_ + ".clean"));
  TRY_VOID(remove_entry(git_dir_));
  TRY_VOID(remove_entry(path_));
  TRY_VOID(remove_entry(git_dir_ + ".new"));
  return remove_legacy(*repo_, name_);
}

}  // namespace smartspec::git
