// worktree_changes(): what a process changed in a checkout, by libgit2's
// tree-to-workdir diff (the machinery behind `git status`), never by mtimes.
#include <algorithm>
#include <filesystem>
#include <optional>

#include "git/internal.hpp"

namespace smartspec::git {

using namespace detail;

namespace {

// Reads back what git_blob_create_from_workdir stored for `path`.
Result<std::string> stored_content(git_repository* wt, const std::string& path) {
  git_oid oid;
  int rc = git_blob_create_from_workdir(&oid, wt, path.c_str());
  if (rc != 0) return fail_git("cannot read '" + path + "' from the worktree", rc);
  git_blob* blob = nullptr;
  rc = git_blob_lookup(&blob, wt, &oid);
  if (rc != 0) return fail_git("cannot read blob of '" + path + "'", rc);
  BlobPtr owner(blob);
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob)),
                     static_cast<std::size_t>(git_blob_rawsize(blob)));
}

// Makes `index`, which holds tree `current`, hold `base` by rewriting the
// entries of the paths that differ between the two trees (usually those of
// the previous call's change): every other entry keeps its stat data, and the
// whole tree is not read. False (nothing to trust) when the result is not
// exactly `base`.
bool holds_after_update(git_repository* wt_raw, git_index* index, const git_oid* current,
                        git_tree* base) {
  git_tree* from_raw = nullptr;
  if (git_tree_lookup(&from_raw, wt_raw, current) != 0) return false;
  TreePtr from(from_raw);
  auto paths = tree_diff_paths(wt_raw, from.get(), base);
  git_oid now;
  return paths && update_index_paths(index, base, *paths) &&
         git_index_write_tree(&now, index) == 0 && git_oid_equal(&now, git_tree_id(base));
}

// The worktree's own index, made to hold `tree`, is a stat cache: entries
// whose id did not change keep their stat data (git_index_read_tree), so
// only files whose stat differs are read and hashed — a diff of the tree
// against the bare workdir would hash every file of the checkout on every
// call. Whatever the process staged is overwritten: the files are the truth.
Result<IndexPtr> index_holding(git_repository* wt_raw, git_tree* base, const Oid& tree,
                               const std::string& worktree) {
  git_index* index_raw = nullptr;
  int rc = git_repository_index(&index_raw, wt_raw);
  if (rc != 0) return fail_git("cannot open the index of " + worktree, rc);
  IndexPtr index(index_raw);
  // Usually the index already holds `tree` (checkout_full and the previous
  // call left it so): its cached tree id says so without a walk of the whole
  // tree. Otherwise (a process staged something, a conflict) it is reloaded.
  git_oid current;
  const bool usable =
      git_index_has_conflicts(index.get()) == 0 && git_index_write_tree(&current, index.get()) == 0;
  if (!usable || (!git_oid_equal(&current, git_tree_id(base)) &&
                  !holds_after_update(wt_raw, index.get(), &current, base))) {
    rc = git_index_read_tree(index.get(), base);
  }
  if (rc != 0) return fail_git("cannot load tree " + tree + " into the index of " + worktree, rc);
  return index;
}

// A delta as a change (path, mode, status; no content yet); none for the
// statuses these options do not produce.
std::optional<WorktreeChange> change_of(const git_diff_delta& d) {
  WorktreeChange c;
  c.path = d.new_file.path != nullptr ? d.new_file.path : d.old_file.path;
  c.mode = d.new_file.mode;
  switch (d.status) {
    case GIT_DELTA_ADDED:
    case GIT_DELTA_UNTRACKED:
      c.status = WorktreeChange::Status::kAdded;
      break;
    case GIT_DELTA_MODIFIED:
    case GIT_DELTA_TYPECHANGE:
      c.status = WorktreeChange::Status::kModified;
      break;
    case GIT_DELTA_DELETED:
      c.status = WorktreeChange::Status::kDeleted;
      c.path = d.old_file.path;
      c.mode = 0;
      break;
    case GIT_DELTA_IGNORED:
      c.status = WorktreeChange::Status::kIgnored;
      break;
    case GIT_DELTA_UNREADABLE:
      c.status = WorktreeChange::Status::kUnreadable;
      break;
    default:  // unmodified, renamed, copied, conflicted: not produced by these options
      return std::nullopt;
  }
  return c;
}

}  // namespace

Result<std::vector<WorktreeChange>> worktree_changes(const Repository& repo,
                                                     const std::string& worktree, const Oid& tree,
                                                     bool include_ignored) {
  TRY(RepoPtr wt, open_scratch(repo, worktree));
  git_repository* wt_raw = wt.get();
  // Objects handed to the worktree's handle are looked up through it.
  TreePtr base = tree_for(wt_raw, tree);
  if (!base) return fail_code("tree " + tree + " does not exist", kNotFound);

  git_diff_options opts;
  git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
  opts.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS |
               GIT_DIFF_INCLUDE_TYPECHANGE | GIT_DIFF_INCLUDE_UNREADABLE |
               GIT_DIFF_IGNORE_SUBMODULES;
  if (include_ignored) opts.flags |= GIT_DIFF_INCLUDE_IGNORED;
  TRY(IndexPtr index, index_holding(wt_raw, base.get(), tree, worktree));
  opts.flags |= GIT_DIFF_UPDATE_INDEX;  // cache the stat data of files found unchanged
  git_diff* diff = nullptr;
  int rc = git_diff_index_to_workdir(&diff, wt_raw, index.get(), &opts);
  if (rc != 0) return fail_git("cannot compare " + worktree + " with tree " + tree, rc);
  DiffPtr owner(diff);
  // Keep the refreshed stat cache for the next call (best effort).
  (void)git_index_write(index.get());

  std::vector<WorktreeChange> out;
  for (std::size_t i = 0; i < git_diff_num_deltas(diff); ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff, i);
    std::optional<WorktreeChange> change = change_of(*d);
    if (!change) continue;
    WorktreeChange& c = *change;
    // A directory reported whole (nested repository, ignored directory).
    if (!c.path.empty() && c.path.back() == '/' && c.mode == 0) c.mode = GIT_FILEMODE_TREE;
    const bool blob_like = c.mode == GIT_FILEMODE_BLOB || c.mode == GIT_FILEMODE_BLOB_EXECUTABLE ||
                           c.mode == GIT_FILEMODE_LINK;
    if ((c.status == WorktreeChange::Status::kAdded ||
         c.status == WorktreeChange::Status::kModified) &&
        blob_like) {
      auto content = stored_content(wt_raw, c.path);
      if (!content) {
        // Vanished or unreadable between the walk and the read.
        c.status = WorktreeChange::Status::kUnreadable;
      } else {
        c.content = std::move(*content);
      }
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const WorktreeChange& a, const WorktreeChange& b) { return a.path < b.path; });
  return out;
}

}  // namespace smartspec::git
