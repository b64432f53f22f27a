// Repository::open: discovery, the hook environment, and the repositories
// libgit2 1.5.1 cannot handle (detected up front from the config file, because
// libgit2's own errors for them are confusing or come late).
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "git/internal.hpp"

namespace smartspec::git {

namespace fs = std::filesystem;
using namespace detail;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  std::size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// The keys of a git config file that matter here, as "section.key" (lower
// case; subsections are skipped) → last value. A key without '=' is "true".
std::map<std::string, std::string> read_config_file(const fs::path& file) {
  std::map<std::string, std::string> out;
  std::ifstream in(file);
  std::string section;
  for (std::string line; std::getline(in, line);) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t[0] == '[') {
      std::size_t close = t.find(']');
      std::string head = t.substr(1, close == std::string::npos ? std::string::npos : close - 1);
      // [remote "origin"] and the like: not a section we read.
      section = head.find_first_of(" \t\"") == std::string::npos ? lower(trim(head)) : "";
      continue;
    }
    if (section.empty()) continue;
    std::size_t eq = t.find('=');
    std::string key = lower(trim(t.substr(0, eq)));
    std::string value = eq == std::string::npos ? "true" : trim(t.substr(eq + 1));
    std::size_t comment = value.find_first_of("#;");
    if (comment != std::string::npos && value.find('"') == std::string::npos) {
      value = trim(value.substr(0, comment));
    }
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    std::string full = section;
    full += '.';
    full += key;
    out[full] = value;
  }
  return out;
}

bool truthy(const std::string& v) {
  std::string l = lower(v);
  return l == "true" || l == "yes" || l == "on" || l == "1";
}

// The reason libgit2 1.5.1 cannot work with the repository whose (per-worktree)
// git dir is `git_dir`, with the fix; "" when it can.
std::string unsupported_reason(const fs::path& git_dir) {
  fs::path common = git_dir;
  {
    std::ifstream cd(git_dir / "commondir");
    std::string rel;
    if (cd && std::getline(cd, rel) && !trim(rel).empty()) {
      fs::path p = trim(rel);
      common = p.is_absolute() ? p : git_dir / p;
    }
  }
  auto cfg = read_config_file(common / "config");
  auto get = [&](const std::string& k) {
    auto it = cfg.find(k);
    return it == cfg.end() ? std::string() : it->second;
  };
  const std::string where = common.lexically_normal().string();
  if (!get("extensions.partialclone").empty()) {
    return "partial clone (extensions.partialClone) in " + where +
           " is not supported by libgit2 1.5.1: use a full or shallow clone "
           "(e.g. `git clone --depth=1` instead of `--filter=blob:none`)";
  }
  if (truthy(get("extensions.worktreeconfig"))) {
    return "extensions.worktreeConfig (set by `git sparse-checkout`) in " + where +
           " is not supported by libgit2 1.5.1: run `git sparse-checkout disable` and "
           "`git config --unset extensions.worktreeConfig`";
  }
  std::string format = lower(get("extensions.objectformat"));
  if (!format.empty() && format != "sha1") {
    return "object format " + format + " (extensions.objectFormat) in " + where +
           " is not supported by libgit2 1.5.1: use a SHA-1 repository";
  }
  if (truthy(get("index.skiphash"))) {
    return "index.skipHash in " + where +
           " is not supported by libgit2 1.5.1: run `git config index.skipHash false` "
           "(and `git update-index --force-write-index`)";
  }
  // feature.manyFiles implies index.skipHash in newer git: the index trailer is then
  // all zeros, which libgit2 1.5.1 rejects as a checksum mismatch.
  {
    std::ifstream index(git_dir / "index", std::ios::binary | std::ios::ate);
    if (index && index.tellg() > 32) {
      index.seekg(-GIT_OID_RAWSZ, std::ios::end);
      char trailer[GIT_OID_RAWSZ] = {};
      if (index.read(trailer, sizeof trailer) &&
          std::all_of(std::begin(trailer), std::end(trailer), [](char c) { return c == 0; })) {
        return "the index in " + git_dir.lexically_normal().string() +
               " is written without checksum (index.skipHash, e.g. from feature.manyFiles), "
               "which libgit2 1.5.1 cannot read: run `git config index.skipHash false` and "
               "`git update-index --force-write-index`";
      }
    }
  }
  return {};
}

std::string ownership_message(const std::string& path) {
  return "repository at " + path +
         " is not owned by the current user: run `git config --global --add safe.directory " +
         path + "` (libgit2 1.5.1 does not accept safe.directory=*)";
}

bool is_ownership_error(int rc) {
  if (rc == GIT_EOWNER) return true;
  const git_error* e = git_error_last();
  if (e == nullptr || e->message == nullptr) return false;
  std::string m = e->message;
  return m.find("safe.directory") != std::string::npos ||
         m.find("not owned by current user") != std::string::npos;
}

fs::path absolute_from_cwd(const std::string& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  return ec ? fs::path(p) : abs.lexically_normal();
}

}  // namespace

Result<Repository> Repository::open(const OpenOptions& opts) {
  ensure_init();
  const char* env_git_dir = opts.from_env ? std::getenv("GIT_DIR") : nullptr;
  const char* env_work_tree = opts.from_env ? std::getenv("GIT_WORK_TREE") : nullptr;
  const bool use_env = env_git_dir != nullptr && env_git_dir[0] != '\0' && opts.repo_root.empty();

  git_repository* raw_repo = nullptr;
  if (use_env) {
    // Inside a hook: GIT_DIR (maybe relative to the cwd) names the git dir
    // exactly; GIT_WORK_TREE, when given, the working tree. libgit2's
    // GIT_REPOSITORY_OPEN_FROM_ENV refuses GIT_WORK_TREE, so it is done here.
    // GIT_INDEX_FILE is deliberately ignored: the tool never uses the caller's index.
    fs::path git_dir = absolute_from_cwd(env_git_dir);
    std::string reason = unsupported_reason(git_dir);
    if (!reason.empty()) return fail_code(reason, kUnsupported);
    int rc =
        git_repository_open_ext(&raw_repo, git_dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
    if (rc != 0) {
      if (is_ownership_error(rc)) return fail_code(ownership_message(git_dir), kUnsupported);
      return fail_git("cannot open repository at GIT_DIR=" + git_dir.string(), rc);
    }
    RepoPtr owner(raw_repo);
    if (env_work_tree != nullptr && env_work_tree[0] != '\0') {
      fs::path wt = absolute_from_cwd(env_work_tree);
      rc = git_repository_set_workdir(raw_repo, wt.c_str(), 0);
      if (rc != 0) return fail_git("cannot use GIT_WORK_TREE=" + wt.string(), rc);
    }
    return Repository(owner.release());
  }

  std::string start = opts.repo_root;
  if (start.empty()) {
    std::error_code ec;
    start = fs::current_path(ec).string();
    if (ec) return fail("cannot read the current directory: " + ec.message());
  }
  git_buf found = GIT_BUF_INIT;
  int rc = git_repository_discover(&found, start.c_str(), 0, nullptr);
  if (rc != 0) {
    git_buf_dispose(&found);
    Error e{{}, 0, "not a git repository (or any parent directory): " + start};
    e.code = kNotFound;
    return tl::unexpected<Error>(std::move(e));
  }
  fs::path git_dir = strip_slash(found.ptr);
  git_buf_dispose(&found);
  std::string reason = unsupported_reason(git_dir);
  if (!reason.empty()) return fail_code(reason, kUnsupported);

  rc = git_repository_open_ext(&raw_repo, start.c_str(), 0, nullptr);
  if (rc != 0) {
    if (is_ownership_error(rc)) {
      const std::string path =
          git_dir.filename() == ".git" ? git_dir.parent_path().string() : git_dir.string();
      return fail_code(ownership_message(path), kUnsupported);
    }
    return fail_git("cannot open repository at " + start, rc, kUnsupported);
  }
  return Repository(raw_repo);
}

Result<Repository> Repository::reopen() const {
  git_repository* raw = nullptr;
  int rc = git_repository_open_ext(&raw, git_repository_path(repo_), GIT_REPOSITORY_OPEN_NO_SEARCH,
                                   nullptr);
  if (rc != 0) return fail_git("cannot open " + git_dir() + " again", rc);
  RepoPtr owner(raw);
  const char* workdir = git_repository_workdir(repo_);
  if (workdir != nullptr && (git_repository_workdir(raw) == nullptr ||
                             strip_slash(git_repository_workdir(raw)) != strip_slash(workdir))) {
    rc = git_repository_set_workdir(raw, workdir, 0);
    if (rc != 0) return fail_git("cannot open " + git_dir() + " again", rc);
  }
  Repository again(owner.release());
  if (again.workdir() != this->workdir() || again.git_dir() != git_dir() ||
      again.common_dir() != common_dir()) {
    return fail("cannot open " + git_dir() + " again: it opens as another repository");
  }
  return again;
}

Repository::Repository(Repository&& o) noexcept : repo_(o.repo_) { o.repo_ = nullptr; }

Repository& Repository::operator=(Repository&& o) noexcept {
  if (this != &o) {
    if (repo_ != nullptr) git_repository_free(repo_);
    repo_ = o.repo_;
    o.repo_ = nullptr;
  }
  return *this;
}

Repository::~Repository() {
  if (repo_ != nullptr) git_repository_free(repo_);
}

std::string Repository::workdir() const { return strip_slash(git_repository_workdir(repo_)); }
std::string Repository::git_dir() const { return strip_slash(git_repository_path(repo_)); }
std::string Repository::common_dir() const { return strip_slash(git_repository_commondir(repo_)); }
bool Repository::is_bare() const { return git_repository_is_bare(repo_) != 0; }

}  // namespace smartspec::git
