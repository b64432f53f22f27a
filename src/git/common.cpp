#include <cstdlib>
#include <mutex>
#include <string>

#include "git/internal.hpp"

namespace smartspec::git::detail {

void ensure_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    // libgit2 caches trees only up to 4 KiB by default: the trees of large
    // directories (a few hundred entries) were inflated and parsed again for
    // every path looked up through them. Cache trees of any usual size (the
    // cache's total stays bounded by libgit2's 256 MiB limit).
    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, static_cast<size_t>(4) << 20);
  });
}

}  // namespace smartspec::git::detail

namespace smartspec::git {

void init_library() {
  detail::ensure_init();
  const char* nosystem = std::getenv("GIT_CONFIG_NOSYSTEM");
  if (nosystem != nullptr && *nosystem != '\0' && std::string(nosystem) != "0" &&
      std::string(nosystem) != "false") {
    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "");
    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_PROGRAMDATA, "");
  }
}

}  // namespace smartspec::git

namespace smartspec::git::detail {

std::string describe(const std::string& what, int rc) {
  const git_error* e = git_error_last();
  std::string msg = (e != nullptr && e->message != nullptr && e->message[0] != '\0')
                        ? std::string(e->message)
                        : "libgit2 error " + std::to_string(rc);
  for (char& c : msg) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!msg.empty() && (msg.back() == ' ' || msg.back() == '.')) msg.pop_back();
  return what + ": " + msg;
}

std::optional<git_oid> parse_oid(const std::string& hex) {
  if (hex.size() != GIT_OID_HEXSZ) return std::nullopt;
  git_oid oid;
  if (git_oid_fromstr(&oid, hex.c_str()) != 0) return std::nullopt;
  return oid;
}

Oid to_hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return std::string(buf);
}

std::string strip_slash(const char* path) {
  if (path == nullptr) return {};
  std::string s(path);
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

TreePtr tree_for(git_repository* repo, const Oid& id) {
  auto oid = parse_oid(id);
  if (!oid) return nullptr;
  git_object* obj = nullptr;
  if (git_object_lookup(&obj, repo, &*oid, GIT_OBJECT_ANY) != 0) return nullptr;
  ObjectPtr owner(obj);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, obj, GIT_OBJECT_TREE) != 0) return nullptr;
  return TreePtr(reinterpret_cast<git_tree*>(peeled));
}

CommitPtr lookup_commit(git_repository* repo, const Oid& id) {
  auto oid = parse_oid(id);
  if (!oid) return nullptr;
  git_commit* c = nullptr;
  if (git_commit_lookup(&c, repo, &*oid) != 0) return nullptr;
  return CommitPtr(c);
}

Repository::Kind kind_of(git_filemode_t mode) {
  switch (mode) {
    case GIT_FILEMODE_BLOB:
      return Repository::Kind::kFile;
    case GIT_FILEMODE_BLOB_EXECUTABLE:
      return Repository::Kind::kExecutable;
    case GIT_FILEMODE_LINK:
      return Repository::Kind::kSymlink;
    case GIT_FILEMODE_TREE:
      return Repository::Kind::kDir;
    case GIT_FILEMODE_COMMIT:
      return Repository::Kind::kSubmodule;
    default:
      return Repository::Kind::kMissing;
  }
}

}  // namespace smartspec::git::detail
