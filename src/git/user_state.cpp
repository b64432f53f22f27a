// user_state(): a cheap fingerprint of what the user owns in a repository,
// taken before and after a process the tool runs (an agent, --verify-cmd, a
// hook), so that a change it made outside its scratch repository is named
// and refused. Refs through libgit2's ref iterator, small files by content,
// the index by its entries (reparsed only when its stat data moved), the
// working tree through git's status (files git would list: tracked and
// untracked, not ignored) plus the stat data of each file it lists.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "git/internal.hpp"

namespace smartspec::git {

namespace fs = std::filesystem;
using namespace detail;

namespace {

std::string stat_key(const struct stat& st) {
  std::ostringstream s;
  s << std::oct << st.st_mode << std::dec << ' ' << st.st_dev << ' ' << st.st_ino << ' '
    << st.st_size << ' ' << st.st_mtim.tv_sec << '.' << st.st_mtim.tv_nsec << ' '
    << st.st_ctim.tv_sec << '.' << st.st_ctim.tv_nsec;
  return s.str();
}

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A file's fingerprint: "absent", its content's hash (small files) or its
// stat data (large ones), a symlink's target, a directory's mode.
std::string file_print(const std::string& path, std::size_t hash_limit = 1u << 20) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "absent";
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    return "link " + fs::read_symlink(path, ec).string();
  }
  if (S_ISDIR(st.st_mode)) return "dir " + std::to_string(st.st_mode & 07777);
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) <= hash_limit) {
    if (auto bytes = slurp(path)) {
      return "file " + std::to_string(st.st_mode & 07777) + " " + Repository::hash(*bytes);
    }
  }
  return "stat " + stat_key(st);
}

// The index by its entries (mode, id, stage, path): git rewriting it to
// refresh stat data or extensions (any `git status`) is not a change. The
// digest is reused while the file's stat data stays the same.
std::string index_print(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "absent";
  const std::string key = stat_key(st);
  static std::mutex mu;
  static std::map<std::string, std::pair<std::string, std::string>> cache;  // path → (stat, digest)
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(path);
    if (it != cache.end() && it->second.first == key) return it->second.second;
  }
  git_index* raw = nullptr;
  std::string digest;
  if (git_index_open(&raw, path.c_str()) != 0) {
    digest = "unreadable " + key;
  } else {
    IndexPtr index(raw);
    std::string all;
    const std::size_t n = git_index_entrycount(raw);
    all.reserve(n * 64);
    for (std::size_t i = 0; i < n; ++i) {
      const git_index_entry* e = git_index_get_byindex(raw, i);
      all += std::to_string(e->mode) + ' ' + to_hex(e->id) + ' ' +
             std::to_string(GIT_INDEX_ENTRY_STAGE(e)) + ' ' + e->path + '\n';
    }
    digest = "entries " + std::to_string(n) + " " + Repository::hash(all);
  }
  std::lock_guard<std::mutex> lock(mu);
  cache[path] = {key, digest};
  return digest;
}

// Every entry under `dir` (at most `limit`), by file_print.
void dir_print(const std::string& dir, const std::string& shown, UserState& out,
               std::size_t limit = 2000) {
  out[shown] = file_print(dir);
  std::error_code ec;
  std::size_t n = 0;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end && n < limit; it.increment(ec), ++n) {
    const std::string p = it->path().string();
    out[shown + p.substr(dir.size())] = file_print(p);
  }
}

bool under(const std::string& path, const std::string& dir) {
  return !dir.empty() && (path == dir || path.rfind(dir + "/", 0) == 0);
}

// Refs, except the tool's own: their targets.
Result<void> add_refs(const Repository& repo, UserState* out_state) {
  UserState& out = *out_state;
  const std::string common = repo.common_dir();
  git_reference_iterator* it_raw = nullptr;
  int rc = git_reference_iterator_new(&it_raw, repo.raw());
  if (rc != 0) return fail_git("cannot list the refs of " + common, rc);
  RefIterPtr iter(it_raw);
  git_reference* ref = nullptr;
  while ((rc = git_reference_next(&ref, iter.get())) == 0) {
    RefPtr owner(ref);
    const std::string name = git_reference_name(ref);
    if (name.rfind("refs/smartspec/", 0) == 0 || name == "refs/notes/smartspec") continue;
    if (git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC) {
      out[name] = std::string("-> ") + git_reference_symbolic_target(ref);
    } else if (const git_oid* id = git_reference_target(ref)) {
      out[name] = to_hex(*id);
    }
  }
  if (rc != GIT_ITEROVER) return fail_git("cannot list the refs of " + common, rc);
  return {};
}

// The working tree's entries git status lists (but those under `skip`): status
// and lstat, by path.
Result<void> add_worktree(const Repository& repo, const std::string& workdir,
                          const std::vector<std::string>& skip, UserState* out_state) {
  UserState& out = *out_state;
  git_status_options so;
  git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
  so.show = GIT_STATUS_SHOW_WORKDIR_ONLY;
  so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
             GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
  git_status_list* list = nullptr;
  int rc = git_status_list_new(&list, repo.raw(), &so);
  if (rc != 0) return fail_git("cannot read the status of " + workdir, rc);
  std::unique_ptr<git_status_list, decltype(&git_status_list_free)> owner(list,
                                                                          git_status_list_free);
  const std::size_t n = git_status_list_entrycount(list);
  for (std::size_t i = 0; i < n; ++i) {
    const git_status_entry* e = git_status_byindex(list, i);
    if (e->index_to_workdir == nullptr) continue;
    const git_diff_delta* d = e->index_to_workdir;
    const char* p = d->new_file.path != nullptr ? d->new_file.path : d->old_file.path;
    if (p == nullptr) continue;
    const std::string abs = workdir + "/" + p;
    bool skipped = false;
    for (const auto& s : skip) skipped = skipped || under(abs, s);
    if (skipped) continue;
    struct stat st {};
    std::string print = std::to_string(static_cast<unsigned>(e->status)) + " ";
    print += ::lstat(abs.c_str(), &st) == 0 ? stat_key(st) : std::string("absent");
    out[std::string(p) + " (working tree)"] = print;
  }
  return {};
}

}  // namespace

Result<UserState> user_state(const Repository& repo, const std::vector<std::string>& skip) {
  ensure_init();
  UserState out;
  const std::string workdir = repo.workdir();
  const std::string common = repo.common_dir();
  const std::string git_dir = repo.git_dir();
  auto shown = [&](const std::string& p) {
    return !workdir.empty() && p.rfind(workdir + "/", 0) == 0 ? p.substr(workdir.size() + 1) : p;
  };

  TRY_VOID(add_refs(repo, &out));

  // HEAD, configuration, stash reflog, index: by content.
  out["HEAD"] = file_print(git_dir + "/HEAD");
  for (const std::string& dir : {common, git_dir}) {
    if (dir != git_dir) out[shown(dir + "/HEAD")] = file_print(dir + "/HEAD");
    out[shown(dir + "/config")] = file_print(dir + "/config");
    out[shown(dir + "/config.worktree")] = file_print(dir + "/config.worktree");
    out[shown(dir + "/index")] = index_print(dir + "/index");
    if (dir == git_dir) break;
  }
  out[shown(common + "/logs/refs/stash")] = file_print(common + "/logs/refs/stash", 64u << 20);
  // Hooks: the directory git runs them from, and .git/hooks when that is another.
  const std::string hooks = hooks_dir(repo);
  dir_print(hooks, shown(hooks), out);
  if (hooks != common + "/hooks") dir_print(common + "/hooks", shown(common + "/hooks"), out);

  // The working tree, as git status lists it.
  if (!workdir.empty()) TRY_VOID(add_worktree(repo, workdir, skip, &out));
  return out;
}

std::vector<std::string> user_state_changes(const UserState& before, const UserState& after) {
  std::vector<std::string> out;
  auto b = before.begin();
  auto a = after.begin();
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && b->first < a->first)) {
      out.push_back(b++->first);
    } else if (b == before.end() || a->first < b->first) {
      out.push_back(a++->first);
    } else {
      if (a->second != b->second) out.push_back(a->first);
      ++a;
      ++b;
    }
  }
  return out;
}

}  // namespace smartspec::git
