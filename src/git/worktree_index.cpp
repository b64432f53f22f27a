// set_worktree_index(): makes a checkout's own index hold a tree, so that
// processes run in it (the user's commit hooks) see the unit's changes as
// staged, exactly as `git commit` would show them. update_index_paths(): the
// same for some paths only (the index as a stat cache kept across calls).
#include "git/internal.hpp"

namespace smartspec::git {

using namespace detail;

// Makes the entries of `paths` in `index` those of `tree` (removals first, so a
// file can become a directory). False when libgit2 refuses one: the caller
// then reloads the whole tree.
bool detail::update_index_paths(git_index* index, git_tree* tree,
                                const std::vector<std::string>& paths) {
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

Result<void> set_worktree_index(const Repository& repo, const std::string& worktree,
                                const Oid& tree_or_commit) {
  TRY(RepoPtr wt, open_scratch(repo, worktree));
  TreePtr tree = tree_for(wt.get(), tree_or_commit);
  if (!tree) tree = tree_for(repo.raw(), tree_or_commit);
  if (!tree) return fail_code("no tree " + tree_or_commit, kNotFound);
  git_index* index_raw = nullptr;
  int rc = git_repository_index(&index_raw, wt.get());
  if (rc != 0) return fail_git("cannot open the worktree's index", rc);
  IndexPtr index(index_raw);
  rc = git_index_read_tree(index.get(), tree.get());
  if (rc == 0) rc = git_index_write(index.get());
  if (rc != 0) return fail_git("cannot write the worktree's index", rc);
  return {};
}

}  // namespace smartspec::git
