// Repository: trees, blobs and what changed between two trees.
#include <algorithm>
#include <map>
#include <set>

#include "git/internal.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::git {

using namespace detail;

// ---------------------------------------------------------------- trees

Repository::Entry Repository::entry(const Oid& tree_or_commit, const std::string& path) const {
  Entry e;
  TreePtr tree = tree_for(repo_, tree_or_commit);
  if (!tree) return e;
  if (path.empty()) {
    e.kind = Kind::kDir;
    e.oid = to_hex(*git_tree_id(tree.get()));
    e.mode = GIT_FILEMODE_TREE;
    return e;
  }
  git_tree_entry* te = nullptr;
  if (git_tree_entry_bypath(&te, tree.get(), path.c_str()) != 0) return e;
  TreeEntryPtr owner(te);
  e.mode = static_cast<std::uint32_t>(git_tree_entry_filemode_raw(te));
  e.kind = kind_of(git_tree_entry_filemode(te));
  e.oid = to_hex(*git_tree_entry_id(te));
  return e;
}

std::optional<std::string> Repository::read_file(const Oid& tree_or_commit,
                                                 const std::string& path) const {
  Entry e = entry(tree_or_commit, path);
  if (e.kind != Kind::kFile && e.kind != Kind::kExecutable && e.kind != Kind::kSymlink) {
    return std::nullopt;
  }
  auto oid = parse_oid(e.oid);
  git_blob* blob = nullptr;
  if (!oid || git_blob_lookup(&blob, repo_, &*oid) != 0) return std::nullopt;
  BlobPtr owner(blob);
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob)),
                     static_cast<std::size_t>(git_blob_rawsize(blob)));
}

namespace {

// Stores a blob. git_blob_create_from_buffer streams into a temporary file
// that it creates and deletes even when the object already exists; on ext4
// every deleted inode slows the allocation of the next ones for a minute or
// more. git_odb_write hashes first and writes nothing for a known object.
int put_blob(git_oid* out, git_repository* repo, std::string_view bytes) {
  git_odb* odb = nullptr;
  int rc = git_repository_odb(&odb, repo);
  if (rc != 0) return rc;
  rc = git_odb_write(out, odb, bytes.data(), bytes.size(), GIT_OBJECT_BLOB);
  git_odb_free(odb);
  return rc;
}

// Mode of `path` in `base` (may be null); GIT_FILEMODE_UNREADABLE when absent.
git_filemode_t mode_in(git_tree* base, const std::string& path) {
  git_tree_entry* te = nullptr;
  if (base == nullptr || git_tree_entry_bypath(&te, base, path.c_str()) != 0) {
    return GIT_FILEMODE_UNREADABLE;
  }
  git_filemode_t mode = git_tree_entry_filemode(te);
  git_tree_entry_free(te);
  return mode;
}

// The base entries an upsert of the file `path` replaces by the other kind:
// `path` itself when it is a directory there, the first of its prefixes that
// is a file there.
void replaced_by_upsert(git_tree* base, const std::string& path, std::set<std::string>* removals) {
  if (mode_in(base, path) == GIT_FILEMODE_TREE) removals->insert(path);
  for (std::size_t pos = path.find('/'); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    const std::string prefix = path.substr(0, pos);
    const git_filemode_t mode = mode_in(base, prefix);
    if (mode == GIT_FILEMODE_UNREADABLE) break;
    if (mode != GIT_FILEMODE_TREE) {
      removals->insert(prefix);
      break;
    }
  }
}

// The removals, less the paths under another removed path: they are gone with
// it (removing them again fails). The updates point into `removals`.
std::vector<git_tree_update> outermost_removals(const std::set<std::string>& removals) {
  std::vector<git_tree_update> removes;
  for (const std::string& path : removals) {
    bool covered = false;
    for (std::size_t pos = path.find('/'); pos != std::string::npos && !covered;
         pos = path.find('/', pos + 1)) {
      covered = removals.count(path.substr(0, pos)) > 0;
    }
    if (covered) continue;
    git_tree_update u{};
    u.path = path.c_str();
    u.action = GIT_TREE_UPDATE_REMOVE;
    removes.push_back(u);
  }
  return removes;
}

}  // namespace

Result<Oid> Repository::write_blob(std::string_view bytes) {
  git_oid oid;
  int rc = put_blob(&oid, repo_, bytes);
  if (rc != 0) return fail_git("cannot write blob", rc);
  return to_hex(oid);
}

Result<Oid> Repository::update_tree(const Oid& base_tree, const std::vector<Change>& changes) {
  TreePtr base;
  if (!base_tree.empty()) {
    base = tree_for(repo_, base_tree);
    if (!base) return bad_id("tree", base_tree);
  }
  // The last change of a path wins; git_tree_create_updated wants each path once.
  std::map<std::string, const Change*> by_path;
  for (const Change& c : changes) {
    if (c.path.empty() || c.path.front() == '/' || c.path.back() == '/' ||
        c.path.find("//") != std::string::npos) {
      return fail("invalid path '" + c.path + "' in tree update");
    }
    by_path[c.path] = &c;
  }
  auto base_mode = [&](const std::string& path) { return mode_in(base.get(), path); };
  // Two passes, because git_tree_create_updated refuses to change a file into
  // a directory or back ("D/F conflict"): first every removal, including base
  // entries an upsert replaces by the other kind, then the upserts.
  std::set<std::string> removals;
  std::vector<git_tree_update> upserts;
  for (const auto& [path, c] : by_path) {
    if (!c->content) {
      // Removing a path that is not there is a no-op (libgit2 would fail on it).
      if (base_mode(path) != GIT_FILEMODE_UNREADABLE) removals.insert(path);
      continue;
    }
    if (c->mode != GIT_FILEMODE_BLOB && c->mode != GIT_FILEMODE_BLOB_EXECUTABLE &&
        c->mode != GIT_FILEMODE_LINK) {
      return fail("invalid mode " + std::to_string(c->mode) + " for '" + path + "'");
    }
    git_tree_update u{};
    u.path = path.c_str();
    int rc = put_blob(&u.id, repo_, *c->content);
    if (rc != 0) return fail_git("cannot write blob for '" + path + "'", rc);
    u.action = GIT_TREE_UPDATE_UPSERT;
    u.filemode = static_cast<git_filemode_t>(c->mode);
    upserts.push_back(u);
    replaced_by_upsert(base.get(), path, &removals);
  }
  const std::vector<git_tree_update> removes = outermost_removals(removals);
  TreePtr middle;
  git_tree* start = base.get();
  git_oid out;
  if (!removes.empty()) {
    int rc = git_tree_create_updated(&out, repo_, start, removes.size(), removes.data());
    if (rc != 0) return fail_git("cannot build tree", rc);
    git_tree* t = nullptr;
    rc = git_tree_lookup(&t, repo_, &out);
    if (rc != 0) return fail_git("cannot read built tree", rc);
    middle.reset(t);
    start = t;
  }
  int rc = git_tree_create_updated(&out, repo_, start, upserts.size(), upserts.data());
  if (rc != 0) return fail_git("cannot build tree", rc);
  return to_hex(out);
}

Result<std::vector<std::string>> Repository::changed_paths(const Oid& tree_a,
                                                           const Oid& tree_b) const {
  TreePtr a;
  TreePtr b;
  if (!tree_a.empty() && !(a = tree_for(repo_, tree_a))) return bad_id("tree", tree_a);
  if (!tree_b.empty() && !(b = tree_for(repo_, tree_b))) return bad_id("tree", tree_b);
  return tree_diff_paths(repo_, a.get(), b.get());
}

Result<std::vector<std::string>> detail::tree_diff_paths(git_repository* repo, git_tree* a,
                                                         git_tree* b) {
  git_diff_options opts;
  git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
  git_diff* diff = nullptr;
  int rc = git_diff_tree_to_tree(&diff, repo, a, b, &opts);
  if (rc != 0) return fail_git("cannot compare trees", rc);
  DiffPtr owner(diff);
  std::set<std::string> paths;
  for (std::size_t i = 0; i < git_diff_num_deltas(diff); ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff, i);
    if (d->old_file.path != nullptr) paths.insert(d->old_file.path);
    if (d->new_file.path != nullptr) paths.insert(d->new_file.path);
  }
  return std::vector<std::string>(paths.begin(), paths.end());
}

Oid Repository::hash(std::string_view bytes) {
  ensure_init();
  git_oid oid;
  git_odb_hash(&oid, bytes.data(), bytes.size(), GIT_OBJECT_BLOB);
  return to_hex(oid);
}

}  // namespace smartspec::git
