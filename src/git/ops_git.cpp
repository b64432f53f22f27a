// Run management on top of libgit2: in-memory cherry-pick and revert (for
// `rollback`), ancestry, the user's local changes and a safe checkout of a
// few paths (for `land`), and where git looks for hooks (for `hook`).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "git/internal.hpp"

namespace smartspec::git {

using namespace detail;

namespace {

using StatusListPtr = Ptr<git_status_list, git_status_list_free>;
using IndexConflictIterPtr = Ptr<git_index_conflict_iterator, git_index_conflict_iterator_free>;

struct BufOwner {
  git_buf buf = GIT_BUF_INIT;
  ~BufOwner() { git_buf_dispose(&buf); }
};

// Conflicting paths of an in-memory merge index, sorted.
Result<std::vector<std::string>> conflicts_of(git_index* index) {
  std::set<std::string> paths;
  git_index_conflict_iterator* it = nullptr;
  int rc = git_index_conflict_iterator_new(&it, index);
  if (rc != 0) return fail_git("cannot list conflicts", rc);
  IndexConflictIterPtr owner(it);
  const git_index_entry* ancestor = nullptr;
  const git_index_entry* ours = nullptr;
  const git_index_entry* theirs = nullptr;
  while (git_index_conflict_next(&ancestor, &ours, &theirs, it) == 0) {
    for (const git_index_entry* e : {ours, theirs, ancestor}) {
      if (e != nullptr && e->path != nullptr) {
        paths.insert(e->path);
        break;
      }
    }
  }
  return std::vector<std::string>(paths.begin(), paths.end());
}

Result<SignaturePtr> signature(const Identity& id, const std::string& what) {
  git_signature* sig = nullptr;
  int rc = git_signature_new(&sig, id.name.c_str(), id.email.c_str(), id.time, id.offset_minutes);
  if (rc != 0) return fail_git("invalid " + what + " '" + id.name + " <" + id.email + ">'", rc);
  return SignaturePtr(sig);
}

// Writes the merged index as a tree and commits it on top of `onto`.
Result<Replay> commit_index(Repository& repo, git_index* index, git_commit* onto,
                            const git_signature* author, const std::string& message) {
  Replay out;
  if (git_index_has_conflicts(index)) {
    TRY(out.conflicts, conflicts_of(index));
    return out;
  }
  git_oid tree_id;
  int rc = git_index_write_tree_to(&tree_id, index, repo.raw());
  if (rc != 0) return fail_git("cannot write the re-applied tree", rc);
  git_tree* tree = nullptr;
  rc = git_tree_lookup(&tree, repo.raw(), &tree_id);
  if (rc != 0) return fail_git("cannot read the re-applied tree", rc);
  TreePtr tree_owner(tree);
  TRY(SignaturePtr committer, signature(repo.committer(), "committer"));
  SignaturePtr author_owner;
  if (author == nullptr) {
    TRY(author_owner, signature(repo.author(), "author"));
    author = author_owner.get();
  }
  const git_commit* parents[] = {onto};
  git_oid id;
  rc = git_commit_create(&id, repo.raw(), nullptr, author, committer.get(), nullptr,
                         message.c_str(), tree, 1, parents);
  if (rc != 0) return fail_git("cannot create commit", rc);
  out.commit = to_hex(id);
  return out;
}

}  // namespace

Result<Replay> cherry_pick(Repository& repo, const Oid& commit, const Oid& onto) {
  CommitPtr pick = lookup_commit(repo.raw(), commit);
  if (!pick) return fail_code("commit " + commit + " does not exist", kNotFound);
  CommitPtr base = lookup_commit(repo.raw(), onto);
  if (!base) return fail_code("commit " + onto + " does not exist", kNotFound);
  if (git_commit_parentcount(pick.get()) > 1) {
    return fail("commit " + commit.substr(0, 7) + " is a merge; it cannot be re-applied");
  }
  git_merge_options mopts;
  git_merge_options_init(&mopts, GIT_MERGE_OPTIONS_VERSION);
  git_index* index = nullptr;
  int rc = git_cherrypick_commit(&index, repo.raw(), pick.get(), base.get(), 0, &mopts);
  if (rc != 0) return fail_git("cannot re-apply " + commit.substr(0, 7), rc);
  IndexPtr owner(index);
  const char* raw = git_commit_message_raw(pick.get());
  return commit_index(repo, index, base.get(), git_commit_author(pick.get()),
                      raw != nullptr ? raw : "");
}

namespace {

// Every directory that holds a path of `paths` ("a/b/c": "a" and "a/b").
std::set<std::string> holding_dirs(const std::vector<std::string>& paths) {
  std::set<std::string> dirs;
  for (const auto& p : paths)
    for (std::size_t k = p.find('/'); k != std::string::npos; k = p.find('/', k + 1))
      dirs.insert(p.substr(0, k));
  return dirs;
}

// True when a path of `a` and one of `b` (file paths) are the same or one is
// a directory holding the other.
bool related_paths(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const std::set<std::string> files(a.begin(), a.end());
  const std::set<std::string> dirs = holding_dirs(a);
  for (const auto& p : b)
    if (files.count(p) != 0 || dirs.count(p) != 0) return true;
  for (const auto& d : holding_dirs(b))
    if (files.count(d) != 0) return true;
  return false;
}

// `ours` with the entries of `paths` taken from `theirs` (absent there:
// removed), by git_tree_create_updated: the cost of the changed paths. None
// when a path of `paths` is a directory of another (a file became a
// directory or back): the caller merges the whole trees.
std::optional<Result<Oid>> apply_side(git_repository* raw, git_tree* ours, git_tree* theirs,
                                      const std::vector<std::string>& paths) {
  const std::set<std::string> dirs = holding_dirs(paths);
  for (const auto& p : paths)
    if (dirs.count(p) != 0) return std::nullopt;
  std::vector<git_tree_update> updates(paths.size());
  std::vector<TreeEntryPtr> owners;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    git_tree_update& u = updates[i];
    u.path = paths[i].c_str();
    git_tree_entry* te = nullptr;
    if (git_tree_entry_bypath(&te, theirs, u.path) == 0) {
      owners.emplace_back(te);
      if (git_tree_entry_type(te) == GIT_OBJECT_TREE) return std::nullopt;
      u.action = GIT_TREE_UPDATE_UPSERT;
      git_oid_cpy(&u.id, git_tree_entry_id(te));
      u.filemode = git_tree_entry_filemode(te);
    } else {
      u.action = GIT_TREE_UPDATE_REMOVE;
    }
  }
  git_oid id;
  int rc = git_tree_create_updated(&id, raw, ours, updates.size(), updates.data());
  if (rc != 0) return Result<Oid>(fail_git("cannot write the merged tree", rc));
  return Result<Oid>(to_hex(id));
}

}  // namespace

// When the two sides changed unrelated paths the three-way merge takes each
// path from the side that changed it: `ours` plus the paths `theirs` changed,
// built from those paths alone (tree-to-tree diffs skip the subtrees both
// sides share). Anything else is libgit2's merge of the whole trees.
Result<TreeMerge> merge_trees(Repository& repo, const Oid& ancestor, const Oid& ours,
                              const Oid& theirs) {
  if (theirs == ancestor || ours == theirs) return TreeMerge{ours, {}};
  if (ours == ancestor) return TreeMerge{theirs, {}};
  TreePtr base = tree_for(repo.raw(), ancestor);
  TreePtr one = tree_for(repo.raw(), ours);
  TreePtr two = tree_for(repo.raw(), theirs);
  if (!base || !one || !two) return fail_code("cannot merge: a tree does not exist", kNotFound);
  {
    TRY(auto ours_paths, repo.changed_paths(ancestor, ours));
    TRY(auto their_paths, repo.changed_paths(ancestor, theirs));
    if (!related_paths(ours_paths, their_paths)) {
      if (auto applied = apply_side(repo.raw(), one.get(), two.get(), their_paths)) {
        TRY(Oid tree, std::move(*applied));
        return TreeMerge{tree, {}};
      }
    }
  }
  git_merge_options mopts;
  git_merge_options_init(&mopts, GIT_MERGE_OPTIONS_VERSION);
  mopts.flags = static_cast<git_merge_flag_t>(0);  // no rename detection: paths as they are
  git_index* index = nullptr;
  int rc = git_merge_trees(&index, repo.raw(), base.get(), one.get(), two.get(), &mopts);
  if (rc != 0) return fail_git("cannot merge trees", rc);
  IndexPtr owner(index);
  TreeMerge out;
  if (git_index_has_conflicts(index)) {
    TRY(out.conflicts, conflicts_of(index));
    return out;
  }
  git_oid id;
  rc = git_index_write_tree_to(&id, index, repo.raw());
  if (rc != 0) return fail_git("cannot write the merged tree", rc);
  out.tree = to_hex(id);
  return out;
}

Result<Replay> revert(Repository& repo, const Oid& commit, const Oid& onto,
                      const std::string& message) {
  CommitPtr undo = lookup_commit(repo.raw(), commit);
  if (!undo) return fail_code("commit " + commit + " does not exist", kNotFound);
  CommitPtr base = lookup_commit(repo.raw(), onto);
  if (!base) return fail_code("commit " + onto + " does not exist", kNotFound);
  if (git_commit_parentcount(undo.get()) != 1) {
    return fail("commit " + commit.substr(0, 7) + " has no single parent; it cannot be reverted");
  }
  git_merge_options mopts;
  git_merge_options_init(&mopts, GIT_MERGE_OPTIONS_VERSION);
  git_index* index = nullptr;
  int rc = git_revert_commit(&index, repo.raw(), undo.get(), base.get(), 0, &mopts);
  if (rc != 0) return fail_git("cannot revert " + commit.substr(0, 7), rc);
  IndexPtr owner(index);
  return commit_index(repo, index, base.get(), nullptr, message);
}

Result<bool> is_ancestor(const Repository& repo, const Oid& ancestor, const Oid& descendant) {
  if (ancestor == descendant) return true;
  auto a = parse_oid(ancestor);
  auto d = parse_oid(descendant);
  if (!a || !d) return fail("invalid object id");
  int rc = git_graph_descendant_of(repo.raw(), &*d, &*a);
  if (rc < 0) return fail_git("cannot compare history", rc);
  return rc == 1;
}

Result<std::vector<std::string>> local_changes(const Repository& repo,
                                               const std::vector<std::string>& paths) {
  if (paths.empty()) return std::vector<std::string>{};
  std::vector<char*> specs;
  specs.reserve(paths.size());
  for (const auto& p : paths) specs.push_back(const_cast<char*>(p.c_str()));
  git_status_options opts;
  git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
  opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
               GIT_STATUS_OPT_INCLUDE_IGNORED | GIT_STATUS_OPT_RECURSE_IGNORED_DIRS |
               GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
  opts.pathspec.strings = specs.data();
  opts.pathspec.count = specs.size();
  git_status_list* list = nullptr;
  int rc = git_status_list_new(&list, repo.raw(), &opts);
  if (rc != 0) return fail_git("cannot read the working tree's status", rc);
  StatusListPtr owner(list);
  std::set<std::string> out;
  for (std::size_t i = 0; i < git_status_list_entrycount(list); ++i) {
    const git_status_entry* e = git_status_byindex(list, i);
    const git_diff_delta* d = e->head_to_index != nullptr ? e->head_to_index : e->index_to_workdir;
    if (d == nullptr) continue;
    const char* path = d->new_file.path != nullptr ? d->new_file.path : d->old_file.path;
    std::string what;
    if (e->status & GIT_STATUS_IGNORED) {
      what = "ignored file in the way";
    } else if (e->status & GIT_STATUS_WT_NEW) {
      what = "untracked file in the way";
    } else if (e->status &
               (GIT_STATUS_INDEX_NEW | GIT_STATUS_INDEX_MODIFIED | GIT_STATUS_INDEX_DELETED |
                GIT_STATUS_INDEX_RENAMED | GIT_STATUS_INDEX_TYPECHANGE)) {
      what = "staged change";
    } else if (e->status & GIT_STATUS_CONFLICTED) {
      what = "unresolved conflict";
    } else {
      what = "unstaged change";
    }
    out.insert(std::string(path != nullptr ? path : "?") + ": " + what);
  }
  return std::vector<std::string>(out.begin(), out.end());
}

Result<void> checkout_paths(Repository& repo, const Oid& commit, const Oid& baseline,
                            const std::vector<std::string>& paths) {
  if (paths.empty()) return {};
  TreePtr target = tree_for(repo.raw(), commit);
  if (!target) return fail_code("commit " + commit + " does not exist", kNotFound);
  TreePtr base = tree_for(repo.raw(), baseline);
  if (!base) return fail_code("commit " + baseline + " does not exist", kNotFound);
  std::vector<char*> specs;
  for (const auto& p : paths) specs.push_back(const_cast<char*>(p.c_str()));
  git_checkout_options opts;
  git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
  opts.checkout_strategy =
      GIT_CHECKOUT_SAFE | GIT_CHECKOUT_DONT_OVERWRITE_IGNORED | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
  opts.baseline = base.get();
  opts.paths.strings = specs.data();
  opts.paths.count = specs.size();
  std::string conflict;
  opts.notify_flags = GIT_CHECKOUT_NOTIFY_CONFLICT;
  opts.notify_cb = [](git_checkout_notify_t, const char* path, const git_diff_file*,
                      const git_diff_file*, const git_diff_file*, void* payload) -> int {
    auto* first = static_cast<std::string*>(payload);
    if (first->empty() && path != nullptr) *first = path;
    return 0;
  };
  opts.notify_payload = &conflict;
  int rc = git_checkout_tree(repo.raw(), reinterpret_cast<git_object*>(target.get()), &opts);
  if (rc == GIT_ECONFLICT || !conflict.empty()) {
    return fail(conflict.empty() ? "a local change is in the way of the checkout"
                                 : conflict + ": a local change is in the way of the checkout");
  }
  if (rc != 0) return fail_git("cannot check out the result", rc);
  return {};
}

std::string hooks_dir(const Repository& repo) {
  namespace fs = std::filesystem;
  git_config* cfg = nullptr;
  if (git_repository_config_snapshot(&cfg, repo.raw()) == 0) {
    ConfigPtr owner(cfg);
    BufOwner value;
    if (git_config_get_path(&value.buf, cfg, "core.hooksPath") == 0 && value.buf.ptr != nullptr &&
        value.buf.ptr[0] != '\0') {
      fs::path p = value.buf.ptr;
      if (p.is_relative()) p = fs::path(repo.is_bare() ? repo.git_dir() : repo.workdir()) / p;
      std::string s = p.lexically_normal().string();
      while (s.size() > 1 && s.back() == '/') s.pop_back();
      return s;
    }
  }
  return repo.common_dir() + "/hooks";
}

HooksLocation hooks_location(const Repository& repo) {
  HooksLocation loc;
  loc.dir = hooks_dir(repo);
  git_config* cfg = nullptr;
  if (git_repository_config_snapshot(&cfg, repo.raw()) == 0) {
    ConfigPtr owner(cfg);
    git_config_entry* entry = nullptr;
    if (git_config_get_entry(&entry, cfg, "core.hooksPath") == 0 && entry != nullptr) {
      switch (entry->level) {
        case GIT_CONFIG_LEVEL_PROGRAMDATA:
          loc.configured_in = "programdata";
          break;
        case GIT_CONFIG_LEVEL_SYSTEM:
          loc.configured_in = "system";
          break;
        case GIT_CONFIG_LEVEL_XDG:
          loc.configured_in = "xdg";
          break;
        case GIT_CONFIG_LEVEL_GLOBAL:
          loc.configured_in = "global";
          break;
        case GIT_CONFIG_LEVEL_LOCAL:
          loc.configured_in = "local";
          break;
        default:
          loc.configured_in = "app";
          break;
      }
      git_config_entry_free(entry);
    }
  }
  if (repo.is_bare()) return loc;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path root = fs::weakly_canonical(fs::path(repo.workdir()), ec);
  fs::path dir = fs::weakly_canonical(fs::path(loc.dir), ec);
  fs::path rel = dir.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return loc;
  git_index* raw = nullptr;
  if (git_repository_index(&raw, repo.raw()) != 0) return loc;
  IndexPtr index(raw);
  std::string prefix = rel == "." ? std::string() : rel.generic_string() + "/";
  std::size_t at = 0;
  loc.tracked = git_index_find_prefix(&at, index.get(), prefix.c_str()) == 0;
  return loc;
}

}  // namespace smartspec::git
